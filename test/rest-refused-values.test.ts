import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipeline, run, tempDir } from './support/pipeline.js';

/**
 * source.rest: a value on a later page that its column's type cannot hold, inside a list. DuckDB's
 * reader names its temp file, a line, and options the node does not have; and for a value inside a
 * list its "line" is the value's place among all the list values read ("line 5" for the 4th
 * record; "line 1" for a bad date on line 3), so the record was not found, or the wrong one named.
 */
describe('source.rest: a value DuckDB refuses inside a list', () => {
  let server: http.Server;
  let base = '';
  /** Pages by path: the answer of each page number, then empty pages. */
  const pages: Record<string, string[]> = {
    '/tags': ['{"data":[{"id":1,"tags":[1,2]},{"id":2,"tags":[3]}]}', '{"data":[{"id":3,"tags":[4]},{"id":4,"tags":["a"]}]}'],
    '/dates': ['{"data":[{"id":1,"d":["2024-01-01"]}]}', '{"data":[{"id":2,"d":["2024-01-02","2024-01-03"]},{"id":3,"d":["x"]}]}'],
    '/nested': ['{"data":[{"id":1,"s":{"t":[1,2,3]}}]}', '{"data":[{"id":2,"s":{"t":[4,5]}},{"id":3,"s":{"t":[6,{"no":1}]}}]}'],
  };
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const u = new URL(req.url!, 'http://x');
      const page = Number(u.searchParams.get('page') ?? 1);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(pages[u.pathname]?.[page - 1] ?? '{"data":[]}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const read = async (name: string, params: Record<string, unknown> = {}) => {
    const doc = pipeline(
      [
        { id: 'api', type: 'source.rest', params: { url: `${base}/${name}`, records_path: 'data', pagination: { type: 'page_number' }, retries: 0, ...params } },
        { id: 'out', type: 'sink.csv', params: { path: 'out.csv' } },
      ],
      ['api -> out'],
    );
    const { summary } = await run(doc, await tempDir());
    expect(summary.status).toBe('failed');
    return summary.error!.message;
  };

  it('names the page, the record and the field, with what to list under columns, not DuckDB\'s reader options', async () => {
    const message = await read('tags');
    // DuckDB's own line (5) counts the list values read before it, not the records: said so.
    expect(message).toMatch(
      /\(line 4 of the records read is record 2 of page 2 \(http:\/\/127\.0\.0\.1:\d+\/tags\?page=2\) \(DuckDB's "line 5" is not the record's for a value inside a list\): field 'tags' holds "a" at tags\[0\], which does not fit its type BIGINT\[\]: the column types were inferred from the first page, which had no such value; list 'tags' under columns with a type that holds every value \(VARCHAR or JSON for anything\)\)$/,
    );
    expect(message).not.toMatch(/auto_detect|ignore_errors/);
  });

  it('finds the record where DuckDB names another one that exists (a bad date in a DATE[]: "line 1")', async () => {
    const message = await read('dates');
    expect(message).toMatch(/\(line 3 of the records read is record 2 of page 2 \(http:\/\/127\.0\.0\.1:\d+\/dates\?page=2\) \(DuckDB's "line 1" is not the record's for a value inside a list\): field 'd' holds "x" at d\[0\], which does not fit its type DATE\[\]/);
  });

  it('names the path inside an object column, and an object where a number was', async () => {
    const message = await read('nested');
    expect(message).toMatch(/record 2 of page 2 \(http:\/\/127\.0\.0\.1:\d+\/nested\?page=2\).*: field 's' holds an object at s\.t\[1\], which does not fit its type STRUCT\(t BIGINT\[\]\)/);
  });

  it('with the columns listed, says the listed type does not hold the value', async () => {
    const message = await read('tags', { columns: [{ name: 'id', type: 'BIGINT' }, { name: 'tags', type: 'INTEGER[]' }] });
    expect(message).toMatch(
      /record 2 of page 2 \(http:\/\/127\.0\.0\.1:\d+\/tags\?page=2\).*: field 'tags' holds "a" at tags\[0\], which does not fit its type INTEGER\[\] listed under columns: list 'tags' there with a type that holds every value \(VARCHAR or JSON for anything\)\)$/,
    );
  });
});
