import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type HostClient, type HostEventMessage, type HostRunEvent, type PipelineDocument, makeHostClient } from '../core/src/host-api/contract.js';
import { secretEnvName } from '../core/src/secrets/env-store.js';
import { packageRoot } from '../core/src/util/package-root.js';
import { httpTransport } from '../renderer/src/host/http-transport.js';
import { tempDir } from './support/pipeline.js';
import { PG, pgLoginRole, pgSandbox } from './support/postgres.js';

/**
 * Browser mode end to end: a real `caudal serve` process (the built CLI), called through the
 * renderer's own HTTP + WebSocket transport.
 */

const SECRET = 'env-secret-value-42';
let dir: string;
let child: ChildProcess;
let base: string;
let token: string;
let transport: ReturnType<typeof httpTransport>;
let host: HostClient;
const bodies: string[] = [];

function request(pathname: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${pathname}`, { method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

function wsStatus(url: string, opts: WebSocket.ClientOptions = {}): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, opts);
    ws.on('open', () => {
      ws.close();
      resolve('open');
    });
    ws.on('error', (e) => resolve(e.message));
  });
}

const doc = (): PipelineDocument => ({
  format: 'caudal.pipeline/1',
  name: 'http test',
  params: {},
  connections: {},
  nodes: [
    { id: 'src', type: 'source.csv', params: { path: 'data.csv' } },
    { id: 'top', type: 'transform.sort', params: { by: [{ column: 'v', direction: 'desc' }] } },
    { id: 'sink', type: 'sink.parquet', params: { path: 'out.parquet' } },
  ],
  edges: [
    { from: 'src:out', to: 'top:in' },
    { from: 'top:out', to: 'sink:in' },
  ],
});

beforeAll(async () => {
  dir = await tempDir('caudal-serve-');
  await writeFile(path.join(dir, 'data.csv'), 'k,v\n' + Array.from({ length: 200 }, (_, i) => `k${i},${(i * 37) % 101}`).join('\n') + '\n');
  const ui = path.join(dir, 'ui');
  await mkdir(path.join(ui, 'assets'), { recursive: true });
  await writeFile(path.join(ui, 'index.html'), '<!doctype html><title>Caudal</title><script type="module" src="/assets/app.js"></script>');
  await writeFile(path.join(ui, 'assets', 'app.js'), 'console.log(1)');
  await writeFile(path.join(dir, 'config-secret.txt'), 'outside the static folder');
  const config = path.join(dir, 'config');
  await mkdir(config, { recursive: true });
  await writeFile(
    path.join(config, 'connections.json'),
    JSON.stringify({ format: 'caudal.connections/1', connections: { wh: { type: 'postgres', host: PG.host, port: PG.port, database: PG.database, user: await pgLoginRole(SECRET) } } }),
  );
  const env = { PATH: process.env.PATH, HOME: dir, LANG: 'C.UTF-8', CAUDAL_CONFIG_DIR: config, CAUDAL_RENDERER_DIR: ui, [secretEnvName('wh', 'password')]: SECRET };
  child = spawn(process.execPath, [path.join(packageRoot(), 'bin/caudal.js'), 'serve', '--port', '0'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /Caudal studio: (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`caudal serve exited with ${code}: ${stderr}`)));
  });
  const parsed = new URL(url);
  base = parsed.origin;
  token = parsed.searchParams.get('token')!;
  transport = httpTransport({ baseUrl: base, token, WebSocketImpl: WebSocket as never });
  const client = makeHostClient(transport);
  host = new Proxy(client, {
    get(target, key) {
      const v = (target as unknown as Record<string | symbol, unknown>)[key];
      if (typeof v !== 'function' || key === 'on') return v;
      return async (...args: unknown[]) => {
        const r = await (v as (...a: unknown[]) => Promise<unknown>)(...args);
        bodies.push(JSON.stringify(r));
        return r;
      };
    },
  });
});

afterAll(async () => {
  transport?.close();
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGINT');
    await exited;
  }
});

describe('caudal serve', () => {
  it('listens on 127.0.0.1 only, with a long random token in the printed URL', async () => {
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    const port = new URL(base).port;
    const others = Object.values(os.networkInterfaces()).flat().filter((i) => i && i.family === 'IPv4' && !i.internal);
    for (const addr of others) {
      const r = await new Promise<string>((resolve) => {
        const req = http.get(`http://${addr!.address}:${port}/`, () => resolve('connected'));
        req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      });
      expect(r, `reachable on ${addr!.address}`).toBe('ECONNREFUSED');
    }
  });

  it('refuses API calls, pages and the event socket without the right token (401)', async () => {
    const call = (headers: Record<string, string>) => request('/api/app.info', { method: 'POST', headers, body: '{}' });
    expect((await call({})).status).toBe(401);
    expect((await call({ Authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await call({ Authorization: `Bearer ${token}x` })).status).toBe(401);
    expect((await call({ Authorization: `Bearer ${token}` })).status).toBe(200);
    expect((await request('/')).status).toBe(401);
    expect((await request('/?token=nope')).status).toBe(401);
    expect((await request('/assets/app.js', { headers: { Cookie: 'caudal_token=nope' } })).status).toBe(401);
    // The page cookie alone is not enough for the API (a cross-site form could send it).
    expect((await call({ Cookie: `caudal_token=${token}` })).status).toBe(401);
    expect(await wsStatus(`${base.replace('http', 'ws')}/events`)).toMatch(/401/);
    expect(await wsStatus(`${base.replace('http', 'ws')}/events?token=wrong`)).toMatch(/401/);
    expect(await wsStatus(`${base.replace('http', 'ws')}/events?token=${token}`)).toBe('open');
  });

  it('refuses requests addressed to another host name (DNS rebinding) or sent from another site (403), even with the token', async () => {
    const port = new URL(base).port;
    const auth = { Authorization: `Bearer ${token}` };
    const call = (headers: Record<string, string>) => request('/api/fs.list', { method: 'POST', headers: { ...auth, ...headers }, body: '{}' });
    for (const host of [`evil.example:${port}`, 'evil.example', `127.0.0.1:${Number(port) + 1}`, `localhost.evil.example:${port}`, `127.0.0.1.nip.io:${port}`]) {
      const r = await call({ Host: host });
      expect(r.status, host).toBe(403);
      expect(r.body).toMatch(/is not this server/);
    }
    for (const origin of ['http://evil.example', `http://evil.example:${port}`, 'null', `https://127.0.0.1:${port}`, `http://127.0.0.1:${Number(port) + 1}`]) {
      const r = await call({ Origin: origin });
      expect(r.status, origin).toBe(403);
      expect(r.body).not.toContain(dir);
    }
    expect((await call({ Host: `localhost:${port}` })).status).toBe(200);
    expect((await call({ Host: `LOCALHOST:${port}`, Origin: `http://localhost:${port}` })).status).toBe(200);
    expect((await call({ Origin: `http://127.0.0.1:${port}` })).status).toBe(200);
    // The page itself, asked for through a rebound name, is refused before the token counts.
    expect((await request(`/?token=${token}`, { headers: { Host: `evil.example:${port}` } })).status).toBe(403);
    const ws = `${base.replace('http', 'ws')}/events?token=${token}`;
    expect(await wsStatus(ws, { origin: 'http://evil.example' })).toMatch(/403/);
    expect(await wsStatus(ws, { headers: { Host: `evil.example:${port}` } })).toMatch(/403/);
    expect(await wsStatus(ws, { origin: `http://127.0.0.1:${port}` })).toBe('open');
  });

  it('serves the renderer with a CSP; the token in the URL sets a strict cookie for its assets', async () => {
    const page = await request(`/?token=${token}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>Caudal</title>');
    expect(page.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(page.headers['set-cookie']?.[0]).toMatch(/HttpOnly; SameSite=Strict/);
    const cookie = page.headers['set-cookie']![0]!.split(';')[0]!;
    expect((await request('/assets/app.js', { headers: { Cookie: cookie } })).body).toBe('console.log(1)');
    expect((await request('/pipelines/some/route', { headers: { Cookie: cookie } })).body).toContain('<title>Caudal</title>');
    expect((await request('/../config-secret.txt', { headers: { Cookie: cookie } })).status).toBe(404);
    expect((await request('/%2e%2e/config-secret.txt', { headers: { Cookie: cookie } })).status).toBe(404);
  });

  it('gives a second tab with the page cookie (and no token in its URL) the token, same-origin only', async () => {
    const cookie = (await request(`/?token=${token}`)).headers['set-cookie']![0]!.split(';')[0]!;
    const hostHeader = new URL(base).host;
    const ok = await request('/session', { headers: { Cookie: cookie, Host: hostHeader, 'Sec-Fetch-Site': 'same-origin' } });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({ token });
    expect(ok.headers['access-control-allow-origin']).toBeUndefined();
    expect((await request('/session')).status).toBe(401);
    expect((await request('/session', { headers: { Cookie: 'caudal_token=nope' } })).status).toBe(401);
    // Another site's script (cross-site fetch) and a rebound host name get nothing.
    expect((await request('/session', { headers: { Cookie: cookie, 'Sec-Fetch-Site': 'cross-site' } })).status).toBe(401);
    expect((await request('/session', { headers: { Cookie: cookie, Host: `evil.example:${new URL(base).port}` } })).status).toBe(403);
  });

  it('answers contract calls; errors come back structured', async () => {
    expect(await host['app.info']({})).toMatchObject({ mode: 'browser', nativeDialogs: false, workspaceDir: dir });
    await expect(host['pipeline.open']({})).rejects.toMatchObject({ error: { kind: 'usage', message: expect.stringMatching(/no file dialogs/) } });
    const bad = await request('/api/nodes.list', { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: '{not json' });
    expect(bad.status).toBe(400);
  });

  it('save then open gives the identical file', async () => {
    const file = path.join(dir, 'p.json');
    const saved = await host['pipeline.save']({ document: doc(), path: file });
    const opened = await host['pipeline.open']({ path: file });
    const again = await host['pipeline.save']({ document: opened!.document!, path: file });
    expect(again.text).toBe(saved.text);
    expect(await readFile(file, 'utf8')).toBe(saved.text);
  });

  it('previews a node', async () => {
    const p = await host['preview.node']({ document: doc(), path: path.join(dir, 'p.json'), nodeId: 'top', limit: 2 });
    expect(p.columns).toEqual([{ name: 'k', type: 'VARCHAR' }, { name: 'v', type: 'BIGINT' }]);
    expect(p.rows.map((r) => r.v)).toEqual(['100', '100']);
  });

  it('runs the pipeline with its events arriving over the WebSocket', async () => {
    const events: HostRunEvent[] = [];
    const history: Array<HostEventMessage['payload']> = [];
    let finished!: () => void;
    const done = new Promise<void>((r) => (finished = r));
    const offRun = host.on('run', (e) => {
      events.push(e);
      if (e.type === 'run_finished') finished();
    });
    const offHistory = host.on('history.changed', (h) => history.push(h));
    await transport.ready();
    const file = path.join(dir, 'p.json');
    const { runId } = await host['run.start']({ document: doc(), path: file });
    await done;
    offRun();
    offHistory();
    expect(events.every((e) => e.runId === runId)).toBe(true);
    expect(events[0]!.type).toBe('run_started');
    expect(events.at(-1)).toMatchObject({ type: 'run_finished', summary: { status: 'succeeded', outputs: [{ nodeId: 'sink', rows: 200 }] } });
    const { runs } = await host['run.history']({ path: file });
    expect(runs[0]).toMatchObject({ runId, status: expect.stringMatching(/running|succeeded/) });
    const logs = await host['run.logs']({ runId });
    expect(logs.events.map((e) => e.type)).toEqual(events.map((e) => e.type));
  });

  it('resolves a declared connection for the engine: a PostgreSQL source previews through it', async () => {
    const pg: PipelineDocument = {
      format: 'caudal.pipeline/1',
      name: 'pg',
      params: {},
      connections: { wh: { type: 'postgres' } },
      nodes: [{ id: 'q', type: 'source.postgres', params: { connection: 'wh', query: "SELECT 7 AS n, 'seven' AS word" } }],
      edges: [],
    };
    const p = await host['preview.node']({ document: pg, path: null, nodeId: 'q' });
    expect(p.rows).toEqual([{ n: 7, word: 'seven' }]);
    const undeclared = { ...pg, connections: {} };
    const v = await host['pipeline.validate']({ document: undeclared, path: null });
    expect(v.problems[0]).toMatchObject({ nodeId: 'q', field: 'connection', message: expect.stringMatching(/does not declare/) });
  });

  it('runs a pipeline that reads and writes PostgreSQL through a declared connection (secret from the environment)', async () => {
    const { schema, q } = await pgSandbox();
    await q('CREATE TABLE src (id int PRIMARY KEY, name text)');
    await q("INSERT INTO src SELECT g, 'name ' || g FROM generate_series(1, 50) g");
    const pg: PipelineDocument = {
      format: 'caudal.pipeline/1',
      name: 'pg copy',
      params: {},
      connections: { wh: { type: 'postgres' } },
      nodes: [
        { id: 'src', type: 'source.postgres', params: { connection: 'wh', schema, table: 'src' } },
        { id: 'dst', type: 'sink.postgres', params: { connection: 'wh', schema, table: 'dst', mode: 'replace' } },
      ],
      edges: [{ from: 'src:out', to: 'dst:in' }],
    };
    let finished!: (e: HostRunEvent) => void;
    const done = new Promise<HostRunEvent>((r) => (finished = r));
    await transport.ready();
    const off = host.on('run', (e) => {
      if (e.type === 'run_finished') finished(e);
    });
    const { runId } = await host['run.start']({ document: pg, path: path.join(dir, 'pg.json') });
    const last = await done;
    off();
    expect(last).toMatchObject({ runId, summary: { status: 'succeeded', outputs: [{ nodeId: 'dst', rows: 50 }] } });
    expect(await q('SELECT count(*)::int AS n, max(name) AS top FROM dst')).toEqual([{ n: 50, top: 'name 9' }]);
    const logs = await host['run.logs']({ runId });
    expect(JSON.stringify(logs)).not.toContain(SECRET);
  });

  it('lists connections with secret flags only', async () => {
    const { connections } = await host['connections.list']({});
    expect(connections).toEqual([expect.objectContaining({ name: 'wh', secrets: { password: true }, scope: 'user' })]);
    expect(await host['connections.test']({ name: 'wh' })).toMatchObject({ ok: true });
    for (const b of bodies) expect(b).not.toContain(SECRET);
  });
});
