import type { RestConfig } from '../../connections/rest/rest.connection.js';
import { CaudalError } from '../../util/errors.js';
import { originOf } from '../http/client.js';
import { resolveUrl, templateOrigin } from './client.js';

/** A `${param}` reference, as the planner fills it in (compiler/plan.ts). */
const PARAM_REF = /\$\{([^}]*)\}/g;
/** A path segment the URL parser resolves as "this folder" or "the parent folder" (`%2e` is a dot to it). */
const DOT_SEGMENT = /^(\.|%2e){1,2}$/i;
const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
/** transform.http_enrich's `{column}` references, left in the template for each row. */
const COLUMN_REF = /(?<!\$)\{([^{}]+)\}/g;

type Part = 'origin' | 'path' | 'query' | 'fragment';
interface Filled {
  name: string;
  value: string;
  part: Part;
}

export interface ParamUrlOptions {
  /** How messages name the node: `node 'r'`. */
  who: string;
  nodeId: string;
  /** The template also holds `{column}` references (transform.http_enrich), filled per row later. */
  columns?: boolean;
}

/**
 * A node's URL template with its `${param}`s filled in. A param value fills in part of the URL; it
 * never chooses where the request (and the connection's credentials) go. Refused, naming the param
 * and its value: a value that moves the request to another origin than the template literally gives
 * (a path under the connection's base URL, or a full URL whose scheme, host and port hold no param),
 * a value that puts a `.` or `..` segment in the path (the request would leave the path written),
 * and a `?` or `#` in a value inserted into the path (a query the template does not have). A value
 * may still hold `a/b`: several path segments under the path written. A template whose host itself
 * comes from a param (`${api}/orders`, `https://${host}/x`) may go anywhere, but the credentials go
 * only to origins written literally (client.ts: credentialOrigins).
 */
export function paramUrl(config: RestConfig | undefined, template: string, text: (s: string) => string, opts: ParamUrlOptions): string {
  const filled: Filled[] = [];
  const url = template.replace(PARAM_REF, (ref: string, name: string, index: number) => {
    const value = text(ref);
    // An unknown param stays as written: the planner reports it.
    if (value !== ref) filled.push({ name: name.trim(), value, part: partAt(template, index) });
    return value;
  });
  if (filled.length === 0) return url;
  for (const f of filled) valueProblem(template, f, opts);
  dotSegmentsAdded(template, url, filled, opts);
  originKept(config, template, url, filled, opts);
  return url;
}

/** Where a `${param}` at `index` lands in the URL, from the template's text before it. */
function partAt(template: string, index: number): Part {
  const before = template.slice(0, index);
  if (before.includes('#')) return 'fragment';
  if (before.includes('?')) return 'query';
  const scheme = SCHEME.exec(before);
  const rest = scheme ? before.slice(scheme[0].length) : before;
  // Before the first `/` of a full URL, or at the start of the template: scheme, host or port.
  const opensUrl = scheme !== null || before === '' || before.startsWith('${');
  return opensUrl && !rest.includes('/') ? 'origin' : 'path';
}

function refuse(opts: ParamUrlOptions, template: string, f: Filled, why: string, hint: string): never {
  const message = `${opts.who}: param '${f.name}' = ${JSON.stringify(f.value)} ${why} (url ${JSON.stringify(template)}); a param may fill in part of the URL, not change where the request goes`;
  throw new CaudalError('validation', message, { nodeId: opts.nodeId, hint, problems: [{ code: 'invalid_param', path: 'params.url', message, hint }] });
}

/** `?` or `#` in a value inserted into the path, `#` in one inserted into the query, a dot segment. */
function valueProblem(template: string, f: Filled, opts: ParamUrlOptions): void {
  const hint = 'pass the value in the node\'s query params (sent encoded), or write that part of the URL in the node itself';
  if (f.part === 'path' || f.part === 'query') {
    const mark = f.part === 'path' ? /[?#]/.exec(f.value)?.[0] : f.value.includes('#') ? '#' : undefined;
    if (mark) refuse(opts, template, f, `holds "${mark}", which would ${mark === '?' ? 'start a query string' : 'cut the URL at a fragment'} inside the URL's ${f.part}`, hint);
  }
  if (f.part === 'path') {
    const dot = f.value.split(/[/\\]/).find((s) => DOT_SEGMENT.test(s));
    if (dot !== undefined) refuse(opts, template, f, `holds the path segment "${dot}", which would lead the request out of the path written to another path on the API`, 'pass the name of the resource, without . or .. segments');
  }
}

/** A dot segment formed by a value with the template's own text (`/a/.${p}` with p `.`). */
function dotSegmentsAdded(template: string, url: string, filled: Filled[], opts: ParamUrlOptions): void {
  const dots = (s: string) => s.split(/[?#]/, 1)[0]!.split(/[/\\]/).filter((seg) => DOT_SEGMENT.test(seg)).length;
  if (dots(url) <= dots(template.replace(PARAM_REF, 'x'))) return;
  const f = filled.find((x) => x.part === 'path') ?? filled[0]!;
  refuse(opts, template, f, 'makes a . or .. segment with the text around it, which would lead the request out of the path written', 'pass the name of the resource, without dots next to a /');
}

/**
 * The origin the template literally gives: its own when it is a full URL whose scheme, host and port
 * hold no param, the connection's base URL's when it is a path; undefined when a param opens it.
 */
function literalOrigin(config: RestConfig | undefined, template: string): string | undefined {
  if (SCHEME.test(template)) return templateOrigin(template);
  const start = template.search(/\$?\{/);
  const prefix = start < 0 ? template : template.slice(0, start);
  if (prefix === '' || prefix.includes(':')) return undefined;
  return config ? originOf(config.base_url) : undefined;
}

function originKept(config: RestConfig | undefined, template: string, url: string, filled: Filled[], opts: ParamUrlOptions): void {
  const expected = literalOrigin(config, template);
  if (expected === undefined) return;
  // `{column}` values are URL-encoded when each row fills them in: they cannot move the origin.
  const resolved = resolveUrl(config, opts.columns ? url.replace(COLUMN_REF, 'x') : url, opts.who);
  const origin = originOf(resolved);
  if (origin === expected) return;
  const f = filled.find((x) => /[:/\\@]/.test(x.value)) ?? filled[0]!;
  const given = SCHEME.test(template) ? 'the full URL written in the node' : `a path under the connection's base URL ${config?.base_url ?? ''}`;
  refuse(opts, template, f, `would send the request to ${origin ?? resolved}, not to ${expected}, the origin of ${given}`, 'pass only the path part in the param; to call another host, write its full URL in the node (its scheme, host and port then get the connection\'s credentials)');
}
