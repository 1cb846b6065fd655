import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPipeline } from '../core/src/engine/engine.js';
import type { ResolvedConnection } from '../core/src/nodes/define.js';
import { pipeline, tempDir } from './support/pipeline.js';

/**
 * transform.http_enrich's response cache answered for requests it was not asked: a 404 cached under
 * not_found "null" passed as "no match" after not_found became "error", and an answer fetched with
 * one connection header (a tenant) was served after the connection's headers changed.
 */
describe('transform.http_enrich: what the cache answers for', () => {
  let server: http.Server;
  let base = '';
  let requests = 0;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      requests++;
      const u = new URL(req.url!, 'http://x');
      const q = u.searchParams.get('q') ?? '';
      if (q.startsWith('missing')) {
        res.writeHead(404, { 'content-type': 'application/json' });
        return res.end('{"error":"no such key"}');
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ name: `${String(req.headers['x-tenant'] ?? 'none')}-${q}` }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const connections = (headers: Record<string, string>): Record<string, ResolvedConnection> => ({
    api: { name: 'api', type: 'rest', config: { base_url: base, auth: 'none', client_auth: 'basic', headers, timeout_s: 5, test_path: '' } },
  });

  /** Two keys (a, and one the API does not know) enriched through the connection, with the cache under `dir`. */
  const enrich = async (dir: string, opts: { notFound: 'null' | 'error'; headers?: Record<string, string> }) => {
    const out = path.join(dir, 'out.json');
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: `SELECT * FROM (VALUES (1, 'a'), (2, 'missing-b')) t(id, q)` } },
        { id: 'look', type: 'transform.http_enrich', params: { connection: 'api', url: '/lookup?q={q}', outputs: [{ name: 'name', path: 'name' }], not_found: opts.notFound, retries: 0 } },
        { id: 'dst', type: 'sink.json', params: { path: out, format: 'array', if_exists: 'overwrite' } },
      ],
      ['src -> look', 'look:out -> dst'],
      { connections: { api: { type: 'rest' } }, name: 'round7-cache' },
    );
    const summary = await runPipeline({ pipeline: doc, baseDir: dir, connections: connections(opts.headers ?? {}), stateDir: path.join(dir, 'state') });
    const rows = summary.status === 'succeeded' ? (JSON.parse(await readFile(out, 'utf8')) as Array<{ id: number; name: string | null }>).sort((a, b) => a.id - b.id).map((r) => ({ id: r.id, name: r.name })) : [];
    return { summary, rows };
  };

  it('a 404 cached under not_found "null" fails the lookup once not_found is "error", as an uncached 404 does', async () => {
    const dir = await tempDir();
    const first = await enrich(dir, { notFound: 'null' });
    expect(first.summary.error).toBeUndefined();
    expect(first.rows).toEqual([
      { id: 1, name: 'none-a' },
      { id: 2, name: null },
    ]);

    const before = requests;
    const second = await enrich(dir, { notFound: 'error' });
    expect(second.summary.status).toBe('failed');
    expect(second.summary.error?.nodeId).toBe('look');
    expect(second.summary.error?.message).toMatch(/HTTP 404 .*\(the lookup for q="missing-b"\)/);
    // The 200 still comes from the cache; the 404 is asked again (it may have appeared since).
    expect(requests - before).toBe(1);

    // The same error as a run that never cached the 404.
    const fresh = await enrich(await tempDir(), { notFound: 'error' });
    expect(fresh.summary.error?.message).toBe(second.summary.error?.message);
  });

  it("an answer fetched with one of the connection's headers is not served once the header changed", async () => {
    const dir = await tempDir();
    const a = await enrich(dir, { notFound: 'null', headers: { 'X-Tenant': 'tenant_a' } });
    expect(a.rows[0]).toEqual({ id: 1, name: 'tenant_a-a' });
    const b = await enrich(dir, { notFound: 'null', headers: { 'X-Tenant': 'tenant_b' } });
    expect(b.summary.error).toBeUndefined();
    expect(b.rows[0]).toEqual({ id: 1, name: 'tenant_b-a' });

    // Unchanged headers still answer from the cache.
    const before = requests;
    const again = await enrich(dir, { notFound: 'null', headers: { 'X-Tenant': 'tenant_b' } });
    expect(again.rows[0]).toEqual({ id: 1, name: 'tenant_b-a' });
    expect(requests).toBe(before);
  });
});
