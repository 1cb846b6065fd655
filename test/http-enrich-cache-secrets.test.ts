import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPipeline } from '../core/src/engine/engine.js';
import type { RunEvent } from '../core/src/engine/protocol.js';
import { ResponseCache } from '../core/src/connectors/http/response-cache.js';
import type { ResolvedConnection } from '../core/src/nodes/define.js';
import { pipeline, tempDir } from './support/pipeline.js';

const API_KEY = 'key-echoed-5f3a9c1e7b';

/** Every file under a folder, with its text. */
async function filesUnder(dir: string): Promise<Array<{ file: string; text: string }>> {
  const out: Array<{ file: string; text: string }> = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])) {
    if (e.isFile()) out.push({ file: path.join(e.parentPath, e.name), text: await readFile(path.join(e.parentPath, e.name), 'utf8') });
  }
  return out;
}

/**
 * transform.http_enrich's response cache against an API that echoes the request, API key (sent as
 * a query param) included, as some APIs do in a "request" or "links.self" field: the answer was
 * cached verbatim, and the key lay in plain text under .caudal/state/<pipeline>/<node>.http-cache/.
 */
describe('transform.http_enrich: answers that echo a credential are not cached', () => {
  let server: http.Server;
  let base = '';
  const asked: string[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const u = new URL(req.url!, 'http://x');
      asked.push(u.pathname);
      res.writeHead(200, { 'content-type': 'application/json' });
      // /echo answers with the request as it came; /plain does not.
      res.end(JSON.stringify(u.pathname.startsWith('/echo') ? { name: `n-${u.searchParams.get('q')}`, request: req.url } : { name: `n-${u.searchParams.get('q')}` }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const conn = (): Record<string, ResolvedConnection> => ({
    api: { name: 'api', type: 'rest', config: { base_url: base, auth: 'api_key', api_key: API_KEY, api_key_name: 'api_key', api_key_in: 'query', client_auth: 'basic', headers: {}, timeout_s: 5, test_path: '' } },
  });
  const enrich = async (dir: string, url: string) => {
    const d = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: `SELECT * FROM (VALUES (1, 'a'), (2, 'b'), (3, 'a')) t(id, q)` } },
        { id: 'look', type: 'transform.http_enrich', params: { connection: 'api', url, outputs: [{ name: 'name', path: 'name' }], retries: 0 } },
        { id: 'dst', type: 'sink.json', params: { path: path.join(dir, 'out.json'), format: 'array', if_exists: 'overwrite' } },
      ],
      ['src -> look', 'look:out -> dst'],
      { connections: { api: { type: 'rest' } }, name: 'echo' },
    );
    const events: RunEvent[] = [];
    const summary = await runPipeline({ pipeline: d, baseDir: dir, connections: conn(), stateDir: path.join(dir, 'state'), onEvent: (e) => events.push(e) });
    expect(summary.error).toBeUndefined();
    const rows = JSON.parse(await readFile(path.join(dir, 'out.json'), 'utf8')) as Array<{ id: number; name: string }>;
    const warnings = events.filter((e) => e.type === 'warning').map((e) => (e as { message: string }).message);
    return { rows: rows.sort((a, b) => a.id - b.id).map((r) => r.name), warnings };
  };

  it('leaves no trace of the API key under the state folder, warns once without it, and asks again the next run', async () => {
    const dir = await tempDir();
    const before = asked.length;
    const first = await enrich(dir, '/echo?q={q}');
    expect(first.rows).toEqual(['n-a', 'n-b', 'n-a']);
    expect(first.warnings).toEqual([
      "node 'look': an answer of the API holds a credential of the connection (it echoes the API key, token or password it was sent), so such answers are not cached, and each run asks for them again",
    ]);
    expect(first.warnings.join('\n')).not.toContain(API_KEY);
    for (const f of await filesUnder(path.join(dir, 'state'))) expect(f.text, f.file).not.toContain(API_KEY);

    await enrich(dir, '/echo?q={q}');
    expect(asked.length - before).toBe(4);
  });

  it('still caches answers that hold no credential', async () => {
    const dir = await tempDir();
    const before = asked.length;
    const first = await enrich(dir, '/plain?q={q}');
    expect(first.warnings).toEqual([]);
    expect((await filesUnder(path.join(dir, 'state'))).filter((f) => f.file.endsWith('.json') && f.file.includes('http-cache'))).toHaveLength(2);
    await enrich(dir, '/plain?q={q}');
    expect(asked.length - before).toBe(2);
  });

  it('removes an answer holding the API key that an earlier version cached, and asks again', async () => {
    const dir = await tempDir();
    await enrich(dir, '/plain?q={q}');
    // What an earlier version left: the key in a cached answer.
    const cached = (await filesUnder(path.join(dir, 'state'))).filter((f) => f.file.endsWith('.json') && f.file.includes('http-cache'));
    expect(cached).toHaveLength(2);
    const folder = path.dirname(path.dirname(cached[0]!.file));
    const cache = new ResponseCache(folder, 1e9);
    const key = path.basename(cached[0]!.file, '.json');
    await cache.set(key, { status: 200, body: JSON.stringify({ name: 'stale', request: `/plain?api_key=${API_KEY}` }), at: Date.now() });

    const before = asked.length;
    const again = await enrich(dir, '/plain?q={q}');
    expect(again.rows).not.toContain('stale');
    expect(asked.length - before).toBe(1);
    for (const f of await filesUnder(path.join(dir, 'state'))) expect(f.text, f.file).not.toContain(API_KEY);
  });
});
