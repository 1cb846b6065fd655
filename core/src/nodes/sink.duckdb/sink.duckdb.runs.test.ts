import path from 'node:path';
import { realpathSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { runPipeline, startRun } from '../../engine/engine.js';
import type { RunEvent, RunSummary } from '../../engine/protocol.js';
import { pipeline, tempDir } from '../../../../test/support/pipeline.js';
import { inDb } from '../../../../test/support/duckdb.js';

/**
 * DuckDB lets one process write a database file at a time, whatever table it writes. Two runs into
 * different tables of one file therefore take turns, as two runs into one table do: the second
 * waits with `--wait`, or stops at once as busy, before it reads anything. It used to lock only its
 * table, read its whole input, and then fail on the file ("another process has it open").
 */

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-sink-duckdb-runs-');
});

/**
 * A run of pipeline `name` appending to `table` of w.duckdb. `slow`: it keeps writing for minutes
 * (a pause every 2048 rows, between which a cancel is heard), so the test ends it by cancelling.
 */
function load(name: string, table: string, slow = false) {
  const query = slow ? 'SELECT range AS id FROM range(2000000) WHERE sleep_ms(CASE WHEN range % 2048 = 0 THEN 100 ELSE 0 END) IS NULL' : 'SELECT range AS id FROM range(1000)';
  return pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query } },
      { id: 'o', type: 'sink.duckdb', params: { database: 'w.duckdb', table, mode: 'append' } },
    ],
    ['src -> o'],
    { name },
  );
}

const escaped = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('two runs into different tables of one DuckDB file', () => {
  it('the second stops as busy (or waits with --wait) instead of failing on the open file after reading its input', { timeout: 180_000 }, async () => {
    const file = path.join(realpathSync(dir), 'w.duckdb');
    // A holds the file while its sink writes (its locks are taken by then), until it is cancelled.
    let writing!: () => void;
    const aWrites = new Promise<void>((r) => (writing = r));
    const a = startRun({ pipeline: load('A', 'tA', true), baseDir: dir, onEvent: (e: RunEvent) => void (e.type === 'node_started' && e.nodeId === 'o' && writing()) });
    let aDone = false;
    void a.done.finally(() => (aDone = true));
    await aWrites;
    // A ends only when cancelled: once B waits for it, or when an expectation fails.
    let b: Promise<RunSummary> | undefined;
    try {
      const started: string[] = [];
      const busy = await runPipeline({ pipeline: load('B', 'tB'), baseDir: dir, onEvent: (e: RunEvent) => void (e.type === 'node_started' && started.push(e.nodeId)) });
      expect(aDone).toBe(false);
      expect(busy.status).toBe('failed');
      expect(busy.error).toMatchObject({
        kind: 'busy',
        message: expect.stringMatching(new RegExp(`^DuckDB database ${escaped(file)} is in use by another run \\S+ of pipeline 'A'`)),
        hint: expect.stringContaining('caudal run --wait'),
      });
      // Stopped before it read or wrote anything.
      expect(started).toEqual([]);

      // With --wait it waits for the file, and loads once A is over.
      let waiting!: (message: string) => void;
      const waited = new Promise<string>((r) => (waiting = r));
      b = runPipeline({
        pipeline: load('B', 'tB'),
        baseDir: dir,
        options: { wait: true },
        onEvent: (e: RunEvent) => void (e.type === 'log' && e.message.startsWith('waiting for') && waiting(e.message)),
      });
      expect(await waited).toMatch(new RegExp(`^waiting for DuckDB database ${escaped(file)}, in use by run \\S+ of pipeline 'A'`));
      expect(aDone).toBe(false);
    } finally {
      a.cancel();
    }
    expect([(await a.done).status, (await b!).status]).toEqual(['cancelled', 'succeeded']);
    expect(await inDb(file, 'SELECT table_name FROM duckdb_tables()')).toEqual([{ table_name: 'tB' }]);
    expect(await inDb(file, 'SELECT count(*)::INT AS n FROM tB')).toEqual([{ n: 1000 }]);
  });

  it('one run with two sinks into two tables of the file takes the file once, and does not wait for itself', async () => {
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: 'SELECT range AS id FROM range(10)' } },
        { id: 'x', type: 'sink.duckdb', params: { database: 'two.duckdb', table: 'x' } },
        { id: 'y', type: 'sink.duckdb', params: { database: 'two.duckdb', table: 'y', mode: 'append' } },
      ],
      ['src -> x', 'src -> y'],
    );
    const summary = await runPipeline({ pipeline: doc, baseDir: dir, options: { wait: true } });
    expect(summary.status).toBe('succeeded');
    expect(await inDb(path.join(dir, 'two.duckdb'), 'SELECT (SELECT count(*) FROM x)::INT AS x, (SELECT count(*) FROM y)::INT AS y')).toEqual([{ x: 10, y: 10 }]);
  });
});
