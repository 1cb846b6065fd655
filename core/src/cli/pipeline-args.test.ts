import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrExplain } from './pipeline-args.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'caudal-pipeline-args-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadOrExplain', () => {
  it('refuses a pipe (as `<(…)` passes) at once, without opening it', async () => {
    const fifo = path.join(dir, 'p.json');
    execFileSync('mkfifo', [fifo]);
    await expect(loadOrExplain(fifo)).rejects.toMatchObject({ kind: 'usage', message: expect.stringContaining('is not a pipeline file in a folder'), hint: expect.stringContaining('save the pipeline to a file first') });
  });

  it('refuses /dev/stdin, whose folder is /dev', async () => {
    await expect(loadOrExplain('/dev/stdin')).rejects.toMatchObject({ kind: 'usage', message: expect.stringContaining('/dev/stdin is not a pipeline file in a folder') });
  });

  it('loads a regular file, also through a symlink, from the folder of the path given', async () => {
    await writeFile(path.join(dir, 'real.json'), JSON.stringify({ format: 'caudal.pipeline/1', name: 'p', nodes: [], edges: [] }));
    await rm(path.join(dir, 'link.json'), { force: true });
    execFileSync('ln', ['-s', 'real.json', path.join(dir, 'link.json')]);
    await expect(loadOrExplain(path.join(dir, 'link.json'))).resolves.toMatchObject({ baseDir: dir, pipeline: { name: 'p' } });
  });
});
