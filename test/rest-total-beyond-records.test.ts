import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_EMPTY_PAGES } from '../core/src/connectors/rest/read.js';
import { pipeline, run, tempDir } from './support/pipeline.js';

/**
 * A total (total_path) far beyond the records the API serves: one record, then empty pages, with
 * `"total_count": 100000` (or page_number's total_path pointed at a record count). Pages read
 * several at a time asked for every page up to the total: 10,641 requests in 8.5 s. The read now
 * stops after MAX_EMPTY_PAGES empty pages in a row, as a link or cursor read does, and says what the
 * total claimed.
 */
describe('source.rest: a total that claims far more pages than the API serves', () => {
  let server: http.Server;
  let base = '';
  const requests: Record<string, number> = {};
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const u = new URL(req.url!, 'http://x');
      requests[u.pathname] = (requests[u.pathname] ?? 0) + 1;
      const first = (u.searchParams.get('page') ?? '1') === '1' && (u.searchParams.get('offset') ?? '0') === '0';
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: first ? [{ id: 1 }] : [], total_count: 100000 }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const read = async (name: string, params: Record<string, unknown>) => {
    const doc = pipeline(
      [
        { id: 'api', type: 'source.rest', params: { url: `${base}/${name}`, records_path: 'data', retries: 0, ...params } },
        { id: 'out', type: 'sink.csv', params: { path: 'out.csv' } },
      ],
      ['api -> out'],
    );
    const { summary, events } = await run(doc, await tempDir());
    const warnings = events.filter((e) => e.type === 'warning').map((e) => (e as { message: string }).message);
    return { summary, warnings, requests: requests[`/${name}`] ?? 0 };
  };

  for (const concurrency of [1, 4]) {
    it(`page_number pagination stops after ${MAX_EMPTY_PAGES} empty pages in a row, saying the total claimed 100000 pages (concurrency ${concurrency})`, async () => {
      const r = await read(`pages-${concurrency}`, { pagination: { type: 'page_number', total_path: 'total_count' }, concurrency });
      expect(r.summary.status).toBe('succeeded');
      expect(r.summary.outputs?.[0]?.rows).toBe(1);
      // The first page, the empty ones, and those already in flight when the read stopped.
      expect(r.requests).toBeLessThanOrEqual(1 + MAX_EMPTY_PAGES + concurrency + 1);
      expect(r.warnings).toEqual([
        `the total at total_path 'total_count' claimed 100000 pages, but pages 2 to ${MAX_EMPTY_PAGES + 1} were empty: stopped after ${MAX_EMPTY_PAGES} empty pages in a row. Records past them may be missing, or total_path points to a number of records where page_number pagination needs the number of pages (use offset pagination with a record count, or a total_path that counts pages)`,
      ]);
    });
  }

  it('offset pagination stops too, saying the total claimed 100000 records', async () => {
    const r = await read('offset', { pagination: { type: 'offset', limit: 10, total_path: 'total_count' }, concurrency: 4 });
    expect(r.summary.status).toBe('succeeded');
    expect(r.requests).toBeLessThanOrEqual(1 + MAX_EMPTY_PAGES + 5);
    expect(r.warnings).toEqual([
      `the total at total_path 'total_count' claimed 100000 records (10000 pages of 10), but pages 2 to ${MAX_EMPTY_PAGES + 1} were empty: stopped after ${MAX_EMPTY_PAGES} empty pages in a row. Records past them may be missing (the API counts records it does not serve), or total_path does not point to the number of records; set max_pages to stop earlier without this warning`,
    ]);
  });

  it('read one page after the other (a row cap), it stops the same way', async () => {
    const r = await read('capped', { pagination: { type: 'page_number', total_path: 'total_count' }, max_rows: 1000 });
    expect(r.summary.status).toBe('succeeded');
    expect(r.requests).toBe(1 + MAX_EMPTY_PAGES);
    expect(r.warnings).toEqual([expect.stringMatching(/^the total at total_path 'total_count' claimed 100000 pages, but pages 2 to 21 were empty/)]);
  });
});
