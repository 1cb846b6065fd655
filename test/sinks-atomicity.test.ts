import { readdirSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { startRun } from '../core/src/engine/engine.js';
import type { RunEvent } from '../core/src/engine/protocol.js';
import { pipeline, run, tempDir } from './support/pipeline.js';
import { inDb } from './support/duckdb.js';

/**
 * DESIGN.md §4: a failed or cancelled run leaves every destination as it was. These runs write to
 * several sinks whose targets already exist, make one of them fail (or cancel the run), and check
 * that every target is byte-for-byte what it was, with no temp files or staging tables left.
 */

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-atomic-');
});

const ORDERS = '"My ""Orders"""';
const stageTables = (file: string) => inDb(file, `SELECT table_name FROM duckdb_tables() WHERE table_name LIKE '\\_caudal\\_stage\\_%' ESCAPE '\\'`);
const leftovers = async (folder: string) => (await readdir(folder, { recursive: true })).filter((f) => f.includes('.caudal-'));

/** A folder with a CSV, a Parquet file and a warehouse table that a run must not disturb. */
async function existingTargets(name: string) {
  const folder = path.join(dir, name);
  const csv = path.join(folder, 'orders.csv');
  const parquet = path.join(folder, 'orders.parquet');
  const db = path.join(folder, 'warehouse.duckdb');
  await mkdir(folder);
  await inDb(
    db,
    `CREATE TABLE ${ORDERS} AS SELECT range AS id, 'old' AS name FROM range(3);
     COPY (SELECT 'previous run' AS note) TO '${parquet.replaceAll("'", "''")}' (FORMAT parquet)`,
  );
  await writeFile(csv, 'id,name\n1,previous run\n');
  const before = { csv: await readFile(csv), parquet: await readFile(parquet), table: await inDb(db, `SELECT * FROM ${ORDERS} ORDER BY id`) };
  return {
    folder,
    csv,
    parquet,
    db,
    async expectUnchanged() {
      expect((await readFile(csv)).equals(before.csv)).toBe(true);
      expect((await readFile(parquet)).equals(before.parquet)).toBe(true);
      expect(await inDb(db, `SELECT * FROM ${ORDERS} ORDER BY id`)).toEqual(before.table);
      expect(await stageTables(db)).toEqual([]);
      expect(await leftovers(folder)).toEqual([]);
    },
  };
}

const SRC = `SELECT range AS id, 'José' AS name FROM range(1000)`;
/** Fails only when the row with id 900 is converted, i.e. while the sink is writing. */
const BAD = { id: 'bad', type: 'transform.derive', params: { columns: [{ name: 'id', expression: `CASE WHEN id = 900 THEN CAST('x' AS INT) ELSE id END` }] } };

describe('sinks are atomic across a run', () => {
  it('a sink failing at stage time leaves the sinks staged before it untouched', async () => {
    const t = await existingTargets('second-fails');
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: SRC } },
        { id: 'csv', type: 'sink.csv', params: { path: 'second-fails/orders.csv', if_exists: 'overwrite' } },
        BAD,
        { id: 'load', type: 'sink.duckdb', params: { database: 'second-fails/warehouse.duckdb', table: 'My "Orders"' } },
      ],
      ['src -> csv', 'src -> bad', 'bad -> load'],
    );
    const { summary, events } = await run(doc, dir);
    expect(summary.status).toBe('failed');
    // The CSV sink really was staged (its temp file written) before the failure.
    expect(events.find((e) => e.type === 'node_finished' && e.nodeId === 'csv')).toMatchObject({ status: 'ok', rowsOut: 1000 });
    expect(summary.error?.message).toMatch(/^node 'bad' \(transform\.derive\), column 'id' failed: Conversion Error: Could not convert string 'x' to INT32/);
    expect(summary.error).toMatchObject({ nodeId: 'bad', column: 'id' });
    await t.expectUnchanged();
  });

  it('a run that fails before its sinks stage removes the folders planning made for them', async () => {
    await mkdir(path.join(dir, 'no-folders'), { recursive: true });
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: "SELECT CAST('boom' AS INTEGER) AS id" } },
        { id: 'load', type: 'sink.duckdb', params: { database: 'no-folders/newdb/sub/w.duckdb', table: 't' } },
        { id: 'csv', type: 'sink.csv', params: { path: 'no-folders/newcsv/sub/a.csv' } },
      ],
      ['src -> load', 'src -> csv'],
    );
    const { summary } = await run(doc, dir);
    expect(summary.status).toBe('failed');
    expect(await readdir(path.join(dir, 'no-folders'))).toEqual([]);
  });

  it('a third sink failing rolls back a staged CSV and a staged DuckDB table', async () => {
    const t = await existingTargets('third-fails');
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: SRC } },
        { id: 'csv', type: 'sink.csv', params: { path: 'third-fails/orders.csv', if_exists: 'overwrite' } },
        { id: 'load', type: 'sink.duckdb', params: { database: 'third-fails/warehouse.duckdb', table: 'My "Orders"', mode: 'append' } },
        BAD,
        { id: 'pq', type: 'sink.parquet', params: { path: 'third-fails/orders.parquet', if_exists: 'overwrite' } },
      ],
      ['src -> csv', 'src -> load', 'src -> bad', 'bad -> pq'],
    );
    // The existing table has (id BIGINT, name VARCHAR) like the input, so the append stages fine.
    const { summary, events } = await run(doc, dir);
    expect(summary.status).toBe('failed');
    const finished = events.filter((e): e is Extract<RunEvent, { type: 'node_finished' }> => e.type === 'node_finished');
    // Sinks stage after every other node, in pipeline order.
    expect(finished.map((e) => [e.nodeId, e.status])).toEqual([
      ['src', 'ok'],
      ['bad', 'ok'],
      ['csv', 'ok'],
      ['load', 'ok'],
      ['pq', 'failed'],
    ]);
    expect(summary.error?.message).toContain("node 'bad' (transform.derive), column 'id' failed");
    expect(events.filter((e) => e.type === 'log' && e.level === 'warn')).toEqual([]);
    await t.expectUnchanged();
  });

  for (const sink of ['sink.parquet', 'sink.duckdb'] as const) {
    it(`cancel while ${sink} is writing leaves the target as it was and no temp files`, async () => {
      const t = await existingTargets(`cancel-${sink}`);
      const params =
        sink === 'sink.parquet'
          ? { path: `cancel-${sink}/orders.parquet`, if_exists: 'overwrite' }
          : { database: `cancel-${sink}/warehouse.duckdb`, table: 'My "Orders"' };
      const doc = pipeline(
        [
          // Long enough to take many seconds: hashing 200M rows.
          { id: 'src', type: 'transform.sql', params: { query: `SELECT range AS id, md5(range::VARCHAR) AS name FROM range(200000000)` } },
          { id: 'out', type: sink, params },
        ],
        ['src -> out'],
      );
      let cancelledAt = 0;
      let atCancel: string[] = [];
      let timer: ReturnType<typeof setTimeout> | undefined;
      const cancel = () => {
        if (cancelledAt !== 0) return;
        cancelledAt = Date.now();
        atCancel = readdirSync(t.folder);
        handle.cancel();
      };
      const handle = startRun({
        pipeline: doc,
        baseDir: dir,
        onEvent(e) {
          // DuckDB reports no progress for CREATE TABLE AS into an attached file, so also cancel
          // a moment after the sink started writing.
          if (e.type === 'node_progress' && e.nodeId === 'out') cancel();
          if (e.type === 'node_started' && e.nodeId === 'out') timer = setTimeout(cancel, 1500);
        },
      });
      const summary = await handle.done;
      clearTimeout(timer);
      expect(cancelledAt).toBeGreaterThan(0);
      expect(summary.status).toBe('cancelled');
      expect(summary.error).toMatchObject({ kind: 'cancelled' });
      // interrupt() stops the statement; it does not wait for the copy to finish.
      expect(Date.now() - cancelledAt).toBeLessThan(15_000);
      // The cancel really caught the sink mid-write.
      if (sink === 'sink.parquet') expect(atCancel.filter((f) => f.startsWith('.orders.parquet.caudal-'))).toHaveLength(1);
      await t.expectUnchanged();
    });
  }
});
