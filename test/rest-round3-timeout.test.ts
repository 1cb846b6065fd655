import http from 'node:http';
import type { AddressInfo } from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient } from '../core/src/connectors/http/client.js';
import { RequestLimiter } from '../core/src/connectors/http/limiter.js';
import { DEFAULT_HTTP_RETRY } from '../core/src/connectors/http/retry-policy.js';
import { pipeline, run, tempDir } from './support/pipeline.js';

/** The collector, as `node --expose-gc` gives it: the timeout must hold under garbage collection. */
function collector(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

/**
 * A server that answers 200 at once and then trickles a byte of its body every 100 ms, never
 * ending: the socket is never idle, so only a deadline on the whole request ends it.
 */
describe('HTTP requests against a server that never finishes its answer', () => {
  let server: http.Server;
  let url = '';
  const open = new Set<http.ServerResponse>();
  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      open.add(res);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"data": [');
      const t = setInterval(() => res.write(' '), 100);
      res.on('close', () => {
        clearInterval(t);
        open.delete(res);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/trickle`;
  });
  afterAll(async () => {
    for (const res of open) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const client = (timeoutMs: number, isCancelled?: () => boolean) =>
    new HttpClient({ who: "node 'api'", timeoutMs, retry: { ...DEFAULT_HTTP_RETRY, attempts: 1 }, limiter: new RequestLimiter(1), isCancelled });

  it('gives up when the whole answer has not arrived within the timeout, also when garbage is collected meanwhile', async () => {
    const gc = collector();
    const collecting = setInterval(gc, 50);
    const started = Date.now();
    try {
      await expect(client(700).send({ method: 'GET', url }, { json: true })).rejects.toThrow(/GET http:\/\/127\.0\.0\.1:\d+\/trickle failed: (ETIMEDOUT_TOTAL: )?no complete answer within 0\.7 s/);
    } finally {
      clearInterval(collecting);
    }
    expect(Date.now() - started).toBeLessThan(5000);
  }, 20_000);

  it('stops a request in flight at once when the run is cancelled', async () => {
    let cancelled = false;
    const c = client(60_000, () => cancelled);
    setTimeout(() => (cancelled = true), 300);
    const started = Date.now();
    await expect(c.send({ method: 'GET', url }, { json: true })).rejects.toMatchObject({ kind: 'cancelled' });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('a source.rest run with timeout_s fails naming the URL instead of waiting forever', async () => {
    const dir = await tempDir();
    const doc = pipeline(
      [
        { id: 'api', type: 'source.rest', params: { url, records_path: 'data', timeout_s: 1, retries: 0 } },
        { id: 'out', type: 'sink.csv', params: { path: 'out.csv' } },
      ],
      ['api -> out'],
    );
    const started = Date.now();
    const { summary } = await run(doc, dir);
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toMatch(/node 'api': GET http:\/\/127\.0\.0\.1:\d+\/trickle failed: (ETIMEDOUT_TOTAL: )?no complete answer within 1 s/);
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
