import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { inDb } from './support/duckdb.js';
import { runPipeline } from '../core/src/engine/engine.js';
import { RunLocks } from '../core/src/engine/commit/locks.js';
import { pipeline, preview, problemsOf, run, tempDir } from './support/pipeline.js';

/**
 * Partition folders (`year=2024/`) become columns. A file that holds a column of the same name must
 * not have its values silently replaced by the folder's: the file sources refuse the clash, and
 * `hive_partitioning: false` reads the file's own values.
 */
let dir: string;

async function write(name: string, content: string | Buffer): Promise<void> {
  const file = path.join(dir, name);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
}

const source = (type: string, params: Record<string, unknown>) => pipeline([{ id: 'src', type, params }]);

beforeAll(async () => {
  dir = await tempDir('caudal-hive-');
  // Rows of 2023 filed under year=2024: the folder is wrong, or means something else.
  await write('csv/year=2024/orders.csv', 'year,amount\n2023,10\n2023,20\n');
  await write('csv/year=2024/plain.csv', 'amount\n5\n');
  await write('cp1252/year=2024/names.csv', Buffer.from('name,amount\nJos\xe9,7\n', 'latin1'));
  await write('json/year=2024/orders.json', '{"year": 2023, "amount": 10}\n');
  await mkdir(path.join(dir, 'parquet/year=2024'), { recursive: true });
  await inDb(':memory:', `COPY (SELECT 2023 AS year, 10 AS amount) TO '${path.join(dir, 'parquet/year=2024/part-0.parquet')}'`);
});

describe.each([
  ['source.csv', 'csv/year=2024/orders.csv', 'csv/year=2024/orders.csv'],
  ['source.csv', 'csv/**/orders.csv', 'csv/year=2024/orders.csv'],
  ['source.json', 'json/year=2024/orders.json', 'json/year=2024/orders.json'],
  ['source.parquet', 'parquet/**/*.parquet', 'parquet/year=2024/part-0.parquet'],
])('%s reading %s, whose file has a "year" column under a year=2024 folder', (type, pattern, file) => {
  it('is refused before the run, naming the column, the file and the folder', async () => {
    const problems = await problemsOf(source(type, { path: pattern }), dir);
    expect(problems).toEqual([
      expect.objectContaining({
        nodeId: 'src',
        message: `node 'src': column 'year' is both in ${path.join(dir, file)} and in its folder name 'year=2024': read with partitions, the folder's value would replace the file's in every row`,
        hint: expect.stringContaining('set hive_partitioning to false'),
      }),
    ]);
  });

  it("reads the file's own values with hive_partitioning false", async () => {
    const r = await preview(source(type, { path: pattern, hive_partitioning: false }), dir, 'src');
    expect(r.rows.map((row) => Number(row.year))).toEqual(type === 'source.csv' ? [2023, 2023] : [2023]);
  });
});

describe('source.csv combining files by name, a later file with a "year" column under a year=2025 folder', () => {
  beforeAll(async () => {
    await write('union/year=2024/a.csv', 'id,v\n1,a\n');
    await write('union/year=2025/b.csv', 'id,year,v\n2,1999,b\n');
  });
  const combined = (extra: Record<string, unknown> = {}) => source('source.csv', { path: 'union/*/*.csv', union_by_name: true, ...extra });

  it('is refused before the run, naming the later file (DuckDB stopped with an internal error)', async () => {
    const problems = await problemsOf(combined(), dir);
    expect(problems).toEqual([
      expect.objectContaining({ nodeId: 'src', column: 'year', message: expect.stringContaining(`column 'year' is both in ${path.join(dir, 'union/year=2025/b.csv')} and in its folder name 'year=2025'`) }),
    ]);
  });

  it('a file added with the clash after planning stops the run before anything is written', async () => {
    await write('union-later/year=2024/a.csv', 'id,v\n1,a\n');
    const doc = pipeline([
      { id: 'src', type: 'source.csv', params: { path: 'union-later/*/*.csv', union_by_name: true } },
      { id: 'out', type: 'sink.csv', params: { path: 'union-later-out.csv' } },
    ], ['src -> out']);
    const added = path.join(dir, 'union-later/year=2025/b.csv');
    // The run announces its plan, then waits for its destination, which this test holds until the
    // file is in place: events come from the run's worker thread, so nothing else orders the two.
    const out = path.join(realpathSync(dir), 'union-later-out.csv');
    const held = await RunLocks.acquire([{ key: `file:${out}`, label: out }], { runId: 'holder', pipeline: 'holder', wait: false, isCancelled: () => false, log: () => undefined });
    const summary = await runPipeline({
      pipeline: doc,
      baseDir: dir,
      options: { wait: true },
      onEvent: (e) => {
        if (e.type !== 'plan') return;
        mkdirSync(path.dirname(added), { recursive: true });
        writeFileSync(added, 'id,year,v\n2,1999,b\n');
        void held.release();
      },
    });
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain(`column 'year' is both in ${added}`);
    await expect(stat(path.join(dir, 'union-later-out.csv'))).rejects.toThrow(/ENOENT/);
  });

  it("reads every file's own values with hive_partitioning false", async () => {
    const r = await preview(combined({ hive_partitioning: false }), dir, 'src');
    expect(r.rows.map((row) => [row.id, row.year])).toEqual([['1', null], ['2', '1999']]);
  });
});

describe('partition folders without a clash', () => {
  it('add their column, in a run as in the preview', async () => {
    const doc = pipeline([
      { id: 'src', type: 'source.csv', params: { path: 'csv/**/plain.csv' } },
      { id: 'out', type: 'sink.csv', params: { path: 'plain-out.csv' } },
    ], ['src -> out']);
    expect((await preview(doc, dir, 'src')).rows).toEqual([{ amount: '5', year: '2024' }]);
    expect((await run(doc, dir)).summary.status).toBe('succeeded');
  });

  it('keep their column when the file is converted from Windows-1252 first (the copy keeps its folders)', async () => {
    const r = await preview(source('source.csv', { path: 'cp1252/**/*.csv' }), dir, 'src');
    expect(r.rows).toEqual([{ name: 'José', amount: '7', year: '2024' }]);
  });
});
