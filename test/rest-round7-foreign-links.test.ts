import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPipeline } from '../core/src/engine/engine.js';
import type { RunEvent } from '../core/src/engine/protocol.js';
import type { ResolvedConnection } from '../core/src/nodes/define.js';
import { pipeline, tempDir } from './support/pipeline.js';

const API_KEY = 'k-round7-9d41e0c2b7';

/**
 * An API whose next link points at another origin and carries the API key in its query (as APIs
 * that echo the request's query string into their links do): the page there is read without the
 * connection's credentials, so the key in the link must not go there either.
 */
describe('source.rest: a next link to another origin holding the API key', () => {
  let api: http.Server;
  let other: http.Server;
  let apiBase = '';
  let otherBase = '';
  /** What the other origin received: path and query as sent. */
  const received: string[] = [];
  beforeAll(async () => {
    other = http.createServer((req, res) => {
      received.push(req.url!);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: [{ id: 3 }, { id: 4 }], next: null }));
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    otherBase = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    api = http.createServer((req, res) => {
      const u = new URL(req.url!, 'http://x');
      if (u.searchParams.get('apikey') !== API_KEY) {
        res.writeHead(401, { 'content-type': 'application/json' });
        return res.end('{"error":"no key"}');
      }
      // The link echoes the key, as the request's own query string had it; a dummy key named otherwise too.
      const next = `${otherBase}/link?p=2&apikey=${API_KEY}&sig=${encodeURIComponent(API_KEY)}`;
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (u.pathname === '/by-header') headers.link = `<${next}>; rel="next"`;
      res.writeHead(200, headers);
      res.end(JSON.stringify({ data: [{ id: 1 }, { id: 2 }], ...(u.pathname === '/by-body' ? { next } : {}) }));
    });
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
    apiBase = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const s of [api, other]) {
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
  });

  const connections = (): Record<string, ResolvedConnection> => ({
    api: { name: 'api', type: 'rest', config: { base_url: apiBase, auth: 'api_key', api_key: API_KEY, api_key_name: 'apikey', api_key_in: 'query', client_auth: 'basic', headers: {}, timeout_s: 5, test_path: '' } },
  });

  for (const [kind, url, pagination] of [
    ['json_link', '/by-body', { type: 'json_link', next_url_path: 'next' }],
    ['header_link', '/by-header', { type: 'header_link' }],
  ] as const) {
    it(`${kind}: the other origin gets the page request without the key, and the log says it went without credentials`, async () => {
      const dir = await tempDir();
      const out = path.join(dir, 'out.json');
      const doc = pipeline(
        [
          { id: 'api', type: 'source.rest', params: { connection: 'api', url, records_path: 'data', pagination, retries: 0, columns: [{ name: 'id', type: 'BIGINT' }] } },
          { id: 'dst', type: 'sink.json', params: { path: out, format: 'array' } },
        ],
        ['api -> dst'],
        { connections: { api: { type: 'rest' } } },
      );
      const events: RunEvent[] = [];
      const before = received.length;
      const summary = await runPipeline({ pipeline: doc, baseDir: dir, connections: connections(), onEvent: (e) => events.push(e) });
      expect(summary.error).toBeUndefined();
      expect((JSON.parse(await readFile(out, 'utf8')) as Array<{ id: number }>).map((r) => r.id)).toEqual([1, 2, 3, 4]);

      const sent = received.slice(before);
      expect(sent).toHaveLength(1);
      expect(sent[0]).not.toContain(API_KEY);
      expect(sent[0]).not.toContain(encodeURIComponent(API_KEY));
      // The rest of the link is followed as the API wrote it.
      expect(new URL(sent[0]!, 'http://x').searchParams.get('p')).toBe('2');

      const logs = events.filter((e): e is Extract<RunEvent, { type: 'log' }> => e.type === 'log').map((e) => e.message);
      expect(logs.join('\n')).not.toContain(API_KEY);
      expect(logs).toContainEqual(expect.stringMatching(new RegExp(`^node 'api': ${otherBase.replaceAll('.', '\\.')}/link\\?p=2.* is on another origin than the connection's \\(${apiBase.replaceAll('.', '\\.')}\\): sent without its credentials, its query params 'apikey', 'sig' removed \\(they held credentials\\)$`)));
    });
  }
});
