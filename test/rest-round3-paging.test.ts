import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRun } from '../core/src/engine/engine.js';
import { pipeline, run, tempDir } from './support/pipeline.js';

const recs = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ id: from + i, name: `r${from + i}` }));

/** An API with the paging faults of a hostile tester's report; every request is logged. */
describe('source.rest paging against APIs that misbehave', () => {
  let server: http.Server;
  let base = '';
  const log: URL[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const u = new URL(req.url!, 'http://x');
      log.push(u);
      const q = (k: string) => u.searchParams.get(k);
      const json = (body: unknown, status = 200, delay = 0) =>
        setTimeout(() => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        }, delay);
      switch (u.pathname) {
        // offset 20 fails at once while offset 10 is still on its way.
        case '/conc-fail': {
          const o = Number(q('offset') ?? 0);
          if (o === 20) return json({ error: 'bad offset' }, 400);
          if (o >= 60) return json({ data: [] });
          return json({ data: recs(o, 10) }, 200, o === 10 ? 800 : 0);
        }
        // Pages without end, each answered at once.
        case '/endless':
          return json({ data: recs(Number(q('offset') ?? 0), 10) });
        // The page param is ignored; the envelope has a new request id every time.
        case '/ignore-page':
          return json({ request_id: Math.random().toString(36), data: recs(1, 3) });
        case '/ignore-offset':
          return json({ generated_at: `${new Date().toISOString()}${Math.random()}`, data: recs(1, 10) });
        // A next link that leads back to the first page after `n` pages.
        case '/cycle': {
          const n = Number(q('n'));
          const i = Number(q('i') ?? 0);
          return json({ data: recs(i * 2, 2), next: `/cycle?n=${n}&i=${(i + 1) % n}` });
        }
        default:
          return json({ error: 'no such path' }, 404);
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const doc = (params: Record<string, unknown>) =>
    pipeline(
      [
        { id: 'api', type: 'source.rest', params: { records_path: 'data', retries: 0, ...params } },
        { id: 'out', type: 'sink.csv', params: { path: 'out.csv' } },
      ],
      ['api -> out'],
    );
  const requests = (path: string) => () => log.filter((u) => u.pathname === path).length;

  describe('reading pages concurrently', () => {
    it('a page that fails while an earlier one is still on its way stops the run with that page\'s error, in page order, and no crash', async () => {
      const { summary } = await run(doc({ url: `${base}/conc-fail`, pagination: { type: 'offset', limit: 10 }, concurrency: 4 }), await tempDir());
      expect(summary.status).toBe('failed');
      expect(summary.error?.message).toMatch(/^node 'api': GET http:\/\/127\.0\.0\.1:\d+\/conc-fail\?offset=20&limit=10 failed: HTTP 400 Bad Request: \{"error":"bad offset"\}/);
      expect(summary.error?.message).not.toMatch(/crashed/);
    });

    it('a run cancelled while pages are in flight ends as cancelled, not as a crashed worker', async () => {
      const handle = startRun({ pipeline: doc({ url: `${base}/endless`, pagination: { type: 'offset', limit: 10 }, concurrency: 4 }), baseDir: await tempDir() });
      // Cancelled in the middle of the read.
      const reading = setInterval(() => {
        if (log.filter((u) => u.pathname === '/endless').length > 200) {
          clearInterval(reading);
          handle.cancel();
        }
      }, 5);
      const summary = await handle.done;
      clearInterval(reading);
      expect(summary.status).toBe('cancelled');
    });
  });

  describe('an API that ignores the page it is asked for, with an envelope that changes every time', () => {
    for (const concurrency of [1, 4]) {
      it(`page_number pagination stops after a few pages naming the page param (concurrency ${concurrency})`, async () => {
        const count = requests('/ignore-page');
        const before = count();
        const { summary } = await run(doc({ url: `${base}/ignore-page`, pagination: { type: 'page_number' }, concurrency }), await tempDir());
        expect(summary.status).toBe('failed');
        expect(summary.error?.message).toMatch(/^node 'api': pages 2 to 4 hold the same records as pages 1 to 3: the API answers the same records whatever "page" asks for \(it does not seem to take "page" as the page number\), so paging would never end$/);
        expect(summary.error?.problems?.[0]?.hint ?? summary.error?.hint).toMatch(/page_param/);
        expect(count() - before).toBeLessThan(12);
      }, 20_000);
    }

    it('offset pagination without a total, four pages at a time, stops too, naming the offset param', async () => {
      const count = requests('/ignore-offset');
      const before = count();
      const { summary } = await run(doc({ url: `${base}/ignore-offset`, pagination: { type: 'offset', limit: 10 }, concurrency: 4 }), await tempDir());
      expect(summary.status).toBe('failed');
      expect(summary.error?.message).toMatch(/the API answers the same records whatever "offset" asks for \(it does not seem to take "offset" as the offset\)/);
      expect(count() - before).toBeLessThan(15);
    }, 20_000);
  });

  it('a next link that leads back to the first page after 70 pages is caught when it does', async () => {
    const count = requests('/cycle');
    const before = count();
    const { summary } = await run(doc({ url: `${base}/cycle?n=70`, pagination: { type: 'json_link', next_url_path: 'next' } }), await tempDir());
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toMatch(/page 72 would be the same request as page 2: the link at next leads back to a page already read/);
    expect(count() - before).toBe(71);
  });
});
