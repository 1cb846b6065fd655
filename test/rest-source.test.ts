import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { previewPipeline, runPipeline } from '../core/src/engine/engine.js';
import type { RunEvent } from '../core/src/engine/protocol.js';
import { listStates } from '../core/src/engine/state.js';
import type { ResolvedConnection } from '../core/src/nodes/define.js';
import { CREDENTIALS, startApi, type TestApi } from './services/http-api/server.js';
import { pipeline, tempDir } from './support/pipeline.js';

/** source.rest → sink.json; returns the records written. */
describe('source.rest against a local API', () => {
  let api: TestApi;
  let dir: string;
  beforeAll(async () => {
    api = await startApi({ records: 250, pageSize: 100 });
    dir = await tempDir();
  });
  afterAll(() => api.close());

  const conn = (config: Record<string, unknown> = {}): Record<string, ResolvedConnection> => ({
    api: { name: 'api', type: 'rest', config: { base_url: api.url, auth: 'none', api_key_name: 'X-API-Key', api_key_in: 'header', client_auth: 'basic', headers: {}, timeout_s: 5, test_path: '', ...config } },
  });
  let n = 0;
  const read = async (params: Record<string, unknown>, opts: { connection?: Record<string, ResolvedConnection>; stateDir?: string; name?: string } = {}) => {
    const out = path.join(dir, `out-${++n}.json`);
    const doc = pipeline(
      [
        { id: 'src', type: 'source.rest', params: { connection: 'api', ...params } },
        { id: 'dst', type: 'sink.json', params: { path: out, format: 'array' } },
      ],
      ['src -> dst'],
      { connections: { api: { type: 'rest' } }, name: opts.name ?? 'rest test' },
    );
    const warnings: string[] = [];
    const onEvent = (e: RunEvent) => void (e.type === 'warning' && warnings.push(e.message));
    const summary = await runPipeline({ pipeline: doc, baseDir: dir, connections: opts.connection ?? conn(), stateDir: opts.stateDir ?? path.join(dir, 'state'), onEvent });
    const rows = summary.status === 'succeeded' ? (JSON.parse(await readFile(out, 'utf8')) as Array<Record<string, unknown>>) : [];
    return { summary, rows, doc, warnings };
  };
  const since = (prefix: string) => {
    const start = api.log.length;
    return () => api.log.slice(start).filter((l) => l.path.startsWith(prefix));
  };

  const styles: Array<[string, Record<string, unknown>]> = [
    ['offset with a total', { url: '/items/offset', records_path: 'data', pagination: { type: 'offset', limit: 100, total_path: 'meta.total' } }],
    ['page number with a total', { url: '/items/page', records_path: 'results', pagination: { type: 'page_number', page_size: 100, page_size_param: 'per_page', total_path: 'total_pages' } }],
    ['next URL in the body (relative)', { url: '/items/link', records_path: 'items', pagination: { type: 'json_link', next_url_path: 'next' } }],
    ['Link header', { url: '/items/header', pagination: { type: 'header_link' } }],
    ['cursor in the body', { url: '/items/cursor', records_path: '$.data', pagination: { type: 'cursor', cursor_path: 'meta.next_cursor' } }],
    ['cursor in a header', { url: '/items/cursor-header', pagination: { type: 'cursor', cursor_header: 'X-Next-Cursor' } }],
  ];
  for (const [name, params] of styles) {
    it(`reads every record exactly once, in three requests: ${name}`, async () => {
      const calls = since('/items');
      const { summary, rows } = await read(params);
      expect(summary.error).toBeUndefined();
      expect(rows.map((r) => r.id)).toEqual(api.records.map((r) => r.id));
      expect(calls()).toHaveLength(3);
    });
  }

  it('decodes an answer in the charset its Content-Type names (a legacy API sending ISO-8859-1)', async () => {
    const { summary, rows } = await read({ url: '/legacy/latin1-named' });
    expect(summary.error).toBeUndefined();
    expect(rows.map((r) => r.name)).toEqual(['José Muñoz', 'Zoë']);
  });

  it('refuses an answer that is not UTF-8 when its Content-Type names no charset, rather than turning letters into U+FFFD', async () => {
    const { summary } = await read({ url: '/legacy/latin1-unnamed' });
    expect(summary.status).toBe('failed');
    expect(summary.error!.message).toMatch(/\/legacy\/latin1-unnamed failed: HTTP 200 but the answer is not UTF-8 text \(near ".*Jos\uFFFD Mu\uFFFDoz.*"\), and its Content-Type names no other charset$/);
    expect(summary.error!.problems?.[0]?.hint).toContain('JSON answers are UTF-8 (RFC 8259)');
  });

  it('offset without a total stops at the first empty page', async () => {
    const calls = since('/items/offset');
    const { rows } = await read({ url: '/items/offset', records_path: 'data', pagination: { type: 'offset', limit: 100 } });
    expect(rows).toHaveLength(250);
    expect(calls().map((c) => c.query.offset)).toEqual(['0', '100', '200', '300']);
  });

  it('offset: an API that answers fewer records than the limit, then more, stops the run instead of skipping records in between', async () => {
    // The API caps pages at 40: asked 100 from offset 0 it answers 40, and offset 100 would skip 40..99.
    for (const extra of [{}, { concurrency: 4, pagination: { type: 'offset', limit: 100, total_path: 'meta.total' } }]) {
      const { summary } = await read({ url: '/items/offset', params: { page_cap: '40' }, records_path: 'data', pagination: { type: 'offset', limit: 100 }, ...extra });
      expect(summary.status).toBe('failed');
      expect(summary.error!.message).toContain(
        'page 1 (offset=0) returned 40 records although limit was 100, and page 2 returned more: the API returns at most 40 records per page, so the records between offset=40 and 100 would be skipped',
      );
      expect(summary.error!.hint).toBe('set limit to 40 (or less), the most the API returns per page');
    }
    const { rows } = await read({ url: '/items/offset', params: { page_cap: '40' }, records_path: 'data', pagination: { type: 'offset', limit: 40 } });
    expect(rows.map((r) => r.id)).toEqual(api.records.map((r) => r.id));
  });

  it('page number with a page size: an API that answers fewer records than asked, then more, stops the run too', async () => {
    const { summary } = await read({ url: '/items/page', params: { page_cap: '40' }, records_path: 'results', pagination: { type: 'page_number', page_size: 100, page_size_param: 'per_page' } });
    expect(summary.status).toBe('failed');
    expect(summary.error!.message).toContain('page 1 (page=1) returned 40 records although per_page was 100, and page 2 returned more');
    expect(summary.error!.hint).toBe('set page_size to 40 (or less), the most the API returns per page');
  });

  it('offset: an API that ignores the limit (longer pages) stops the run instead of reading records twice', async () => {
    const { summary } = await read({ url: '/items/offset', params: { ignore_limit: '1' }, records_path: 'data', pagination: { type: 'offset', limit: 100 } });
    expect(summary.status).toBe('failed');
    expect(summary.error!.message).toContain('page 1 (offset=0) returned 120 records, more than limit=100: the API does not take "limit" as the page size');
  });

  it('a next link or cursor that leads back to a page already read stops the run instead of paging forever', async () => {
    const selfLink = await read({ url: '/items/self-link', records_path: 'items', pagination: { type: 'json_link', next_url_path: 'next' } });
    expect(selfLink.summary.status).toBe('failed');
    expect(selfLink.summary.error).toMatchObject({
      message: expect.stringContaining('page 2 would be the same request as page 1: the link at next leads back to a page already read, so paging would never end'),
      hint: expect.stringContaining("check that next_url_path names the next page's link, not the current one's"),
    });
    const calls = since('/items/cursor-echo');
    const echo = await read({ url: '/items/cursor-echo', records_path: 'data', pagination: { type: 'cursor', cursor_path: 'meta.cursor' } });
    expect(echo.summary.status).toBe('failed');
    expect(echo.summary.error!.message).toContain('page 3 would be the same request as page 2: the cursor at meta.cursor leads back to a page already read');
    expect(calls()).toHaveLength(2);
    // Read with the right path, the same API pages to its end.
    const right = await read({ url: '/items/cursor-echo', records_path: 'data', pagination: { type: 'cursor', cursor_path: 'meta.next_cursor' } });
    expect(right.rows.map((r) => r.id)).toEqual(api.records.map((r) => r.id));
  });

  it('an API that ignores the page asked for (the same answer again) stops the run instead of reading the same records forever', async () => {
    const calls = since('/items/all');
    const r = await read({ url: '/items/all', pagination: { type: 'page_number' } });
    expect(r.summary.status).toBe('failed');
    expect(r.summary.error).toMatchObject({
      message: expect.stringContaining('page 2 returned exactly what page 1 returned: the API does not take "page" as the page number, so the same records would be read again and again'),
      hint: expect.stringContaining('check page_param'),
    });
    expect(calls()).toHaveLength(2);
  });

  it('with concurrency 1, sends one request at a time, the next queued to leave as an answer arrives', async () => {
    const calls = since('/items/offset');
    // Every answer takes 30 ms: a second request sent early would arrive while one is being answered.
    api.fault('/items/offset', ...Array(3).fill({ delayMs: 30 }));
    const { rows } = await read({ url: '/items/offset', records_path: 'data', pagination: { type: 'offset', limit: 100, total_path: 'meta.total' } });
    expect(rows).toHaveLength(250);
    expect(calls().map((c) => [c.query.offset, c.inFlight])).toEqual([['0', 1], ['100', 1], ['200', 1]]);
  });

  it('fetches offset pages ahead with concurrency, still in order, and caps pages and rows', async () => {
    const { rows, warnings } = await read({ url: '/items/offset', records_path: 'data', pagination: { type: 'offset', limit: 10, total_path: 'meta.total' }, concurrency: 4 });
    expect(rows.map((r) => r.id)).toEqual(api.records.map((r) => r.id));
    expect(warnings).toEqual([]);
    const capped = await read({ url: '/items/offset', records_path: 'data', pagination: { type: 'offset', limit: 10 }, max_rows: 25 });
    expect(capped.rows.map((r) => r.id)).toEqual([...Array(25).keys()].map((i) => i + 1));
    // A cap that leaves records out says so: a sample or a quota, never a silently short table.
    expect(capped.warnings).toEqual(['stopped at 25 records (max_rows 25) although the API has more: those records were not read']);
    const pages = since('/items/page');
    const two = await read({ url: '/items/page', records_path: 'results', pagination: { type: 'page_number', page_size: 10, page_size_param: 'per_page' }, max_pages: 2 });
    expect(two.rows).toHaveLength(20);
    expect(pages()).toHaveLength(2);
    expect(two.warnings).toEqual(['stopped after 2 pages (max_pages 2) although the API may have more (without a total, a full page may or may not be the last): those records were not read']);
    // A cap the data never reaches, or reaches on its last record, leaves nothing out.
    const all = await read({ url: '/items/offset', records_path: 'data', pagination: { type: 'offset', limit: 100, total_path: 'meta.total' }, max_rows: 250, max_pages: 3 });
    expect(all.rows).toHaveLength(250);
    expect(all.warnings).toEqual([]);
  });

  it('keeps nested objects as structs, or flattens them like source.json', async () => {
    const nested = await read({ url: '/items/all', max_rows: 2 });
    expect(nested.rows[0]).toMatchObject({ id: 1, customer: { address: { city: 'Lisboa' } } });
    const flat = await read({ url: '/items/all', max_rows: 2, flatten: true });
    expect(flat.rows[0]).toMatchObject({ id: 1, customer_name: 'customer 1', customer_address_city: 'Lisboa', customer_address_zip: '10001' });
  });

  it('integers beyond 2^53 arrive exactly, also on a page cut short by max_rows; records that would lose them stop the run', async () => {
    const answer = '{"data":[{"id":9007199254740993,"n":1},{"id":9007199254740995,"n":2},{"id":3,"n":3}]}';
    const ids = async (params: Record<string, unknown>, body = answer) => {
      const out = path.join(dir, `big-${++n}.parquet`);
      api.fault('/big', { status: 200, body });
      const doc = pipeline(
        [
          { id: 'src', type: 'source.rest', params: { connection: 'api', url: '/big', ...params } },
          { id: 'dst', type: 'sink.parquet', params: { path: out } },
        ],
        ['src -> dst'],
        { connections: { api: { type: 'rest' } } },
      );
      const summary = await runPipeline({ pipeline: doc, baseDir: dir, connections: conn(), stateDir: path.join(dir, 'state') });
      if (summary.status !== 'succeeded') return summary.error!.message;
      const db = await DuckDBInstance.create(':memory:');
      try {
        const c = await db.connect();
        return (await c.runAndReadAll(`SELECT ${params.records_path === 'ids' ? 'value' : 'id'}::VARCHAR AS id FROM '${out}'`)).getRowObjectsJson().map((r) => r.id);
      } finally {
        db.closeSync();
      }
    };
    expect(await ids({ records_path: 'data' })).toEqual(['9007199254740993', '9007199254740995', '3']);
    expect(await ids({ records_path: 'data', max_rows: 2 })).toEqual(['9007199254740993', '9007199254740995']);
    // A list of plain values is written again from the parsed list, where the digits are already gone.
    expect(await ids({ records_path: 'ids' }, '{"ids":[2,9007199254740993]}')).toMatch(/a record holds an integer beyond 2\^53 \(read as 9007199254740992\).*use a plain records path to a list of objects/);
    expect(await ids({ records_path: 'ids' }, '{"ids":[2,9007199254740991]}')).toEqual(['2', '9007199254740991']);
  });

  it('a value on a later page that its column would change stops the run: the type came from the first page', async () => {
    // Page 1 makes qty an integer and day a date; page 2 holds a fraction and a time, which
    // DuckDB's JSON reader would have truncated to 12 and cut to the date without a word.
    const pages = (second: string) => [
      { status: 200, body: '{"items":[{"id":1,"qty":3,"day":"2024-03-01","ok":true}],"next":"/mixed/2"}' },
      { status: 200, body: `{"items":[${second}],"next":null}` },
    ];
    const params = { url: '/mixed', records_path: 'items', pagination: { type: 'json_link', next_url_path: 'next' } };
    api.fault('/mixed', ...pages('{"id":2,"qty":12.5,"day":"2024-03-02","ok":false}'));
    const fraction = await read(params);
    expect(fraction.summary.status).toBe('failed');
    expect(fraction.summary.error!.message).toContain(`node 'src' (source.rest), column 'qty' failed: Invalid Input Error: column "qty": '12.5' is not a whole number of type BIGINT`);
    expect(fraction.summary.error!.message).toContain('inferred from the first page');

    api.fault('/mixed', ...pages('{"id":2,"qty":4,"day":"2024-03-02 10:30","ok":false}'));
    const time = await read(params);
    expect(time.summary.error!.message).toContain(`column "day": '2024-03-02 10:30' is not a DATE: it has a time`);

    api.fault('/mixed', ...pages('{"id":2,"qty":4,"day":"2024-03-02","ok":7}'));
    expect((await read(params)).summary.error!.message).toContain(`column "ok": '7' is not a BOOLEAN`);

    // Whole numbers written as 4.0 and listed columns that hold the values read as sent.
    api.fault('/mixed', ...pages('{"id":2,"qty":4.0,"day":"2024-03-02","ok":false}'));
    expect((await read(params)).rows).toEqual([
      { id: 1, qty: 3, day: '2024-03-01', ok: true },
      { id: 2, qty: 4, day: '2024-03-02', ok: false },
    ]);
    api.fault('/mixed', ...pages('{"id":2,"qty":12.5,"day":"2024-03-02 10:30","ok":false}'));
    const listed = await read({ ...params, columns: [{ name: 'id', type: 'BIGINT' }, { name: 'qty', type: 'DOUBLE' }, { name: 'day', type: 'TIMESTAMP' }, { name: 'ok', type: 'BOOLEAN' }] });
    expect(listed.summary.error).toBeUndefined();
    expect(listed.rows[1]).toEqual({ id: 2, qty: 12.5, day: '2024-03-02 10:30:00', ok: false });
  });

  it('names the keys that appear only after the first page, which inferred columns do not read', async () => {
    api.fault(
      '/later-keys',
      { status: 200, body: '{"items":[{"id":1}],"next":"/later-keys/2"}' },
      { status: 200, body: '{"items":[{"id":2,"note":"x","discount":0.5},{"id":3,"note":"y"}],"next":null}' },
    );
    const doc = pipeline(
      [
        { id: 'src', type: 'source.rest', params: { connection: 'api', url: '/later-keys', records_path: 'items', pagination: { type: 'json_link', next_url_path: 'next' } } },
        { id: 'dst', type: 'sink.json', params: { path: path.join(dir, 'later-keys.json'), format: 'array' } },
      ],
      ['src -> dst'],
      { connections: { api: { type: 'rest' } } },
    );
    const events: RunEvent[] = [];
    const summary = await runPipeline({ pipeline: doc, baseDir: dir, connections: conn(), stateDir: path.join(dir, 'state'), onEvent: (e) => events.push(e) });
    expect(summary.error).toBeUndefined();
    const warnings = events.filter((e) => e.type === 'warning').map((e) => (e as { message: string }).message);
    expect(warnings).toContainEqual(expect.stringContaining('2 keys of records after the first page were not read, because the columns were inferred from the first page, which does not have them: "discount", "note"'));
  });

  it('sends a JSON body with params filled in (POST)', async () => {
    const calls = since('/search');
    const { rows } = await read({ url: '/search', method: 'POST', body: '{"min_amount": 340}', records_path: 'data' });
    expect(rows.every((r) => (r.amount as number) >= 340)).toBe(true);
    expect(JSON.parse(calls()[0]!.body)).toEqual({ min_amount: 340 });
  });

  describe('authentication from the connection', () => {
    const all = { records_path: 'data', pagination: { type: 'offset', limit: 100, total_path: 'meta.total' } };
    it('API key in a header, and in a query param (never shown in errors)', async () => {
      const h = await read({ ...all, url: '/auth/apikey-header/items/offset' }, { connection: conn({ auth: 'api_key', api_key: CREDENTIALS.apiKey }) });
      expect(h.rows).toHaveLength(250);
      const q = await read({ ...all, url: '/auth/apikey-query/items/offset' }, { connection: conn({ auth: 'api_key', api_key_in: 'query', api_key_name: 'api_key', api_key: CREDENTIALS.apiKey }) });
      expect(q.rows).toHaveLength(250);
      const bad = await read({ ...all, url: '/auth/apikey-query/items/offset' }, { connection: conn({ auth: 'api_key', api_key_in: 'query', api_key_name: 'api_key', api_key: 'wrong-key-999' }) });
      expect(bad.summary.status).toBe('failed');
      expect(bad.summary.error!.message).toMatch(/HTTP 401/);
      expect(bad.summary.error!.message).toContain('api_key=***');
      expect(JSON.stringify(bad.summary)).not.toContain('wrong-key-999');
    });
    it('bearer token and HTTP basic', async () => {
      expect((await read({ ...all, url: '/auth/bearer/items/offset' }, { connection: conn({ auth: 'bearer', token: CREDENTIALS.bearer }) })).rows).toHaveLength(250);
      expect((await read({ ...all, url: '/auth/basic/items/offset' }, { connection: conn({ auth: 'basic', username: CREDENTIALS.user, password: CREDENTIALS.password }) })).rows).toHaveLength(250);
    });
    it('OAuth2 client credentials: one token for every page, a new one after a 401', async () => {
      const tokens = since('/oauth/token');
      const oauth = conn({ auth: 'oauth2_client_credentials', token_url: `${api.url}/oauth/token`, client_id: CREDENTIALS.clientId, client_secret: CREDENTIALS.clientSecret });
      expect((await read({ ...all, url: '/auth/oauth/items/offset' }, { connection: oauth })).rows).toHaveLength(250);
      expect(tokens()).toHaveLength(1);
      // The token is revoked after the first page: the next page gets a 401 and a new token.
      api.fault('/auth/oauth/items/offset', { delayMs: 1 });
      const calls = since('/auth/oauth');
      const run = read({ ...all, url: '/auth/oauth/items/offset', concurrency: 1, pagination: { type: 'offset', limit: 50, total_path: 'meta.total' } }, { connection: oauth });
      while (calls().length < 1) await new Promise((r) => setTimeout(r, 5));
      api.revokeTokens();
      const { rows } = await run;
      expect(rows).toHaveLength(250);
      expect(tokens().length).toBeGreaterThanOrEqual(2);
      const wrong = await read({ ...all, url: '/auth/oauth/items/offset' }, { connection: conn({ auth: 'oauth2_client_credentials', token_url: `${api.url}/oauth/token`, client_id: 'caudal', client_secret: 'not-the-secret' }) });
      expect(wrong.summary.error!.message).toMatch(/OAuth2 token request .* failed: HTTP 401 invalid_client/);
      expect(JSON.stringify(wrong.summary)).not.toContain('not-the-secret');
    });
  });

  describe('a server that echoes the credentials it got', () => {
    // Secrets travel encoded (a percent-encoded query, base64 Basic credentials); an echo of any
    // of those forms is as much a leak as the secret as typed.
    const secret = 'Pa55+word/with space&x=1';
    const leaks = (text: string) =>
      [secret, encodeURIComponent(secret), new URLSearchParams({ s: secret }).toString().slice(2), Buffer.from(`caudal:${secret}`).toString('base64'), Buffer.from(`caudal:${encodeURIComponent(secret)}`).toString('base64')].filter((f) => text.includes(f));
    it.each([
      ['HTTP basic', { auth: 'basic', username: 'caudal', password: secret }],
      ['an API key in the query', { auth: 'api_key', api_key_in: 'query', api_key_name: 'k', api_key: secret }],
      ['a bearer token', { auth: 'bearer', token: secret }],
      ['OAuth2 client credentials sent as Basic', { auth: 'oauth2_client_credentials', token_url: '/echo/token', client_id: 'caudal', client_secret: secret }],
      ['OAuth2 client credentials in the form', { auth: 'oauth2_client_credentials', token_url: '/echo/token', client_auth: 'body', client_id: 'caudal', client_secret: secret }],
    ])('%s: the error says what the server answered, with no form of the secret', async (_, config) => {
      const token_url = (config as { token_url?: string }).token_url;
      const connection = conn({ ...config, ...(token_url ? { token_url: `${api.url}${token_url}` } : {}) });
      const r = await read({ url: '/echo', retries: 0 }, { connection });
      expect(r.summary.status).toBe('failed');
      expect(r.summary.error!.message).toMatch(/HTTP 40[01]/);
      expect(r.summary.error!.message).toContain('***');
      expect(leaks(JSON.stringify(r.summary))).toEqual([]);
    });
  });

  describe('faults', () => {
    const offset = { url: '/items/offset', records_path: 'data', pagination: { type: 'offset', limit: 100, total_path: 'meta.total' } };
    it('waits as long as Retry-After says on 429, retries 500s, and loses nothing', async () => {
      const calls = since('/items/offset');
      api.fault('/items/offset', { delayMs: 0 }, { status: 429, retryAfter: 1 }, { status: 500 }, { status: 503 });
      const { rows } = await read(offset);
      expect(rows).toHaveLength(250);
      const log = calls();
      expect(log).toHaveLength(3 + 3);
      // The retry after the 429 came no sooner than one second later.
      expect(log[2]!.at - log[1]!.at).toBeGreaterThanOrEqual(990);
    });
    it('retries a later page cut short (pages after the first are cut from the bytes, not parsed)', async () => {
      api.fault('/items/offset', { delayMs: 0 }, { truncate: true });
      const calls = since('/items/offset');
      const { rows, summary } = await read(offset);
      expect(summary.error).toBeUndefined();
      expect(rows.map((r) => r.id)).toEqual(api.records.map((r) => r.id));
      expect(calls()).toHaveLength(4);
    });
    it('a later page that is not valid JSON is asked for again; one whose record repeats a key stops the run naming it', async () => {
      const record = (id: number) => JSON.stringify(api.records[id - 1]);
      api.fault('/items/offset', { delayMs: 0 }, { status: 200, body: `{"data":[${record(101)},{"id":102,}],"meta":{"total":250}}` });
      const calls = since('/items/offset');
      const bad = await read(offset);
      expect(bad.summary.error).toBeUndefined();
      expect(bad.rows.map((r) => r.id)).toEqual(api.records.map((r) => r.id));
      expect(calls()).toHaveLength(4);
      // Valid JSON that JSON.parse would have reduced to the last "id"; DuckDB refuses it, and says where.
      // A whole page (100 records), so the page size holds and the key is what fails.
      const page = Array.from({ length: 99 }, (_, i) => record(101 + i)).join(',');
      api.fault('/items/offset', { delayMs: 0 }, { status: 200, body: `{"data":[${page},{"id":200,"id":201}],"meta":{"total":250}}` });
      const dup = await read(offset);
      expect(dup.summary.status).toBe('failed');
      expect(dup.summary.error!.message).toMatch(/duplicate key "id"/);
    });
    it('retries a truncated JSON body and a request that times out', async () => {
      api.fault('/items/offset', { truncate: true }, { hang: true });
      const calls = since('/items/offset');
      const { rows, summary } = await read({ ...offset, timeout_s: 0.5 });
      expect(summary.error).toBeUndefined();
      expect(rows).toHaveLength(250);
      expect(calls()).toHaveLength(5);
    });
    it('gives up after the retries with the URL, the status and the body', async () => {
      api.fault('/items/offset', ...Array(3).fill({ status: 502, body: { error: 'upstream exploded' } }));
      const calls = since('/items/offset');
      const { summary } = await read({ ...offset, retries: 2 });
      expect(summary.status).toBe('failed');
      expect(summary.error!.message).toMatch(/node 'src': GET http:\/\/127\.0\.0\.1:\d+\/items\/offset\?offset=0&limit=100 failed after 3 attempts: HTTP 502 Bad Gateway: \{"error":"upstream exploded"\}/);
      expect(calls()).toHaveLength(3);
    });
    it('does not retry a 404, and says what to check', async () => {
      const { summary } = await read({ url: '/nope' });
      expect(summary.error!.message).toMatch(/HTTP 404/);
      expect(summary.error!.problems?.[0]).toMatchObject({ code: 'io_error', path: 'nodes[0].params.url', hint: expect.stringMatching(/check the path/) });
    });
    it('spaces requests to the rate limit', async () => {
      const calls = since('/items/offset');
      await read({ ...offset, pagination: { type: 'offset', limit: 50, total_path: 'meta.total' }, rate_limit: 10 });
      const log = calls();
      expect(log).toHaveLength(5);
      // Starts 100 ms apart (measured from the second: the first also opens the connection). The
      // server notes arrivals on a busy test thread, which can note one late: 250 ms for three gaps
      // still tells the limiter's 300 from the ~10 ms the requests take without it.
      expect(log.at(-1)!.at - log[1]!.at).toBeGreaterThanOrEqual(250);
    });
  });

  it('incremental: sends the last cursor value, saved only when the run committed', async () => {
    const stateDir = path.join(dir, 'inc-state');
    const params = { url: '/items/offset', records_path: 'data', pagination: { type: 'offset', limit: 100, total_path: 'meta.total' }, incremental: { cursor_path: 'updated_at', param: 'updated_since' } };
    const first = await read(params, { stateDir, name: 'inc' });
    expect(first.rows).toHaveLength(250);
    const states = await listStates(stateDir, 'inc', 'src');
    expect(states).toHaveLength(1);
    expect(states[0]!.source).toMatch(/^REST GET http:\/\/127\.0\.0\.1:\d+\/items\/offset.*cursor updated_at sent as updated_since$/);
    expect(states[0]!.state.cursor).toBe(api.records.at(-1)!.updated_at);

    const calls = since('/items/offset');
    const none = await read(params, { stateDir, name: 'inc' });
    expect(none.summary.error).toBeUndefined();
    expect(none.rows).toHaveLength(0);
    expect(calls()[0]!.query.updated_since).toBe(api.records.at(-1)!.updated_at);

    api.addRecords(3);
    const more = await read(params, { stateDir, name: 'inc' });
    expect(more.rows.map((r) => r.id)).toEqual([251, 252, 253]);
    expect((await listStates(stateDir, 'inc', 'src')).map((s) => s.state.cursor)).toEqual([api.records.at(-1)!.updated_at]);
  });

  it('incremental: a cursor_path no record has stops the run (the cursor would never move on); nothing is saved', async () => {
    const stateDir = path.join(dir, 'inc-typo-state');
    const params = { url: '/items/offset', records_path: 'data', pagination: { type: 'offset', limit: 100, total_path: 'meta.total' }, incremental: { cursor_path: 'updatedAt', param: 'updated_since' } };
    const r = await read(params, { stateDir, name: 'inc-typo' });
    expect(r.summary.status).toBe('failed');
    expect(r.summary.error).toMatchObject({
      message: expect.stringContaining(`none of the ${api.records.length} records has a value at cursor_path 'updatedAt' (a record's keys: id,`),
      hint: expect.stringContaining('set incremental.cursor_path'),
    });
    expect(r.summary.error!.message).toContain('updated_at');
    expect(await listStates(stateDir, 'inc-typo', 'src')).toEqual([]);
  });

  it('incremental: an API that ignores the cursor param (older records again) is a warning with how many', async () => {
    const stateDir = path.join(dir, 'inc-ignored-state');
    const params = { url: '/items/offset', records_path: 'data', pagination: { type: 'offset', limit: 100, total_path: 'meta.total' }, incremental: { cursor_path: 'updated_at', param: 'modified_after' } };
    const first = await read(params, { stateDir, name: 'inc-ignored' });
    expect(first.warnings).toEqual([]);
    const again = await read(params, { stateDir, name: 'inc-ignored' });
    expect(again.summary.status).toBe('succeeded');
    const last = api.records.at(-1)!.updated_at;
    expect(again.warnings).toEqual([
      `${api.records.length - 1} of the ${api.records.length} records have a 'updated_at' older than modified_after=${last}, the value sent: the API seems not to filter by 'modified_after', so records read before are read again (an append would store them twice)`,
    ]);
  });

  it('previews read the first page only, and say so', async () => {
    const doc = pipeline([{ id: 'src', type: 'source.rest', params: { connection: 'api', url: '/items/link', records_path: 'items', pagination: { type: 'json_link', next_url_path: 'next' } } }], [], {
      connections: { api: { type: 'rest' } },
    });
    const calls = since('/items/link');
    const p = await previewPipeline({ pipeline: doc, baseDir: dir, nodeId: 'src', connections: conn() });
    expect(p.rows).toHaveLength(100);
    expect(p.sampled).toBe(true);
    expect(calls()).toHaveLength(1);
  });
});
