import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliInProcess, ownCaudalHome, pipelineInSpacedFolder } from './support/cli-in-process.js';

/**
 * The commands that take a pipeline file (run, validate, preview, sql, profile, state, doctor,
 * clean, serve), in process (the built CLI may be older than these sources): an option the command
 * does not use, one that means nothing beside the others given, a second --node or a second file is
 * a usage error (exit 2) that names it, before anything is read or written, rather than a command
 * that silently does something else than its command line says. Every documented option still parses.
 */
const cli = cliInProcess;

ownCaudalHome();

const pipelineFile = () => pipelineInSpacedFolder('caudal-hostile-cli-', 'SELECT $day AS day, range AS n FROM range(3)');

/** Nothing was run: no output file, no run folder. */
const untouched = (p: { dir: string; out: string }) => {
  expect(existsSync(p.out)).toBe(false);
  expect(existsSync(path.join(p.dir, '.caudal'))).toBe(false);
};

describe('caudal run: options it does not use', () => {
  it('refuses an option of another command, naming it and its own options, and runs nothing', async () => {
    const p = await pipelineFile();
    const r = await cli(['run', p.file, '--operator', 'kubernetes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('caudal run does not take --operator');
    expect(r.stderr).toContain('--artifacts-dir');
    untouched(p);
    const limit = await cli(['run', p.file, '--limit', '5', '--json']);
    expect(limit.code).toBe(2);
    expect(JSON.parse(limit.stdout).error.message).toContain('caudal run does not take --limit');
    untouched(p);
  });

  it('refuses --master, --conf and --spark-submit without --engine spark (the run would be on DuckDB, here)', async () => {
    const p = await pipelineFile();
    const r = await cli(['run', p.file, '--master', 'yarn', '--conf', 'spark.executor.memory=4g']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--master, --conf');
    expect(r.stderr).toContain('--engine spark');
    untouched(p);
  });

  it('refuses DuckDB-only options with --engine spark before anything is exported or submitted', async () => {
    const p = await pipelineFile();
    const r = await cli(['run', p.file, '--engine', 'spark', '--master', 'local[1]', '--threads', '2', '--run-id', 'mine']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--threads, --run-id');
    expect(r.stderr).toContain('--engine spark');
    untouched(p);
  });

  it('refuses --trigger, --attempt or --slot without --job (they would be recorded nowhere)', async () => {
    const p = await pipelineFile();
    const r = await cli(['run', p.file, '--trigger', 'schedule', '--attempt', '2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--trigger, --attempt');
    expect(r.stderr).toContain('--job');
    untouched(p);
  });

  it('still runs with every documented DuckDB option, recording the job', async () => {
    const p = await pipelineFile();
    const artifacts = path.join(p.dir, 'artifacts dir');
    const r = await cli([
      'run', p.file, '--param', 'day=2024-01-01', '--project', p.dir, '--threads', '1', '--memory-limit', '512MB', '--json', '-q',
      '--node', 'out', '--wait', '--explain', '--metrics', 'exact', '--state-dir', path.join(p.dir, 'state'), '--artifacts-dir', artifacts,
      '--run-id', 'accepted-1', '--job', 'nightly', '--trigger', 'manual', '--attempt', '2', '--slot', '2024-01-01T00:00:00Z', '--engine', 'duckdb',
    ]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(await readFile(p.out, 'utf8')).toContain('2024-01-01');
    expect(JSON.parse(await readFile(path.join(artifacts, 'run.json'), 'utf8'))).toMatchObject({ runId: 'accepted-1', job: 'nightly', attempt: 2, trigger: 'manual' });
  });
});

describe('caudal validate, preview, sql, profile: options they do not use', () => {
  it('validate refuses --out and --metrics (it writes nothing and counts no rows)', async () => {
    const p = await pipelineFile();
    const out = await cli(['validate', p.file, '--out', path.join(p.dir, 'x')]);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('caudal validate does not take --out');
    const metrics = await cli(['validate', p.file, '--metrics', 'exact']);
    expect(metrics.code).toBe(2);
    expect(metrics.stderr).toContain('caudal validate does not take --metrics');
  });

  it('validate --engine spark refuses --threads and --memory-limit (the check runs no DuckDB query)', async () => {
    const p = await pipelineFile();
    const r = await cli(['validate', p.file, '--engine', 'spark', '--threads', '2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--threads');
    expect(r.stderr).toContain('--engine spark');
  });

  it('validate still takes its documented options', async () => {
    const p = await pipelineFile();
    const r = await cli(['validate', p.file, '--param', 'day=2024-01-01', '--project', p.dir, '--threads', '1', '--memory-limit', '512MB', '--state-dir', path.join(p.dir, 'state'), '--json', '-q', '--engine', 'duckdb']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ valid: true });
  });

  it('preview refuses --watch, a second --node and a second file', async () => {
    const p = await pipelineFile();
    const watch = await cli(['preview', p.file, '--node', 'src', '--watch']);
    expect(watch.code).toBe(2);
    expect(watch.stderr).toContain('caudal preview does not take --watch');
    const two = await cli(['preview', p.file, '--node', 'src', '--node', 'out']);
    expect(two.code).toBe(2);
    expect(two.stderr).toContain("--node is given twice ('src', then 'out')");
    const files = await cli(['preview', p.file, p.file, '--node', 'src']);
    expect(files.code).toBe(2);
    expect(files.stderr).toContain(`unexpected argument '${p.file}'`);
  });

  it('preview still takes its documented options', async () => {
    const p = await pipelineFile();
    const r = await cli(['preview', p.file, '--node', 'src', '--port', 'out', '--limit', '2', '--param', 'day=2024-01-01', '--project', p.dir, '--threads', '1', '--memory-limit', '512MB', '--state-dir', path.join(p.dir, 'state'), '--json', '-q']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).rows).toHaveLength(2);
  });

  it('sql refuses --limit, and reads --threads (it was ignored)', async () => {
    const p = await pipelineFile();
    const limit = await cli(['sql', p.file, '--limit', '5']);
    expect(limit.code).toBe(2);
    expect(limit.stderr).toContain('caudal sql does not take --limit');
    const threads = await cli(['sql', p.file, '--threads', '0']);
    expect(threads.code).toBe(2);
    expect(threads.stderr).toContain('--threads expects a positive integer');
    const two = await cli(['sql', p.file, '--node', 'src', '--node', 'out']);
    expect(two.code).toBe(2);
    expect(two.stderr).toContain('--node is given twice');
  });

  it('sql still takes its documented options', async () => {
    const p = await pipelineFile();
    const r = await cli(['sql', p.file, '--node', 'src', '--plan', '--param', 'day=2024-01-01', '--project', p.dir, '--threads', '1', '--memory-limit', '512MB', '--state-dir', path.join(p.dir, 'state'), '--json', '-q']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)[0]).toMatchObject({ nodeId: 'src' });
  });

  it('profile refuses --limit, a second file, --sample or --random with --exact, and --force without --html', async () => {
    const p = await pipelineFile();
    const limit = await cli(['profile', p.file, '--node', 'src', '--limit', '5']);
    expect(limit.code).toBe(2);
    expect(limit.stderr).toContain('caudal profile does not take --limit');
    const files = await cli(['profile', p.file, p.file, '--node', 'src']);
    expect(files.code).toBe(2);
    expect(files.stderr).toContain(`unexpected argument '${p.file}'`);
    const exact = await cli(['profile', p.file, '--node', 'src', '--exact', '--sample', '10', '--random']);
    expect(exact.code).toBe(2);
    expect(exact.stderr).toContain('--sample, --random');
    expect(exact.stderr).toContain('--exact');
    const force = await cli(['profile', p.file, '--node', 'src', '--force']);
    expect(force.code).toBe(2);
    expect(force.stderr).toContain('--force');
    expect(force.stderr).toContain('--html');
  });

  it('profile still takes its documented options', async () => {
    const p = await pipelineFile();
    const html = path.join(p.dir, 'profile.html');
    const r = await cli(['profile', p.file, '--node', 'src', '--port', 'out', '--sample', '2', '--random', '--html', html, '--force', '--param', 'day=2024-01-01', '--project', p.dir, '--threads', '1', '--memory-limit', '512MB', '--state-dir', path.join(p.dir, 'state'), '--json', '-q']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ nodeId: 'src' });
    expect(existsSync(html)).toBe(true);
  });
});

describe('caudal state: options per subcommand', () => {
  it('show refuses --value, reset refuses --json, set refuses --limit', async () => {
    const p = await pipelineFile();
    const show = await cli(['state', 'show', p.file, '--value', '5']);
    expect(show.code).toBe(2);
    expect(show.stderr).toContain('caudal state show does not take --value');
    const reset = await cli(['state', 'reset', p.file, '--node', 'src', '--json']);
    expect(reset.code).toBe(2);
    expect(JSON.parse(reset.stdout).error.message).toContain('caudal state reset does not take --json');
    const set = await cli(['state', 'set', p.file, '--node', 'src', '--value', '1', '--limit', '3']);
    expect(set.code).toBe(2);
    expect(set.stderr).toContain('caudal state set does not take --limit');
    const files = await cli(['state', 'show', p.file, p.file]);
    expect(files.code).toBe(2);
    expect(files.stderr).toContain(`unexpected argument '${p.file}'`);
    expect(await readdir(p.dir)).toEqual(['p.json']);
  });

  it('each subcommand still takes its documented options', async () => {
    const p = await pipelineFile();
    const stateDir = path.join(p.dir, 'state');
    const show = await cli(['state', 'show', p.file, '--node', 'src', '--key', 'ab', '--state-dir', stateDir, '--json', '-q']);
    expect(show.code, show.stderr).toBe(0);
    expect(JSON.parse(show.stdout)).toEqual([]);
    const reset = await cli(['state', 'reset', p.file, '--node', 'src', '--state-dir', stateDir, '-q']);
    expect(reset.code, reset.stderr).toBe(0);
    // set reaches its own check of the node: every option parsed.
    const set = await cli(['state', 'set', p.file, '--node', 'src', '--value', '1', '--state-dir', stateDir, '-q']);
    expect(set.code).toBe(2);
    expect(set.stderr).toContain("node 'src' is not incremental");
  });
});

describe('caudal doctor, clean, serve: options they do not use', () => {
  it('doctor and clean refuse --param, -q (their report is their output) and a second file; doctor takes --project and --json', async () => {
    const p = await pipelineFile();
    const param = await cli(['doctor', p.file, '--param', 'day=1']);
    expect(param.code).toBe(2);
    expect(param.stderr).toContain('caudal doctor does not take --param');
    const quiet = await cli(['clean', p.file, '-q']);
    expect(quiet.code).toBe(2);
    expect(quiet.stderr).toContain('caudal clean does not take --quiet');
    const files = await cli(['clean', p.file, p.file]);
    expect(files.code).toBe(2);
    expect(files.stderr).toContain(`unexpected argument '${p.file}'`);
    const ok = await cli(['doctor', p.file, '--project', p.dir, '--json']);
    expect(ok.code, ok.stderr).not.toBe(2);
    expect(JSON.parse(ok.stdout)).toHaveProperty('live');
  });

  it('serve refuses --node and a second file before it listens; --port, --open and -q still parse', async () => {
    const p = await pipelineFile();
    const node = await cli(['serve', p.file, '--node', 'src']);
    expect(node.code).toBe(2);
    expect(node.stderr).toContain('caudal serve does not take --node');
    const files = await cli(['serve', p.file, p.file]);
    expect(files.code).toBe(2);
    expect(files.stderr).toContain(`unexpected argument '${p.file}'`);
    // An impossible port stops it after the options are read.
    const port = await cli(['serve', p.file, '--port', '99999', '--open', '-q']);
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('--port expects a port number');
  });
});
