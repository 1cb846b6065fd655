import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { inspect, pipeline, run, tempDir } from '../../../../test/support/pipeline.js';
import { inDb } from '../../../../test/support/duckdb.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-sink-duckdb-');
});

const SRC = `SELECT range AS id, 'José' AS name FROM range(1000)`;
const TABLE = 'My "Orders"';
const TABLE_SQL = '"My ""Orders"""';

function duckPipeline(params: Record<string, unknown>, query = SRC) {
  return pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query } },
      { id: 'load', type: 'sink.duckdb', params },
    ],
    ['src -> load'],
  );
}

/**
 * Opens the database file in the test's own DuckDB and closes it before returning. Opening it at
 * all proves the run released the file; the run's worker is gone by then.
 */
const stageTables = (file: string) => inDb(file, `SELECT schema_name, table_name FROM duckdb_tables() WHERE table_name LIKE '\\_caudal\\_stage\\_%' ESCAPE '\\'`);

describe('sink.duckdb', () => {
  it('replace creates the database file, folders and table, then releases the file', async () => {
    const file = path.join(dir, 'wh/new/warehouse.duckdb');
    const { summary } = await run(duckPipeline({ database: 'wh/new/warehouse.duckdb', table: TABLE }), dir);
    expect(summary.status).toBe('succeeded');
    expect(summary.outputs).toEqual([{ nodeId: 'load', target: `${file} (table main.${TABLE})`, rows: 1000 }]);
    expect(await readdir(path.dirname(file))).toEqual(['warehouse.duckdb']);
    expect(await inDb(file, `SELECT count(*) AS n, count(DISTINCT id) AS ids, min(name) AS name FROM main.${TABLE_SQL}`)).toEqual([{ n: '1000', ids: '1000', name: 'José' }]);
    expect(await inDb(file, `SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ${"'My \"Orders\"'"} ORDER BY column_index`)).toEqual([
      { column_name: 'id', data_type: 'BIGINT' },
      { column_name: 'name', data_type: 'VARCHAR' },
    ]);
    expect(await stageTables(file)).toEqual([]);
  });

  it('replace swaps in a table with the new rows and columns', async () => {
    const file = path.join(dir, 'replace.duckdb');
    await inDb(file, `CREATE TABLE ${TABLE_SQL} (old_col INTEGER); INSERT INTO ${TABLE_SQL} VALUES (1), (2)`);
    const { summary } = await run(duckPipeline({ database: 'replace.duckdb', table: TABLE, mode: 'replace' }, `SELECT range AS k, range * 2 AS v FROM range(10)`), dir);
    expect(summary.status).toBe('succeeded');
    expect(await inDb(file, `SELECT count(*) AS n, sum(v) AS total FROM ${TABLE_SQL}`)).toEqual([{ n: '10', total: '90' }]);
    expect(await inDb(file, `SELECT column_name FROM duckdb_columns() WHERE table_name = 'My "Orders"'`)).toEqual([{ column_name: 'k' }, { column_name: 'v' }]);
    expect(await stageTables(file)).toEqual([]);
  });

  it('append adds the rows on every run (creating schema and table on the first)', async () => {
    const file = path.join(dir, 'append.duckdb');
    const doc = duckPipeline({ database: 'append.duckdb', schema: 'Sales Data', table: TABLE, mode: 'append' });
    expect((await run(doc, dir)).summary.status).toBe('succeeded');
    expect((await run(doc, dir)).summary.status).toBe('succeeded');
    expect(await inDb(file, `SELECT count(*) AS n, count(DISTINCT id) AS ids FROM "Sales Data".${TABLE_SQL}`)).toEqual([{ n: '2000', ids: '1000' }]);
    expect(await stageTables(file)).toEqual([]);
  });

  it('append matches columns by name, in any order and case', async () => {
    const file = path.join(dir, 'byname.duckdb');
    await inDb(file, `CREATE TABLE t (name VARCHAR, ID BIGINT); INSERT INTO t VALUES ('old', -1)`);
    expect((await run(duckPipeline({ database: 'byname.duckdb', table: 't', mode: 'append' }), dir)).summary.status).toBe('succeeded');
    expect(await inDb(file, `SELECT count(*) AS n, min(ID) AS lo, max(name) AS hi FROM t`)).toEqual([{ n: '1001', lo: '-1', hi: 'old' }]);
  });

  it('append with a different schema fails before reading, naming the columns, and changes nothing', async () => {
    const file = path.join(dir, 'mismatch.duckdb');
    await inDb(file, `CREATE TABLE ${TABLE_SQL} (id INTEGER, name VARCHAR, region VARCHAR); INSERT INTO ${TABLE_SQL} VALUES (1, 'a', 'eu')`);
    const query = `SELECT range AS id, 'José' AS name, 0.1 AS discount FROM range(1000)`;
    const { summary } = await run(duckPipeline({ database: 'mismatch.duckdb', table: TABLE, mode: 'append' }, query), dir);
    expect(summary.status).toBe('failed');
    const msg = summary.error!.message;
    expect(msg).toContain(`cannot append to main.${TABLE}`);
    expect(msg).toContain("the table has 'region', missing from the input");
    expect(msg).toContain("the input has 'discount', missing from the table");
    expect(msg).toContain("'id' is INTEGER in the table but BIGINT in the input");
    expect(msg).toContain('mode to "replace"');
    expect(summary.error!.nodeId).toBe('load');
    expect(await inDb(file, `SELECT count(*) AS n FROM ${TABLE_SQL}`)).toEqual([{ n: '1' }]);
    expect(await stageTables(file)).toEqual([]);
  });

  it('refuses to replace a view', async () => {
    const file = path.join(dir, 'view.duckdb');
    await inDb(file, `CREATE VIEW v AS SELECT 1 AS x`);
    const { summary } = await run(duckPipeline({ database: 'view.duckdb', table: 'V' }), dir);
    expect(summary.status).toBe('failed');
    expect(summary.error!.message).toContain('cannot write main.V in');
    expect(summary.error!.message).toContain('it is a view');
    expect(await inDb(file, `SELECT x FROM v`)).toEqual([{ x: 1 }]);
  });

  it('two sinks into the same file share it and both commit', async () => {
    const file = path.join(dir, 'shared.duckdb');
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: SRC } },
        { id: 'a', type: 'sink.duckdb', params: { database: 'shared.duckdb', table: 'a' } },
        { id: 'b', type: 'sink.duckdb', params: { database: 'shared.duckdb', table: 'b', mode: 'append' } },
      ],
      ['src -> a', 'src -> b'],
    );
    expect((await run(doc, dir)).summary.status).toBe('succeeded');
    expect(await inDb(file, `SELECT (SELECT count(*) FROM a) AS a, (SELECT count(*) FROM b) AS b`)).toEqual([{ a: '1000', b: '1000' }]);
    expect(await stageTables(file)).toEqual([]);
  });

  it('a failure while loading drops the staging table and leaves the table as it was', async () => {
    const file = path.join(dir, 'fail.duckdb');
    await inDb(file, `CREATE TABLE ${TABLE_SQL} AS SELECT 42 AS id`);
    const query = `SELECT CASE WHEN range = 900 THEN CAST('x' AS INT) ELSE range END AS id FROM range(1000)`;
    const { summary, events } = await run(duckPipeline({ database: 'fail.duckdb', table: TABLE }, query), dir);
    expect(summary.status).toBe('failed');
    expect(await inDb(file, `SELECT id FROM ${TABLE_SQL}`)).toEqual([{ id: 42 }]);
    expect(await stageTables(file)).toEqual([]);
    expect(events.filter((e) => e.type === 'log' && e.level === 'warn')).toEqual([]);
    expect(existsSync(`${file}.wal`)).toBe(false);
  });

  it('an append that breaks the table\'s primary key fails before anything is published; staging dropped, table unchanged', async () => {
    // The INSERT runs when the run prepares its destinations, so the CSV written beside it stays as it was too.
    const file = path.join(dir, 'pk-fails.duckdb');
    await inDb(file, `CREATE TABLE t (id BIGINT PRIMARY KEY, name VARCHAR); INSERT INTO t VALUES (1, 'kept')`);
    await writeFile(path.join(dir, 'pk-fails.csv'), 'before\n');
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: SRC } },
        { id: 'csv', type: 'sink.csv', params: { path: 'pk-fails.csv', if_exists: 'overwrite' } },
        { id: 'load', type: 'sink.duckdb', params: { database: 'pk-fails.duckdb', table: 't', mode: 'append' } },
      ],
      ['src -> csv', 'src -> load'],
    );
    const { summary, events } = await run(doc, dir);
    expect(summary.status).toBe('failed');
    expect(summary.error!.message).toMatch(/Duplicate key "id: 1"|violates primary key/);
    expect(events.filter((e) => e.type === 'log' && e.level === 'warn')).toEqual([]);
    expect(await stageTables(file)).toEqual([]);
    expect(await inDb(file, 'SELECT * FROM t')).toEqual([{ id: '1', name: 'kept' }]);
    expect(await readFile(path.join(dir, 'pk-fails.csv'), 'utf8')).toBe('before\n');
  });

  it('two sinks into the same table are refused before anything runs', async () => {
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: SRC } },
        { id: 'first', type: 'sink.duckdb', params: { database: 'same.duckdb', table: 'T' } },
        { id: 'second', type: 'sink.duckdb', params: { database: 'same.duckdb', table: 't', mode: 'append' } },
      ],
      ['src -> first', 'src -> second'],
    );
    const r = await inspect({ pipeline: doc, baseDir: dir });
    expect(r.problems).toEqual([
      expect.objectContaining({ nodeId: 'second', message: `nodes 'first' and 'second' both write table main.t in ${path.join(dir, 'same.duckdb')}; a run writes each destination once` }),
    ]);
  });

  it('inspect shows the staged load without touching the file', async () => {
    const r = await inspect({ pipeline: duckPipeline({ database: 'never/created.duckdb', table: TABLE, mode: 'append' }), baseDir: dir });
    expect(r.problems).toEqual([]);
    const sink = r.nodes.find((n) => n.nodeId === 'load')!.sink!;
    expect(sink.stage[0]).toMatch(/^ATTACH IF NOT EXISTS '.*never\/created\.duckdb' AS "caudal_db_[0-9a-f]{12}"$/);
    expect(sink.stage.at(-1)).toMatch(/^CREATE TABLE "caudal_db_[0-9a-f]{12}"\."main"\."_caudal_stage_inspect_h[0-9a-f]{4}p\d+_load" AS SELECT \* FROM "_n_src__out"$/);
    expect(sink.commit.find((s) => s.startsWith('INSERT INTO'))).toContain(`."main".${TABLE_SQL} BY NAME SELECT * FROM`);
    expect(existsSync(path.join(dir, 'never'))).toBe(false);
  });

  it('a database file another process has open: the run says which process and what to do, and writes nothing', async () => {
    const file = path.join(dir, 'held.duckdb');
    await inDb(file, 'CREATE TABLE orders AS SELECT 1 AS id');
    const script = `const { DuckDBInstance } = await import('@duckdb/node-api'); const i = await DuckDBInstance.create(${JSON.stringify(file)}, { access_mode: 'READ_ONLY' }); await i.connect(); console.log('holding'); setInterval(() => {}, 1000);`;
    const holder = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout!.on('data', (d: Buffer) => d.toString().includes('holding') && resolve());
        holder.on('exit', (code) => reject(new Error(`the holder exited with ${code}`)));
      });
      const { summary } = await run(duckPipeline({ database: 'held.duckdb', table: 'orders' }), dir);
      expect(summary.status).toBe('failed');
      expect(summary.error).toMatchObject({
        message: expect.stringContaining(`node 'load': cannot write ${file}: another process has it open (${process.execPath}, PID ${holder.pid})`),
        hint: expect.stringMatching(/close it there \(a duckdb shell, a notebook, a BI tool such as DBeaver\) or wait until that process is done/),
      });
    } finally {
      holder.kill();
      await new Promise((r) => holder.once('exit', r));
    }
    expect(await inDb(file, 'SELECT count(*) AS n FROM orders')).toEqual([{ n: '1' }]);
  });
});
