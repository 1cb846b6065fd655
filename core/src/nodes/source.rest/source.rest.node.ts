import { credentialParamWarnings } from '../shared/credential-params.js';
import { writeFile } from 'node:fs/promises';
import { defineNode, type CompileContext, type HookIo, type NodeState, type StateKey } from '../define.js';
import { ident, literal, stringLiteral } from '../../compiler/sql.js';
import { restFields, type RestConfig } from '../../connections/rest/rest.connection.js';
import { restClient, resolveUrl, templateOrigin } from '../../connectors/rest/client.js';
import { paramUrl } from '../../connectors/rest/param-url.js';
import { cachedFirstPage, firstPageKey, rememberFirstPage } from '../../connectors/rest/first-page-cache.js';
import { type Page, readAhead, readPages, type RestReadSpec } from '../../connectors/rest/read.js';
import { NdjsonSpool } from '../../connectors/rest/spool.js';
import { cursorParam, CursorTracker, type CursorValue } from '../../connectors/rest/cursor.js';
import { parseJsonBody } from '../shared/json-body.js';
import { CaudalError } from '../../util/errors.js';
import { flattenedSelect, structFields } from '../shared/flatten.js';
import { unreadKeys } from '../shared/stream-spool.js';
import { stateKey } from '../shared/state-key.js';
import { safeUrl } from '../../connectors/http/safe-url.js';
import { HttpError } from '../../connectors/http/client.js';
import type { Column, CompiledNode } from '../define.js';
import { convertedListedRead, listedReadType } from '../shared/json-blob-values.js';
import { restSourceParams, type RestSourceParams } from './params.js';
import { restSourceDocs } from './docs.js';
import { refusedValue } from './refused-value.js';
import { filledHeaders } from '../../connectors/http/header-values.js';

/** `${param}` in every string of a JSON value. */
function interpolateJson(v: unknown, text: (s: string) => string): unknown {
  if (typeof v === 'string') return text(v);
  if (Array.isArray(v)) return v.map((x) => interpolateJson(x, text));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, interpolateJson(x, text)]));
  return v;
}

function readSpec(ctx: CompileContext<RestSourceParams>, config: RestConfig | undefined, cursor: CursorValue | undefined): RestReadSpec {
  const p = ctx.params;
  const params = Object.fromEntries(Object.entries(p.params).map(([k, v]) => [k, ctx.text(v)]));
  if (p.incremental && cursor !== undefined) params[p.incremental.param] = cursorParam(cursor);
  return {
    method: p.method,
    url: resolveUrl(config, paramUrl(config, p.url, ctx.text, { who: `node '${ctx.nodeId}'`, nodeId: ctx.nodeId }), `node '${ctx.nodeId}'`),
    params,
    headers: filledHeaders(p.headers, ctx.text, ctx.nodeId),
    body: p.body === undefined ? undefined : interpolateJson(parseJsonBody(p.body).value, ctx.text),
    recordsPath: p.records_path,
    pagination: p.pagination,
    maxPages: p.max_pages,
    maxRows: p.max_rows,
    concurrency: p.concurrency,
    parseRecords: p.incremental !== undefined,
  };
}

/**
 * The key of the incremental cursor's state: the resolved request without the cursor param, so the
 * same pipeline pointed at another API or endpoint (by params) keeps its own cursor.
 */
function restStateKey(ctx: CompileContext<RestSourceParams>, config: RestConfig | undefined): StateKey {
  const p = ctx.params;
  const spec = readSpec(ctx, config, undefined);
  const inc = p.incremental!;
  const identity = { method: spec.method, url: spec.url, params: spec.params, body: spec.body ?? null, records: spec.recordsPath ?? null, cursor: inc.cursor_path, param: inc.param };
  return stateKey(identity, `REST ${spec.method} ${safeUrl(spec.url)}${p.connection ? ` (connection '${p.connection}')` : ''}, cursor ${inc.cursor_path} sent as ${inc.param}`);
}

/** A request that fails while planning is a problem of the node (io_error on its URL), hint kept. */
function asProblem(e: unknown): unknown {
  if (!(e instanceof CaudalError) || e.kind === 'cancelled' || e.problems.length > 0) return e;
  return new CaudalError(e.kind, e.message, { hint: e.hint, cause: e, problems: [{ code: problemCode(e), path: 'params.url', message: e.message, hint: e.hint }] });
}

/**
 * An API that gave no answer (refused, unknown host, timed out) or answered that it is down,
 * overloaded or refuses the credentials (5xx, 429, 408, 401, 403) is unavailable: nothing is wrong
 * with the pipeline, and a run stopped by that alone fails (exit 1); the message says which, with
 * the status when it answered (cli/progress.ts words it so, not as "could not reach"). An answer
 * refusing the request itself (404, 400, 405…), or a 2xx that is no JSON (a login or error page),
 * says the URL or its params are wrong: a problem of the pipeline (exit 2).
 */
function problemCode(e: CaudalError): 'unavailable' | 'io_error' | 'invalid_param' {
  if (e.kind !== 'io') return 'invalid_param';
  // An OAuth2 token request's failure is a plain io error naming its status in the message.
  const status = e instanceof HttpError && e.status !== undefined ? e.status : Number(/\bHTTP (\d{3})\b/.exec(e.message)?.[1] ?? NaN);
  if (Number.isNaN(status) || status >= 500 || [401, 403, 408, 429].includes(status)) return 'unavailable';
  return 'io_error';
}

/**
 * read_json over the spool with the columns stated, so every page is read with the schema planning
 * showed; columns that read_json would fill with loss (a fraction into an integer, a time into a
 * DATE: shared/json-values.ts) are read as JSON and converted, refusing such values.
 */
function scanSql(file: string, columns: Column[]): string {
  const cols = `{${columns.map((c) => `${stringLiteral(c.name)}: ${stringLiteral(listedReadType(c.type))}`).join(', ')}}`;
  return convertedListedRead(`read_json(${literal(file)}, format = 'newline_delimited', columns = ${cols})`, columns, (name) => stringLiteral(`column "${name}": `));
}

/**
 * How deep the columns inferred from the first page nest structs and lists; deeper levels are read
 * as JSON. A record nesting 120 to 150 levels took minutes to plan and run (each level a STRUCT
 * within a STRUCT, converted and written level by level), and 300 levels stopped with DuckDB's
 * expression depth limit, said as "a chain of nodes too long".
 */
export const INFERRED_DEPTH = 32;

/** The columns of the first page, nesting at most INFERRED_DEPTH levels; a warning names the columns cut there. */
async function inferredColumns(ctx: CompileContext<RestSourceParams>, file: string, who: string): Promise<Column[]> {
  const read = (depth: string) => ctx.describe(`SELECT * FROM read_json(${literal(file)}, format = 'newline_delimited'${depth})`);
  const columns = await read(`, maximum_depth = ${INFERRED_DEPTH}`);
  if (columns.some((c) => /\bJSON\b/.test(c.type))) {
    const full = await read('');
    const cut = columns.filter((c) => full.find((f) => f.name === c.name)?.type !== c.type).map((c) => c.name);
    if (cut.length > 0) {
      ctx.warn(
        `${who}: ${cut.length === 1 ? 'column' : 'columns'} ${cut.map((c) => `'${c}'`).join(', ')} of the first page nest${cut.length === 1 ? 's' : ''} more than ${INFERRED_DEPTH} levels deep: the levels below that are read as JSON text; to read ${cut.length === 1 ? 'it' : 'them'} whole as JSON, list ${cut.length === 1 ? 'it' : 'them'} under columns with type JSON`,
      );
    }
  }
  return columns;
}

const SAFE_INTEGER = 9007199254740992;

/**
 * Columns inferred from the first page, with integers DuckDB's reader would round made exact. It
 * types a column DOUBLE when it holds an integer beyond 64 bits (18446744073709551615, an unsigned
 * id; -9223372036854775809), and a double keeps whole numbers exact only up to 2^53: the ids
 * arrived with other digits. Such a column holding only integers is read as HUGEINT (from the
 * numbers' text, exactly); one that also holds fractions, or an integer beyond HUGEINT, stops
 * planning, naming the column and the value, with the type to list it as.
 */
async function exactIntegers(ctx: CompileContext<RestSourceParams>, file: string, columns: Column[], who: string): Promise<Column[]> {
  const doubles = columns.filter((c) => c.type === 'DOUBLE');
  if (doubles.length === 0) return columns;
  const integer = (v: string) => `regexp_full_match(${v}, '-?[0-9]+')`;
  const select = doubles
    .map((c, i) => {
      const v = `v${i}`;
      const big = `${integer(v)} AND abs(TRY_CAST(${v} AS DOUBLE)) > ${SAFE_INTEGER}`;
      return [
        `any_value(${v}) FILTER (WHERE ${big}) AS big${i}`,
        `any_value(${v}) FILTER (WHERE ${integer(v)} AND TRY_CAST(${v} AS HUGEINT) IS NULL) AS beyond${i}`,
        `any_value(${v}) FILTER (WHERE t${i} = 'DOUBLE' AND NOT ${integer(v)}) AS fraction${i}`,
      ].join(', ');
    })
    .join(', ');
  const values = doubles.map((c, i) => `json_type(${ident(c.name)}) AS t${i}, CAST(${ident(c.name)} AS VARCHAR) AS v${i}`).join(', ');
  const read = `read_json(${literal(file)}, format = 'newline_delimited', columns = {${doubles.map((c) => `${stringLiteral(c.name)}: 'JSON'`).join(', ')}})`;
  const [found] = await ctx.rows(`SELECT ${select} FROM (SELECT ${values} FROM ${read})`);
  const exact = new Set<string>();
  doubles.forEach((c, i) => {
    const big = found?.[`big${i}`];
    if (big === null || big === undefined) return;
    const beyond = found?.[`beyond${i}`];
    const fraction = found?.[`fraction${i}`];
    if (beyond === null && fraction === null) {
      exact.add(c.name);
      return;
    }
    const message =
      beyond !== null
        ? `${who}: column '${c.name}' of the first page holds ${String(beyond)}, an integer beyond HUGEINT (39 digits), which the inferred type DOUBLE would round`
        : `${who}: column '${c.name}' of the first page holds the integer ${String(big)} and the fraction ${String(fraction)}: the inferred type DOUBLE would round the integer (a double holds whole numbers exactly only up to 2^53)`;
    const hint = `list the column under columns: ${beyond !== null ? 'VARCHAR keeps such numbers as their digits' : 'DECIMAL(38, s) with the decimal places it needs keeps both exact, VARCHAR keeps them as sent'}`;
    throw new CaudalError('validation', message, { nodeId: ctx.nodeId, column: c.name, hint, problems: [{ code: 'invalid_param', path: 'params.columns', column: c.name, message, hint }] });
  });
  return exact.size === 0 ? columns : columns.map((c) => (exact.has(c.name) ? { ...c, type: 'HUGEINT' } : c));
}

/**
 * A warning naming the keys of later pages that the columns inferred from the first page leave out:
 * top-level keys, and keys inside objects that the first page made STRUCT columns (`n.secret`, at
 * any depth of structs), which were dropped without a word.
 */
function laterKeysNotice(file: string, columns: Column[]): { countSql: string; namesSql: string; message: string } {
  const nested: Array<{ path: string[]; known: string[] }> = [];
  const walk = (path: string[], type: string) => {
    const fields = structFields(type);
    if (!fields) return;
    nested.push({ path, known: fields.map((f) => f.name) });
    for (const f of fields) walk([...path, f.name], f.type);
  };
  for (const c of columns) walk([c.name], c.type);
  if (nested.length === 0) return { ...unreadKeys(file, columns.map((c) => c.name)), message: LATER_KEYS };
  const jsonPath = (path: string[]) => `$${path.map((k) => `."${k.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`).join('')}`;
  // Every key as its dotted path: top-level keys as they are, nested ones under their struct.
  const parts = [
    `json_keys(json)`,
    ...nested.map((n) => `list_transform(coalesce(CASE WHEN json_type(json, ${stringLiteral(jsonPath(n.path))}) = 'OBJECT' THEN json_keys(json, ${stringLiteral(jsonPath(n.path))}) END, []), lambda caudal_key: ${stringLiteral(`${n.path.join('.')}.`)} || caudal_key)`),
  ];
  const known = [...columns.map((c) => c.name), ...nested.flatMap((n) => n.known.map((k) => `${n.path.join('.')}.${k}`))];
  const keys = `SELECT DISTINCT k FROM (SELECT unnest(list_concat(${parts.join(', ')})) AS k FROM read_json_objects(${stringLiteral(file)}, format := 'newline_delimited')) WHERE NOT list_contains([${known.map(stringLiteral).join(', ')}], k)`;
  return { countSql: `SELECT count(*) FROM (${keys})`, namesSql: `${keys} ORDER BY k`, message: LATER_KEYS };
}

const LATER_KEYS =
  '{count} key{s} of records after the first page {were} not read, because the columns were inferred from the first page, which does not have them: {names} (a dotted name is a key inside an object column); list the columns and their types under columns to read them';

/**
 * Advice for what DuckDB's reader refuses in the records: a key repeated in one record (any page),
 * and a value that does not fit its column's type (`column "qty": '12.5' is not …` of a conversion;
 * a JSON transform error of the reader: `Failed to cast value to numerical: "a"`), said as the page,
 * record and field it is, instead of DuckDB's temp file, line and reader options.
 */
function recordAdvice(inferred: boolean, pages: PageLines, file: string, columns: Column[]): NonNullable<CompiledNode['explainError']> {
  return async (message) => {
    const duplicate = /has duplicate key "([^"]*)"/.exec(message)?.[1];
    // DuckDB's line is the record's for a repeated key or a broken record, not for a value it
    // refuses inside a list (its place among the list values read): such a value is looked for.
    const transform = duplicate === undefined && message.includes(`JSON transform error in file "${file}"`);
    const refused = transform ? await refusedValue(file, columns.map((c) => ({ name: c.name, read: listedReadType(c.type) }))).catch(() => undefined) : undefined;
    const reported = /rest\.ndjson", (?:at byte \d+ )?in line (\d+)/.exec(message)?.[1];
    const line = refused?.line ?? (transform || reported === undefined ? undefined : Number(reported));
    const located = line !== undefined ? pages.locate(line) : undefined;
    const where = located && line !== Number(reported) && reported !== undefined ? `${located} (DuckDB's "line ${reported}" is not the record's for a value inside a list)` : located;
    const holdsBoth = 'list the column under columns with a type that holds both (VARCHAR or JSON for anything)';
    const advice = ((): string | undefined => {
      if (duplicate !== undefined) return `a record of the answer holds the key "${duplicate}" twice, and which value is meant cannot be told (JSON readers differ: some keep the first, JavaScript the last): have the API send each key once`;
      if (inferred && /column "[^"]*": '.*' (is not|does not fit)/.test(message))
        return 'the column types were inferred from the first page: list the column under columns with a type that holds such values (DOUBLE or DECIMAL for fractions, TIMESTAMP or TIMESTAMPTZ for times, VARCHAR for anything)';
      const expected = /JSON transform error .*: Expected (\w+), but got (\w+)/.exec(message);
      if (expected && inferred) return `a value of type ${expected[2]} where the first page had ${expected[1]}: the column types were inferred from the first page; ${holdsBoth}`;
      if (!transform) return undefined;
      const type = columns.find((c) => c.name === refused?.column)?.type;
      const what = refused ? `field '${refused.column}' holds ${refused.value}${refused.at !== refused.column ? ` at ${refused.at}` : ''}, which does not fit its type ${type}` : "a value does not fit its column's type";
      return inferred
        ? `${what}: the column types were inferred from the first page, which had no such value; ${refused ? `list '${refused.column}' under columns with a type that holds every value (VARCHAR or JSON for anything)` : holdsBoth}`
        : `${what} listed under columns: list ${refused ? `'${refused.column}'` : 'the column'} there with a type that holds every value (VARCHAR or JSON for anything)`;
    })();
    if (!where) return advice;
    return advice ? `${where}: ${advice}` : where;
  };
}

/** Which page each line of the spool came from, to say where a record DuckDB refuses is. */
class PageLines {
  private readonly ends: Array<{ upTo: number; page: number; url?: string }> = [];

  add(upTo: number, page: number, url: string | undefined): void {
    if (this.ends.at(-1)?.upTo !== upTo) this.ends.push({ upTo, page, url });
  }

  locate(line: number): string | undefined {
    let from = 0;
    for (const e of this.ends) {
      if (line <= e.upTo) return `line ${line} of the records read is record ${line - from} of page ${e.page}${e.url ? ` (${e.url})` : ''}`;
      from = e.upTo;
    }
    return undefined;
  }
}

export const restSourceNode = defineNode({
  type: 'source.rest',
  version: 1,
  category: 'source',
  title: 'REST API',
  description: 'Reads records from a paginated REST API (JSON), with credentials from a connection, retries, rate limits and incremental cursors.',
  aliases: ['rest', 'api', 'http', 'json api', 'web service', 'pagination', 'incremental'],
  inputs: [],
  outputs: [{ name: 'out' }],
  params: restSourceParams,
  check(p) {
    const out: Array<{ path: string; message: string; hint?: string }> = [];
    const g = p.pagination;
    if (g.type === 'json_link' && !g.next_url_path) out.push({ path: 'pagination.next_url_path', message: 'json_link pagination needs the JSON path of the next URL', hint: 'e.g. next or links.next' });
    if (g.type === 'cursor' && !g.cursor_path === !g.cursor_header) out.push({ path: 'pagination.cursor_path', message: 'cursor pagination needs either a cursor path (body) or a cursor header', hint: 'e.g. meta.next_cursor' });
    if (g.type !== 'offset' && g.type !== 'page_number' && p.concurrency > 1) out.push({ path: 'concurrency', message: `${g.type} pagination reads one page after the other (each page says where the next is); set concurrency to 1` });
    const body = parseJsonBody(p.body);
    if (body.error) out.push({ path: 'body', message: body.error, hint: 'write a JSON object, e.g. {"status": "shipped"}' });
    if (p.body !== undefined && p.method === 'GET') out.push({ path: 'body', message: 'a GET request has no body', hint: 'set method to POST, or move the values to query params' });
    if (p.incremental && p.params[p.incremental.param] !== undefined) out.push({ path: 'incremental.param', message: `query param '${p.incremental.param}' is set under params too; the incremental cursor fills it` });
    return out;
  },
  async compile(ctx) {
    const p = ctx.params;
    const config = p.connection ? restFields.parse(ctx.connection(p.connection, 'rest').config) : undefined;
    const who = `node '${ctx.nodeId}'`;
    for (const w of credentialParamWarnings(who, p.headers, p.params)) ctx.warn(w);
    const key = p.incremental ? restStateKey(ctx, config) : undefined;
    const saved = key && ctx.mode === 'run' ? await ctx.readState(key) : undefined;
    const state = saved?.state;
    // The saved value keeps its JSON type (a number is compared as a number; as text, 10 came before
    // 9); text only when it is sent. States of earlier versions saved numbers and strings alike.
    const lastCursor: CursorValue | undefined = typeof state?.cursor === 'string' || typeof state?.cursor === 'number' ? state.cursor : p.incremental?.initial;
    const spec = readSpec(ctx, config, lastCursor);
    const file = ctx.tempPath('rest.ndjson');
    // The client asks the planner's cancel flag and log while planning reads the first page (a
    // Ctrl-C then aborts the request in flight; its retries and credential notes reach the run's
    // log), and the run hook's once the run reaches the node.
    let io: HookIo | undefined;
    const client = restClient(config, {
      who,
      timeoutMs: p.timeout_s !== undefined ? p.timeout_s * 1000 : undefined,
      attempts: p.retries + 1,
      ratePerSecond: p.rate_limit,
      concurrency: p.concurrency,
      // The url as written, not as filled in: a param value never decides who gets the credentials.
      configuredUrls: [templateOrigin(p.url)].filter((u) => u !== undefined),
      isCancelled: () => (io ? io.isCancelled() : ctx.isCancelled()),
      log: (m) => (io ? io.log(m) : ctx.log(m)),
    });

    // Planning with the columns stated calls nothing; otherwise the first page gives the schema.
    const pinned: Column[] | undefined = p.columns.length > 0 ? p.columns.map((c) => ({ name: c.name, type: c.type })) : undefined;
    let pages: AsyncGenerator<Page> | undefined;
    let first: (Pick<Page, 'records' | 'count' | 'lines' | 'more' | 'capped' | 'mayBeLast' | 'url'> & { index?: number }) | undefined;
    const cursor = p.incremental ? new CursorTracker(p.incremental.cursor_path, lastCursor) : undefined;
    try {
      if (ctx.mode === 'run' && !pinned) {
        // The second page is requested as soon as the first has arrived, and so on: the pages
        // travel while the previous one is parsed and spooled. With the columns listed, the
        // first page is read with the others, when the run reads (an API down is then a failed
        // run, exit code 1, not a problem of the pipeline).
        pages = readAhead(readPages(client, spec, who));
        const r = await pages.next();
        first = r.done ? { records: [], count: 0, more: false } : r.value;
      } else if (!pinned || ctx.mode === 'preview') {
        const key = firstPageKey({ spec, config, who });
        let page = cachedFirstPage(key);
        if (!page) {
          // The first page is always parsed (readPages), so it has its records; its lines, as a run
          // spools them (the answer's bytes: a repeated key reaches DuckDB, which refuses it).
          const r = await readPages(client, { ...spec, concurrency: 1 }, who).next();
          const lines = r.done ? undefined : r.value.lines?.();
          page = { records: r.done ? [] : (r.value.records ?? []), more: !r.done && r.value.more, ...(lines ? { lines } : {}) };
          rememberFirstPage(key, page);
        }
        const lines = page.lines;
        first = { records: page.records, count: page.records.length, more: page.more, ...(lines ? { lines: () => lines } : {}) };
      }
    } catch (e) {
      client.close();
      throw asProblem(e);
    } finally {
      if (ctx.mode !== 'run') client.close();
    }
    const spool = new NdjsonSpool(file);
    const pageLines = new PageLines();
    try {
      if (first) await spool.writePage(first);
      if (first) pageLines.add(first.count, 1, first.url ?? client.shown(spec.url));
      cursor?.see(first?.records ?? [], first?.lines);
    } finally {
      await spool.close();
    }

    let columns = pinned;
    if (!columns && first && first.count > 0) columns = await exactIntegers(ctx, file, await inferredColumns(ctx, file, who), who);
    if (!columns && Array.isArray(state?.columns)) columns = state.columns as Column[];
    if (!columns) {
      client.close();
      throw new CaudalError('validation', `${who}: the first page has no records, so the columns are unknown`, {
        nodeId: ctx.nodeId,
        hint: 'list the columns and their types under "columns", or check the request (params, records_path) in a preview',
        problems: [{ code: 'invalid_param', path: 'params.columns', message: `${who}: the first page has no records, so the columns are unknown`, hint: 'list the columns and their types under "columns"' }],
      });
    }
    const from = scanSql(file, columns);
    const explainError = recordAdvice(columns !== pinned, pageLines, file, columns);
    const out = p.flatten ? flattenedSelect(ctx.nodeId, columns, p.flatten_separator, from) : `SELECT * FROM ${from}`;

    if (ctx.mode !== 'run') {
      const sampled = first?.more ?? false;
      return {
        outputs: { out },
        explainError,
        // Previews say they are sampled when there are more pages than the one read.
        setup: sampled ? [{ kind: 'hook', description: 'first page only', run: async () => 0, dry: async () => ({ sampled: true }) }] : [],
      };
    }

    return {
      outputs: { out },
      explainError,
      // Columns inferred from the first page: keys that appear only later are not read. Say which.
      ...(columns !== pinned && first?.more ? { notices: [laterKeysNotice(file, columns)] } : {}),
      setup: [
        {
          kind: 'hook',
          description: `read ${client.shown(spec.url)} (${p.pagination.type} pagination)`,
          countsRows: true,
          async run(hookIo) {
            io = hookIo;
            const more = new NdjsonSpool(file, true);
            more.rows = first?.count ?? 0;
            let last: Pick<Page, 'capped' | 'mayBeLast' | 'emptyRun' | 'claimedTotal'> & { index?: number } = first ?? {};
            try {
              hookIo.progress(more.rows);
              // Planned with the columns listed: every page is read now, the first too.
              const rest = first ? (first.more ? pages! : undefined) : readAhead(readPages(client, spec, who));
              if (rest) {
                for await (const page of rest) {
                  last = page;
                  await more.writePage(page);
                  pageLines.add(more.rows, page.index + 1, page.url);
                  // Pages are parsed when there is a cursor (parseRecords).
                  cursor?.see(page.records ?? [], page.lines);
                  hookIo.progress(more.rows);
                }
              }
              await more.close();
            } catch (e) {
              more.destroy();
              throw e;
            } finally {
              client.close();
            }
            hookIo.log(`read ${more.rows} records from ${client.shown(spec.url)}${lastCursor !== undefined && p.incremental ? ` (${p.incremental.param}=${cursorParam(lastCursor)})` : ''}`);
            if (cursor && p.incremental) checkCursor(ctx.nodeId, cursor, p.incremental, lastCursor, hookIo);
            if (last.capped) hookIo.warn?.(cappedReadWarning(last, more.rows, p));
            if (last.emptyRun) hookIo.warn?.(emptyRunWarning(last.emptyRun, last.index ?? 0, last.claimedTotal, p.pagination));
            return more.rows;
          },
          async dry() {
            await writeFile(file, '', { flag: 'a' });
          },
        },
      ],
      ...(p.incremental
        ? {
            stateKey: key,
            async nextState(): Promise<NodeState> {
              // No new records: keep the value sent this time.
              return { cursor: cursor?.max ?? lastCursor ?? null, columns };
            },
          }
        : {}),
    };
  },
  spark: { kind: 'unsupported', reason: 'pages through an HTTP API with local incremental state; land the records in files first (caudal run with sink.parquet) and read those on Spark' },
  docs: restSourceDocs,
  example: {
    description: 'Orders changed since the last run, 100 per page, at most 5 requests a second',
    params: {
      connection: 'shop_api',
      url: '/orders',
      params: { status: 'shipped' },
      records_path: 'data',
      pagination: { type: 'offset', limit: 100, total_path: 'meta.total' },
      incremental: { cursor_path: 'updated_at', param: 'updated_since', initial: '2025-01-01T00:00:00Z' },
      rate_limit: 5,
    },
  },
});

/**
 * An incremental cursor that cannot work is said: a path no record has (the next run would send the
 * same value and read everything again, which appends would duplicate) stops the run; records older
 * than the value sent (the API seems to ignore the param) are a warning with how many.
 */
function checkCursor(nodeId: string, cursor: CursorTracker, inc: { cursor_path: string; param: string }, sent: CursorValue | undefined, io: HookIo): void {
  if (cursor.records > 0 && cursor.withValue === 0) {
    throw new CaudalError('validation', `node '${nodeId}': none of the ${cursor.records} records has a value at cursor_path '${inc.cursor_path}'${cursor.keys ? ` (a record's keys: ${cursor.keys.slice(0, 12).join(', ')})` : ''}, so the next run could not continue after them`, {
      nodeId,
      hint: 'set incremental.cursor_path to the field that grows with each change, e.g. updated_at',
    });
  }
  if (cursor.older > 0 && sent !== undefined) {
    io.warn?.(`${cursor.older} of the ${cursor.records} records have a '${inc.cursor_path}' older than ${inc.param}=${cursorParam(sent)}, the value sent: the API seems not to filter by '${inc.param}', so records read before are read again (an append would store them twice)`);
  }
}

/**
 * A read that stopped after a run of empty pages (MAX_EMPTY_PAGES) that the API said were not the
 * end: a next link or cursor on each, or a total (total_path) beyond them, which is said with what
 * it claimed and what it may mean.
 */
function emptyRunWarning(run: number, index: number, claimed: number | undefined, g: RestSourceParams['pagination']): string {
  const pages = `pages ${index + 2 - run} to ${index + 1} were`;
  if (claimed === undefined) {
    return `stopped after ${run} empty pages in a row (page ${index + 1} was the last read), although the last one still pointed to a next page: if the API has records further on they were not read; set max_pages to stop earlier without this warning`;
  }
  const total = `the total at total_path '${g.total_path}'`;
  if (g.type === 'offset') {
    return `${total} claimed ${claimed} records (${Math.ceil(claimed / g.limit)} pages of ${g.limit}), but ${pages} empty: stopped after ${run} empty pages in a row. Records past them may be missing (the API counts records it does not serve), or total_path does not point to the number of records; set max_pages to stop earlier without this warning`;
  }
  return `${total} claimed ${claimed} pages, but ${pages} empty: stopped after ${run} empty pages in a row. Records past them may be missing, or total_path points to a number of records where page_number pagination needs the number of pages (use offset pagination with a record count, or a total_path that counts pages)`;
}

/** A read that stopped at its cap while the API had more: say what was left out, and what an incremental cursor makes of it. */
function cappedReadWarning(last: Pick<Page, 'capped' | 'mayBeLast'> & { index?: number }, rows: number, p: { max_pages?: number; max_rows?: number; incremental?: { cursor_path: string } }): string {
  const where =
    last.capped === 'max_pages'
      ? `stopped after ${(last.index ?? 0) + 1} page${(last.index ?? 0) === 0 ? '' : 's'} (max_pages ${p.max_pages})`
      : `stopped at ${rows} record${rows === 1 ? '' : 's'} (max_rows ${p.max_rows})`;
  const next = p.incremental
    ? `; the next run asks for records after the highest ${p.incremental.cursor_path} read now, so the ones left out are read then only if the API sends records in ascending ${p.incremental.cursor_path} order`
    : '';
  const more = last.mayBeLast ? 'although the API may have more (without a total, a full page may or may not be the last)' : 'although the API has more';
  return `${where} ${more}: those records were not read${next}`;
}
