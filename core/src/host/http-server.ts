import { isUtf8 } from 'node:buffer';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { type WebSocket, WebSocketServer } from 'ws';
import type { HostService } from './host-service.js';
import { foreignRequest } from './request-origin.js';

/**
 * Browser mode (`caudal serve`): the same renderer and the same contract over HTTP + WebSocket.
 *
 * - Binds 127.0.0.1 only; reach it from another machine through an SSH tunnel.
 * - Refuses (403) any request whose Host is not 127.0.0.1/localhost with our port, or whose
 *   Origin is another site's (DNS rebinding, cross-site WebSocket hijacking; request-origin.ts).
 * - Every request needs the random token printed with the URL: API calls in the
 *   `Authorization: Bearer <token>` header, the WebSocket as `?token=` (browsers cannot set its
 *   headers), pages as `?token=` once, after which an HttpOnly SameSite=Strict cookie carries it
 *   for the page's own scripts and styles. Anything else gets 401.
 * - `POST /api/<method>` with the input as JSON answers `{ ok, result | error }`. Closing the request
 *   before the answer cancels a preview or profile it started.
 * - `GET /events` upgrades to a WebSocket that receives every host event as `{ event, payload }`.
 * - `GET /session` gives a page that has the cookie but not the token (a second tab opened on the
 *   bare address) the token for its API calls. Only same-origin requests to this host get it: the
 *   cookie is SameSite=Strict, the answer carries no CORS header (another site's script cannot
 *   read it), and a Host other than this server's (DNS rebinding) is refused.
 */
export interface HttpServerOptions {
  service: HostService;
  /** 0 picks a free port. */
  port: number;
  /** The built renderer (out/renderer); a page explaining how to build it is served when missing. */
  staticDir: string;
  /** Tests pass a fixed token; otherwise 32 random bytes. */
  token?: string;
  /** How often event sockets are pinged; one that has not answered the previous ping is closed. */
  heartbeatMs?: number;
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

export const HOST = '127.0.0.1';
/**
 * Browsers keep cookies per host name, not per port: each server's cookie has its own name, or a
 * second `caudal serve` (another project, another port) would replace the first one's cookie and
 * lock its open tab out on the next reload.
 */
const cookieName = (port: number): string => `caudal_token_${port}`;
const MAX_BODY = 20 * 1024 * 1024;
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
};

/** Compares digests so neither the token's length nor its content leaks through timing. */
function tokenMatches(given: string | undefined | null, token: string): boolean {
  if (!given) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

function cookieToken(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

function bearer(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  return m?.[1]?.trim();
}

function send(res: http.ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8', headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', ...headers });
  res.end(body);
}

function csp(port: number): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    // React Flow and CodeMirror set inline styles.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self' ws://${HOST}:${port} ws://localhost:${port}`,
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  // Refused before a byte is read when the client says how big it is: reading 20 MB first only to
  // refuse them leaves the client still sending, and it sees a reset instead of the 413.
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY) throw Object.assign(new Error('request body over 20 MB'), { status: 413 });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw Object.assign(new Error('request body over 20 MB'), { status: 413 });
    chunks.push(chunk as Buffer);
  }
  return utf8Text(Buffer.concat(chunks));
}

/**
 * The body as text, refused when it is not UTF-8: decoding would turn the stray bytes (a Latin-1
 * "é" pasted by a script) into U+FFFD replacement characters that a save then writes for good.
 */
function utf8Text(body: Buffer): string {
  const text = body.toString('utf8');
  if (isUtf8(body)) return text;
  // The text before the first bad byte decodes as it is, so its length in bytes is that byte's offset.
  for (let i = text.indexOf('\uFFFD'); i !== -1; i = text.indexOf('\uFFFD', i + 1)) {
    const at = Buffer.byteLength(text.slice(0, i));
    if (body[at] === 0xef && body[at + 1] === 0xbf && body[at + 2] === 0xbd) continue; // a real U+FFFD
    throw Object.assign(new Error(`the request body is not UTF-8 text (byte ${at} is not part of a UTF-8 character): send JSON encoded as UTF-8`), { status: 400, plain: true });
  }
  throw Object.assign(new Error('the request body is not UTF-8 text: send JSON encoded as UTF-8'), { status: 400, plain: true });
}

export async function startHttpServer(opts: HttpServerOptions): Promise<RunningServer> {
  const token = opts.token ?? randomBytes(32).toString('base64url');
  const staticRoot = path.resolve(opts.staticDir);
  let port = opts.port;

  async function api(req: http.IncomingMessage, res: http.ServerResponse, method: string): Promise<void> {
    if (req.method !== 'POST') return send(res, 405, 'API calls are POST requests', undefined, { Allow: 'POST' });
    if (!tokenMatches(bearer(req.headers.authorization), token)) return send(res, 401, 'missing or wrong token: send Authorization: Bearer <token>');
    let input: unknown;
    try {
      const text = await readBody(req);
      input = text.trim() === '' ? {} : JSON.parse(text);
    } catch (e) {
      const status = (e as { status?: number }).status ?? 400;
      const err = e as Error & { plain?: boolean };
      return send(res, status, status === 413 ? 'request body over 20 MB' : err.plain ? err.message : `the request body is not JSON: ${err.message}`);
    }
    // A client that leaves before the answer (a closed tab, an aborted fetch, a script's timeout)
    // cancels what its call started: an abandoned preview's query would otherwise run to its end,
    // holding a thread the host's file operations need (host-service.ts `jobs`).
    const gone = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) gone.abort();
    });
    const result = await opts.service.call(method, input, { signal: gone.signal });
    send(res, 200, JSON.stringify(result), 'application/json');
  }

  async function file(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'only GET here');
    const fromQuery = url.searchParams.get('token');
    const ok = tokenMatches(fromQuery, token) || tokenMatches(cookieToken(req.headers.cookie, cookieName(port)), token);
    if (!ok) return send(res, 401, 'missing or wrong token: open the URL `caudal serve` printed (it ends in ?token=...)');
    const headers: Record<string, string> = {};
    if (fromQuery) headers['Set-Cookie'] = `${cookieName(port)}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`;
    let rel: string;
    try {
      rel = decodeURIComponent(url.pathname);
    } catch {
      return send(res, 400, 'malformed URL');
    }
    if (rel.endsWith('/')) rel += 'index.html';
    let full = path.resolve(staticRoot, `.${path.posix.normalize(rel)}`);
    if (full !== staticRoot && !full.startsWith(staticRoot + path.sep)) return send(res, 404, 'not found');
    let info = await stat(full).catch(() => null);
    // Paths without an extension are the single-page app's routes.
    if (!info?.isFile() && path.extname(full) === '') {
      full = path.join(staticRoot, 'index.html');
      info = await stat(full).catch(() => null);
    }
    if (!info?.isFile()) {
      if (path.basename(full) === 'index.html')
        return send(res, 503, `The studio is not built: run \`npm run build:studio\` (expected ${full}).`, undefined, headers);
      return send(res, 404, 'not found', undefined, headers);
    }
    const type = TYPES[path.extname(full).toLowerCase()] ?? 'application/octet-stream';
    if (type.startsWith('text/html')) headers['Content-Security-Policy'] = csp(port);
    res.writeHead(200, { 'Content-Type': type, 'Content-Length': String(info.size), 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer', ...headers });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(full).pipe(res);
  }

  async function session(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.method !== 'GET') return send(res, 405, 'only GET here');
    const site = req.headers['sec-fetch-site'];
    const hostOk = req.headers.host === `${HOST}:${port}` || req.headers.host === `localhost:${port}`;
    if (!hostOk || (site !== undefined && site !== 'same-origin') || !tokenMatches(cookieToken(req.headers.cookie, cookieName(port)), token))
      return send(res, 401, 'no session: open the URL `caudal serve` printed (it ends in ?token=...)');
    send(res, 200, JSON.stringify({ token }), 'application/json');
  }

  const server = http.createServer((req, res) => {
    const refused = foreignRequest(req.headers, port);
    if (refused) return send(res, 403, refused);
    const url = new URL(req.url ?? '/', `http://${HOST}`);
    const handled = url.pathname.startsWith('/api/') ? api(req, res, url.pathname.slice('/api/'.length)) : url.pathname === '/session' ? session(req, res) : file(req, res, url);
    handled.catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, `internal error: ${(e as Error).message}`);
      else res.destroy();
    });
  });

  // The event socket only sends: a client's messages are ignored, so none may be big.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  // A client gone without closing its socket (a dropped SSH tunnel, a suspended process) would get
  // every event of every run queued in memory for as long as the server runs. Browsers answer
  // pings by themselves; a socket that missed one is closed, and the studio reconnects.
  const alive = new WeakSet<WebSocket>();
  server.on('upgrade', (req, socket, head) => {
    if (foreignRequest(req.headers, port)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const url = new URL(req.url ?? '/', `http://${HOST}`);
    if (url.pathname !== '/events' || !tokenMatches(url.searchParams.get('token'), token)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const off = opts.service.subscribe((m) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
      });
      alive.add(ws);
      ws.on('pong', () => alive.add(ws));
      ws.on('close', off);
      ws.on('error', off);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.has(ws)) {
        ws.terminate();
        continue;
      }
      alive.delete(ws);
      ws.ping();
    }
  }, opts.heartbeatMs ?? 30_000);
  heartbeat.unref();

  return {
    url: `http://${HOST}:${port}/?token=${token}`,
    port,
    token,
    close: async () => {
      clearInterval(heartbeat);
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
