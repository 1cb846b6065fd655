import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipeline, problemsOf, run, tempDir } from './support/pipeline.js';
import { pgConnection } from './support/postgres.js';

/**
 * An API that is down when the run starts is a failed run (exit code 1), not an invalid pipeline
 * (exit code 2, which `caudal run` gives for errors of kind 'validation'): with the columns listed,
 * planning asks the API nothing, and the first page is read with the others.
 */
describe('source.rest with the columns listed, against an API that is down', () => {
  let server: http.Server;
  let base = '';
  let down = true;
  let requests = 0;
  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      requests++;
      if (down) {
        res.writeHead(500, { 'content-type': 'application/json' });
        return res.end('{"error":"maintenance"}');
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"data":[{"id":1},{"id":2}]}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const doc = (dir: string) =>
    pipeline(
      [
        { id: 'api', type: 'source.rest', params: { url: `${base}/items`, records_path: 'data', retries: 0, columns: [{ name: 'id', type: 'BIGINT' }] } },
        { id: 'out', type: 'sink.csv', params: { path: path.join(dir, 'out.csv') } },
      ],
      ['api -> out'],
    );

  it('the run fails as a run (error kind io, naming the URL and status), not as a pipeline problem', async () => {
    down = true;
    const dir = await tempDir();
    const { summary } = await run(doc(dir), dir);
    expect(summary.status).toBe('failed');
    expect(summary.error?.kind).toBe('io');
    expect(summary.error?.message).toMatch(/^node 'api': GET http:\/\/127\.0\.0\.1:\d+\/items failed: HTTP 500 Internal Server Error: \{"error":"maintenance"\}/);
    expect(summary.error?.problems ?? []).toEqual([]);
  });

  it('validation asks the API nothing, and a run once it is up reads every record, the first page too', async () => {
    const dir = await tempDir();
    const before = requests;
    expect(await problemsOf(doc(dir), dir)).toEqual([]);
    expect(requests).toBe(before);
    down = false;
    const { summary } = await run(doc(dir), dir);
    expect(summary.error).toBeUndefined();
    expect((await readFile(path.join(dir, 'out.csv'), 'utf8')).trim().split('\n')).toEqual(['id', '1', '2']);
  });
});

/**
 * A source that must ask its server while planning (columns inferred from an API's first page, a
 * database table's columns): a server that is down is reported as `unavailable`, and a run stopped
 * by nothing else fails as a run (kind io, exit 1), not as an invalid pipeline.
 */
describe('a server a source asks while planning, down', () => {
  it('source.rest inferring its columns: the problem is unavailable, and the run fails with kind io', async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end('{"error":"maintenance"}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/items`;
      const dir = await tempDir();
      const doc = pipeline([{ id: 'api', type: 'source.rest', params: { url, records_path: 'data', retries: 0 } }, { id: 'out', type: 'sink.csv', params: { path: 'out.csv' } }], ['api -> out']);
      expect(await problemsOf(doc, dir)).toEqual([expect.objectContaining({ code: 'unavailable', nodeId: 'api' })]);
      const { summary } = await run(doc, dir);
      expect(summary.error?.kind).toBe('io');
      expect(summary.error?.message).toMatch(/HTTP 503/);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('source.postgres on a port nothing listens on: the same; a real mistake next to it keeps the pipeline invalid', async () => {
    const dir = await tempDir();
    const down = pgConnection();
    down.db!.config.port = 1;
    const doc = pipeline([{ id: 'src', type: 'source.postgres', params: { connection: 'db', schema: 'public', table: 'orders' } }, { id: 'out', type: 'sink.csv', params: { path: 'out.csv' } }], ['src -> out'], { connections: { db: { type: 'postgres' } } });
    const { runPipeline } = await import('../core/src/engine/engine.js');
    const summary = await runPipeline({ pipeline: doc, baseDir: dir, connections: down });
    expect(summary.error?.kind).toBe('io');
    expect(summary.error?.problems).toEqual([expect.objectContaining({ code: 'unavailable', message: expect.stringMatching(/cannot reach the server/) })]);
    const both = pipeline(
      [{ id: 'src', type: 'source.postgres', params: { connection: 'db', schema: 'public', table: 'orders' } }, { id: 'bad', type: 'transform.filter', params: { condition: 'nope > 1' } }, { id: 'q', type: 'transform.sql', params: { query: 'SELECT 1 AS one' } }],
      ['q -> bad'],
      { connections: { db: { type: 'postgres' } } },
    );
    expect((await runPipeline({ pipeline: both, baseDir: dir, connections: down })).error?.kind).toBe('validation');
  });
});
