import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPipeline } from '../core/src/engine/engine.js';
import type { ResolvedConnection } from '../core/src/nodes/define.js';
import { pipeline, tempDir } from './support/pipeline.js';

interface Seen {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * transform.http_enrich against a local API that logs what it is asked: values that would change
 * where a credentialed request goes, what a header says, answers that are not JSON, and the types
 * of a JSON body's values.
 */
describe('transform.http_enrich: what a row may make of the request', () => {
  let server: http.Server;
  let base = '';
  const seen: Seen[] = [];
  /** /portal answers an HTML page (a captive portal) this many times, then JSON. */
  let portalPages = 0;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const u = new URL(req.url!, 'http://x');
        seen.push({ path: u.pathname, headers: req.headers, body });
        const json = (v: unknown) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(v));
        };
        if (u.pathname.startsWith('/api/portal/')) {
          if (portalPages > 0) {
            portalPages--;
            res.writeHead(200, { 'content-type': 'text/html' });
            return res.end('<html><body>Sign in to the hotel Wi-Fi</body></html>');
          }
          return json({ name: 'from the API' });
        }
        if (u.pathname === '/api/echo') {
          res.writeHead(200, { 'content-type': 'application/json' });
          return res.end(`{"got": ${body || 'null'}}`);
        }
        if (u.pathname === '/api/users/') return json({ name: 'THE LIST OF EVERY USER' });
        return json({ name: `at ${u.pathname}`, who: req.headers['x-who'] ?? null });
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
    api: { name: 'api', type: 'rest', config: { base_url: `${base}/api`, auth: 'bearer', token: 'tok-secret-1234', api_key_name: 'X-API-Key', api_key_in: 'header', client_auth: 'basic', headers: {}, timeout_s: 5, test_path: '' } },
  });
  const enrich = async (query: string, params: Record<string, unknown>, dir?: string) => {
    dir ??= await tempDir();
    const out = path.join(dir, 'out.json');
    const rejects = path.join(dir, 'rejects.json');
    const d = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query } },
        { id: 'look', type: 'transform.http_enrich', params: { connection: 'api', outputs: [{ name: 'name', path: 'name' }], cache: { enabled: false }, retries: 0, ...params } },
        { id: 'dst', type: 'sink.json', params: { path: out, format: 'array', if_exists: 'overwrite' } },
        { id: 'rej', type: 'sink.json', params: { path: rejects, format: 'array', if_exists: 'overwrite' } },
      ],
      ['src -> look', 'look:out -> dst', 'look:rejects -> rej'],
      { connections: { api: { type: 'rest' } } },
    );
    const summary = await runPipeline({ pipeline: d, baseDir: dir, connections: conn(), stateDir: path.join(dir, 'state') });
    const rows = async (file: string) => (JSON.parse(await readFile(file, 'utf8')) as Array<Record<string, unknown>>).sort((a, b) => Number(a.id) - Number(b.id));
    return { summary, out: () => rows(out), rejects: () => rows(rejects), dir };
  };
  const asked = (since: number) => seen.slice(since).map((s) => s.path);

  describe('a value substituted into the URL path', () => {
    for (const dots of ['..', '.']) {
      it(`'${dots}' is not sent (it would move the credentialed request to another path); on_error fail names the row, column and value`, async () => {
        const before = seen.length;
        const { summary } = await enrich(`SELECT 1 AS id, '${dots}' AS cat, 'admin' AS v`, { url: '/lookup/{cat}/{v}' });
        expect(summary.status).toBe('failed');
        expect(summary.error?.message).toBe(
          `node 'look': the lookup for cat=${JSON.stringify(dots)}, v="admin" was not sent: column 'cat' holds ${JSON.stringify(dots)}, which would make the URL path segment "{cat}" the dot segment "${dots}": the URL would lead to another path on the API`,
        );
        expect(asked(before)).toEqual([]);
      });
    }

    it('a dot segment made of two values, or of a value and the text around it, is refused too; with on_error reject the row goes to rejects and the others are asked', async () => {
      const before = seen.length;
      const { summary, out, rejects } = await enrich(`SELECT * FROM (VALUES (1, '.', '.'), (2, 'a', 'b')) t(id, x, y)`, { url: '/lookup/{x}{y}', on_error: 'reject' });
      expect(summary.error).toBeUndefined();
      expect(asked(before)).toEqual(['/api/lookup/ab']);
      expect(await out()).toEqual([{ id: 2, x: 'a', y: 'b', name: 'at /api/lookup/ab' }]);
      const [rejected] = await rejects();
      expect(rejected).toMatchObject({ id: 1, http_status: null });
      expect(rejected!.http_error).toMatch(/column 'x' holds "\.", which would make the URL path segment "\{x\}\{y\}" the dot segment "\.\.": the URL would lead to another path on the API$/);
    });

    it('a value like "%2e%2e" or "a/../b" stays inside its segment (encoded), and is asked as it is', async () => {
      const before = seen.length;
      const { summary } = await enrich(`SELECT * FROM (VALUES (1, '%2e%2e'), (2, 'a/../b')) t(id, v)`, { url: '/lookup/{v}' });
      expect(summary.error).toBeUndefined();
      expect(asked(before).sort()).toEqual(['/api/lookup/%252e%252e', '/api/lookup/a%2F..%2Fb']);
    });

    it("an empty value that would leave its path segment empty makes no request and gives NULL outputs, like a NULL key ('/users/' is the list, not a user)", async () => {
      const before = seen.length;
      const { summary, out } = await enrich(`SELECT * FROM (VALUES (1, ''), (2, NULL), (3, '7')) t(id, uid)`, { url: '/users/{uid}' });
      expect(summary.error).toBeUndefined();
      expect(asked(before)).toEqual(['/api/users/7']);
      expect(await out()).toEqual([
        { id: 1, uid: '', name: null },
        { id: 2, uid: null, name: null },
        { id: 3, uid: '7', name: 'at /api/users/7' },
      ]);
    });
  });

  it('a value with a line break used in a header is not sent (HTTP clients drop the break silently): the row fails or goes to rejects', async () => {
    const before = seen.length;
    const query = `SELECT * FROM (VALUES (1, 'alice' || chr(13) || chr(10) || 'X-Admin: yes'), (2, 'bob')) t(id, who)`;
    const failed = await enrich(query, { url: '/h/{who}', headers: { 'X-Who': '{who}' } });
    expect(failed.summary.status).toBe('failed');
    expect(failed.summary.error?.message).toContain(`node 'look': the lookup for who="alice\\r\\nX-Admin: yes" was not sent: column 'who' holds "alice\\r\\nX-Admin: yes", with a line break or another control character, which cannot be sent in header 'X-Who'`);
    const { summary, out, rejects } = await enrich(query, { url: '/h/{who}', headers: { 'X-Who': '{who}' }, on_error: 'reject' });
    expect(summary.error).toBeUndefined();
    expect(seen.slice(before).map((s) => s.headers['x-who'])).toEqual(['bob']);
    expect((await out()).map((r) => r.who)).toEqual(['bob']);
    expect((await rejects()).map((r) => r.id)).toEqual([1]);
  });

  it('a 200 answer that is not JSON (a captive portal) is not cached: the next run asks again and gets the answer', async () => {
    const dir = await tempDir();
    portalPages = 10;
    const params = { url: '/portal/{k}', on_error: 'reject', cache: { enabled: true } };
    const first = await enrich(`SELECT 1 AS id, 'a' AS k`, params, dir);
    expect(first.summary.error).toBeUndefined();
    expect((await first.rejects())[0]!.http_error).toBe("node 'look': the answer for k=\"a\" is not JSON: <html><body>Sign in to the hotel Wi-Fi</body></html>");
    portalPages = 0;
    const before = seen.length;
    const second = await enrich(`SELECT 1 AS id, 'a' AS k`, params, dir);
    expect(second.summary.error).toBeUndefined();
    expect(asked(before)).toEqual(['/api/portal/a']);
    expect(await second.out()).toEqual([{ id: 1, k: 'a', name: 'from the API' }]);
  });

  it('a JSON body string that is exactly {column} keeps the type of a BIGINT, HUGEINT or DECIMAL column, all digits kept', async () => {
    const before = seen.length;
    const { summary } = await enrich(`SELECT 1 AS id, 9007199254740993::BIGINT AS big, 170141183460469231731687303715884105727::HUGEINT AS huge, 12.50::DECIMAL(6,2) AS amount, 'x' AS s`, {
      url: '/echo',
      method: 'POST',
      body: '{"id": "{big}", "huge": "{huge}", "amount": "{amount}", "s": "{s}", "text": "id {big}", "list": ["{id}"]}',
    });
    expect(summary.error).toBeUndefined();
    expect(seen.slice(before).map((s) => s.body)).toEqual(['{"id":9007199254740993,"huge":170141183460469231731687303715884105727,"amount":12.50,"s":"x","text":"id 9007199254740993","list":[1]}']);
  });
});
