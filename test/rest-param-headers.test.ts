import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspect } from '../core/src/engine/engine.js';
import type { ResolvedConnection } from '../core/src/nodes/define.js';
import { pipeline, tempDir } from './support/pipeline.js';

/**
 * A param filled into a REST header that would put a line break in it is refused before any
 * request: HTTP clients strip such characters (`a\r\nX-Evil: 1` went out as `aX-Evil: 1`), so the
 * header sent would not be the one written.
 */
describe('pipeline params in REST headers', () => {
  let server: http.Server;
  let url: string;
  let requests = 0;
  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      requests++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('[{"a":1}]');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  const conn = (): Record<string, ResolvedConnection> => ({
    api: { name: 'api', type: 'rest', config: { base_url: url, auth: 'none', api_key_name: 'X-API-Key', api_key_in: 'header', client_auth: 'basic', headers: {}, timeout_s: 5, test_path: '' } },
  });
  const problems = async (type: 'source.rest' | 'transform.http_enrich', tag: string) => {
    const node =
      type === 'source.rest'
        ? [{ id: 'r', type, params: { connection: 'api', url: '/items', headers: { 'X-Tag': '${tag}' } } }]
        : [
            { id: 'src', type: 'transform.sql', params: { query: 'SELECT 1 AS id' } },
            { id: 'r', type, params: { connection: 'api', url: '/items/{id}', headers: { 'X-Tag': '${tag}' }, outputs: [{ name: 'a', path: '[0].a', type: 'INTEGER' }] } },
          ];
    const doc = pipeline(node, type === 'source.rest' ? [] : ['src -> r'], { connections: { api: { type: 'rest' } }, params: { tag: { type: 'string', default: 'a' } } });
    return (await inspect({ pipeline: doc, baseDir: await tempDir(), connections: conn(), params: { tag } })).problems;
  };

  it.each(['source.rest', 'transform.http_enrich'] as const)('%s: a value with a line break is refused, naming the header; nothing is sent', async (type) => {
    const before = requests;
    expect(await problems(type, 'a\r\nX-Evil: 1')).toEqual([
      expect.objectContaining({ path: expect.stringMatching(/params\.headers\.X-Tag$/), message: expect.stringContaining("header 'X-Tag' would hold \"a\\r\\nX-Evil: 1\" once its params are filled in") }),
    ]);
    expect(requests).toBe(before);
  });

  it('a plain value is sent as written', async () => {
    expect(await problems('source.rest', 'blue')).toEqual([]);
  });
});
