import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliInProcess, pipelineInSpacedFolder } from './support/cli-in-process.js';

/**
 * `caudal export` argument handling, in process (the built CLI may be older than these sources): an
 * option the export does not use, or a second file, is a usage error (exit 2) that names it,
 * rather than an export that silently does something else than the command line says.
 */
const cli = cliInProcess;

const pipelineFile = async () => (await pipelineInSpacedFolder('caudal-hostile-export-cli-', 'SELECT $day AS day')).file;

describe('caudal export: options the target does not use', () => {
  it('export airflow refuses --param (a DAG would run the pipeline with its defaults), naming the option', async () => {
    const file = await pipelineFile();
    const out = path.join(path.dirname(file), 'dag.py');
    const r = await cli(['export', 'airflow', file, '--param', 'day=2024-01-01', '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('caudal export airflow does not take --param');
    expect(existsSync(out)).toBe(false);
  });

  it('export airflow refuses --image without --operator kubernetes, and a second file', async () => {
    const file = await pipelineFile();
    const image = await cli(['export', 'airflow', file, '--image', 'registry/x:1']);
    expect(image.code).toBe(2);
    expect(image.stderr).toContain('--image is for --operator kubernetes');
    const two = await cli(['export', 'airflow', file, file]);
    expect(two.code).toBe(2);
    expect(two.stderr).toContain(`unexpected argument '${file}'`);
  });

  it('export spark refuses an Airflow option and a second file, writing nothing', async () => {
    const file = await pipelineFile();
    const dir = path.join(path.dirname(file), 'job dir');
    const r = await cli(['export', 'spark', file, '-o', dir, '--operator', 'kubernetes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('caudal export spark does not take --operator');
    const two = await cli(['export', 'spark', file, file, '-o', dir]);
    expect(two.code).toBe(2);
    expect(two.stderr).toContain(`unexpected argument '${file}'`);
    expect(existsSync(dir)).toBe(false);
  });

  it('export airflow still writes with the options it takes, to a path with spaces', async () => {
    const file = await pipelineFile();
    const out = path.join(path.dirname(file), 'my dags', 'p dag.py');
    await mkdir(path.dirname(out));
    const r = await cli(['export', 'airflow', file, '--operator=kubernetes', '--image', 'r/x:1', '--project-root', '/p', '-o', out, '--force', '-q']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(await readFile(out, 'utf8')).toContain('IMAGE = os.environ.get("CAUDAL_IMAGE", "r/x:1")');
  });
});
