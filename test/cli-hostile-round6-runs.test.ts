import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunRecorder } from '../core/src/host/run-recorder.js';
import type { RunRecord } from '../core/src/host-api/contract.js';
import { self } from '../core/src/util/owner.js';
import { cliInProcess, ownCaudalHome } from './support/cli-in-process.js';
import { deadPid } from './support/owners.js';
import { tempDir } from './support/pipeline.js';

/**
 * A run's folder (`--artifacts-dir`) holds its record (run.json, events.jsonl) and its quality
 * report. Runs sharing one folder: a folder a live run records into is refused as busy (exit 75),
 * never taken over (the live run's record would be replaced, and it would later overwrite the
 * other's); a folder of a finished run is taken over whole, so no report or events of the earlier
 * run stay beside the new record. `caudal jobs history` names the checks a quality failure failed,
 * on the run's one line.
 */
const cli = cliInProcess;

ownCaudalHome();

/** A run's record (run.json), as the recorder writes it. */
const readJson = async (file: string): Promise<RunRecord> => JSON.parse(await readFile(file, 'utf8')) as RunRecord;
const eventRunIds = async (dir: string) =>
  new Set(
    (await readFile(path.join(dir, 'events.jsonl'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { runId: string }).runId),
  );

/** q1.json: two error checks that fail (exit 3) over three rows written to q1.csv; clean.json: no checks. */
async function pipelines(): Promise<{ dir: string; q1: string; clean: string }> {
  const dir = await tempDir('caudal-round6-runs-');
  const q1 = path.join(dir, 'q1.json');
  await writeFile(
    q1,
    JSON.stringify({
      format: 'caudal.pipeline/1',
      name: 'q1',
      nodes: [
        { id: 'src', type: 'transform.sql', params: { query: 'SELECT range AS id, NULL::VARCHAR AS email FROM range(3)' } },
        {
          id: 'qc',
          type: 'quality.check',
          params: {
            checks: [
              { name: 'email present', kind: 'not_null', column: 'email', severity: 'error' },
              { name: 'big ids', kind: 'between', column: 'id', min: 10, severity: 'error' },
              { name: 'some rows', kind: 'row_count_between', min: 1, severity: 'error' },
            ],
          },
        },
        { id: 'out', type: 'sink.csv', params: { path: 'q1.csv', if_exists: 'overwrite' } },
      ],
      edges: [
        { from: 'src:out', to: 'qc:in' },
        { from: 'qc:out', to: 'out:in' },
      ],
    }),
  );
  const clean = path.join(dir, 'clean.json');
  await writeFile(
    clean,
    JSON.stringify({
      format: 'caudal.pipeline/1',
      name: 'clean',
      nodes: [
        { id: 'src', type: 'transform.sql', params: { query: 'SELECT range AS id FROM range(2)' } },
        { id: 'out', type: 'sink.csv', params: { path: 'clean.csv', if_exists: 'overwrite' } },
      ],
      edges: [{ from: 'src:out', to: 'out:in' }],
    }),
  );
  return { dir, q1, clean };
}

describe('runs sharing one --artifacts-dir', () => {
  it('a folder a live run records into is refused with exit 75, naming that run; its record stays and nothing runs', async () => {
    const p = await pipelines();
    const shared = path.join(p.dir, 'shared_art');
    // The slow pipeline's run, still going: this process owns it, so it is alive.
    const slow = await RunRecorder.begin({ runId: 'slow-run', pipeline: 'slow', pipelinePath: path.join(p.dir, 'slow.json'), targets: [], params: {}, dir: shared });
    try {
      const r = await cli(['run', p.q1, '--artifacts-dir', shared]);
      expect(r.code).toBe(75);
      expect(r.stderr).toContain(`artifacts folder ${shared} is in use by another run slow-run of pipeline 'slow' (pid ${self.pid}, since `);
      expect(r.stderr).toContain('--artifacts-dir');
      expect(await readJson(path.join(shared, 'run.json'))).toMatchObject({ runId: 'slow-run', pipeline: 'slow', status: 'running' });
      expect(existsSync(path.join(shared, 'quality.json'))).toBe(false);
      expect(existsSync(path.join(shared, 'quality.html'))).toBe(false);
      expect(existsSync(path.join(p.dir, 'q1.csv'))).toBe(false);
    } finally {
      await slow.crashed(new Error('test over'));
    }
  });

  it("a run reusing a finished run's folder replaces its record, events and quality report", async () => {
    const p = await pipelines();
    const shared = path.join(p.dir, 'reused');
    const first = await cli(['run', p.q1, '--artifacts-dir', shared, '--run-id', 'first']);
    expect(first.code).toBe(3);
    expect(existsSync(path.join(shared, 'quality.json'))).toBe(true);

    const second = await cli(['run', p.clean, '--artifacts-dir', shared, '--run-id', 'second']);
    expect(second.code).toBe(0);
    // The run evaluated no checks: no report of the earlier run sits beside its record, nor gives it a score.
    expect(existsSync(path.join(shared, 'quality.json'))).toBe(false);
    expect(existsSync(path.join(shared, 'quality.html'))).toBe(false);
    expect(await readJson(path.join(shared, 'run.json'))).toMatchObject({ runId: 'second', pipeline: 'clean', status: 'succeeded', qualityScore: null });
    expect(await eventRunIds(shared)).toEqual(new Set(['second']));
  });

  it("two runs taking over a finished run's folder at once: one records there, the other is refused as busy", async () => {
    const p = await pipelines();
    const shared = path.join(p.dir, 'race');
    const start = (runId: string) => ({ runId, pipeline: 'clean', pipelinePath: p.clean, targets: [], params: {}, dir: shared });
    const summary = { runId: 'done', pipeline: 'clean', status: 'succeeded' as const, startedAt: new Date().toISOString(), elapsedMs: 1, nodes: [], outputs: [] };
    for (let round = 0; round < 10; round++) {
      const done = await RunRecorder.begin(start(`done${round}`));
      await done.finished({ ...summary, runId: `done${round}` });
      const results = await Promise.allSettled([RunRecorder.begin(start(`a${round}`)), RunRecorder.begin(start(`b${round}`))]);
      const won = results.filter((r): r is PromiseFulfilledResult<RunRecorder> => r.status === 'fulfilled');
      expect(won, `round ${round}`).toHaveLength(1);
      expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { kind: 'busy' } });
      expect((await readJson(path.join(shared, 'run.json'))).runId).toBe(won[0]!.value.record.runId);
      await won[0]!.value.finished({ ...summary, runId: won[0]!.value.record.runId });
    }
  });

  it('a record left "running" by a process that is gone is taken over', async () => {
    const p = await pipelines();
    const shared = path.join(p.dir, 'killed');
    const killed = await RunRecorder.begin({ runId: 'killed-run', pipeline: 'slow', pipelinePath: path.join(p.dir, 'slow.json'), targets: [], params: {}, dir: shared });
    await writeFile(path.join(shared, 'run.json'), JSON.stringify({ ...killed.record, owner: { host: self.host, pid: deadPid() } }));
    const r = await cli(['run', p.clean, '--artifacts-dir', shared, '--run-id', 'after']);
    expect(r.code).toBe(0);
    expect(await readJson(path.join(shared, 'run.json'))).toMatchObject({ runId: 'after', status: 'succeeded' });
    expect(await eventRunIds(shared)).toEqual(new Set(['after']));
  });
});

describe('caudal jobs history', () => {
  it('names the failing checks of a quality failure, on the one line under the run', async () => {
    const p = await pipelines();
    const project = path.join(p.dir, 'caudal.project.json');
    await writeFile(project, JSON.stringify({ format: 'caudal.project/1', name: 'round6', timezone: 'UTC', jobs: { q1: { pipeline: 'q1.json' } } }));
    const run = await cli(['run', p.q1, '--job', 'q1']);
    expect(run.code).toBe(3);

    const h = await cli(['jobs', 'history', 'q1', '-f', project]);
    expect(h.code).toBe(0);
    const lines = h.stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/ q1 +failed /);
    expect(lines[1]).toBe(
      "    node 'qc': 2 quality checks with severity error failed: 'email present' (not_null, column 'email'): 3 of 3 rows failed (100%), expected no NULL values; 'big ids' (between, column 'id'): 3 of 3 rows failed (100%), expected at least 10",
    );
  });
});
