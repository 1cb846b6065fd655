import { spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { COMMAND_HELP, COMMANDS } from '../core/src/cli/help.js';
import { packageRoot } from '../core/src/util/package-root.js';
import { caudal } from './support/cli.js';
import { tempDir } from './support/pipeline.js';

async function writePipeline(dir: string, name: string, doc: unknown): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, typeof doc === 'string' ? doc : JSON.stringify(doc, null, 2));
  return file;
}

/** The one run recorded in a pipeline folder's history (every `caudal run` is recorded, like the studio's). */
async function runRecord(dir: string): Promise<Record<string, unknown>> {
  const [id, ...more] = await readdir(path.join(dir, '.caudal', 'runs'));
  expect(more).toEqual([]);
  return JSON.parse(await readFile(path.join(dir, '.caudal', 'runs', id!, 'run.json'), 'utf8'));
}

const base = (nodes: unknown[], edges: unknown[] = [], params: unknown = {}) => ({ format: 'caudal.pipeline/1', name: 'cli test', params, nodes, edges });
const numbers = { id: 'nums', type: 'transform.sql', params: { query: 'SELECT range AS n, range % 2 = 0 AS even FROM range(10)' } };

describe('caudal CLI', () => {
  it('--help exits 0 and lists the commands; no arguments is a usage error (2)', async () => {
    const help = await caudal(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/caudal run <pipeline.json>/);
    expect((await caudal([])).code).toBe(2);
  });

  it('every command has its own help with examples (exit 0, nothing else runs), as docs/cli.md shows it', async () => {
    const docs = await readFile(path.join(packageRoot(), 'docs/cli.md'), 'utf8');
    for (const command of COMMANDS) {
      // serve would listen until stopped; with --help it must print and exit at once.
      const r = await caudal([command, '--help'], { timeoutMs: 15_000 });
      expect(r.code, command).toBe(0);
      expect(r.stdout, command).toBe(COMMAND_HELP[command] + '\n');
      expect(r.stdout, command).toMatch(new RegExp(`^caudal ${command} `));
      expect(r.stdout, command).toContain('Examples:');
      expect(docs, `docs/cli.md shows '${command} --help'`).toContain(COMMAND_HELP[command]);
    }
    expect((await caudal(['help', 'state'])).stdout).toBe(COMMAND_HELP.state + '\n');
    expect((await caudal(['connections', 'add', '-h'])).stdout).toBe(COMMAND_HELP.connections + '\n');
  });

  it('--version, --help and usage errors load only the CLI entry and the help texts (no engine, model, nodes or dependencies)', async () => {
    // A module hook in a fresh process records every module the built CLI resolves.
    const dir = await tempDir();
    const probe = path.join(dir, 'probe.mjs');
    const hook = `let port; export function initialize(d) { port = d.port; } export async function resolve(s, c, next) { const r = await next(s, c); port.postMessage(r.url); return r; }`;
    await writeFile(
      probe,
      `import { register } from 'node:module';
const { port1, port2 } = new MessageChannel();
const loaded = [];
port1.on('message', (m) => loaded.push(m));
port1.unref();
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}), { data: { port: port2 }, transferList: [port2] });
const { main } = await import(process.argv[2]);
const quiet = { write() {} };
await main(process.argv.slice(3), { stdout: quiet, stderr: quiet });
await new Promise((r) => setTimeout(r, 100));
process.stdout.write(JSON.stringify(loaded));`,
    );
    const entry = pathToFileURL(path.join(packageRoot(), 'dist/core/src/cli/main.js')).href;
    const allowed = /\/dist\/core\/src\/(cli\/(main|help|exit-codes)|util\/(errors|package-root|suggest))\.js$/;
    for (const args of [['--version'], ['--help'], ['run', '--help'], ['frobnicate']]) {
      const r = spawnSync(process.execPath, [probe, entry, ...args], { encoding: 'utf8' });
      const loaded = (JSON.parse(r.stdout) as string[]).filter((u) => !u.startsWith('node:'));
      expect(loaded.length, args.join(' ')).toBeGreaterThan(3);
      expect(loaded.filter((u) => !allowed.test(u)), args.join(' ')).toEqual([]);
    }
  });

  it('run --node with an unknown node id is a usage error (2) with a suggestion', async () => {
    const dir = await tempDir();
    const file = await writePipeline(dir, 'p.json', base([numbers, { id: 'evens', type: 'transform.filter', params: { condition: 'even' } }], [{ from: 'nums:out', to: 'evens:in' }]));
    for (const command of ['run', 'preview', 'sql', 'profile']) {
      const r = await caudal([command, file, '--node', 'evnes']);
      expect(r.code, command).toBe(2);
      expect(r.stderr, command).toContain(`no node 'evnes' in ${file} (did you mean 'evens'?)`);
    }
    expect((await caudal(['run', file, '--node', 'evens', '--node', 'ghost'])).code).toBe(2);
  });

  it('run prints the pipeline\'s problems with their hints, as validate does', async () => {
    const dir = await tempDir();
    const file = await writePipeline(dir, 'p.json', base([numbers, { id: 'f', type: 'transform.filter', params: { condition: 'evn' } }], [{ from: 'nums:out', to: 'f:in' }]));
    const r = await caudal(['run', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("✗ nodes[1].params.condition: unknown column 'evn' in node 'f' (did you mean 'even'?) (hint: input columns: n, even)");
  });

  it('validate: a valid pipeline exits 0', async () => {
    const dir = await tempDir();
    const file = await writePipeline(dir, 'ok.json', base([numbers]));
    const r = await caudal(['validate', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/is valid/);
  });

  it('validate: broken JSON exits 2 and says where', async () => {
    const dir = await tempDir();
    const file = await writePipeline(dir, 'broken.json', '{ "format": "caudal.pipeline/1", "name": "x", }');
    const r = await caudal(['validate', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not valid JSON at line 1/);
  });

  it('validate --json lists every problem with its path', async () => {
    const dir = await tempDir();
    const file = await writePipeline(dir, 'bad.json', base([numbers, { id: 'f', type: 'transform.filter', params: { condition: 'evn' } }], [{ from: 'nums:out', to: 'f:in' }]));
    const r = await caudal(['validate', file, '--json']);
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout);
    expect(out.valid).toBe(false);
    expect(out.problems[0]).toMatchObject({ code: 'unknown_column', path: 'nodes[1].params.condition', message: "unknown column 'evn' in node 'f' (did you mean 'even'?)" });
  });

  it('an unknown option or command is a usage error (2)', async () => {
    expect((await caudal(['run', 'x.json', '--bogus'])).code).toBe(2);
    expect((await caudal(['frobnicate'])).code).toBe(2);
  });

  it('a missing pipeline file exits 2 and names the file', async () => {
    const r = await caudal(['run', '/nonexistent/p.json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot read pipeline \/nonexistent\/p.json: no such file/);
  });

  it('preview --json returns rows and columns; --param reaches expressions', async () => {
    const dir = await tempDir();
    const file = await writePipeline(
      dir,
      'p.json',
      base([numbers, { id: 'big', type: 'transform.filter', params: { condition: 'n >= $min' } }], [{ from: 'nums:out', to: 'big:in' }], { min: { type: 'number', default: 5 } }),
    );
    const r = await caudal(['preview', file, '--node', 'big', '--limit', '2', '--param', 'min=7', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.rows).toEqual([{ n: '7', even: false }, { n: '8', even: true }]);
    expect(out.columns).toEqual([{ name: 'n', type: 'BIGINT' }, { name: 'even', type: 'BOOLEAN' }]);
  });

  it('sql --node prints the compiled SQL', async () => {
    const dir = await tempDir();
    const file = await writePipeline(dir, 'p.json', base([numbers, { id: 'f', type: 'transform.filter', params: { condition: 'even' } }], [{ from: 'nums:out', to: 'f:in' }]));
    const r = await caudal(['sql', file, '--node', 'f']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('-- node f (transform.filter)');
    expect(r.stdout).toContain('SELECT * FROM "_n_nums__out"\nWHERE (\neven\n)');
  });

  it('sql --plan shows which nodes fuse and which materialize, and why; run --explain adds time and rows', async () => {
    const dir = await tempDir();
    const doc = base(
      [
        numbers,
        { id: 'q', type: 'quality.check', params: { checks: [{ name: 'even', kind: 'expression', expression: 'even', severity: 'warn' }] } },
        { id: 'a', type: 'sink.csv', params: { path: 'a.csv' } },
        { id: 'b', type: 'sink.csv', params: { path: 'b.csv' } },
      ],
      [
        { from: 'nums:out', to: 'q:in' },
        { from: 'q:out', to: 'a:in' },
        { from: 'q:out', to: 'b:in' },
      ],
    );
    const file = await writePipeline(dir, 'p.json', doc);
    const plan = await caudal(['sql', file, '--plan']);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/^nums +transform\.sql +fused +→ q \(materialized\)$/m);
    expect(plan.stdout).toMatch(/^q +quality\.check +materialized +read by 3 statements: .*: a \(sink\), b \(sink\), q \(quality evaluation\)$/m);
    const json = await caudal(['sql', file, '--plan', '--json']);
    expect(JSON.parse(json.stdout).map((s: { nodeId: string; strategy: string }) => [s.nodeId, s.strategy])).toEqual([
      ['nums', 'view'],
      ['q', 'table'],
      ['a', 'sink'],
      ['b', 'sink'],
    ]);
    const r = await caudal(['run', file, '--explain']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^q +quality\.check +materialized +\d+ ms +10 +read by 3 statements/m);
  });

  it('run --json prints one JSON event per line, from run_started to run_finished', async () => {
    const dir = await tempDir();
    const file = await writePipeline(dir, 'p.json', base([numbers]));
    const r = await caudal(['run', file, '--json']);
    expect(r.code).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(events[0].type).toBe('run_started');
    expect(events.at(-1).type).toBe('run_finished');
    expect(events.at(-1).summary.status).toBe('succeeded');
    expect(events.map((e) => e.type)).toContain('warning');
  });

  it('an invalid --param value exits 2', async () => {
    const dir = await tempDir();
    const file = await writePipeline(dir, 'p.json', base([numbers], [], { min: { type: 'number', default: 5 } }));
    const r = await caudal(['run', file, '--param', 'min=lots']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/param 'min' expects a number, got "lots"/);
  });

  it('run: a failing node exits 1, names node and column, and leaves the destination as it was', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'out.csv'), 'previous contents\n');
    const file = await writePipeline(
      dir,
      'p.json',
      base(
        [
          numbers,
          { id: 'typed', type: 'transform.derive', params: { columns: [{ name: 'code', expression: "CAST(CASE WHEN n = 7 THEN 'seven' ELSE n::VARCHAR END AS INTEGER)" }] } },
          { id: 'out', type: 'sink.csv', params: { path: 'out.csv', if_exists: 'overwrite' } },
        ],
        [
          { from: 'nums:out', to: 'typed:in' },
          { from: 'typed:out', to: 'out:in' },
        ],
      ),
    );
    const r = await caudal(['run', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/node 'typed' \(transform\.derive\), column 'code' failed: .*Could not convert string 'seven' to INT32/);
    expect(await readFile(path.join(dir, 'out.csv'), 'utf8')).toBe('previous contents\n');
    // Nothing left beside the destination; the run is in the history (.caudal/runs/<id>/run.json).
    expect((await readdir(dir)).sort()).toEqual(['.caudal', 'out.csv', 'p.json']);
    expect(await runRecord(dir)).toMatchObject({ status: 'failed', error: { nodeId: 'typed', column: 'code' } });
  });

  it('run: SIGINT cancels the running query, exits 130 and leaves the destination as it was', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'big.parquet'), 'previous contents\n');
    // Long enough that it is surely still running when the signal arrives (minutes on this machine).
    const slow = { id: 'slow', type: 'transform.sql', params: { query: 'SELECT a.range AS x, b.range AS y FROM range(200000) a, range(200000) b' } };
    const file = await writePipeline(
      dir,
      'p.json',
      base([slow, { id: 'big', type: 'sink.parquet', params: { path: 'big.parquet', if_exists: 'overwrite' } }], [{ from: 'slow:out', to: 'big:in' }]),
    );
    let signalled = false;
    const started = Date.now();
    const r = await caudal(['run', file, '--json'], {
      onStdout: (chunk, child) => {
        if (!signalled && chunk.includes('"node_started"') && chunk.includes('"big"')) {
          signalled = true;
          setTimeout(() => child.kill('SIGINT'), 300);
        }
      },
    });
    expect(signalled).toBe(true);
    expect(r.code).toBe(130);
    expect(Date.now() - started).toBeLessThan(60_000);
    const finished = r.stdout.trim().split('\n').map((l) => JSON.parse(l)).at(-1);
    expect(finished).toMatchObject({ type: 'run_finished', summary: { status: 'cancelled' } });
    expect(await readFile(path.join(dir, 'big.parquet'), 'utf8')).toBe('previous contents\n');
    expect((await readdir(dir)).sort()).toEqual(['.caudal', 'big.parquet', 'p.json']);
    expect(await runRecord(dir)).toMatchObject({ status: 'cancelled', pipelinePath: file });
  });

  it('run: relative paths resolve against the pipeline file, not the current directory', async () => {
    const dir = await tempDir();
    const project = path.join(dir, 'project');
    await mkdir(path.join(project, 'data'), { recursive: true });
    await writeFile(path.join(project, 'data', 'in.csv'), 'id,name\n1,José Muñoz\n2,Zoë\n');
    const file = await writePipeline(
      project,
      'p.json',
      base(
        [
          { id: 'src', type: 'source.csv', params: { path: 'data/in.csv' } },
          { id: 'dst', type: 'sink.csv', params: { path: 'out/copy.csv' } },
        ],
        [{ from: 'src:out', to: 'dst:in' }],
      ),
    );
    const r = await caudal(['run', file, '--quiet'], { cwd: os.tmpdir() });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await readFile(path.join(project, 'out', 'copy.csv'), 'utf8')).toBe('id,name\n1,José Muñoz\n2,Zoë\n');
  });
});
