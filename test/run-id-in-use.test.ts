import { access, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { journalPath, newJournal, writeJournal } from '../core/src/engine/commit/journal.js';
import { RunLocks } from '../core/src/engine/commit/locks.js';
import { runPipeline } from '../core/src/engine/engine.js';
import { pipeline, tempDir } from './support/pipeline.js';

/**
 * A run id names the run's commit journal, one per machine: a second live run with the same id
 * (`--run-id` reused across pipelines) is refused as busy, and never writes or removes the first
 * run's journal (its recovery record).
 */

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-run-id-');
  // Journals and locks of this file only (the engine's workers inherit the environment).
  process.env.CAUDAL_RUNTIME_DIR = path.join(dir, 'runtime');
});

describe('a run id in use', () => {
  it('refuses the second run as busy and leaves the first run its journal', async () => {
    const runId = 'shared-id';
    const held = await RunLocks.acquire([{ key: `run-id:${runId}`, label: `run id '${runId}'` }], { runId, pipeline: 'other', wait: false, isCancelled: () => false, log: () => undefined });
    try {
      // The other run's journal (its owner, this process, is alive: recovery leaves it alone).
      await writeJournal(newJournal(runId, 'other', path.join(dir, 'elsewhere'), undefined));
      await mkdir(path.join(dir, 'b'), { recursive: true });
      const doc = pipeline(
        [
          { id: 'src', type: 'transform.sql', params: { query: 'SELECT 1 AS id' } },
          { id: 'out', type: 'sink.csv', params: { path: 'o.csv' } },
        ],
        ['src -> out'],
      );
      const summary = await runPipeline({ pipeline: doc, baseDir: path.join(dir, 'b'), runId });
      expect(summary.status).toBe('failed');
      expect(summary.error).toMatchObject({ kind: 'busy', message: expect.stringContaining(`run id '${runId}' is in use by another run ${runId} of pipeline 'other'`), hint: expect.stringContaining('--run-id') });
      await expect(access(journalPath(runId))).resolves.toBeUndefined();
      await expect(access(path.join(dir, 'b', 'o.csv'))).rejects.toThrow();
    } finally {
      await held.release();
    }
  });

  it("refuses a run whose id still has an unfinished journal (a killed run's recovery that is pending), and keeps that journal", async () => {
    const runId = 'pending-id';
    // A dead run's journal whose prepared load needs a connection this run does not have: recovery
    // leaves it pending. A run under the same id would have replaced that record with its own.
    const dead = { ...newJournal(runId, 'killed', path.join(dir, 'elsewhere'), undefined), owner: { host: 'gone-host.invalid', pid: 1 }, phase: 'committing' as const };
    dead.sinks = [{ kind: 'external', nodeId: 'load', label: 'warehouse.orders', recovery: { connection: 'warehouse', ref: { gid: 'caudal_x' } }, committed: false }];
    await writeJournal(dead);
    await mkdir(path.join(dir, 'c'), { recursive: true });
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: 'SELECT 1 AS id' } },
        { id: 'out', type: 'sink.csv', params: { path: 'o.csv' } },
      ],
      ['src -> out'],
    );
    const summary = await runPipeline({ pipeline: doc, baseDir: path.join(dir, 'c'), runId });
    expect(summary.status).toBe('failed');
    expect(summary.error).toMatchObject({ kind: 'busy', message: expect.stringContaining(`run id '${runId}' still has the commit journal of an earlier run of 'killed'`), hint: expect.stringContaining('caudal clean') });
    expect(JSON.parse(await readFile(journalPath(runId), 'utf8'))).toMatchObject({ pipeline: 'killed', sinks: [{ nodeId: 'load' }] });
    await expect(access(path.join(dir, 'c', 'o.csv'))).rejects.toThrow();
  });
});
