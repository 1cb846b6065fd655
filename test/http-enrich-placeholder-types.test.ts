import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspect, runPipeline } from '../core/src/engine/engine.js';
import type { ResolvedConnection } from '../core/src/nodes/define.js';
import { pipeline, tempDir } from './support/pipeline.js';

/**
 * transform.http_enrich renders a `{column}` in the URL, a param or a header as text: a STRUCT or
 * INTERVAL key became "[object Object]" (distinct keys, one request and one cached answer for all),
 * a list its elements joined by commas (['a,b'] and ['a', 'b'] alike). Such columns are refused while
 * planning, naming the placeholder, where it is and the column's type.
 */
describe('transform.http_enrich: a {column} sent as text must be a plain value', () => {
  let server: http.Server;
  let base = '';
  const seen: Array<{ url: string; body: string }> = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ url: req.url!, body });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ name: `at ${req.url}` }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const conn = (): Record<string, ResolvedConnection> => ({
    api: { name: 'api', type: 'rest', config: { base_url: base, auth: 'none', api_key_name: 'X-API-Key', api_key_in: 'header', client_auth: 'basic', headers: {}, timeout_s: 5, test_path: '' } },
  });
  const QUERY = `SELECT * FROM (VALUES (1, {'a': 1}, ['a,b'], INTERVAL 3 DAY, MAP {'k': 1}, union_value(n := 1)::UNION(n INTEGER, s VARCHAR), '\\xAA'::BLOB, 'x'),
    (2, {'a': 2}, ['a', 'b'], INTERVAL 4 DAY, MAP {'k': 2}, union_value(n := 2)::UNION(n INTEGER, s VARCHAR), '\\xAB'::BLOB, 'y')) t(id, s, l, i, m, u, b, t)`;
  const doc = (dir: string, params: Record<string, unknown>) =>
    pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: QUERY } },
        { id: 'look', type: 'transform.http_enrich', params: { connection: 'api', outputs: [{ name: 'name', path: 'name' }], cache: { enabled: false }, retries: 0, ...params } },
        { id: 'dst', type: 'sink.json', params: { path: path.join(dir, 'out.json'), format: 'array', if_exists: 'overwrite' } },
      ],
      ['src -> look', 'look:out -> dst'],
      { connections: { api: { type: 'rest' } } },
    );
  const problems = async (params: Record<string, unknown>) => {
    const dir = await tempDir();
    return (await inspect({ pipeline: doc(dir, params), baseDir: dir, connections: conn() })).problems;
  };

  const cases: Array<[string, Record<string, unknown>, string, string]> = [
    ['a STRUCT in the URL', { url: '/x/{s}' }, 'nodes[1].params.url', `{s} in the URL is column 's' of type STRUCT(a INTEGER), a struct, whose values would all be sent as "[object Object]"`],
    ['a list in a query param', { url: '/x', params: { tags: '{l}' } }, 'nodes[1].params.params.tags', `{l} in query param 'tags' is column 'l' of type VARCHAR[], a list, whose elements would be sent joined by commas (so ['a,b'] and ['a', 'b'] would send the same)`],
    ['an INTERVAL in a header', { url: '/x/{t}', headers: { 'X-Wait': '{i}' } }, 'nodes[1].params.headers.X-Wait', `{i} in header 'X-Wait' is column 'i' of type INTERVAL, an interval, whose values would all be sent as "[object Object]"`],
    ['a MAP inside a body string', { url: '/x', method: 'POST', body: '{"q": "key {m}"}' }, 'nodes[1].params.body', `{m} in a string of the JSON body is column 'm' of type MAP(VARCHAR, INTEGER), a map`],
    ['a UNION in the URL', { url: '/x?u={u}' }, 'nodes[1].params.url', `{u} in the URL is column 'u' of type UNION(n INTEGER, s VARCHAR), a union`],
    ['a BLOB in the URL', { url: '/x/{b}' }, 'nodes[1].params.url', `{b} in the URL is column 'b' of type BLOB, bytes, which would be sent as DuckDB's escaped text of them`],
  ];
  for (const [name, params, where, message] of cases) {
    it(`${name} is refused while planning, naming the node, the placeholder and the type, with a hint`, async () => {
      const [p, ...more] = await problems(params);
      expect(more).toEqual([]);
      expect(p).toMatchObject({ code: 'invalid_param', path: where });
      expect(p!.message).toContain(`node 'look': ${message}`);
      expect(p!.hint).toMatch(/^add a text column in a transform\.derive before this node, e\.g\. (to_json|hex)/);
    });
  }

  it('a run is refused the same way, before any request', async () => {
    const dir = await tempDir();
    const before = seen.length;
    const summary = await runPipeline({ pipeline: doc(dir, { url: '/x/{s}' }), baseDir: dir, connections: conn(), stateDir: path.join(dir, 'state') });
    expect(summary.status).not.toBe('succeeded');
    expect(summary.error?.problems?.[0]?.message ?? summary.error?.message).toContain(`{s} in the URL is column 's' of type STRUCT(a INTEGER)`);
    expect(seen.length).toBe(before);
  });

  it('a body string that is exactly {column} still sends a STRUCT or a list as JSON, one request per key', async () => {
    const dir = await tempDir();
    const before = seen.length;
    const summary = await runPipeline({
      pipeline: doc(dir, { url: '/echo/{t}', method: 'POST', body: '{"s": "{s}", "l": "{l}"}' }),
      baseDir: dir,
      connections: conn(),
      stateDir: path.join(dir, 'state'),
    });
    expect(summary.error).toBeUndefined();
    expect(
      seen
        .slice(before)
        .map((s) => s.body)
        .sort(),
    ).toEqual(['{"s":{"a":1},"l":["a,b"]}', '{"s":{"a":2},"l":["a","b"]}']);
    const rows = JSON.parse(await readFile(path.join(dir, 'out.json'), 'utf8')) as Array<{ name: string }>;
    expect(rows).toHaveLength(2);
  });
});
