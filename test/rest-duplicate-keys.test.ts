import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipeline, preview, run, tempDir } from './support/pipeline.js';

/**
 * A record that repeats a key ({"id": 1, "id": 2}) on the first page of an answer: JSON.parse kept
 * the last value and the run loaded it without a word, while the same record on a later page (cut
 * from the bytes) and in a JSON file stopped the run. Which value the API meant cannot be told.
 */
describe('source.rest: a record that repeats a key', () => {
  let server: http.Server;
  let url = '';
  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"data": [{"id": 1, "id": 2, "name": "a"}, {"id": 3, "name": "b"}]}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/items`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('on the first page stops the run and the preview naming the key, instead of keeping one of its values', async () => {
    const dir = await tempDir();
    const doc = pipeline(
      [
        { id: 'api', type: 'source.rest', params: { url, records_path: 'data' } },
        { id: 'out', type: 'sink.csv', params: { path: 'out.csv' } },
      ],
      ['api -> out'],
    );
    const { summary } = await run(doc, dir);
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain('has duplicate key "id"');
    expect(summary.error?.message).toContain('a record of the answer holds the key "id" twice, and which value is meant cannot be told');
    expect(existsSync(path.join(dir, 'out.csv'))).toBe(false);
    await expect(preview(doc, dir, 'api')).rejects.toThrow(/duplicate key "id"/);
  });
});
