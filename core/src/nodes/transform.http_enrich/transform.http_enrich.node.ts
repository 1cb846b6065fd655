import { credentialParamWarnings } from '../shared/credential-params.js';
import { defineNode, type Column, type HookIo } from '../define.js';
import { ident, literal, stringLiteral } from '../../compiler/sql.js';
import { convertedListedRead, listedReadType } from '../shared/json-blob-values.js';
import { restFields, type RestConfig } from '../../connections/rest/rest.connection.js';
import { HttpError, JsonText } from '../../connectors/http/client.js';
import { jsonPathFirst } from '../../connectors/http/json-path.js';
import { ResponseCache } from '../../connectors/http/response-cache.js';
import { restClient, resolveUrl, templateOrigin } from '../../connectors/rest/client.js';
import { paramUrl } from '../../connectors/rest/param-url.js';
import { NdjsonSpool, unsafeInteger } from '../../connectors/rest/spool.js';
import { parseJsonBody } from '../shared/json-body.js';
import { redactedSnippet, redactText } from '../../connections/redact.js';
import { CaudalError, errorMessage } from '../../util/errors.js';
import { repeatedKey } from '../../util/json-repeated-key.js';
import { didYouMean } from '../../util/suggest.js';
import { typeProblem } from '../../util/duckdb-type.js';
import { columnNamed, sameName } from '../shared/columns.js';
import { httpEnrichDocs } from './docs.js';
import { httpEnrichParams, type HttpEnrichParams } from './params.js';
import { filledHeaders, unsendableInHeader } from '../../connectors/http/header-values.js';

/** Input rows a preview enriches (the rest would each cost a request). */
const PREVIEW_ROWS = 200;
/** Distinct keys read from DuckDB at a time. */
const CHUNK = 2000;
/** A `{column}` reference; a `${param}` (filled in by the planner) is not one. */
const COLUMN_REF = /(?<!\$)\{([^{}]+)\}/g;

/** A JSON body string that is exactly `{column}`: the value is sent as JSON, keeping its type. */
const WHOLE_REF = /^\{([^{}]+)\}$/;

/**
 * A `{column}` of the templates and where it is: its param path, how messages say it, and whether
 * it is sent as JSON (a whole body string) rather than as text.
 */
interface Placeholder {
  column: string;
  path: string;
  where: string;
  asJson: boolean;
}

/** Every `{column}` the templates use, in order. */
function placeholders(p: HttpEnrichParams): Placeholder[] {
  const found: Placeholder[] = [];
  const scan = (s: string, path: string, where: string) => {
    for (const m of s.matchAll(COLUMN_REF)) found.push({ column: m[1]!.trim(), path, where, asJson: false });
  };
  const walk = (v: unknown) => {
    if (typeof v === 'string') {
      const whole = WHOLE_REF.exec(v);
      if (whole) found.push({ column: whole[1]!.trim(), path: 'body', where: 'the JSON body', asJson: true });
      else scan(v, 'body', 'a string of the JSON body');
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  scan(p.url, 'url', 'the URL');
  for (const [k, v] of Object.entries(p.params)) scan(v, `params.${k}`, `query param '${k}'`);
  for (const [k, v] of Object.entries(p.headers)) scan(v, `headers.${k}`, `header '${k}'`);
  walk(parseJsonBody(p.body).value);
  return found;
}

/** Every `{column}` a template uses. */
function referencedColumns(p: HttpEnrichParams): string[] {
  return [...new Set(placeholders(p).map((u) => u.column))];
}

/**
 * What a value of `type` would become as text in a URL, param or header, when that is not one text
 * per value: a struct, a map, an interval and a union became "[object Object]" (every key one
 * request and one cached answer), a list its elements joined by commas (['a,b'] and ['a', 'b']
 * alike), a BLOB DuckDB's escaped text of its bytes. Undefined for plain values.
 */
function textlessType(type: string): string | undefined {
  const t = type.trim().toUpperCase();
  if (/\]$/.test(t)) return "a list, whose elements would be sent joined by commas (so ['a,b'] and ['a', 'b'] would send the same)";
  const kind = /^(STRUCT|MAP|UNION)\s*\(/.exec(t)?.[1] ?? (t === 'INTERVAL' ? 'INTERVAL' : undefined);
  if (kind) return `${kind === 'INTERVAL' ? 'an interval' : `a ${kind.toLowerCase()}`}, whose values would all be sent as "[object Object]" (every key the same request and the same cached answer)`;
  if (t === 'BLOB') return "bytes, which would be sent as DuckDB's escaped text of them (\\xAA…), not as any text the API knows";
  return undefined;
}

/** A `{column}` sent as text whose column has no one text per value: refused while planning, naming where it is. */
function textlessPlaceholder(nodeId: string, use: Placeholder, col: Column): CaudalError | undefined {
  const why = use.asJson ? undefined : textlessType(col.type);
  if (!why) return undefined;
  const message = `node '${nodeId}': {${use.column}} in ${use.where} is column '${col.name}' of type ${col.type}, ${why}`;
  const hint =
    col.type.trim().toUpperCase() === 'BLOB'
      ? `add a text column in a transform.derive before this node, e.g. hex(${ident(col.name)}) or base64(${ident(col.name)}), and use that`
      : `add a text column in a transform.derive before this node, e.g. to_json(${ident(col.name)}) or CAST(${ident(col.name)} AS VARCHAR), and use that; in a JSON body, a string that is exactly "{${use.column}}" sends the value as JSON`;
  return new CaudalError('validation', message, { nodeId, column: col.name, hint, problems: [{ code: 'invalid_param', path: `params.${use.path}`, column: col.name, message, hint }] });
}

/** `${param}` filled in in every string of the JSON body (its `{column}`s are filled per row). */
function withParams(v: unknown, text: (s: string) => string): unknown {
  if (typeof v === 'string') return text(v);
  if (Array.isArray(v)) return v.map((x) => withParams(x, text));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, withParams(x, text)]));
  return v;
}

type Row = Record<string, unknown>;
const render = (s: string, row: Row, encode: (v: string) => string = (v) => v) => s.replace(COLUMN_REF, (_, name: string) => encode(String(row[name.trim()])));
function renderBody(v: unknown, row: Row): unknown {
  if (typeof v === 'string') {
    const whole = WHOLE_REF.exec(v);
    return whole ? row[whole[1]!.trim()] : render(v, row);
  }
  if (Array.isArray(v)) return v.map((x) => renderBody(x, row));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, renderBody(x, row)]));
  return v;
}

/** Column types whose values DuckDB hands over as text (BIGINT, HUGEINT, DECIMAL) but that are numbers. */
const NUMBER_TYPE = /^(U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?|INT[1248]|INT128|UINT128|LONG|SHORT|DECIMAL|NUMERIC)\b/i;
const NUMBER_TEXT = /^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?$/;

/**
 * The JSON body as text: a string that is exactly `{column}` keeps the value's type, and a number
 * column (BIGINT, HUGEINT, DECIMAL, which DuckDB hands over as text to keep them exact) is written
 * as a JSON number with all its digits: `"id": 9007199254740993`, not `"id": "9007199254740993"`.
 */
function bodyJson(v: unknown, row: Row, types: ReadonlyMap<string, string>): string {
  if (typeof v === 'string') {
    const whole = WHOLE_REF.exec(v);
    if (!whole) return JSON.stringify(render(v, row));
    const name = whole[1]!.trim();
    const x = row[name];
    if (x === undefined || x === null) return 'null';
    if (typeof x === 'bigint') return x.toString();
    if (typeof x === 'string' && NUMBER_TYPE.test(types.get(name) ?? '') && NUMBER_TEXT.test(x)) return x;
    return JSON.stringify(x) ?? 'null';
  }
  if (Array.isArray(v)) return `[${v.map((x) => bodyJson(x, row, types)).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${bodyJson(x, row, types)}`).join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

/** A URL's path, before its query and fragment (where a dot segment means a move to another path). */
const pathOf = (template: string) => template.split(/[?#]/, 1)[0]!;
/** A path segment the URL parser resolves as "this folder" or "the parent folder" (`%2e` is a dot to it). */
const DOT_SEGMENT = /^(\.|%2e){1,2}$/i;

/**
 * What the row's values would make of the URL's path: `skip` when a path segment built from them is
 * empty (`/users/{id}` with id '' would ask `/users/`, the list, not a user: no request, NULL
 * outputs, as for a NULL key), or a refusal when one is `.` or `..` (`/lookup/{cat}/{v}` with
 * cat '..' asked `/v`, another path on the API, with the connection's credentials).
 */
function pathProblem(template: string, row: Row): { skip: true } | { refused: string; column: string } | undefined {
  let skip = false;
  for (const segment of pathOf(template).split('/')) {
    if (!/\{[^{}]+\}/.test(segment)) continue;
    const rendered = render(segment, row, encodeURIComponent);
    const columns = [...segment.matchAll(COLUMN_REF)].map((m) => m[1]!.trim());
    if (DOT_SEGMENT.test(rendered)) {
      const column = columns.find((c) => String(row[c]).includes('.')) ?? columns[0]!;
      return {
        column,
        refused: `column '${column}' holds ${JSON.stringify(String(row[column]))}, which would make the URL path segment ${JSON.stringify(segment)} the dot segment "${rendered}": the URL would lead to another path on the API`,
      };
    }
    if (rendered === '') skip = true;
  }
  return skip ? { skip: true } : undefined;
}

/** A header value built from a row that holds a line break or another control character (HTTP would drop or refuse it). */
function headerProblem(headers: Record<string, string>, row: Row): { refused: string; column: string } | undefined {
  for (const [header, template] of Object.entries(headers)) {
    for (const m of template.matchAll(COLUMN_REF)) {
      const column = m[1]!.trim();
      const value = String(row[column]);
      if (unsendableInHeader(value)) {
        return { column, refused: `column '${column}' holds ${JSON.stringify(value)}, with a line break or another control character, which cannot be sent in header '${header}' (HTTP clients drop them or refuse the request)` };
      }
    }
  }
  return undefined;
}

/** Whether a cached body is JSON. */
function parses(body: string): boolean {
  try {
    JSON.parse(body);
    return true;
  } catch {
    return false;
  }
}

/** The answer's value for an output column, as JSON that read_json turns into the column's type. */
function extract(json: unknown, path: string, type: string, lookup: () => string): unknown {
  const v = jsonPathFirst(json, path);
  if (v === undefined || v === null) return null;
  // JSON.parse read the answer: an integer beyond 2^53 lost digits there, so it must not pass as exact.
  const unsafe = unsafeInteger(v);
  if (unsafe !== undefined) {
    throw new Error(`the answer for ${lookup()} holds an integer beyond 2^53 at '${path}' (read as ${unsafe}), which cannot arrive exact; ask the API for it as a string`);
  }
  if (typeof v === 'object' && type.toUpperCase() !== 'JSON') return JSON.stringify(v);
  return v;
}

export const httpEnrichNode = defineNode({
  type: 'transform.http_enrich',
  version: 1,
  category: 'transform',
  title: 'HTTP lookup',
  description: 'Adds columns from an HTTP API called once per distinct key (geocoding, scoring, lookups), with a response cache, limits, retries and rejects.',
  aliases: ['http', 'api', 'rest', 'enrich', 'geocode', 'lookup', 'web service', 'call api'],
  inputs: [{ name: 'in' }],
  outputs: [
    { name: 'out', description: 'The input rows with the output columns added.' },
    { name: 'rejects', label: 'Failed lookups', description: 'With on_error "reject": the input rows whose request failed, with `http_error` and `http_status`.' },
  ],
  params: httpEnrichParams,
  check(p) {
    const out: Array<{ path: string; message: string; hint?: string }> = [];
    p.outputs.forEach((o, i) => {
      const why = typeProblem(o.type);
      if (why) out.push({ path: `outputs[${i}].type`, message: `column '${o.name}': ${why}` });
    });
    if (referencedColumns(p).length === 0) out.push({ path: 'url', message: 'the request uses no column: every row would ask the same thing', hint: 'put {column} in the URL, a param, a header or the body, e.g. /geocode?q={address}' });
    const body = parseJsonBody(p.body);
    if (body.error) out.push({ path: 'body', message: body.error, hint: 'write a JSON object, e.g. {"status": "shipped"}' });
    if (p.body !== undefined && p.method === 'GET') out.push({ path: 'body', message: 'a GET request has no body', hint: 'set method to POST' });
    return out;
  },
  async compile(ctx) {
    const p = ctx.params;
    const who = `node '${ctx.nodeId}'`;
    for (const w of credentialParamWarnings(who, p.headers, p.params)) ctx.warn(w);
    const input = ctx.input();
    const names = input.columns.map((c) => c.name);
    const used = referencedColumns(p);
    /** Each `{name}` as written → the input column DuckDB means by it ({ID} is column id; {É} is not é). */
    const resolved = new Map<string, Column>();
    for (const u of used) {
      const col = columnNamed(input.columns, u);
      if (!col) {
        const message = `${who}: the request uses column '${u}', which is not in the input${didYouMean(u, names)}`;
        throw new CaudalError('validation', message, { nodeId: ctx.nodeId, column: u, problems: [{ code: 'unknown_column', path: 'params.url', column: u, message, hint: `input columns: ${names.join(', ')}` }] });
      }
      resolved.set(u, col);
    }
    // {id} and {ID} are one column, so one part of the lookup key.
    const keyCols = [...new Set(resolved.values())];
    for (const use of placeholders(p)) {
      const refused = textlessPlaceholder(ctx.nodeId, use, resolved.get(use.column)!);
      if (refused) throw refused;
    }
    // The key rows come back under the columns' own names: every template says {id} for {ID}
    // before it is filled in, or the row would have no value under the name written ("undefined").
    const spelled = (template: string) => template.replace(COLUMN_REF, (ref: string, name: string) => {
      const col = resolved.get(name.trim());
      return col ? `{${col.name}}` : ref;
    });
    const filled = (template: string) => ctx.text(spelled(template));
    for (const [i, o] of p.outputs.entries()) {
      if (names.some((n) => sameName(n, o.name))) {
        const message = `${who}: output column '${o.name}' is already in the input`;
        throw new CaudalError('validation', message, { nodeId: ctx.nodeId, problems: [{ code: 'invalid_param', path: `params.outputs[${i}].name`, message, hint: 'pick another name, or drop the input column first' }] });
      }
    }
    const config: RestConfig | undefined = p.connection ? restFields.parse(ctx.connection(p.connection, 'rest').config) : undefined;
    const url = paramUrl(config, spelled(p.url), (s) => ctx.text(s), { who, nodeId: ctx.nodeId, columns: true });
    const params = Object.fromEntries(Object.entries(p.params).map(([k, v]) => [k, filled(v)]));
    const headers = filledHeaders(p.headers, filled, ctx.nodeId);
    const bodyValue = withParams(parseJsonBody(p.body).value, filled);

    const source = ctx.auxName('input');
    const keys = ctx.auxName('keys');
    const results = ctx.auxName('results');
    const spool = ctx.tempPath('http.ndjson');
    const on = keyCols.map((c) => `i.${ident(c.name)} IS NOT DISTINCT FROM k.${ident(c.name)}`).join(' AND ');
    const outCols = p.outputs.map((o) => `r.${ident(o.name)}`).join(', ');
    const joined = (where: string, extra: string) => `SELECT i.*, ${extra}\nFROM ${source} AS i\nLEFT JOIN ${keys} AS k ON ${on}\nLEFT JOIN ${results} AS r ON r._k = k._k\nWHERE ${where}`;
    // Output types that read_json would fill with loss (0.87 into an INTEGER, a time into a DATE)
    // are read as JSON and converted, refusing such answers (shared/json-values.ts).
    const resultColumns: Record<string, string> = { _k: 'BIGINT', ...Object.fromEntries(p.outputs.map((o) => [o.name, listedReadType(o.type)])), _error: 'VARCHAR', _status: 'INTEGER' };
    const readResults = `SELECT * FROM ${convertedListedRead(
      `read_json(${literal(spool)}, format = 'newline_delimited', columns = {${Object.entries(resultColumns)
        .map(([k, t]) => `${stringLiteral(k)}: ${stringLiteral(t)}`)
        .join(', ')}})`,
      p.outputs,
      (name) => stringLiteral(`output column "${name}": the API answered `),
    )}`;
    const inputSql = (limit?: number) => `CREATE OR REPLACE TEMP ${limit ? 'TABLE' : 'VIEW'} ${source} AS SELECT * FROM ${input.ref}${limit ? ` LIMIT ${limit}` : ''}`;
    const keysSql = `CREATE OR REPLACE TEMP TABLE ${keys} AS SELECT row_number() OVER () AS _k, * FROM (SELECT DISTINCT ${keyCols.map((c) => ident(c.name)).join(', ')} FROM ${source})`;

    const enrich = async (io: HookIo, preview: boolean): Promise<number> => {
      await io.db.run(keysSql);
      const cache = p.cache.enabled ? new ResponseCache(ctx.nodeFolder('http-cache'), p.cache.max_mb * 1024 * 1024, p.cache.ttl_hours !== undefined ? p.cache.ttl_hours * 3_600_000 : undefined) : undefined;
      const client = restClient(config, {
        who,
        timeoutMs: p.timeout_s !== undefined ? p.timeout_s * 1000 : undefined,
        attempts: p.retries + 1,
        ratePerSecond: p.rate_limit,
        concurrency: p.concurrency,
        // The template as written, not as filled in: a param value never decides who gets the credentials.
        configuredUrls: [templateOrigin(p.url)].filter((u) => u !== undefined),
        isCancelled: io.isCancelled,
        log: io.log,
      });
      const out = new NdjsonSpool(spool);
      let calls = 0;
      let hits = 0;
      let rejected = 0;
      let emptyKeys = 0;
      /** Answers not cached because they hold a credential (said once, then counted in the log). */
      let echoes = 0;
      // An answer that echoes a credential (an API key sent as a query param, returned in a
      // "request" field) was written verbatim under the state folder: such answers are not kept.
      // Which secret, and where, is never said; the redaction rules of messages decide.
      const holdsSecret = (body: string) => redactText(body, client.secrets()) !== body;
      const uncached = () => {
        if (echoes++ > 0) return;
        const message = `${who}: an answer of the API holds a credential of the connection (it echoes the API key, token or password it was sent), so such answers are not cached, and each run asks for them again`;
        if (io.warn) io.warn(message);
        else io.log(message);
      };
      const types = new Map(keyCols.map((c) => [c.name, c.type]));
      // What the connection adds to every request (rest/client.ts): its headers (a tenant or API
      // version header changes the answer) and base URL. Part of the cache keys, which are hashes.
      const sentByConnection = config ? { base_url: config.base_url, headers: config.headers } : null;
      try {
        for (let after = 0; ; ) {
          const rows = await io.db.rows(`SELECT * FROM ${keys} WHERE _k > ${after} ORDER BY _k LIMIT ${CHUNK}`);
          if (rows.length === 0) break;
          after = Number(rows.at(-1)!._k);
          const answers = await Promise.all(
            rows.map(async (row) => {
              const k = Number(row._k);
              if (keyCols.some((c) => row[c.name] === null || row[c.name] === undefined)) return { _k: k, _error: null, _status: null };
              /** How errors name this row's lookup, e.g. `address="Gran Via 1"`. */
              const lookup = () => keyCols.map((c) => `${c.name}=${JSON.stringify(row[c.name])}`).join(', ');
              // Values that would change where the request goes, or what it says, are not sent.
              const wrong = pathProblem(url, row) ?? headerProblem(headers, row);
              if (wrong && 'skip' in wrong) {
                emptyKeys++;
                return { _k: k, _error: null, _status: null };
              }
              if (wrong) {
                const message = redactText(`${who}: the lookup for ${lookup()} was not sent: ${wrong.refused}`, client.secrets());
                if (p.on_error === 'fail') {
                  throw new CaudalError('execution', message, { nodeId: ctx.nodeId, column: wrong.column, hint: 'clean or filter such values before this node (a transform.filter or transform.sql), or set on_error to "reject" to route these rows to the rejects output' });
                }
                rejected++;
                return { _k: k, _error: message, _status: null };
              }
              const rendered = bodyValue === undefined ? undefined : renderBody(bodyValue, row);
              const req = {
                method: p.method,
                url: resolveUrl(config, render(url, row, encodeURIComponent), who),
                params: Object.fromEntries(Object.entries(params).map(([n, v]) => [n, render(v, row)])),
                headers: Object.fromEntries(Object.entries(headers).map(([n, v]) => [n, render(v, row)])),
                body: rendered,
              };
              // Per account: answers fetched with one connection's key are not another account's;
              // per connection headers and base URL: an answer for tenant A is not tenant B's.
              const cacheKey = ResponseCache.key([p.connection ?? '', client.credentialIdentity(), sentByConnection, req]);
              let answer = await cache?.get(cacheKey);
              // A 404 kept while not_found was "null" is no answer under "error": asked again, it
              // fails the lookup as an uncached 404 does (and a key that appeared since is found).
              if (answer?.status === 404 && p.not_found === 'error') answer = undefined;
              // Kept by an earlier version, which cached 2xx answers that were not JSON: asked again.
              if (answer && answer.status !== 404 && !parses(answer.body)) answer = undefined;
              // Kept by an earlier version, which cached answers that echo a credential: removed.
              if (answer && holdsSecret(answer.body)) {
                await cache?.drop(cacheKey);
                answer = undefined;
              }
              /** A fresh answer, cached once it is known to be usable (failed lookups never are). */
              let fresh = false;
              if (answer) hits++;
              else {
                try {
                  calls++;
                  // A 2xx answer must be JSON: one that is not (a body cut short) is asked again, and an
                  // HTML page (a captive portal, a login page) fails the lookup at once.
                  const res = await client.send({ ...req, body: bodyValue === undefined ? undefined : new JsonText(bodyJson(bodyValue, row, types)) }, { json: true, accept: p.not_found === 'null' ? [404] : [] });
                  answer = { status: res.status, body: res.text, at: Date.now() };
                  fresh = true;
                } catch (e) {
                  if (e instanceof CaudalError && e.kind === 'cancelled') throw e;
                  const what = lookup();
                  // A 2xx answer that is an HTML page (a captive portal, a login page): failed, not cached.
                  if (e instanceof HttpError && e.notJson !== undefined) {
                    const message = redactText(`${who}: the answer for ${what} is not JSON: ${redactedSnippet(e.notJson, 120, client.secrets())}`, client.secrets());
                    if (p.on_error === 'fail') throw new CaudalError('execution', message, { nodeId: ctx.nodeId, hint: e.hint });
                    rejected++;
                    return { _k: k, _error: message, _status: e.status ?? null };
                  }
                  if (p.on_error === 'fail' || !(e instanceof HttpError)) {
                    throw new CaudalError('execution', redactText(`${errorMessage(e)} (the lookup for ${what})`, client.secrets()), { nodeId: ctx.nodeId, hint: e instanceof CaudalError ? (e.hint ?? 'set on_error to "reject" to route failed lookups to the rejects output') : undefined });
                  }
                  rejected++;
                  return { _k: k, _error: redactText(errorMessage(e), client.secrets()), _status: e.status ?? null };
                }
              }
              const keep = async () => {
                if (!fresh || !cache) return;
                if (holdsSecret(answer.body)) uncached();
                else await cache.set(cacheKey, answer);
              };
              if (answer.status === 404) {
                await keep();
                return { _k: k, _error: null, _status: 404 };
              }
              let json: unknown;
              // A message of Caudal's (the rejects' http_error too): the body is redacted before it is cut.
              const unusable = (why: string) => {
                const message = redactText(`${who}: the answer for ${lookup()} ${why}`, client.secrets());
                if (p.on_error === 'fail') throw new CaudalError('execution', message, { nodeId: ctx.nodeId });
                rejected++;
                return { _k: k, _error: message, _status: answer.status };
              };
              try {
                json = JSON.parse(answer.body);
              } catch {
                return unusable(`is not JSON: ${redactedSnippet(answer.body, 120, client.secrets())}`);
              }
              // JSON.parse would keep the last value of a repeated key: which one the API meant cannot be told.
              const repeated = repeatedKey(answer.body);
              if (repeated !== undefined) return unusable(`holds the key "${repeated}" twice in one object, and which value is meant cannot be told`);
              await keep();
              try {
                return { _k: k, ...Object.fromEntries(p.outputs.map((o) => [o.name, extract(json, o.path, o.type, lookup)])), _error: null, _status: answer.status };
              } catch (e) {
                throw new CaudalError('execution', redactText(`${who}: ${errorMessage(e)}`, client.secrets()), { nodeId: ctx.nodeId });
              }
            }),
          );
          await out.write(answers);
          io.progress(out.rows);
        }
        await out.close();
      } catch (e) {
        out.destroy();
        throw e;
      } finally {
        client.close();
        await cache?.prune().catch(() => undefined);
      }
      io.log(
        `${out.rows} distinct ${keyCols.length === 1 ? `value${out.rows === 1 ? '' : 's'} of ${keyCols[0]!.name}` : 'keys'}: ${calls} request${calls === 1 ? '' : 's'}, ${hits} from the cache${rejected ? `, ${rejected} failed` : ''}${emptyKeys ? `, ${emptyKeys} not asked (an empty value in the URL path, NULL outputs)` : ''}${echoes ? `, ${echoes} not cached (they hold a credential)` : ''}${preview ? ' (preview)' : ''}`,
      );
      await io.db.run(`CREATE OR REPLACE TEMP TABLE ${results} AS ${readResults}`);
      return out.rows;
    };

    const emptyResults = `CREATE OR REPLACE TEMP TABLE ${results} AS SELECT * FROM (SELECT ${Object.entries(resultColumns)
      .map(([k, t]) => `CAST(NULL AS ${t}) AS ${ident(k)}`)
      .join(', ')}) WHERE false`;
    return {
      setup: [
        {
          kind: 'hook',
          description: `call ${url} once per distinct ${keyCols.map((c) => c.name).join(', ')}`,
          async run(io) {
            await io.db.run(inputSql());
            await enrich(io, false);
            return 0;
          },
          async dry(io) {
            if (ctx.mode !== 'preview') {
              // Planning binds against empty tables: no request is made.
              await io.db.run(inputSql());
              await io.db.run(`CREATE OR REPLACE TEMP TABLE ${keys} AS SELECT 0::BIGINT AS _k, ${keyCols.map((c) => ident(c.name)).join(', ')} FROM ${source} WHERE false`);
              await io.db.run(emptyResults);
              return;
            }
            await io.db.run(inputSql(PREVIEW_ROWS));
            await enrich(io, true);
            const [n] = await io.db.rows(`SELECT count(*) AS n FROM ${source}`);
            return { sampled: Number(n?.n ?? 0) >= PREVIEW_ROWS };
          },
        },
      ],
      outputs: {
        out: joined(p.on_error === 'reject' ? 'r._error IS NULL' : 'true', outCols),
        rejects: joined('r._error IS NOT NULL', `r._error AS ${ident('http_error')}, r._status AS ${ident('http_status')}`),
      },
      notices: p.on_error === 'reject' ? [{ countSql: `SELECT count(*) FROM ${results} WHERE _error IS NOT NULL`, message: `{count} lookup{s} failed; their rows went to the 'rejects' port`, port: 'rejects' }] : undefined,
    };
  },
  spark: { kind: 'unsupported', reason: 'calls an HTTP API per row from the machine that runs the pipeline; on Spark, enrich in a step before the job (or a UDF of your own) and join the result' },
  docs: httpEnrichDocs,
  example: {
    description: 'Geocode each distinct address, 5 requests a second, failures set aside',
    params: {
      connection: 'geocoder',
      url: '/geocode?q={address}',
      outputs: [
        { name: 'lat', path: 'results[0].lat', type: 'DOUBLE' },
        { name: 'lon', path: 'results[0].lon', type: 'DOUBLE' },
      ],
      rate_limit: 5,
      on_error: 'reject',
    },
  },
});
