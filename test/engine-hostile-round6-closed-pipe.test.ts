import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../core/src/util/package-root.js';
import { tempDir } from './support/pipeline.js';

/**
 * A closed output pipe killed the run half way: `caudal run p.json --json | head -1` exited 0 with
 * nothing written and its temp folder left behind (bin/caudal.js exited on the first EPIPE of
 * stdout), and `caudal run p.json 2>&1 | head -1` died of SIGABRT (134), leaving its temp folder
 * and locks (no handler for stderr's EPIPE). Output to a closed pipe is now dropped and the run goes
 * on to its end, with its own exit code.
 *
 * The launcher runs as users run it (through a shell pipe into `head -1`), but loads the CLI from
 * the TypeScript sources (tsx, and a resolve hook pointing dist/core/src/cli/main.js at main.ts):
 * the built dist/ may be older than the sources.
 */
const root = packageRoot();
const tsx = createRequire(import.meta.url).resolve('tsx');
const ROWS = 2_000_000;
let dir: string;
let hook: string;

beforeAll(async () => {
  dir = await tempDir('caudal-round6-pipe-');
  hook = path.join(dir, 'from-sources.mjs');
  const dist = pathToFileURL(path.join(root, 'dist/core/src/cli/main.js')).href;
  const src = pathToFileURL(path.join(root, 'core/src/cli/main.ts')).href;
  const resolver = `export async function resolve(specifier, context, next) { return next(specifier === ${JSON.stringify(dist)} ? ${JSON.stringify(src)} : specifier, context); }`;
  await writeFile(hook, `import { register } from 'node:module';\nregister(${JSON.stringify(`data:text/javascript,${encodeURIComponent(resolver)}`)});\n`);
});

/** `caudal run <pipeline> <args> <redirect> | head -1` in bash: the pipe's first line and caudal's own exit status. */
async function runIntoHead(name: string, args: string, redirect: string, query = `SELECT range AS id, md5(CAST(range AS VARCHAR)) AS h FROM range(${ROWS})`) {
  const base = path.join(dir, name);
  const tmp = path.join(base, 'tmp');
  const runtime = path.join(base, 'runtime');
  await mkdir(tmp, { recursive: true });
  const pipeline = {
    format: 'caudal.pipeline/1',
    name,
    nodes: [
      { id: 'src', type: 'transform.sql', params: { query } },
      { id: 'out', type: 'sink.csv', params: { path: 'out.csv' } },
    ],
    edges: [{ from: 'src:out', to: 'out:in' }],
  };
  await writeFile(path.join(base, 'p.json'), JSON.stringify(pipeline, null, 2));
  const caudal = [process.execPath, '--import', pathToFileURL(tsx).href, '--import', pathToFileURL(hook).href, path.join(root, 'bin/caudal.js')].map((a) => `'${a}'`).join(' ');
  const script = `${caudal} run '${path.join(base, 'p.json')}' ${args} ${redirect} | head -1; exit \${PIPESTATUS[0]}`;
  const child = spawn('bash', ['-c', script], {
    // The engine worker loads tsx from the working folder when it runs from the sources.
    cwd: root,
    env: { ...process.env, TMPDIR: tmp, CAUDAL_RUNTIME_DIR: runtime, CAUDAL_CONFIG_DIR: path.join(base, 'config'), NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  const locks = await readdir(path.join(runtime, 'locks')).catch(() => []);
  const temps = (await readdir(tmp)).filter((n) => n.startsWith('caudal-run-'));
  const csv = await readFile(path.join(base, 'out.csv'), 'utf8').catch(() => undefined);
  return { code, stdout, stderr, locks, temps, lines: csv === undefined ? undefined : csv.trimEnd().split('\n').length };
}

describe('caudal run into a pipe that closes early (| head -1)', () => {
  it('--json | head -1: the run still writes its output, cleans up and exits with its own code', async () => {
    const r = await runIntoHead('json-stdout', '--json', '');
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ type: 'run_started' });
    expect(r.code).toBe(0);
    expect(r.lines).toBe(ROWS + 1);
    expect(r.temps).toEqual([]);
    expect(r.locks).toEqual([]);
  }, 240_000);

  it('2>&1 | head -1: no abort; the run writes its output, cleans up and exits with its own code', async () => {
    const r = await runIntoHead('merged-stderr', '', '2>&1');
    expect(r.code).toBe(0);
    expect(r.lines).toBe(ROWS + 1);
    expect(r.temps).toEqual([]);
    expect(r.locks).toEqual([]);
  }, 240_000);

  it('a run that fails after its output pipe closed exits with its failure code (1), not 0', async () => {
    const r = await runIntoHead('failing', '--json', '', `SELECT CAST(CASE WHEN range = ${ROWS - 1} THEN 'x' ELSE CAST(range AS VARCHAR) END AS INTEGER) AS id FROM range(${ROWS})`);
    expect(r.code).toBe(1);
    expect(r.lines).toBeUndefined();
    expect(r.temps).toEqual([]);
    expect(r.locks).toEqual([]);
  }, 240_000);
});
