import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import http from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallResult, MethodInput } from '../core/src/host-api/contract.js';
import { packageRoot } from '../core/src/util/package-root.js';
import { tempDir } from './support/pipeline.js';

/**
 * Previews nobody waits for any more, in a real `caudal serve` process (from the sources, through
 * tsx: the built CLI may be older than them). DuckDB runs each query on a thread of libuv's pool,
 * four threads shared with the host's own file operations: four slow previews abandoned by their
 * clients (or a few edits to a slow SQL node) left save, fs.list and every later preview waiting
 * for ever, and the process would not end on SIGTERM while one ran.
 *
 * The bounds below are liveness bounds: each of these calls hung for good before.
 */

/** Minutes of work for DuckDB: 4·10^10 pairs. */
const SLOW = 'SELECT count(*) AS n FROM src, range(200000) a, range(200000) b WHERE a.range + b.range > src.a';
const ANSWER_MS = 10_000;

interface Host {
  child: ChildProcess;
  base: string;
  token: string;
  dir: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** A module of TypeScript run in a process of its own, through tsx. */
function runTs(code: string, env: NodeJS.ProcessEnv = {}): Pick<Host, 'child' | 'exited'> {
  // From the package folder: the engine worker loads tsx from there when it runs from the sources.
  // A file, not `-e` with --input-type: worker threads inherit the flags, and a built engine worker
  // (a file, which the tests use when the build is fresh) refuses --input-type.
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'caudal-run-ts-')), 'main.mts');
  writeFileSync(file, code);
  const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: packageRoot(), env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, exited };
}

/** `caudal serve --port 0` in a process of its own, serving a folder with a small CSV file. */
async function startHost(): Promise<Host> {
  const dir = await tempDir('caudal-preview-cancel-');
  await writeFile(path.join(dir, 'small.csv'), 'a\n1\n2\n3\n');
  const serve = path.join(packageRoot(), 'core/src/cli/serve.ts');
  const { child, exited } = runTs(
    `import { serveCommand } from ${JSON.stringify(serve)};
process.exitCode = await serveCommand(['--port', '0', '--quiet'], { stdout: process.stdout, stderr: process.stderr });`,
    { CAUDAL_RENDERER_DIR: path.join(dir, 'no-renderer') },
  );
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const url = await new Promise<URL>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /Caudal studio: (\S+)\n/.exec(out);
      if (m) resolve(new URL(m[1]!));
    });
    void exited.then(() => reject(new Error(`caudal serve ended before it listened: ${err}`)));
  });
  return { child, base: url.origin, token: url.searchParams.get('token')!, dir, exited };
}

interface Call {
  answer: Promise<CallResult>;
  /** Closes the request before the answer, as a closed tab or `timeout 1 curl` does. */
  abandon(): void;
}

function call<M extends 'preview.node' | 'profile.node' | 'pipeline.save' | 'pipeline.validate' | 'fs.list'>(host: Host, method: M, input: MethodInput<M>): Call {
  const req = http.request(`${host.base}/api/${method}`, { method: 'POST', headers: { Authorization: `Bearer ${host.token}`, 'Content-Type': 'application/json' } });
  const answer = new Promise<CallResult>((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(JSON.parse(body) as CallResult));
    });
    req.on('error', reject);
  });
  req.end(JSON.stringify(input));
  return { answer, abandon: () => void req.destroy() };
}

/** The answer, or a failure naming what did not answer in time. */
async function within<T>(what: string, p: Promise<T>, ms = ANSWER_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms)));
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Big integers arrive as strings (contract.ts previewSchema). */
const doc = (query: string) =>
  ({
    format: 'caudal.pipeline/1',
    name: 'slow',
    nodes: [
      { id: 'src', type: 'source.csv', params: { path: 'small.csv' } },
      { id: 'q', type: 'transform.sql', params: { query } },
    ],
    edges: [{ from: 'src:out', to: 'q:in' }],
  }) as MethodInput<'preview.node'>['document'];

/** A preview of `q` for the pipeline file `p.json` in the host's folder (which need not exist). */
const preview = (host: Host, query: string, key?: string) => call(host, 'preview.node', { document: doc(query), path: path.join(host.dir, 'p.json'), nodeId: 'q', key });

/** What a studio does next: save, list files, validate, preview something quick. */
async function hostAnswers(host: Host): Promise<void> {
  const saved = await within('pipeline.save', call(host, 'pipeline.save', { document: doc('SELECT a FROM src'), path: path.join(host.dir, 'saved.json') }).answer);
  expect(saved).toMatchObject({ ok: true, result: { path: path.join(host.dir, 'saved.json') } });
  const listed = await within('fs.list', call(host, 'fs.list', { dir: host.dir }).answer);
  expect(listed.ok && (listed.result as { entries: Array<{ name: string }> }).entries.map((e) => e.name)).toContain('saved.json');
  const valid = await within('pipeline.validate', call(host, 'pipeline.validate', { document: doc(SLOW), path: path.join(host.dir, 'p.json') }).answer);
  expect(valid).toMatchObject({ ok: true, result: { valid: true } });
}

describe('caudal serve: previews nobody waits for', () => {
  it('previews and a profile whose requests were closed are cancelled: save, fs.list, validate and the next preview answer', async () => {
    const host = await startHost();
    const abandoned = [preview(host, SLOW), preview(host, SLOW), preview(host, SLOW), call(host, 'profile.node', { document: doc(SLOW), path: path.join(host.dir, 'p.json'), nodeId: 'q' })];
    for (const c of abandoned) c.answer.catch(() => undefined);
    // As `timeout 1 curl`: the requests are closed while their queries run (or are about to).
    await pause(1500);
    for (const c of abandoned) c.abandon();

    await hostAnswers(host);
    // Before, it waited for the abandoned queries to end (minutes of work each).
    const quick = await within('a quick preview', preview(host, 'SELECT a * 10 AS b FROM src').answer);
    expect(quick).toMatchObject({ ok: true, result: { rows: [{ b: '10' }, { b: '20' }, { b: '30' }] } });
  }, 45_000);

  it('a newer preview with the same key replaces the one in progress, which answers cancelled', async () => {
    const host = await startHost();
    const key = 'window-1 p.json q out';
    const first = preview(host, SLOW, key);
    await pause(1500);
    // The user edited the node's SQL: the studio asks again under the same key.
    const second = preview(host, 'SELECT a + 1 AS b FROM src', key);
    const replaced = await within('the replaced preview', first.answer);
    expect(replaced).toMatchObject({ ok: false, error: { kind: 'cancelled', message: expect.stringMatching(/newer preview/) } });
    expect(await within('the newer preview', second.answer)).toMatchObject({ ok: true, result: { rows: [{ b: '2' }, { b: '3' }, { b: '4' }] } });
    // Another key (another node, another window) is left alone.
    const other = preview(host, SLOW, 'window-2 p.json q out');
    await pause(1500);
    const third = preview(host, 'SELECT 1 AS one FROM src LIMIT 1', 'window-3 p.json q out');
    expect(await within('a preview under another key', third.answer)).toMatchObject({ ok: true });
    expect(await Promise.race([other.answer.then(() => 'answered'), pause(1000).then(() => 'still running')])).toBe('still running');
    other.abandon();
    other.answer.catch(() => undefined);
  }, 45_000);

  it('slow previews still waited for leave the host its file operations; the next preview runs once they are closed', async () => {
    const host = await startHost();
    const waiting = [1, 2, 3, 4, 5].map((i) => preview(host, SLOW, `window-${i}`));
    for (const c of waiting) c.answer.catch(() => undefined);
    await pause(1500);

    // At most two previews run at once (the pool's four threads less two for the host): the others wait their turn.
    await hostAnswers(host);

    const quick = preview(host, 'SELECT a FROM src');
    for (const c of waiting) c.abandon();
    expect(await within('a preview queued behind closed ones', quick.answer)).toMatchObject({ ok: true, result: { rows: [{ a: '1' }, { a: '2' }, { a: '3' }] } });
  }, 45_000);

  it('SIGTERM ends caudal serve while a slow preview runs', async () => {
    const host = await startHost();
    const slow = preview(host, SLOW, 'window-1');
    slow.answer.catch(() => undefined);
    await pause(1500);
    host.child.kill('SIGTERM');
    // Before, the preview's worker kept the process alive (busy in its query) long after it stopped listening.
    expect(await within('the process exit', host.exited, 15_000)).toEqual({ code: 0, signal: null });
  }, 45_000);

  it('dispose (the Electron studio quitting) cancels a preview in progress, and the process can end', async () => {
    const dir = await tempDir('caudal-preview-dispose-');
    await writeFile(path.join(dir, 'small.csv'), 'a\n1\n2\n3\n');
    const input = { document: doc(SLOW), path: path.join(dir, 'p.json'), nodeId: 'q' };
    const { child, exited } = runTs(`import { createNodeHost } from ${JSON.stringify(path.join(packageRoot(), 'core/src/host/node-host.ts'))};
const service = createNodeHost({ mode: 'in-process', workspaceDir: ${JSON.stringify(dir)} });
const answer = service.call('preview.node', ${JSON.stringify(input)});
await new Promise((r) => setTimeout(r, 1500));
await service.dispose();
process.stdout.write(JSON.stringify(await answer));`);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    // Before, dispose cancelled runs only: the preview went on, and its worker kept the process alive.
    expect(await within('the process exit', exited, 20_000)).toEqual({ code: 0, signal: null });
    expect(JSON.parse(out)).toMatchObject({ ok: false, error: { kind: 'cancelled', message: 'the host is shutting down' } });
  }, 45_000);
});
