/**
 * A local JSON API for tests, benches and the example pipelines (plain node:http, loopback only).
 * It serves one generated record set through every pagination style and auth kind source.rest
 * supports, a geocoding endpoint for transform.http_enrich, fault injection (status codes with
 * Retry-After, slow answers, timeouts, truncated JSON) and a log of every request.
 *
 *   node test/services/http-api/server.js [--port 4810] [--records 1000]
 *
 * Records: { id, name, updated_at, customer: { name, address: { city, zip } }, amount }.
 * Paths (every one also under /auth/<kind>/…, which checks that kind of credential):
 *   /items/offset?offset&limit          {"data": [...], "meta": {"total": N}}; &page_cap=n answers at most n
 *                                        records a page, &ignore_limit=1 always 120
 *   /items/page?page&per_page           {"results": [...], "total_pages": P}   (pages from 1; &page_cap=n
 *                                        answers at most n records of each page)
 *   /items/link?page                     {"items": [...], "next": "/items/link?page=2" | null}
 *   /items/header?page                   [...] with Link: <…?page=2>; rel="next"
 *   /items/cursor?cursor                 {"data": [...], "meta": {"next_cursor": "…" | null}}
 *   /items/cursor-header?cursor          [...] with X-Next-Cursor
 *   /items/all                           every record in one array
 *   ...?updated_since=<iso>              only records updated after that instant (any of the above)
 *   POST /search  {"min_amount": n}      {"data": [...]} (one page)
 *   /geocode?q=<address>                 {"results": [{"lat", "lon", "formatted"}]}; 404 for "nowhere"
 *   POST /oauth/token                    client credentials (client id "caudal", secret "s3cret")
 *   /echo, POST /echo/token              401 / 400 with a text body echoing the Authorization header,
 *                                        the raw query string and the raw request body (a careless
 *                                        server: what it shows must not reach a message)
 * Credentials: api key "k-123" (header X-API-Key or query api_key), bearer "t-456", basic
 * "user"/"pa55", OAuth2 as above (tokens last `tokenTtlS` seconds).
 */
import http from 'node:http';
import { URL, URLSearchParams } from 'node:url';
import { parseArgs } from 'node:util';

export const CREDENTIALS = { apiKey: 'k-123', bearer: 't-456', user: 'user', password: 'pa55', clientId: 'caudal', clientSecret: 's3cret' };

const CITIES = ['Madrid', 'Lisboa', 'Paris', 'Berlin', 'Roma'];

/** Record i (1-based): deterministic, so tests know what to expect. */
export function makeRecord(i) {
  const t = Date.UTC(2025, 0, 1) + i * 60_000;
  return {
    id: i,
    name: `item ${i}`,
    updated_at: new Date(t).toISOString(),
    customer: { name: `customer ${i % 97}`, address: { city: CITIES[i % CITIES.length], zip: String(10000 + (i % 500)) } },
    amount: Math.round(i * 137) / 100,
  };
}

function makeRecords(n) {
  return Array.from({ length: n }, (_, k) => makeRecord(k + 1));
}

/**
 * Starts the API. Options: port (0 = any), records (count), pageSize (default page size),
 * tokenTtlS. Returns { url, port, log, records, fault(pathPrefix, ...faults), setRecords(n), addRecords(n), revokeTokens(), close() }.
 * A fault is consumed by the next request whose path starts with pathPrefix:
 *   { status, retryAfter?, body? }   answer with that status
 *   { status, body, latin1: true, charset? }   the body in Latin-1 bytes, the charset named or not
 *   { delayMs }                       answer normally after a delay
 *   { hang: true }                    never answer (the client's timeout fires)
 *   { truncate: true }                send half of the JSON body, then end
 */
export async function startApi(options = {}) {
  let records = makeRecords(options.records ?? 1000);
  const pageSize = options.pageSize ?? 100;
  const tokenTtlS = options.tokenTtlS ?? 3600;
  const log = [];
  const faults = [];
  const tokens = new Map();
  let tokenSeq = 0;
  // Preserialized records: the bench measures the client, not this server.
  let json = records.map((r) => JSON.stringify(r));

  // Requests being answered right now: each log entry says how many there were when it arrived (itself included).
  let answering = 0;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url, `http://${req.headers.host ?? '127.0.0.1'}`);
      const body = Buffer.concat(chunks).toString('utf8');
      answering++;
      let done = false;
      const answered = () => {
        if (!done) answering--;
        done = true;
      };
      res.once('finish', answered);
      res.once('close', answered);
      log.push({ method: req.method, path: url.pathname, query: Object.fromEntries(url.searchParams), headers: { ...req.headers }, body, at: Date.now(), inFlight: answering });
      handle(req, res, url, body).catch((e) => send(res, 500, { error: String(e) }));
    });
  });
  const sockets = new Set();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  function send(res, status, payload, headers = {}) {
    const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  function sendRaw(res, status, text, headers = {}) {
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  function checkAuth(kind, req, url) {
    const h = req.headers;
    switch (kind) {
      case 'apikey-header':
        return h['x-api-key'] === CREDENTIALS.apiKey;
      case 'apikey-query':
        return url.searchParams.get('api_key') === CREDENTIALS.apiKey;
      case 'bearer':
        return h.authorization === `Bearer ${CREDENTIALS.bearer}`;
      case 'basic':
        return h.authorization === `Basic ${Buffer.from(`${CREDENTIALS.user}:${CREDENTIALS.password}`).toString('base64')}`;
      case 'oauth': {
        const m = /^Bearer (.+)$/.exec(h.authorization ?? '');
        const t = m && tokens.get(m[1]);
        return !!t && t > Date.now();
      }
      default:
        return false;
    }
  }

  async function handle(req, res, url, body) {
    let path = url.pathname;
    const fault = faults.findIndex((f) => path.startsWith(f.prefix));
    if (fault >= 0) {
      const f = faults.splice(fault, 1)[0].fault;
      if (f.hang) return; // never answers; the socket is destroyed on close()
      if (f.delayMs) await new Promise((r) => setTimeout(r, f.delayMs));
      if (f.status && f.latin1) {
        // The body's text in Latin-1 bytes, its charset named in the Content-Type or (charset: null) not.
        const bytes = Buffer.from(f.body, 'latin1');
        res.writeHead(f.status, { 'Content-Type': `application/json${f.charset ? `; charset=${f.charset}` : ''}`, 'Content-Length': bytes.length });
        return res.end(bytes);
      }
      if (f.status) return send(res, f.status, f.body ?? { error: `injected ${f.status}` }, f.retryAfter !== undefined ? { 'Retry-After': String(f.retryAfter) } : {});
      if (f.truncate) {
        const full = pageText(url, path);
        if (full) {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(full.text.slice(0, Math.floor(full.text.length / 2)));
          return;
        }
      }
    }
    if (path === '/echo' || path === '/echo/token') {
      res.writeHead(path === '/echo' ? 401 : 400, { 'Content-Type': 'text/plain' });
      res.end(`refused: authorization=${req.headers.authorization ?? ''} query=${url.search} body=${body}`);
      return;
    }
    if (path === '/oauth/token' && req.method === 'POST') {
      const form = new URLSearchParams(body);
      let id = form.get('client_id');
      let secret = form.get('client_secret');
      const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
      if (basic) [id, secret] = Buffer.from(basic[1], 'base64').toString().split(':').map(decodeURIComponent);
      if (form.get('grant_type') !== 'client_credentials' || id !== CREDENTIALS.clientId || secret !== CREDENTIALS.clientSecret) return send(res, 401, { error: 'invalid_client' });
      const token = `tok-${++tokenSeq}`;
      tokens.set(token, Date.now() + tokenTtlS * 1000);
      return send(res, 200, { access_token: token, token_type: 'Bearer', expires_in: tokenTtlS });
    }
    const auth = /^\/auth\/([a-z-]+)(\/.*)$/.exec(path);
    if (auth) {
      if (!checkAuth(auth[1], req, url)) return send(res, 401, { error: 'unauthorized' }, { 'WWW-Authenticate': 'Bearer' });
      path = auth[2];
    }
    if (path === '/geocode') {
      const q = url.searchParams.get('q') ?? '';
      if (q === 'nowhere') return send(res, 404, { error: 'not found' });
      if (q === 'broken') return send(res, 500, { error: 'geocoder failure' });
      let h = 0;
      for (const ch of q) h = (h * 31 + ch.charCodeAt(0)) % 100000;
      return send(res, 200, { results: [{ lat: 40 + h / 100000, lon: -3 - h / 100000, formatted: q.toUpperCase() }] });
    }
    if (path === '/search' && req.method === 'POST') {
      const min = Number(JSON.parse(body || '{}').min_amount ?? 0);
      return send(res, 200, { data: records.filter((r) => r.amount >= min).slice(0, pageSize) });
    }
    if (path === '/legacy/latin1-named' || path === '/legacy/latin1-unnamed') {
      // A legacy API: JSON in Latin-1, with its charset named in the Content-Type, or not.
      const named = path === '/legacy/latin1-named';
      res.writeHead(200, { 'Content-Type': named ? 'application/json; charset=ISO-8859-1' : 'application/json' });
      res.end(Buffer.from('[{"id":1,"name":"Jos\u00e9 Mu\u00f1oz"},{"id":2,"name":"Zo\u00eb"}]', 'latin1'));
      return;
    }
    const page = pageText(url, path);
    if (!page) return send(res, 404, { error: `no route ${path}` });
    return sendRaw(res, 200, page.text, page.headers);
  }

  /** The page a path and query ask for, as JSON text and headers; undefined for unknown paths. */
  function pageText(url, path) {
    const q = url.searchParams;
    const since = q.get('updated_since');
    const sinceMs = since ? Date.parse(since) : undefined;
    const idx = sinceMs === undefined ? undefined : records.findIndex((r) => Date.parse(r.updated_at) > sinceMs);
    const start = idx === undefined ? 0 : idx < 0 ? records.length : idx;
    const total = records.length - start;
    const slice = (from, n) => '[' + json.slice(start + from, start + Math.min(from + n, total)).join(',') + ']';
    switch (path) {
      case '/items/all':
        return { text: slice(0, total) };
      case '/items/offset': {
        const offset = Number(q.get('offset') ?? 0);
        // An API that caps its page size (page_cap) or ignores the limit asked for (ignore_limit: 120 a page).
        const asked = Number(q.get('limit') ?? pageSize);
        const limit = q.get('ignore_limit') ? 120 : q.get('page_cap') ? Math.min(asked, Number(q.get('page_cap'))) : asked;
        return { text: `{"data":${slice(offset, limit)},"meta":{"total":${total}}}` };
      }
      case '/items/page': {
        const per = Number(q.get('per_page') ?? pageSize);
        const p = Number(q.get('page') ?? 1);
        // page_cap: counts pages with the size asked for, but answers at most page_cap records of each.
        const answered = q.get('page_cap') ? Math.min(per, Number(q.get('page_cap'))) : per;
        return { text: `{"results":${slice((p - 1) * per, answered)},"total_pages":${Math.ceil(total / per)}}` };
      }
      case '/items/link': {
        const p = Number(q.get('page') ?? 1);
        const more = p * pageSize < total;
        const next = new URLSearchParams(q);
        next.set('page', String(p + 1));
        return { text: `{"items":${slice((p - 1) * pageSize, pageSize)},"next":${more ? JSON.stringify(`${url.pathname}?${next}`) : 'null'}}` };
      }
      case '/items/header': {
        const p = Number(q.get('page') ?? 1);
        const more = p * pageSize < total;
        const next = new URLSearchParams(q);
        next.set('page', String(p + 1));
        const headers = more ? { Link: `<http://${url.host}${url.pathname}?${next}>; rel="next", <http://${url.host}${url.pathname}?page=1>; rel="first"` } : {};
        return { text: slice((p - 1) * pageSize, pageSize), headers };
      }
      case '/items/self-link':
        // A buggy API: its "next" link names the page just read.
        return { text: `{"items":${slice(0, pageSize)},"next":${JSON.stringify(`${url.pathname}${url.search}`)}}` };
      case '/items/cursor-echo': {
        // meta.cursor echoes the cursor sent (what a misread cursor_path would pick), meta.next_cursor is the real one.
        const c = q.get('cursor');
        const from = c && c !== 'start' ? Number(Buffer.from(c, 'base64url').toString()) : 0;
        const next = from + pageSize < total ? Buffer.from(String(from + pageSize)).toString('base64url') : null;
        return { text: `{"data":${slice(from, pageSize)},"meta":{"sent":${JSON.stringify(c)},"cursor":${JSON.stringify(c ?? 'start')},"next_cursor":${JSON.stringify(next)}}}` };
      }
      case '/items/cursor':
      case '/items/cursor-header': {
        const c = q.get('cursor');
        const from = c ? Number(Buffer.from(c, 'base64url').toString()) : 0;
        const more = from + pageSize < total;
        const cursor = more ? Buffer.from(String(from + pageSize)).toString('base64url') : null;
        if (path === '/items/cursor') return { text: `{"data":${slice(from, pageSize)},"meta":{"next_cursor":${JSON.stringify(cursor)}}}` };
        return { text: slice(from, pageSize), headers: cursor ? { 'X-Next-Cursor': cursor } : {} };
      }
      default:
        return undefined;
    }
  }

  await new Promise((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = server.address().port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    log,
    get records() {
      return records;
    },
    fault(prefix, ...list) {
      for (const f of list) faults.push({ prefix, fault: f });
    },
    /** Appends n records updated after every existing one. */
    addRecords(n) {
      const more = Array.from({ length: n }, (_, k) => makeRecord(records.length + k + 1));
      records = [...records, ...more];
      json = [...json, ...more.map((r) => JSON.stringify(r))];
    },
    revokeTokens() {
      tokens.clear();
    },
    requests(prefix) {
      return log.filter((l) => l.path.startsWith(prefix));
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '4810' }, records: { type: 'string', default: '1000' } } });
  const api = await startApi({ port: Number(values.port), records: Number(values.records) });
  console.log(`test API on ${api.url} (${values.records} records); Ctrl-C stops it`);
}
