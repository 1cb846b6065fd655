import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspect, pipeline, preview, problemsOf, run, tempDir } from '../../../../test/support/pipeline.js';
import { inDb } from '../../../../test/support/duckdb.js';

let dir: string;
let file: string;

/** Runs SQL in the test's own DuckDB on the file and closes it (a held file would lock the runs out). */
beforeAll(async () => {
  dir = await tempDir('caudal-source-duckdb-');
  file = path.join(dir, 'warehouse.duckdb');
  await inDb(
    file,
    `CREATE SCHEMA sales;
     CREATE TABLE sales."Order Facts" AS SELECT range AS order_id, ['FR','DE','ES'][range % 3 + 1] AS country, (range * 1.5)::DECIMAL(10,2) AS revenue, DATE '2025-01-01' + range::INT AS day FROM range(2500);
     CREATE VIEW sales.big_orders AS SELECT * FROM sales."Order Facts" WHERE revenue > 3000;
     CREATE TABLE main.tiny AS SELECT 1 AS x;`,
  );
});

const source = (params: Record<string, unknown>) => ({ id: 'wh', type: 'source.duckdb', params: { database: 'warehouse.duckdb', ...params } });

describe('source.duckdb', () => {
  it('reads a table (names without case), only the listed columns, in their order, and leaves the file untouched', async () => {
    const doc = pipeline([source({ schema: 'SALES', table: 'order facts', columns: ['Revenue', 'order_id'] }), { id: 'out', type: 'sink.csv', params: { path: 'out.csv' } }], ['wh -> out']);
    const shape = await inspect({ pipeline: doc, baseDir: dir });
    expect(shape.problems).toEqual([]);
    expect(shape.nodes.find((n) => n.nodeId === 'wh')!.outputs[0]!.columns).toEqual([
      { name: 'revenue', type: 'DECIMAL(10,2)' },
      { name: 'order_id', type: 'BIGINT' },
    ]);
    const { summary } = await run(doc, dir);
    expect(summary.status).toBe('succeeded');
    expect(summary.nodes.find((n) => n.nodeId === 'wh')!.rowsOut).toBe(2500);
    // The run detached the file: this process can open it for writing again, and nothing changed.
    expect(await inDb(file, `SELECT count(*)::INT AS n, sum(revenue)::DOUBLE AS total FROM sales."Order Facts"`)).toEqual([{ n: 2500, total: 4685625 }]);
  });

  it('runs a query inside the file, with unqualified names in the schema and $params', async () => {
    const doc = pipeline([source({ schema: 'sales', query: 'SELECT country, count(*) AS orders FROM "Order Facts" WHERE order_id < $upto GROUP BY ALL ORDER BY country' })], [], {
      params: { upto: { type: 'number', default: 30 } },
    });
    const r = await preview(doc, dir, 'wh');
    expect(r.rows).toEqual([
      { country: 'DE', orders: '10' },
      { country: 'ES', orders: '10' },
      { country: 'FR', orders: '10' },
    ]);
  });

  it('previews the first rows of a view and says the preview is sampled', async () => {
    const r = await preview(pipeline([source({ schema: 'sales', table: 'big_orders' })]), dir, 'wh', { limit: 1000 });
    expect(r.rows).toHaveLength(499);
    expect(r.sampled).toBe(false);
    const big = await preview(pipeline([source({ schema: 'sales', table: 'Order Facts' })]), dir, 'wh', { limit: 10 });
    expect(big.sampled).toBe(true);
  });

  it('reports a missing file, table or column before the run, with the closest name', async () => {
    const problems = async (params: Record<string, unknown>) => (await problemsOf(pipeline([source(params)]), dir)).map((p) => [p.path, p.message]);
    expect(await problems({ database: 'nope.duckdb', table: 'tiny' })).toEqual([['nodes[0].params.database', `node 'wh': no DuckDB database file at ${path.join(dir, 'nope.duckdb')}`]]);
    expect(await problems({ schema: 'sales', table: 'order_fact' })).toEqual([['nodes[0].params.table', `node 'wh': no table or view 'order_fact' in schema 'sales' of ${file} (did you mean 'Order Facts'?)`]]);
    expect(await problems({ schema: 'sales', table: 'customers' })).toEqual([['nodes[0].params.table', `node 'wh': no table or view 'customers' in schema 'sales' of ${file}`]]);
    expect(await problems({ schema: 'sales', table: 'big_order' })).toEqual([['nodes[0].params.table', `node 'wh': no table or view 'big_order' in schema 'sales' of ${file} (did you mean 'big_orders'?)`]]);
    expect(await problems({ schema: 'sales', table: 'big_orders', columns: ['contry'] })).toEqual([['nodes[0].params.columns', "node 'wh': column 'contry' (did you mean 'country'?) not found in sales.big_orders"]]);
    expect(await problems({ table: 'tiny', query: 'SELECT 1' })).toEqual([['nodes[0].params.table', "node 'wh' (source.duckdb): set either a table or a query"]]);
  });

  it('reads and writes the same warehouse in one run: the read detaches before the DuckDB sink attaches', async () => {
    const doc = pipeline(
      [
        source({ schema: 'sales', table: 'Order Facts' }),
        { id: 'by_country', type: 'transform.aggregate', params: { group_by: ['country'], aggregations: [{ name: 'revenue', function: 'sum', column: 'revenue' }] } },
        { id: 'load', type: 'sink.duckdb', params: { database: 'warehouse.duckdb', schema: 'sales', table: 'revenue_by_country' } },
      ],
      ['wh -> by_country', 'by_country -> load'],
    );
    const { summary } = await run(doc, dir);
    expect(summary.error).toBeUndefined();
    expect(await inDb(file, 'SELECT country, revenue::DOUBLE AS revenue FROM sales.revenue_by_country ORDER BY country')).toEqual([
      { country: 'DE', revenue: 1560625.5 },
      { country: 'ES', revenue: 1561875 },
      { country: 'FR', revenue: 1563124.5 },
    ]);
  });

  it('pins the schema like every source: a changed table is a drift before the run', async () => {
    const doc = pipeline([source({ table: 'tiny', expect_schema: [{ name: 'x', type: 'INTEGER' }, { name: 'y' }] })]);
    const [p] = await problemsOf(doc, dir);
    expect(p).toMatchObject({ code: 'schema_drift', nodeId: 'wh' });
  });

  describe('while another process has the file open for writing', () => {
    let holder: ChildProcess;
    beforeAll(async () => {
      const script = `const { DuckDBInstance } = await import('@duckdb/node-api'); const i = await DuckDBInstance.create(${JSON.stringify(file)}); await i.connect(); console.log('holding'); setInterval(() => {}, 1000);`;
      holder = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve, reject) => {
        holder.stdout!.on('data', (d: Buffer) => {
          if (d.toString().includes('holding')) resolve();
        });
        holder.on('exit', (code) => reject(new Error(`the holder exited with ${code}`)));
      });
    });
    afterAll(() => {
      holder.kill();
    });

    it('says which process holds it and what to do; the run writes nothing', async () => {
      const doc = pipeline([source({ table: 'tiny' }), { id: 'out', type: 'sink.csv', params: { path: 'locked.csv' } }], ['wh -> out']);
      const [p] = await problemsOf(doc, dir);
      expect(p!.message).toBe(`node 'wh': cannot read ${file}: another process has it open for writing (${process.execPath}, PID ${holder.pid})`);
      // Not a mistake in the pipeline (the run exits 1, not 2), and at the param naming the file.
      expect(p).toMatchObject({ code: 'unavailable', path: 'nodes[0].params.database' });
      expect(p!.hint).toMatch(/one process write a database file at a time.*wait until that process is done/);
      const { summary } = await run(doc, dir);
      expect(summary.status).toBe('failed');
      expect(summary.error!.message).toContain('another process has it open for writing');
      expect(existsSync(path.join(dir, 'locked.csv'))).toBe(false);
    });
  });
});
