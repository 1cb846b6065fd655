import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipeline, run, tempDir } from './support/pipeline.js';

const recs = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ id: from + i, name: `r${from + i}` }));

/** source.rest: what an answer holds where the records should be. */
describe('source.rest: the records of an answer', () => {
  let server: http.Server;
  let base = '';
  /** Raw answers by path (the body as sent). */
  const raw = new Map<string, string>();
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const u = new URL(req.url!, 'http://x');
      const page = Number(u.searchParams.get('page') ?? 1);
      const json = (body: unknown) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(typeof body === 'string' ? body : JSON.stringify(body));
      };
      if (raw.has(u.pathname)) return json(raw.get(u.pathname)!);
      switch (u.pathname) {
        // Page 3 answers 200 with an error envelope: no data key.
        case '/error-page':
          if (page === 3) return json({ error: 'upstream timeout', code: 503 });
          return json({ data: page > 5 ? [] : recs(page * 10, 10) });
        case '/error-link':
          if (page === 3) return json({ error: 'rate limited' });
          return json({ data: recs(page * 10, 10), next: `/error-link?page=${page + 1}` });
        // The last page says "no records" with null, or with an empty list under a wildcard path.
        case '/null-end':
          return json({ data: page > 2 ? null : recs(page * 10, 10) });
        // Page 2 holds a lone surrogate escape; valid for JSON.parse, no character.
        case '/lone-surrogate':
          return json(page === 1 ? '{"data":[{"id":1,"s":"\\ud83d\\ude00 fine"}]}' : page === 2 ? '{"data":[{"id":2,"s":"cut \\ud800 here"}]}' : '{"data":[]}');
        // Page 2 has a string where page 1 had an object.
        case '/types':
          return json(page === 1 ? { data: [{ id: 1, v: { a: 1 } }] } : page === 2 ? { data: [{ id: 2, v: 'flat' }] } : { data: [] });
        // Page 2 has a new key inside an object of page 1, and a new top-level key.
        case '/newkeys':
          return json(page === 1 ? { data: [{ id: 1, n: { a: 1, m: { b: 1 } } }] } : page === 2 ? { data: [{ id: 2, n: { a: 2, secret_field: 'LOST', m: { b: 2, c: 3 } }, extra: 'LOST2' }] } : { data: [] });
        default:
          return json({ data: recs(1, 3) });
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const read = async (params: Record<string, unknown>, format: 'json' | 'csv' = 'json') => {
    const dir = await tempDir();
    const out = path.join(dir, `out.${format}`);
    const doc = pipeline(
      [
        { id: 'api', type: 'source.rest', params: { retries: 0, ...params } },
        { id: 'out', type: format === 'json' ? 'sink.json' : 'sink.csv', params: format === 'json' ? { path: out, format: 'array' } : { path: out } },
      ],
      ['api -> out'],
    );
    const { summary, events } = await run(doc, dir);
    const warnings = events.filter((e) => e.type === 'warning').map((e) => (e as { message: string }).message);
    const text = summary.status === 'succeeded' ? await readFile(out, 'utf8') : '';
    return { summary, warnings, text, rows: summary.status === 'succeeded' && format === 'json' ? (JSON.parse(text) as Array<Record<string, unknown>>) : [] };
  };

  describe('a records_path that finds nothing in an answer', () => {
    it('on page 3 (an error answered with status 200) stops the run naming the page, the URL and the keys the answer has', async () => {
      const { summary } = await read({ url: `${base}/error-page`, records_path: 'data', pagination: { type: 'page_number' } });
      expect(summary.status).toBe('failed');
      expect(summary.error?.message).toMatch(
        /^node 'api': page 3 \(GET http:\/\/127\.0\.0\.1:\d+\/error-page\?page=3\): the answer has nothing at records_path 'data' \(its top-level keys: error, code\), so its records cannot be told from an error the API answered with status 200$/,
      );
    });

    it('behind a next link too', async () => {
      const { summary } = await read({ url: `${base}/error-link?page=1`, records_path: 'data', pagination: { type: 'json_link', next_url_path: 'next' } });
      expect(summary.status).toBe('failed');
      expect(summary.error?.message).toMatch(/^node 'api': page 3 \(GET http:\/\/127\.0\.0\.1:\d+\/error-link\?page=3\): the answer has nothing at records_path 'data' \(its top-level keys: error\)/);
    });

    it('misspelled, with the columns listed, stops the run instead of succeeding with no rows', async () => {
      const { summary } = await read({ url: `${base}/plain`, records_path: 'dta', columns: [{ name: 'id', type: 'BIGINT' }] });
      expect(summary.status).toBe('failed');
      expect(summary.error?.message).toMatch(/^node 'api': page 1 \(GET http:\/\/127\.0\.0\.1:\d+\/plain\): the answer has nothing at records_path 'dta' \(its top-level keys: data\)/);
    });

    it('an explicit null, or an empty list under a wildcard path, is still "no records": the read ends there', async () => {
      const nulls = await read({ url: `${base}/null-end`, records_path: 'data', pagination: { type: 'page_number' } });
      expect(nulls.summary.error).toBeUndefined();
      expect(nulls.rows.map((r) => r.id)).toEqual([...recs(10, 10), ...recs(20, 10)].map((r) => r.id));
      raw.set('/empty-star', '{"data": []}');
      const star = await read({ url: `${base}/empty-star`, records_path: 'data[*]', columns: [{ name: 'id', type: 'BIGINT' }] });
      expect(star.summary.error).toBeUndefined();
      expect(star.rows).toEqual([]);
    });
  });

  describe('integers beyond 64 bits on the first page (DuckDB infers DOUBLE for them)', () => {
    it('are read exactly, as HUGEINT, when the column holds only integers', async () => {
      raw.set('/u64', '{"data":[{"id":1},{"id":18446744073709551615},{"id":-9223372036854775809}]}');
      const { summary, text } = await read({ url: `${base}/u64`, records_path: 'data' }, 'csv');
      expect(summary.error).toBeUndefined();
      expect(text.trim().split('\n')).toEqual(['id', '1', '18446744073709551615', '-9223372036854775809']);
    });

    it('stop the run naming the column and the values when the column also holds fractions, instead of rounding them', async () => {
      raw.set('/u64-mixed', '{"data":[{"id":1, "x": 1.5},{"id":2, "x": 18446744073709551615}]}');
      const { summary } = await read({ url: `${base}/u64-mixed`, records_path: 'data' }, 'csv');
      expect(summary.status).toBe('failed');
      expect(summary.error?.message).toBe(
        "node 'api': column 'x' of the first page holds the integer 18446744073709551615 and the fraction 1.5: the inferred type DOUBLE would round the integer (a double holds whole numbers exactly only up to 2^53)",
      );
      expect(summary.error?.problems?.[0]?.hint).toMatch(/^list the column under columns: DECIMAL\(38, s\)/);
    });
  });

  describe('a record nesting objects hundreds of levels deep', () => {
    for (const n of [150, 300]) {
      it(`(${n} levels) is read in seconds, the levels below ${32} as JSON text, with a warning naming the column`, async () => {
        raw.set(`/deep${n}`, `{"data":[{"id":1,"d":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}]}`);
        const started = Date.now();
        const { summary, warnings, rows } = await read({ url: `${base}/deep${n}`, records_path: 'data' });
        expect(summary.error).toBeUndefined();
        expect(Date.now() - started).toBeLessThan(20_000);
        expect(warnings).toContain(
          "node 'api': column 'd' of the first page nests more than 32 levels deep: the levels below that are read as JSON text; to read it whole as JSON, list it under columns with type JSON",
        );
        let v: unknown = rows[0]!.d;
        let levels = 0;
        while (v !== null && typeof v === 'object') {
          v = (v as { a: unknown }).a;
          levels++;
        }
        // sink.json writes a JSON value as JSON: every level arrives.
        expect([levels, v]).toEqual([n, 1]);
      });
    }
  });

  it('a lone surrogate escape ("\\ud800") stops the run naming the page and URL, instead of a Malformed JSON error about a temp file', async () => {
    const { summary } = await read({ url: `${base}/lone-surrogate`, records_path: 'data', pagination: { type: 'page_number' } });
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toMatch(
      /^node 'api': page 2 \(GET http:\/\/127\.0\.0\.1:\d+\/lone-surrogate\?page=2\): the answer holds "\\ud800" \(at character \d+\), half of a UTF-16 surrogate pair without its other half, which is no character: its records cannot be read$/,
    );
  });

  it('a value DuckDB refuses on a later page is said as the page, URL and record it is, with advice for inferred columns', async () => {
    const { summary } = await read({ url: `${base}/types`, records_path: 'data', pagination: { type: 'page_number' } });
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toMatch(
      /\(line 2 of the records read is record 1 of page 2 \(http:\/\/127\.0\.0\.1:\d+\/types\?page=2\): a value of type VARCHAR where the first page had OBJECT: the column types were inferred from the first page; list the column under columns with a type that holds both \(VARCHAR or JSON for anything\)\)$/,
    );
    expect(summary.error?.message).not.toMatch(/Try setting 'auto_detect'/);
  });

  it('keys of later pages that the inferred columns leave out are warned about, inside objects too', async () => {
    const { summary, warnings } = await read({ url: `${base}/newkeys`, records_path: 'data', pagination: { type: 'page_number' } });
    expect(summary.error).toBeUndefined();
    expect(warnings.join('\n')).toContain(
      '3 keys of records after the first page were not read, because the columns were inferred from the first page, which does not have them: "extra", "n.m.c", "n.secret_field" (a dotted name is a key inside an object column)',
    );
  });
});
