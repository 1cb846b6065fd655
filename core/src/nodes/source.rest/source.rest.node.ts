import { credentialParamWarnings } from '../shared/credential-params.js';
import { writeFile } from 'node:fs/promises';
import { defineNode, type CompileContext, type HookIo, type NodeState, type StateKey } from '../define.js';
import { literal, stringLiteral } from '../../compiler/sql.js';
import { restFields, type RestConfig } from '../../connections/rest/rest.connection.js';
import { restClient, resolveUrl } from '../../connectors/rest/client.js';
import { cachedFirstPage, firstPageKey, rememberFirstPage } from '../../connectors/rest/first-page-cache.js';
import { type Page, readAhead, readPages, type RestReadSpec } from '../../connectors/rest/read.js';
import { CursorTracker, NdjsonSpool } from '../../connectors/rest/spool.js';
import { parseJsonBody } from '../shared/json-body.js';
import { CaudalError } from '../../util/errors.js';
import { flattenedSelect } from '../shared/flatten.js';
import { unreadKeys } from '../shared/stream-spool.js';
import { stateKey } from '../shared/state-key.js';
import { safeUrl } from '../../connectors/http/safe-url.js';
import type { Column, CompiledNode } from '../define.js';
import { convertedListedRead, listedReadType } from '../shared/json-blob-values.js';
import { restSourceParams, type RestSourceParams } from './params.js';
import { restSourceDocs } from './docs.js';

/** `${param}` in every string of a JSON value. */
function interpolateJson(v: unknown, text: (s: string) => string): unknown {
  if (typeof v === 'string') return text(v);
  if (Array.isArray(v)) return v.map((x) => interpolateJson(x, text));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, interpolateJson(x, text)]));
  return v;
}

function readSpec(ctx: CompileContext<RestSourceParams>, config: RestConfig | undefined, cursor: string | undefined): RestReadSpec {
  const p = ctx.params;
  const params = Object.fromEntries(Object.entries(p.params).map(([k, v]) => [k, ctx.text(v)]));
  if (p.incremental && cursor !== undefined) params[p.incremental.param] = cursor;
  return {
    method: p.method,
    url: resolveUrl(config, ctx.text(p.url), `node '${ctx.nodeId}'`),
    params,
    headers: Object.fromEntries(Object.entries(p.headers).map(([k, v]) => [k, ctx.text(v)])),
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
  return new CaudalError(e.kind, e.message, { hint: e.hint, cause: e, problems: [{ code: e.kind === 'io' ? 'io_error' : 'invalid_param', path: 'params.url', message: e.message, hint: e.hint }] });
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

/** A warning naming the keys of later pages that the columns inferred from the first page leave out. */
function laterKeysNotice(file: string, columns: Column[]): { countSql: string; namesSql: string; message: string } {
  return {
    ...unreadKeys(file, columns.map((c) => c.name)),
    message: "{count} key{s} of records after the first page {were} not read, because the columns were inferred from the first page, which does not have them: {names}; list the columns and their types under columns to read them",
  };
}

/**
 * Advice for what DuckDB's reader refuses in the records: a key repeated in one record (any page),
 * and a value that does not fit a column whose type the first page gave (`column "qty": '12.5' is
 * not …`) when the columns were inferred.
 */
function recordAdvice(inferred: boolean): NonNullable<CompiledNode['explainError']> {
  return async (message) => {
    const duplicate = /has duplicate key "([^"]*)"/.exec(message)?.[1];
    if (duplicate !== undefined) return `a record of the answer holds the key "${duplicate}" twice, and which value is meant cannot be told (JSON readers differ: some keep the first, JavaScript the last): have the API send each key once`;
    if (inferred && /column "[^"]*": '.*' (is not|does not fit)/.test(message))
      return 'the column types were inferred from the first page: list the column under columns with a type that holds such values (DOUBLE or DECIMAL for fractions, TIMESTAMP or TIMESTAMPTZ for times, VARCHAR for anything)';
    return undefined;
  };
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
    const lastCursor = typeof state?.cursor === 'string' || typeof state?.cursor === 'number' ? String(state.cursor) : p.incremental?.initial;
    const spec = readSpec(ctx, config, lastCursor);
    const file = ctx.tempPath('rest.ndjson');
    // Hooks get the run's cancel flag and log later; the client asks these.
    let io: HookIo | undefined;
    const client = restClient(config, {
      who,
      timeoutMs: p.timeout_s !== undefined ? p.timeout_s * 1000 : undefined,
      attempts: p.retries + 1,
      ratePerSecond: p.rate_limit,
      concurrency: p.concurrency,
      configuredUrls: [spec.url],
      isCancelled: () => io?.isCancelled() ?? false,
      log: (m) => io?.log(m),
    });

    // Planning with the columns stated calls nothing; otherwise the first page gives the schema.
    const pinned: Column[] | undefined = p.columns.length > 0 ? p.columns.map((c) => ({ name: c.name, type: c.type })) : undefined;
    let pages: AsyncGenerator<Page> | undefined;
    let first: (Pick<Page, 'records' | 'count' | 'lines' | 'more' | 'capped' | 'mayBeLast'> & { index?: number }) | undefined;
    const cursor = p.incremental ? new CursorTracker(p.incremental.cursor_path, lastCursor) : undefined;
    try {
      if (ctx.mode === 'run') {
        // The second page is requested as soon as the first has arrived, and so on: the pages
        // travel while the previous one is parsed and spooled.
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
    try {
      if (first) await spool.writePage(first);
      cursor?.see(first?.records ?? []);
    } finally {
      await spool.close();
    }

    let columns = pinned;
    if (!columns && first && first.count > 0) columns = await ctx.describe(`SELECT * FROM read_json(${literal(file)}, format = 'newline_delimited')`);
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
    const explainError = recordAdvice(columns !== pinned);
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

    const rest = pages!;
    return {
      outputs: { out },
      explainError,
      // Columns inferred from the first page: keys that appear only later are not read. Say which.
      ...(columns !== pinned && first!.more ? { notices: [laterKeysNotice(file, columns)] } : {}),
      setup: [
        {
          kind: 'hook',
          description: `read ${client.shown(spec.url)} (${p.pagination.type} pagination)`,
          countsRows: true,
          async run(hookIo) {
            io = hookIo;
            const more = new NdjsonSpool(file, true);
            more.rows = first!.count;
            let last: Pick<Page, 'capped' | 'mayBeLast' | 'emptyRun'> & { index?: number } = first!;
            try {
              hookIo.progress(more.rows);
              if (first!.more) {
                for await (const page of rest) {
                  last = page;
                  await more.writePage(page);
                  // Pages are parsed when there is a cursor (parseRecords).
                  cursor?.see(page.records ?? []);
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
            hookIo.log(`read ${more.rows} records from ${client.shown(spec.url)}${lastCursor !== undefined && p.incremental ? ` (${p.incremental.param}=${lastCursor})` : ''}`);
            if (cursor && p.incremental) checkCursor(ctx.nodeId, cursor, p.incremental, lastCursor, hookIo);
            if (last.capped) hookIo.warn?.(cappedReadWarning(last, more.rows, p));
            if (last.emptyRun) {
              hookIo.warn?.(`stopped after ${last.emptyRun} empty pages in a row (page ${(last.index ?? 0) + 1} was the last read), although the last one still pointed to a next page: if the API has records further on they were not read; set max_pages to stop earlier without this warning`);
            }
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
function checkCursor(nodeId: string, cursor: CursorTracker, inc: { cursor_path: string; param: string }, sent: string | undefined, io: HookIo): void {
  if (cursor.records > 0 && cursor.withValue === 0) {
    throw new CaudalError('validation', `node '${nodeId}': none of the ${cursor.records} records has a value at cursor_path '${inc.cursor_path}'${cursor.keys ? ` (a record's keys: ${cursor.keys.slice(0, 12).join(', ')})` : ''}, so the next run could not continue after them`, {
      nodeId,
      hint: 'set incremental.cursor_path to the field that grows with each change, e.g. updated_at',
    });
  }
  if (cursor.older > 0 && sent !== undefined) {
    io.warn?.(`${cursor.older} of the ${cursor.records} records have a '${inc.cursor_path}' older than ${inc.param}=${sent}, the value sent: the API seems not to filter by '${inc.param}', so records read before are read again (an append would store them twice)`);
  }
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
