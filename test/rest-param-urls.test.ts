import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { previewPipeline, runPipeline } from '../core/src/engine/engine.js';
import type { ResolvedConnection } from '../core/src/nodes/define.js';
import { pipeline, tempDir } from './support/pipeline.js';

const TOKEN = 'SUPERSECRET123';

interface Seen {
  path: string;
  auth: string | undefined;
}

/** A JSON API that logs every request with its Authorization header. */
async function logServer(): Promise<{ url: string; seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ path: req.url!, auth: req.headers.authorization });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify([{ a: 1, q: req.url }]));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    seen,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/**
 * A `${param}` in a REST node's URL fills in part of it; its value never chooses where the request,
 * and the connection's credentials, go (a hostile tester's report: `/${resource}` with resource
 * `http://other:18082/steal` sent the bearer token there).
 */
describe('pipeline params in REST URLs', () => {
  let api: Awaited<ReturnType<typeof logServer>>;
  let evil: Awaited<ReturnType<typeof logServer>>;
  let dir: string;
  beforeAll(async () => {
    api = await logServer();
    evil = await logServer();
    dir = await tempDir();
  });
  afterAll(async () => {
    await api.close();
    await evil.close();
  });
  const conn = (): Record<string, ResolvedConnection> => ({
    api: { name: 'api', type: 'rest', config: { base_url: `${api.url}/api`, auth: 'bearer', token: TOKEN, api_key_name: 'X-API-Key', api_key_in: 'header', client_auth: 'basic', headers: {}, timeout_s: 5, test_path: '' } },
  });
  let n = 0;
  const restDoc = (url: string) =>
    pipeline(
      [
        { id: 'r', type: 'source.rest', params: { connection: 'api', url, retries: 0 } },
        { id: 'dst', type: 'sink.json', params: { path: path.join(dir, `out-${++n}.json`), format: 'array' } },
      ],
      ['r -> dst'],
      { connections: { api: { type: 'rest' } }, params: { resource: { type: 'string', default: 'items' } } },
    );
  const run = (url: string, resource: string) => runPipeline({ pipeline: restDoc(url), baseDir: dir, connections: conn(), params: { resource }, stateDir: path.join(dir, 'state') });
  const preview = (url: string, resource: string) => previewPipeline({ pipeline: restDoc(url), baseDir: dir, nodeId: 'r', connections: conn(), params: { resource } });
  const errorOf = async (p: Promise<unknown>) =>
    p.then(
      (r) => JSON.stringify(r),
      (e: unknown) => String((e as Error).message),
    );

  describe('source.rest', () => {
    it('a param value that is a URL to another host is refused before any request: the token never leaves the connection\'s origin', async () => {
      const value = `${evil.url}/steal`;
      const summary = await run('/${resource}', value);
      expect(summary.status).toBe('failed');
      expect(summary.error?.message).toBe(
        `node 'r': param 'resource' = ${JSON.stringify(value)} would send the request to ${evil.url}, not to ${api.url}, the origin of a path under the connection's base URL ${api.url}/api (url "/\${resource}"); a param may fill in part of the URL, not change where the request goes`,
      );
      expect(await errorOf(preview('/${resource}', value))).toContain(`param 'resource' = ${JSON.stringify(value)} would send the request to ${evil.url}`);
      // `\\host` is `//host` to the URL parser.
      expect((await run('/${resource}', `\\\\${evil.url.slice(7)}/steal`)).status).toBe('failed');
      expect(evil.seen).toEqual([]);
    });

    it('a full URL written in the node keeps its origin: a param cannot move it to another host or port', async () => {
      const summary = await run(`${api.url}/api\${resource}`, `@${evil.url.slice(7)}/x`);
      expect(summary.status).toBe('succeeded'); // `/api@host` is a path on the API's own host
      const moved = await run(`${api.url}\${resource}`, `.evil.example/x`);
      expect(moved.status).toBe('failed');
      expect(evil.seen).toEqual([]);
    });

    it('a param that opens the URL may point anywhere, but the credentials go only to origins written in the pipeline or the connection', async () => {
      const summary = await run('${resource}', `${evil.url}/public`);
      expect(summary.status).toBe('succeeded');
      expect(evil.seen).toEqual([{ path: '/public', auth: undefined }]);
      evil.seen.length = 0;
      // The connection's own origin, given by the param, gets them.
      expect((await run('${resource}', `${api.url}/api/items`)).status).toBe('succeeded');
      expect(api.seen.at(-1)).toEqual({ path: '/api/items', auth: `Bearer ${TOKEN}` });
    });

    it('dot segments that would leave the path written are refused, naming the param and value', async () => {
      const before = api.seen.length;
      for (const value of ['../../admin/users', '..', 'a/./b', '%2e%2e/admin', '..\\admin']) {
        const summary = await run('/items/${resource}', value);
        expect([value, summary.status]).toEqual([value, 'failed']);
        expect(summary.error?.message).toMatch(new RegExp(`^node 'r': param 'resource' = .* holds the path segment "(\\.\\.?|%2e%2e)", which would lead the request out of the path written`));
      }
      // A dot segment made with the template's own text.
      expect((await run('/items/.${resource}/x', '')).error?.message).toMatch(/makes a \. or \.\. segment with the text around it/);
      expect(api.seen.length).toBe(before);
    });

    it('a ? or # in a value inserted into the path is refused; a/b path parts and dotted names still work', async () => {
      const before = api.seen.length;
      const summary = await run('/items/${resource}', '1?delete=true#');
      expect(summary.error?.message).toBe(
        `node 'r': param 'resource' = "1?delete=true#" holds "?", which would start a query string inside the URL's path (url "/items/\${resource}"); a param may fill in part of the URL, not change where the request goes`,
      );
      expect((await run('/items/${resource}', '1#frag')).error?.message).toMatch(/holds "#", which would cut the URL at a fragment/);
      expect((await run('/items?id=${resource}', '1#frag')).status).toBe('failed');
      expect(api.seen.length).toBe(before);
      expect((await run('/items/${resource}', 'a/b')).status).toBe('succeeded');
      expect(api.seen.at(-1)).toEqual({ path: '/api/items/a/b', auth: `Bearer ${TOKEN}` });
      expect((await run('/items/${resource}', 'v1.2..3')).status).toBe('succeeded');
      expect((await run('/items?since=${resource}', '2025-01-01&x=1')).status).toBe('succeeded');
    });
  });

  describe('transform.http_enrich', () => {
    const enrichDoc = (url: string) =>
      pipeline(
        [
          { id: 'src', type: 'transform.sql', params: { query: "SELECT 'x1' AS id" } },
          { id: 'e', type: 'transform.http_enrich', params: { connection: 'api', url, outputs: [{ name: 'a', path: '[0].a', type: 'INTEGER' }] } },
          { id: 'dst', type: 'sink.json', params: { path: path.join(dir, `enriched-${++n}.json`), format: 'array' } },
        ],
        ['src -> e', 'e:out -> dst'],
        { connections: { api: { type: 'rest' } }, params: { resource: { type: 'string', default: 'items' } } },
      );
    const enrich = (url: string, resource: string) => runPipeline({ pipeline: enrichDoc(url), baseDir: dir, connections: conn(), params: { resource }, stateDir: path.join(dir, 'state') });

    it('the same rules hold for its ${param}s; {column} values stay URL-encoded', async () => {
      const value = `${evil.url}/steal`;
      const summary = await enrich('/${resource}/{id}', value);
      expect(summary.status).toBe('failed');
      expect(summary.error?.message).toContain(`node 'e': param 'resource' = ${JSON.stringify(value)} would send the request to ${evil.url}`);
      expect((await enrich('/lookup/${resource}/{id}', '../../admin')).error?.message).toMatch(/holds the path segment "\.\."/);
      expect((await enrich('/lookup/${resource}/{id}', 'x?delete=1')).error?.message).toMatch(/holds "\?"/);
      expect(evil.seen).toEqual([]);
      const ok = await enrich('/lookup/${resource}/{id}', 'a/b');
      expect(ok.status).toBe('succeeded');
      expect(api.seen.at(-1)).toEqual({ path: '/api/lookup/a/b/x1', auth: `Bearer ${TOKEN}` });
    });

    it('a param that opens the URL template gets no credentials on another origin', async () => {
      expect((await enrich('${resource}/{id}', `${evil.url}/public`)).status).toBe('succeeded');
      expect(evil.seen).toEqual([{ path: '/public/x1', auth: undefined }]);
      evil.seen.length = 0;
    });
  });
});
