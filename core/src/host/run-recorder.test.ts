import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunSummary } from '../engine/protocol.js';
import type * as AtomicWrite from '../util/atomic-write.js';

// A full disk, for one write: the test below turns it on.
const diskFull = vi.hoisted(() => ({ on: false }));
vi.mock('../util/atomic-write.js', async (importOriginal) => {
  const real = await importOriginal<typeof AtomicWrite>();
  return {
    ...real,
    writeFileAtomic: async (file: string, text: string, opts?: { mode?: number }) => {
      if (diskFull.on) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      return real.writeFileAtomic(file, text, opts);
    },
  };
});

const { RunRecorder } = await import('./run-recorder.js');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'caudal-recorder-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const start = (runId: string, folder: string) => ({ runId, pipeline: 'p', pipelinePath: path.join(dir, 'p.json'), targets: [], params: {}, dir: folder });
const summary = (runId: string): RunSummary => ({ runId, pipeline: 'p', status: 'succeeded', startedAt: new Date().toISOString(), elapsedMs: 1, nodes: [], outputs: [] });

describe('RunRecorder.begin', () => {
  it('refuses a run id whose run is live (busy), then one already used (usage), and keeps the first record', async () => {
    const folder = path.join(dir, 'runs', 'same');
    const first = await RunRecorder.begin(start('same', folder));
    await expect(RunRecorder.begin(start('same', folder))).rejects.toMatchObject({ kind: 'busy', message: expect.stringContaining(`run id 'same' is in use by a run of pipeline 'p' (pid ${process.pid}`) });
    await first.finished(summary('same'));
    await expect(RunRecorder.begin(start('same', folder))).rejects.toMatchObject({ kind: 'usage', message: expect.stringContaining("run id 'same' was already used by a run of pipeline 'p'") });
    expect(JSON.parse(await readFile(path.join(folder, 'run.json'), 'utf8'))).toMatchObject({ runId: 'same', status: 'succeeded' });
  });

  it('replaces the record of another run id in a reused --artifacts-dir', async () => {
    const folder = path.join(dir, 'artifacts');
    await (await RunRecorder.begin(start('one', folder))).finished(summary('one'));
    const second = await RunRecorder.begin(start('two', folder));
    expect(JSON.parse(await readFile(path.join(folder, 'run.json'), 'utf8'))).toMatchObject({ runId: 'two', status: 'running' });
    await second.finished(summary('two'));
  });

  it('on a full disk names the record file and leaves no empty run folder', async () => {
    const folder = path.join(dir, 'full', '.caudal', 'runs', 'r1');
    diskFull.on = true;
    try {
      await expect(RunRecorder.begin(start('r1', folder))).rejects.toMatchObject({
        kind: 'execution',
        message: `could not write the run's record ${path.join(folder, 'run.json')}: ENOSPC: no space left on device, write`,
        hint: expect.stringContaining('--artifacts-dir'),
      });
    } finally {
      diskFull.on = false;
    }
    expect(await readdir(dir)).not.toContain('full');
  });
});
