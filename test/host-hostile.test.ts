import { execFileSync } from 'node:child_process';
import { chmod, lstat, mkdir, readFile, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallResult, PipelineDocument } from '../core/src/host-api/contract.js';
import { HostService } from '../core/src/host/host-service.js';
import { type RunningServer, startHttpServer } from '../core/src/host/http-server.js';
import { loadPipelineFile } from '../core/src/model/load.js';
import { tempDir } from './support/pipeline.js';
import { MemoryStore } from './support/memory-store.js';

/**
 * The host API attacked: by a careless or hostile client of `caudal serve` (requests sent with the
 * token, as a second tab or a script would), and by the files it is pointed at (links, modes).
 * A real HostService behind the real HTTP server; requests are plain `fetch` calls.
 */

const TOKEN = 'hostile-test-token';
let dir: string;
let store: MemoryStore;
let service: HostService;
let server: RunningServer;

const doc = (name: string, params: Record<string, unknown> = { path: 'in.csv' }): PipelineDocument => ({
  format: 'caudal.pipeline/1',
  name,
  params: {},
  connections: {},
  nodes: [{ id: 'src', type: 'source.csv', params }],
  edges: [],
});

async function post(method: string, body: string | Buffer | object): Promise<{ status: number; text: string; json?: CallResult }> {
  const payload = typeof body === 'string' ? body : Buffer.isBuffer(body) ? new Uint8Array(body) : JSON.stringify(body);
  const res = await fetch(`http://127.0.0.1:${server.port}/api/${method}`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` }, body: payload });
  const text = await res.text();
  let json: CallResult | undefined;
  try {
    json = JSON.parse(text) as CallResult;
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

beforeAll(async () => {
  dir = await tempDir('caudal-host-hostile-');
  store = new MemoryStore();
  service = new HostService({
    mode: 'browser',
    env: { CAUDAL_CONFIG_DIR: path.join(dir, 'config') },
    secrets: { stores: [store], writeStore: store },
    paths: { userDataDir: path.join(dir, 'config'), workspaceDir: dir, homeDir: dir },
  });
  server = await startHttpServer({ service, port: 0, staticDir: path.join(dir, 'no-renderer'), token: TOKEN });
});

afterAll(async () => {
  await server?.close();
  await service?.dispose();
});

describe('host API under attack', () => {
  it('two saves of the same opened file at once: the second is refused as changed on disk, never silently lost', async () => {
    const file = path.join(dir, 'race.json');
    const first = await post('pipeline.save', { document: doc('original'), path: file });
    const { fileHash } = (first.json as { ok: true; result: { fileHash: string } }).result;
    // Two tabs (or two quick clicks) saving edits of the same version of the file.
    const [a, b] = await Promise.all([
      post('pipeline.save', { document: doc('tab A'), path: file, expectedHash: fileHash }),
      post('pipeline.save', { document: doc('tab B'), path: file, expectedHash: fileHash }),
    ]);
    const results = [a.json!, b.json!];
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    const refused = results.find((r) => !r.ok) as { ok: false; error: { problems?: Array<{ code: string }> } };
    expect(refused.error.problems?.[0]?.code).toBe('changed_on_disk');
    // The file holds the one save that was accepted, whole.
    const winner = results[0]!.ok ? 'tab A' : 'tab B';
    expect((await loadPipelineFile(file)).pipeline?.name).toBe(winner);

    // Two "save as" to the same new name: one file, the other told it exists.
    const fresh = path.join(dir, 'fresh.json');
    const both = await Promise.all([post('pipeline.saveAs', { document: doc('one'), path: fresh }), post('pipeline.saveAs', { document: doc('two'), path: fresh })]);
    expect(both.filter((r) => r.json!.ok)).toHaveLength(1);
    expect(JSON.stringify(both.find((r) => !r.json!.ok)!.json)).toContain('would_overwrite');
  });

  it('saving a pipeline opened through a symbolic link writes the file it points to and keeps the link and the mode', async () => {
    const real = path.join(dir, 'shared', 'team.json');
    await mkdir(path.dirname(real), { recursive: true });
    await post('pipeline.save', { document: doc('team v1'), path: real });
    await chmod(real, 0o640);
    const link = path.join(dir, 'team-link.json');
    await symlink(real, link);

    const opened = (await post('pipeline.open', { path: link })).json as { ok: true; result: { path: string; fileHash: string } };
    expect(opened.result.path).toBe(link);
    const saved = await post('pipeline.save', { document: doc('team v2'), path: link, expectedHash: opened.result.fileHash });
    expect(saved.json).toMatchObject({ ok: true, result: { path: link } });
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readlink(link)).toBe(real);
    expect((await loadPipelineFile(real)).pipeline?.name).toBe('team v2');
    expect((await stat(real)).mode & 0o777).toBe(0o640);

    // An export through a link (confirmed) lands in the linked file too.
    const sqlReal = path.join(dir, 'shared', 'team.export.json');
    await writeFile(sqlReal, 'old\n');
    const sqlLink = path.join(dir, 'export-link.json');
    await symlink(sqlReal, sqlLink);
    expect((await post('pipeline.export', { document: doc('team v3'), path: null, format: 'json', to: sqlLink, overwrite: true })).json).toMatchObject({ ok: true });
    expect((await lstat(sqlLink)).isSymbolicLink()).toBe(true);
    expect((await loadPipelineFile(sqlReal)).pipeline?.name).toBe('team v3');
  });

  it('a pipe, socket or device is never replaced by a save or an export, even when the user confirmed replacing "the file"', async () => {
    const fifo = path.join(dir, 'feed.json');
    execFileSync('mkfifo', [fifo]);
    for (const attempt of [
      () => post('pipeline.save', { document: doc('over a pipe'), path: fifo, overwrite: true }),
      () => post('pipeline.saveAs', { document: doc('over a pipe'), path: fifo, overwrite: true }),
      () => post('pipeline.export', { document: doc('over a pipe'), path: null, format: 'json', to: fifo, overwrite: true }),
    ]) {
      const res = await attempt();
      expect(res.json).toMatchObject({ ok: false, error: { kind: 'usage', message: `${fifo} is not a regular file (a named pipe): the studio writes only regular files`, hint: 'choose another file name' } });
      expect((await lstat(fifo)).isFIFO()).toBe(true);
    }
  });

  it('the recent files list keeps every file opened at the same moment', async () => {
    const files = Array.from({ length: 6 }, (_, i) => path.join(dir, 'recent', `p${i}.json`));
    for (const [i, f] of files.entries()) await post('pipeline.save', { document: doc(`recent ${i}`), path: f });
    // Saving listed them already: start from an empty list.
    await writeFile(path.join(dir, 'config', 'recent.json'), '{"files":[]}\n');
    // In-process calls arrive in the same tick, as the IPC calls of a studio opening several files do.
    await Promise.all(files.map((f) => service.call('pipeline.open', { path: f })));
    const recent = (await post('pipeline.recent', {})).json as { ok: true; result: { files: Array<{ path: string }> } };
    expect(recent.result.files.map((f) => f.path).filter((p) => files.includes(p)).sort()).toEqual([...files].sort());
  });

  it("two studios served on two ports in one browser: opening the second leaves the first one's tab working", async () => {
    // Browsers keep cookies per host name, not per port: every cookie of 127.0.0.1 goes to both servers.
    const jar = new Map<string, string>();
    const get = async (port: number, pathname: string) => {
      const res = await fetch(`http://127.0.0.1:${port}${pathname}`, { headers: { Cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } });
      for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(';');
        const eq = pair!.indexOf('=');
        jar.set(pair!.slice(0, eq), pair!.slice(eq + 1));
      }
      return res.status;
    };
    await mkdir(path.join(dir, 'renderer'), { recursive: true });
    await writeFile(path.join(dir, 'renderer', 'index.html'), '<!doctype html><title>studio</title>\n');
    const first = await startHttpServer({ service, port: 0, staticDir: path.join(dir, 'renderer'), token: 'first-token' });
    const second = await startHttpServer({ service, port: 0, staticDir: path.join(dir, 'renderer'), token: 'second-token' });
    try {
      expect(await get(first.port, '/?token=first-token')).toBe(200);
      expect(await get(second.port, '/?token=second-token')).toBe(200);
      // The first tab reloads (its address no longer carries the token) and asks for its token again.
      expect(await get(first.port, '/')).toBe(200);
      expect(await get(first.port, '/session')).toBe(200);
      expect(await get(second.port, '/')).toBe(200);
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('a password written by hand into a connections file never reaches the studio', async () => {
    const project = path.join(dir, 'conn-project');
    await mkdir(project, { recursive: true });
    const plain = 'typed-into-the-file-5150';
    await writeFile(path.join(project, 'caudal.connections.json'), JSON.stringify({ format: 'caudal.connections/1', connections: { warehouse: { type: 'postgres', host: '127.0.0.1', port: 5432, database: 'test', user: 'postgres', password: plain } } }));
    const listed = await post('connections.list', { projectDir: project });
    expect(listed.json).toMatchObject({ ok: true, result: { connections: [{ name: 'warehouse', fields: { host: '127.0.0.1', user: 'postgres' } }] } });
    expect(listed.text).not.toContain(plain);
    expect((listed.json as { result: { connections: Array<{ fields: Record<string, unknown> }> } }).result.connections[0]!.fields).not.toHaveProperty('password');
    // Saving it from the studio (which never saw the password) moves the password into the secret store, out of the file.
    const updated = await post('connections.update', { name: 'warehouse', type: 'postgres', fields: { host: '127.0.0.1', port: 5432, database: 'test', user: 'postgres' }, secrets: {}, projectDir: project });
    expect(updated.json).toMatchObject({ ok: true, result: { secrets: { password: true } } });
    expect(updated.text).not.toContain(plain);
    expect(store.values.get('warehouse/password')).toBe(plain);
    expect(await readFile(path.join(project, 'caudal.connections.json'), 'utf8')).not.toContain(plain);
  });

  it('a request that announces a body over 20 MB is refused (413) before it is read, not after the client sent it all', async () => {
    const socket = net.connect(server.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    // The headers only: a client that would go on sending 30 MB gets its answer at once.
    socket.write(`POST /api/app.info HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: ${30 * 1024 * 1024}\r\n\r\n{`);
    const head = await Promise.race([new Promise<string>((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString('latin1')))), new Promise<string>((r) => setTimeout(() => r('no answer'), 3_000))]);
    socket.destroy();
    expect(head).toMatch(/^HTTP\/1\.1 413 /);
  });

  it('an event socket whose client stopped answering (a dropped SSH tunnel, a frozen process) is closed, not fed forever', async () => {
    const quick = await startHttpServer({ service, port: 0, staticDir: path.join(dir, 'no-renderer'), token: TOKEN, heartbeatMs: 200 });
    try {
      // A client that completes the WebSocket handshake, then reads bytes but never answers a ping.
      const socket = net.connect(quick.port, '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      socket.write(`GET /events?token=${TOKEN} HTTP/1.1\r\nHost: 127.0.0.1:${quick.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
      const head = await new Promise<string>((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString('latin1'))));
      expect(head).toMatch(/^HTTP\/1\.1 101 /);
      const closed = new Promise<number>((resolve) => {
        const started = Date.now();
        socket.on('close', () => resolve(Date.now() - started));
      });
      socket.resume();
      const after = await Promise.race([closed, new Promise<number>((r) => setTimeout(() => r(-1), 3_000))]);
      expect(after).toBeGreaterThan(0);
      socket.destroy();
    } finally {
      await quick.close();
    }
  });

  it("opening an example never runs a script planted in the workspace's copy of it", async () => {
    // A cloned repository, or another user's shared folder, served as the workspace.
    const planted = path.join(dir, 'examples', 'ecommerce', 'generate-data.js');
    const marker = path.join(dir, 'planted-script-ran');
    await mkdir(path.dirname(planted), { recursive: true });
    await writeFile(planted, `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'ran');\n`);
    const opened = await post('examples.open', { id: 'ecommerce/pipeline.json' });
    expect(opened.json).toMatchObject({ ok: true, result: { path: path.join(dir, 'examples', 'ecommerce', 'pipeline.json'), generated: true } });
    await expect(stat(marker)).rejects.toThrow(/ENOENT/);
    // The data came from the generator Caudal ships.
    expect((await readFile(path.join(dir, 'examples', 'ecommerce', 'data', 'orders.csv'), 'utf8')).split('\n').length).toBeGreaterThan(1000);
  }, 120_000);

  it('a connection with a bad field in its file is named with the field, not dumped as a schema error, when a pipeline uses it', async () => {
    const project = path.join(dir, 'bad-conn-project');
    await mkdir(project, { recursive: true });
    const connFile = path.join(project, 'caudal.connections.json');
    await writeFile(connFile, JSON.stringify({ format: 'caudal.connections/1', connections: { crm: { type: 'postgres', host: '127.0.0.1', port: 'fifty-four-thirty-two', database: 'test', user: 'postgres' } } }));
    const pipelineDoc: PipelineDocument = { ...doc('uses crm'), connections: { crm: { type: 'postgres' } }, nodes: [{ id: 'src', type: 'source.postgres', params: { connection: 'crm', query: 'select 1 as x' } }] };
    const res = await post('pipeline.validate', { document: pipelineDoc, path: path.join(project, 'p.json') });
    expect(res.json).toMatchObject({
      ok: false,
      error: { kind: 'usage', message: `connection 'crm' in ${connFile}: field 'port': Invalid input: expected number, received string`, hint: 'fix it with `caudal connections add crm --type postgres --set ...`' },
    });
  });

  it('a request body that is not UTF-8 is refused with its byte offset, not saved with replacement characters', async () => {
    const file = path.join(dir, 'latin1.json');
    // A Latin-1 "é" (one byte 0xE9) inside the document's name.
    const text = Buffer.concat([Buffer.from(`{"path":${JSON.stringify(file)},"document":{"format":"caudal.pipeline/1","name":"caf`), Buffer.from([0xe9]), Buffer.from(`","params":{},"connections":{},"nodes":[],"edges":[]}}`)]);
    const res = await post('pipeline.save', text);
    expect(res.status).toBe(400);
    expect(res.text).toBe(`the request body is not UTF-8 text (byte ${text.indexOf(0xe9)} is not part of a UTF-8 character): send JSON encoded as UTF-8`);
    await expect(stat(file)).rejects.toThrow(/ENOENT/);
  });

  it('input nested absurdly deep, or carrying a __proto__ key, is refused with its path instead of a stack overflow or a silently dropped key', async () => {
    // Built as text: JSON.stringify itself would overflow the stack on such a value.
    const deepText = `${'['.repeat(100_000)}1${']'.repeat(100_000)}`;
    const file = path.join(dir, 'deep.json');
    const res = await post('pipeline.save', `{"path":${JSON.stringify(file)},"document":${JSON.stringify(doc('deep', { path: 'in.csv', options: 0 })).replace('"options":0', `"options":${deepText}`)}}`);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ ok: false, error: { kind: 'validation', message: 'invalid input to pipeline.save: document.nodes[0].params.options is nested more than 128 levels deep inside the input: a pipeline never needs that many' } });
    await expect(stat(file)).rejects.toThrow(/ENOENT/);

    // JSON.parse keeps "__proto__" as a key; the document schema would drop it without a word.
    const protoFile = path.join(dir, 'proto.json');
    const raw = `{"path":${JSON.stringify(protoFile)},"document":{"format":"caudal.pipeline/1","name":"p","params":{},"connections":{},"nodes":[{"id":"src","type":"source.csv","params":{"path":"in.csv","__proto__":{"delimiter":";"}}}],"edges":[]}}`;
    const proto = await post('pipeline.save', raw);
    expect(proto.json).toMatchObject({ ok: false, error: { kind: 'validation', message: "invalid input to pipeline.save: document.nodes[0].params has a key '__proto__', which cannot be kept: rename it" } });
    expect((proto.json as { error: { problems: Array<{ nodeId?: string }> } }).error.problems[0]).toMatchObject({ nodeId: 'src' });
    await expect(stat(protoFile)).rejects.toThrow(/ENOENT/);
    // The same checks hold for every transport: the in-process call refuses it too.
    let deep: unknown = 1;
    for (let i = 0; i < 1_000; i++) deep = [deep];
    expect(await service.call('pipeline.save', { document: doc('deep', { path: 'in.csv', options: deep }), path: file })).toMatchObject({ ok: false, error: { kind: 'validation' } });
  });
});
