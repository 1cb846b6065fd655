import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliInProcess, ownCaudalHome } from './support/cli-in-process.js';
import { tempDir } from './support/pipeline.js';

/**
 * The project and connection commands (schedule, jobs, alerts, connections), in process: each
 * subcommand refuses an option it does not use, and a file or name too many, with exit 2 naming
 * it; the options documented for it still parse.
 */
const cli = cliInProcess;

ownCaudalHome();

async function project(): Promise<{ dir: string; file: string }> {
  const dir = path.join(await tempDir('caudal-hostile-cli-project-'), 'with space');
  await mkdir(dir, { recursive: true });
  const pipeline = {
    format: 'caudal.pipeline/1',
    name: 'p',
    params: { n: { type: 'number', default: 3 } },
    nodes: [
      { id: 'src', type: 'transform.sql', params: { query: 'SELECT range AS id FROM range($n)' } },
      { id: 'out', type: 'sink.csv', params: { path: 'out.csv', if_exists: 'overwrite' } },
    ],
    edges: [{ from: 'src:out', to: 'out:in' }],
  };
  await writeFile(path.join(dir, 'p.json'), JSON.stringify(pipeline));
  const file = path.join(dir, 'caudal.project.json');
  await writeFile(file, JSON.stringify({ format: 'caudal.project/1', name: 'it', timezone: 'UTC', jobs: { nightly: { pipeline: 'p.json', schedule: '0 2 * * *' } } }));
  return { dir, file };
}

describe('caudal schedule', () => {
  it('refuses --param, and a project given both as -f and as an argument', async () => {
    const p = await project();
    const param = await cli(['schedule', p.file, '--param', 'n=5']);
    expect(param.code).toBe(2);
    expect(param.stderr).toContain('caudal schedule does not take --param');
    const both = await cli(['schedule', p.file, '-f', path.join(p.dir, 'other.json')]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('-f');
    expect(both.stderr).toContain(p.file);
  });

  it('-f, --json and -q still parse (a missing project file stops it after the options are read)', async () => {
    const r = await cli(['schedule', '-f', path.join(await tempDir(), 'missing.json'), '--json', '-q']);
    expect(r.code).toBe(2);
    expect(r.stdout).not.toContain('does not take');
    expect(r.stdout).toContain('missing.json');
  });
});

describe('caudal jobs: options per subcommand', () => {
  it('list refuses --param, history --wait, pause --limit; list refuses a job name it would ignore', async () => {
    const p = await project();
    const list = await cli(['jobs', 'list', '-f', p.file, '--param', 'n=5']);
    expect(list.code).toBe(2);
    expect(list.stderr).toContain('caudal jobs list does not take --param');
    const history = await cli(['jobs', 'history', 'nightly', '-f', p.file, '--wait']);
    expect(history.code).toBe(2);
    expect(history.stderr).toContain('caudal jobs history does not take --wait');
    const pause = await cli(['jobs', 'pause', 'nightly', '-f', p.file, '--limit', '3']);
    expect(pause.code).toBe(2);
    expect(pause.stderr).toContain('caudal jobs pause does not take --limit');
    const extra = await cli(['jobs', 'list', 'nightly', '-f', p.file]);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toContain("unexpected argument 'nightly'");
  });

  it('each subcommand still takes its documented options', async () => {
    const p = await project();
    const run = await cli(['jobs', 'run', 'nightly', '-f', p.file, '--param', 'n=2', '--wait', '--json', '-q']);
    expect(run.code, run.stderr).toBe(0);
    const history = await cli(['jobs', 'history', 'nightly', '-f', p.file, '--limit', '5', '--json', '-q']);
    expect(history.code, history.stderr).toBe(0);
    expect(JSON.parse(history.stdout)).toHaveLength(1);
    expect((await cli(['jobs', 'pause', 'nightly', '-f', p.file, '-q'])).code).toBe(0);
    expect((await cli(['jobs', 'resume', 'nightly', '-f', p.file, '-q'])).code).toBe(0);
    expect(JSON.parse((await cli(['jobs', 'list', '-f', p.file, '--json', '-q'])).stdout).jobs[0].paused).toBe(false);
    expect((await cli(['jobs', 'prune', '-f', p.file, '--json', '-q'])).code).toBe(0);
  });
});

describe('caudal alerts, caudal connections: options per subcommand', () => {
  it('alerts test refuses --json and a second channel', async () => {
    const p = await project();
    const json = await cli(['alerts', 'test', 'ops', '-f', p.file, '--json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout).error.message).toContain('caudal alerts test does not take --json');
    const two = await cli(['alerts', 'test', 'ops', 'other', '-f', p.file]);
    expect(two.code).toBe(2);
    expect(two.stderr).toContain("unexpected argument 'other'");
    // -f and -q parse: the missing channel is what stops it.
    const known = await cli(['alerts', 'test', 'ops', '-f', p.file, '-q']);
    expect(known.code).toBe(2);
    expect(known.stderr).toContain("no alert channel 'ops'");
  });

  it('connections list refuses --type and a name; remove refuses --json', async () => {
    const list = await cli(['connections', 'list', '--type', 'postgres']);
    expect(list.code).toBe(2);
    expect(list.stderr).toContain('caudal connections list does not take --type');
    const named = await cli(['connections', 'list', 'warehouse']);
    expect(named.code).toBe(2);
    expect(named.stderr).toContain("unexpected argument 'warehouse'");
    const remove = await cli(['connections', 'remove', 'warehouse', '--json']);
    expect(remove.code).toBe(2);
    expect(JSON.parse(remove.stdout).error.message).toContain('caudal connections remove does not take --json');
  });

  it('connections list still takes --project, --json and -q', async () => {
    const p = await project();
    const r = await cli(['connections', 'list', '--project', p.dir, '--json', '-q']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
  });
});
