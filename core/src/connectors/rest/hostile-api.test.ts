import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restFields } from '../../connections/rest/rest.connection.js';
import { HttpError } from '../http/client.js';
import { restClient, templateOrigin } from './client.js';
import type { Pagination } from './paginate.js';
import { LOOP_PAGES, MAX_EMPTY_PAGES, type Page, readPages, type RestReadSpec } from './read.js';
import { NdjsonSpool } from './spool.js';

/**
 * A badly behaved API on one port and a foreign host on another (another origin), each logging what
 * reached it. Routes are set per test.
 */
type Route = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => void;
interface Seen {
  path: string;
  authorization?: string;
  apiKey?: string;
}
async function server(routes: Record<string, Route>): Promise<{ url: string; seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  const s = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    seen.push({ path: `${url.pathname}${url.search}`, authorization: req.headers.authorization, apiKey: req.headers['x-api-key'] as string | undefined });
    const route = routes[url.pathname];
    if (route) route(req, res, url);
    else json(res, { error: 'no route' }, 404);
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, seen, close: () => new Promise((r) => s.close(() => r())) };
}
function json(res: http.ServerResponse, body: unknown, status = 200, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}
const records = (from: number, n: number) => Array.from({ length: n }, (_, k) => ({ id: from + k }));

const PAGINATION: Pagination = { type: 'none', offset_param: 'offset', limit_param: 'limit', limit: 10, page_param: 'page', base_page: 1, cursor_param: 'cursor' };
function spec(url: string, pagination: Partial<Pagination>, recordsPath?: string): RestReadSpec {
  return { method: 'GET', url, params: {}, headers: {}, recordsPath, pagination: { ...PAGINATION, ...pagination }, concurrency: 1 };
}
async function readAll(client: ReturnType<typeof restClient>, s: RestReadSpec): Promise<{ ids: number[]; pages: Page[] }> {
  const pages: Page[] = [];
  for await (const p of readPages(client, s, "node 'src'")) pages.push(p);
  const ids = pages.flatMap((p) => (p.records ?? (p.lines?.()?.toString().trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown) ?? [])).map((r) => (r as { id: number }).id));
  return { ids, pages };
}

const TOKEN = 'tok-hostile-0123456789';
const KEY = 'key-hostile-9876543210';

describe('credentials stay on the origin they were configured for', () => {
  let api: Awaited<ReturnType<typeof server>>;
  let foreign: Awaited<ReturnType<typeof server>>;
  beforeAll(async () => {
    foreign = await server({ '/steal': (_req, res) => json(res, { items: records(900, 2), next: null }) });
    api = await server({
      // Page 2's next link is on another host.
      '/link': (_req, res, u) => json(res, { items: records(Number(u.searchParams.get('page') ?? 1) * 10, 2), next: u.searchParams.get('page') === '2' ? `${foreign.url}/steal?page=3` : '/link?page=2' }),
      '/header': (_req, res) => json(res, records(1, 2), 200, { link: `<${foreign.url}/steal?page=2>; rel="next"` }),
    });
  });
  afterAll(async () => {
    await api.close();
    await foreign.close();
  });
  const connection = (extra: Record<string, string>) => restFields.parse({ base_url: api.url, ...extra });

  it('a next link to another host is followed without the bearer token', async () => {
    foreign.seen.length = 0;
    const logs: string[] = [];
    const client = restClient(connection({ auth: 'bearer', token: TOKEN }), { who: "node 'src'", log: (m) => logs.push(m) });
    const { ids } = await readAll(client, spec(`${api.url}/link`, { type: 'json_link', next_url_path: 'next' }));
    expect(ids).toEqual([10, 11, 20, 21, 900, 901]);
    expect(api.seen.every((s) => s.authorization === `Bearer ${TOKEN}`)).toBe(true);
    expect(foreign.seen).toEqual([{ path: '/steal?page=3', authorization: undefined, apiKey: undefined }]);
    expect(logs.join('\n')).toMatch(/steal\?page=3 is on another origin than the connection's .*: sent without its credentials/);
  });

  it('a Link header to another host gets neither the API key header nor the API key query param', async () => {
    for (const where of ['header', 'query']) {
      foreign.seen.length = 0;
      const client = restClient(connection({ auth: 'api_key', api_key: KEY, api_key_in: where, api_key_name: where === 'header' ? 'X-API-Key' : 'api_key' }), { who: "node 'src'" });
      const { ids } = await readAll(client, spec(`${api.url}/header`, { type: 'header_link' }));
      expect(ids).toEqual([1, 2, 900, 901]);
      expect(foreign.seen).toEqual([{ path: '/steal?page=2', authorization: undefined, apiKey: undefined }]);
    }
    expect(api.seen.some((s) => s.apiKey === KEY)).toBe(true);
    expect(api.seen.some((s) => s.path.includes(`api_key=${KEY}`))).toBe(true);
  });

  it("a full URL the node was configured with gets them; a URL template's host taken from the data does not count", async () => {
    const client = restClient(connection({ auth: 'bearer', token: TOKEN, base_url: 'http://127.0.0.1:1/v2' }), { who: "node 'src'", configuredUrls: [`${foreign.url}/steal`] });
    foreign.seen.length = 0;
    await client.send({ method: 'GET', url: `${foreign.url}/steal` });
    expect(foreign.seen[0]!.authorization).toBe(`Bearer ${TOKEN}`);
    expect(templateOrigin('https://geo.example.com:8443/q?a={address}')).toBe('https://geo.example.com:8443');
    expect(templateOrigin('https://{host}/q')).toBeUndefined();
    expect(templateOrigin('/geocode?q={address}')).toBeUndefined();
  });
});

describe('answers a client must not believe', () => {
  let api: Awaited<ReturnType<typeof server>>;
  beforeAll(async () => {
    const bomb = gzipSync(Buffer.concat([Buffer.from('['), Buffer.alloc(8 * 1024 * 1024, 0x20), Buffer.from(']')]));
    api = await server({
      '/big': (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('[');
        for (let i = 0; i < 300; i++) res.write(`{"pad":"${'x'.repeat(10_000)}"},`);
        res.end('{}]');
      },
      '/bomb': (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(bomb.length) });
        res.end(bomb);
      },
      // A record nested 20,000 levels deep (JSON.parse gave "Maximum call stack size exceeded"),
      // another 3,000 levels deep (DuckDB's reader failed on a type name thousands of letters long).
      '/deep': (_req, res, u) => {
        const depth = Number(u.searchParams.get('depth'));
        json(res, `[{"id":1},{"id":2,"x":${'['.repeat(depth)}${']'.repeat(depth)}}]`);
      },
      '/login': (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end('<html><body>Please log in</body></html>');
      },
    });
  });
  afterAll(() => api.close());

  it('an answer larger than the bound (plain or a gzip bomb) fails at once, naming the bound, and is not asked again', async () => {
    for (const route of ['/big', '/bomb']) {
      api.seen.length = 0;
      const client = restClient(undefined, { who: "node 'src'" });
      // The bound is an option of the HTTP client; 1 MiB here instead of the default 256 MiB.
      (client as unknown as { opts: { maxAnswerBytes: number } }).opts.maxAnswerBytes = 1024 * 1024;
      const e = await client.send({ method: 'GET', url: `${api.url}${route}` }, { json: true }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(HttpError);
      expect((e as Error).message).toMatch(/the answer is larger than 1 MiB \(counted after decompression\)/);
      expect(api.seen).toHaveLength(1);
    }
  });

  it('an answer nesting more than 1000 levels deep fails at once, saying so and where, and is not asked again', async () => {
    for (const depth of [3_000, 20_000]) {
      api.seen.length = 0;
      const client = restClient(undefined, { who: "node 'src'", attempts: 5 });
      const e = await client.send({ method: 'GET', url: `${api.url}/deep?depth=${depth}` }, { json: true }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(HttpError);
      expect((e as Error).message).toMatch(/HTTP 200 but the answer nests objects or lists more than 1000 levels deep \(at byte 1020\)/);
      expect(api.seen).toHaveLength(1);
    }
    // 1000 levels in all (the list, the record and 998 inside it) are read.
    const client = restClient(undefined, { who: "node 'src'" });
    expect((await client.send({ method: 'GET', url: `${api.url}/deep?depth=998` }, { json: true })).json).toHaveLength(2);
  });

  it('a 200 HTML page where JSON was asked for fails at once, saying what came back', async () => {
    api.seen.length = 0;
    const client = restClient(undefined, { who: "node 'src'", attempts: 5 });
    const e = await client.send({ method: 'GET', url: `${api.url}/login` }, { json: true }).catch((x: unknown) => x);
    expect((e as Error).message).toMatch(/HTTP 200 but the answer is text\/html, not JSON .*Please log in/);
    expect((e as HttpError).hint).toMatch(/login or error page/);
    expect(api.seen).toHaveLength(1);
  });
});

describe('empty pages do not end a read the API says goes on', () => {
  let api: Awaited<ReturnType<typeof server>>;
  beforeAll(async () => {
    api = await server({
      // Pages 1..6, page 3 empty but with a next cursor.
      '/sparse': (_req, res, u) => {
        const c = Number(u.searchParams.get('cursor') ?? 1);
        json(res, { data: c === 3 ? [] : records(c * 10, 2), meta: { next: c < 6 ? String(c + 1) : null } });
      },
      // An empty last page that hands back the cursor it was sent: the end.
      '/echo-last': (_req, res, u) => {
        const c = Number(u.searchParams.get('cursor') ?? 1);
        json(res, { data: c > 2 ? [] : records(c * 10, 2), meta: { next: String(c > 2 ? c : c + 1) } });
      },
      // Never done: a new cursor with every empty page.
      '/endless': (_req, res, u) => {
        const c = Number(u.searchParams.get('cursor') ?? 1);
        json(res, { data: c === 1 ? records(1, 2) : [], meta: { next: String(c + 1) } });
      },
      // 60 records by offset, the page at offset 20 empty.
      '/offset': (_req, res, u) => {
        const off = Number(u.searchParams.get('offset'));
        json(res, { data: off === 20 || off >= 60 ? [] : records(off, 10), meta: { total: 60 } });
      },
    });
  });
  afterAll(() => api.close());
  const cursor = { type: 'cursor' as const, cursor_path: 'meta.next' };

  it('cursor: an empty page with a new cursor is read past', async () => {
    const { ids } = await readAll(restClient(undefined, { who: "node 'src'" }), spec(`${api.url}/sparse`, cursor, 'data'));
    expect(ids).toEqual([10, 11, 20, 21, 40, 41, 50, 51, 60, 61]);
  });

  it('cursor: an empty page that hands back its own cursor is the end', async () => {
    const { ids, pages } = await readAll(restClient(undefined, { who: "node 'src'" }), spec(`${api.url}/echo-last`, cursor, 'data'));
    expect(ids).toEqual([10, 11, 20, 21]);
    expect(pages.at(-1)!.emptyRun).toBeUndefined();
  });

  it(`cursor: after ${MAX_EMPTY_PAGES} empty pages in a row the read stops and says so`, async () => {
    api.seen.length = 0;
    const { ids, pages } = await readAll(restClient(undefined, { who: "node 'src'" }), spec(`${api.url}/endless`, cursor, 'data'));
    expect(ids).toEqual([1, 2]);
    expect(api.seen).toHaveLength(1 + MAX_EMPTY_PAGES);
    expect(pages.at(-1)).toMatchObject({ more: false, emptyRun: MAX_EMPTY_PAGES });
  });

  it('offset with a total: an empty page before the total does not end the read', async () => {
    for (const concurrency of [1, 3]) {
      const s = { ...spec(`${api.url}/offset`, { type: 'offset', limit: 10, total_path: 'meta.total' }, 'data'), concurrency };
      const { ids } = await readAll(restClient(undefined, { who: "node 'src'", concurrency }), s);
      expect(ids).toEqual([...records(0, 20), ...records(30, 30)].map((r) => r.id));
    }
  });
});

describe('a failed read stops cleanly', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'caudal-rest-spool-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('destroying the spool while a write is in flight raises nothing (it took the engine worker down)', async () => {
    const spool = new NdjsonSpool(path.join(dir, 'a.ndjson'));
    await spool.write([{ id: 0 }]);
    await new Promise((r) => setTimeout(r, 20));
    // A page handed to the file (not yet written when the next page's request fails) ...
    await spool.writePage({ count: 1, lines: () => Buffer.from('{"id":1}\n') });
    // ... and the read's failure destroys the spool.
    spool.destroy();
    await new Promise((r) => setTimeout(r, 100));
  });

  it('a spool that cannot be written fails its close with the file named, instead of crashing or waiting forever', async () => {
    const file = path.join(dir, 'missing', 'b.ndjson');
    const spool = new NdjsonSpool(file);
    await spool.write([{ id: 1 }]);
    // The file's error arrives while nobody waits on the stream.
    await new Promise((r) => setTimeout(r, 50));
    await expect(spool.close()).rejects.toThrow(/b\.ndjson.*ENOENT/);
  });

  it('closing the client abandons the requests still queued: none reaches the server', async () => {
    const api = await server({ '/slow': (_req, res) => setTimeout(() => json(res, { ok: true }), 50) });
    try {
      const client = restClient(undefined, { who: "node 'en'", concurrency: 1 });
      const sends = Array.from({ length: 10 }, () => client.send({ method: 'GET', url: `${api.url}/slow` }));
      await sends[0];
      client.close();
      const settled = await Promise.allSettled(sends.slice(1));
      await new Promise((r) => setTimeout(r, 100));
      expect(api.seen.length).toBeLessThanOrEqual(2);
      expect(settled.every((s) => s.status === 'rejected' && /abandoned/.test(String((s.reason as Error).message)))).toBe(true);
    } finally {
      await api.close();
    }
  });

  it('keeps the spool file readable after a normal close', async () => {
    const file = path.join(dir, 'c.ndjson');
    const spool = new NdjsonSpool(file);
    await spool.write([{ id: 1 }, 2]);
    await spool.close();
    expect(await readFile(file, 'utf8')).toBe('{"id":1}\n{"value":2}\n');
  });
});

describe('a next link that leads back with a new token each time', () => {
  let api: Awaited<ReturnType<typeof server>>;
  let token = 0;
  beforeAll(async () => {
    api = await server({
      // Pages 1, 2, 3, then back to 1: every link is a new URL (t=…), the records are not.
      '/looping': (_req, res, u) => {
        const page = Number(u.searchParams.get('page') ?? 1);
        json(res, { data: records(page * 10, 2), next: `${api.url}/looping?page=${(page % 3) + 1}&t=${++token}` });
      },
      // Single-record pages, two of them the same record: an API's data, not a loop.
      '/alike': (_req, res, u) => {
        const page = Number(u.searchParams.get('page') ?? 1);
        json(res, { data: [{ id: [1, 7, 7, 7, 2][page - 1] }], next: page < 5 ? `${api.url}/alike?page=${page + 1}&t=${++token}` : null });
      },
    });
  });
  afterAll(() => api.close());
  const link = { type: 'json_link' as const, next_url_path: 'next' };

  it(`fails once ${LOOP_PAGES} pages in a row repeat earlier pages' records, naming them (it paged until killed)`, async () => {
    api.seen.length = 0;
    const read = readAll(restClient(undefined, { who: "node 'src'" }), spec(`${api.url}/looping`, link, 'data'));
    await expect(read).rejects.toThrow(/^node 'src': pages 4 to 6 hold the same records as pages 1 to 3: the links at next lead back to pages already read \(with a different link each time\), so paging would never end$/);
    expect(api.seen).toHaveLength(6);
  });

  it('reads pages whose records merely repeat once or twice', async () => {
    const { ids } = await readAll(restClient(undefined, { who: "node 'src'" }), spec(`${api.url}/alike`, link, 'data'));
    expect(ids).toEqual([1, 7, 7, 7, 2]);
  });
});
