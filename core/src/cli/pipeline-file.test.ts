import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanCommand, doctorCommand } from './clean.js';
import { exportCommand } from './export.js';
import type { Io } from './io.js';
import { jobsCommand } from './jobs.js';
import { checkPipelineFile, loadPipelineArg } from './pipeline-file.js';
import { previewCommand } from './preview.js';
import { profileCommand } from './profile.js';
import { runCommand } from './run.js';
import { scheduleCommand } from './schedule.js';
import { serveCommand } from './serve.js';
import { sqlCommand } from './sql.js';
import { stateCommand } from './state.js';
import { validateCommand } from './validate.js';

const quietIo = (): Io => ({ stdout: { write: () => true } as unknown as NodeJS.WriteStream, stderr: { write: () => true } as unknown as NodeJS.WriteStream });

let dir: string;
let fifo: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'caudal-pipeline-file-'));
  // What `caudal validate <(envsubst < tmpl.json)` passes: a pipe, here one nobody writes to, so a
  // command that opened it would wait forever (the spec's timeout) instead of refusing it.
  fifo = path.join(dir, 'p.json');
  execFileSync('mkfifo', [fifo]);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const refusedAsPipe = (noun = 'pipeline file') => ({ kind: 'usage', message: expect.stringContaining(`is not a ${noun} in a folder (it is a pipe, /dev/stdin or a device)`), hint: expect.stringContaining('to a file first') });

describe('checkPipelineFile: the one check every command runs on its pipeline or project file', () => {
  it('refuses a pipe at once, without opening it', async () => {
    await expect(checkPipelineFile(fifo)).rejects.toMatchObject({ ...refusedAsPipe(), message: expect.stringContaining("a pipeline's relative paths, state and run records are kept next to its file") });
  });

  it('refuses /dev/stdin and a device, whose folder is /dev', async () => {
    await expect(checkPipelineFile('/dev/stdin')).rejects.toMatchObject({ ...refusedAsPipe(), message: expect.stringContaining('/dev/stdin is not a pipeline file') });
    await expect(checkPipelineFile('/dev/null')).rejects.toMatchObject(refusedAsPipe());
  });

  it('names a project file as such', async () => {
    await expect(checkPipelineFile(fifo, 'project')).rejects.toMatchObject({ ...refusedAsPipe('project file'), hint: expect.stringContaining('save the project to a file first') });
  });

  it('returns the absolute path of a regular file, and of a missing one (loading it says "no such file")', async () => {
    await writeFile(path.join(dir, 'real.json'), JSON.stringify({ format: 'caudal.pipeline/1', name: 'p', nodes: [], edges: [] }));
    await expect(checkPipelineFile(path.relative(process.cwd(), path.join(dir, 'real.json')))).resolves.toBe(path.join(dir, 'real.json'));
    await expect(checkPipelineFile(path.join(dir, 'missing.json'))).resolves.toBe(path.join(dir, 'missing.json'));
    await expect(loadPipelineArg(path.join(dir, 'missing.json'))).rejects.toMatchObject({ kind: 'io', message: expect.stringContaining('no such file') });
  });

  it('loadPipelineArg returns the problems of an invalid pipeline instead of throwing', async () => {
    await writeFile(path.join(dir, 'bad.json'), '{"format": "caudal.pipeline/1",');
    const loaded = await loadPipelineArg(path.join(dir, 'bad.json'));
    expect(loaded.pipeline).toBeUndefined();
    expect(loaded.problems[0]).toMatchObject({ code: 'invalid_json' });
    expect(loaded.baseDir).toBe(dir);
  });
});

/** Every command that takes a pipeline or project file refuses a pipe the same way, before reading it. */
describe('commands given a pipe as their file', () => {
  const cases: Array<[string, () => Promise<number>, string?]> = [
    ['run', () => runCommand([fifo], quietIo())],
    ['validate', () => validateCommand([fifo], quietIo())],
    ['preview', () => previewCommand([fifo, '--node', 'n'], quietIo())],
    ['sql', () => sqlCommand([fifo, '--node', 'n'], quietIo())],
    ['profile', () => profileCommand([fifo, '--node', 'n'], quietIo())],
    ['state show', () => stateCommand(['show', fifo], quietIo())],
    ['state reset', () => stateCommand(['reset', fifo, '--node', 'n'], quietIo())],
    ['doctor', () => doctorCommand([fifo], quietIo())],
    ['clean', () => cleanCommand([fifo], quietIo())],
    ['export spark', () => exportCommand(['spark', fifo, '-o', path.join(dir, 'job')], quietIo())],
    ['export airflow', () => exportCommand(['airflow', fifo], quietIo()), 'pipeline or project file'],
    ['serve', () => serveCommand([fifo, '--port', '0'], quietIo())],
    ['schedule', () => scheduleCommand([fifo], quietIo()), 'project file'],
    ['jobs list -f', () => jobsCommand(['list', '-f', fifo], quietIo(), async () => 0), 'project file'],
  ];
  for (const [name, call, noun] of cases) {
    it(`caudal ${name} refuses it with a usage error (exit 2)`, async () => {
      await expect(call()).rejects.toMatchObject(refusedAsPipe(noun));
    }, 10_000);
  }
});
