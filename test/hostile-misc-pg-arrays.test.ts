import { describe, expect, it } from 'vitest';
import { inspect, runPipeline } from '../core/src/engine/engine.js';
import { pipeline, tempDir } from './support/pipeline.js';
import { PG, pgConnection, pgSandbox } from './support/postgres.js';
import { discoverPostgres } from '../core/src/connectors/postgres/discover.js';

const connections = { db: { type: 'postgres' } };

/**
 * PostgreSQL arrays of more than one dimension (`int[][]`, `ARRAY[[1,2],[3,4]]`): read as nested
 * lists with every value kept when the column declares its dimensions, and otherwise refused with
 * the column named and what to do, never DuckDB's bare conversion error.
 */
describe('source.postgres: multi-dimensional arrays', async () => {
  const { schema, q } = await pgSandbox();
  const dir = await tempDir();
  const read = (params: Record<string, unknown>) =>
    pipeline(
      [
        { id: 'src', type: 'source.postgres', params: { connection: 'db', ...params } },
        { id: 'out', type: 'sink.json', params: { path: `${dir}/out-${Math.random().toString(36).slice(2)}.json` } },
      ],
      ['src -> out'],
      { connections },
    );

  it('a table column declared int[][] reads as INTEGER[][], every value kept', async () => {
    await q(`CREATE TABLE grid (id int, m int[][], t text[][])`);
    await q(`INSERT INTO grid VALUES (1, ARRAY[[1,2],[3,4]], ARRAY[['a','b,c'],['"q"',NULL]]), (2, NULL, NULL), (3, '{}', '{}')`);
    const doc = read({ schema, table: 'grid' });
    const shape = await inspect({ pipeline: doc, baseDir: dir, connections: pgConnection() });
    expect(shape.problems).toEqual([]);
    const cols = Object.fromEntries(shape.nodes.find((n) => n.nodeId === 'src')!.outputs[0]!.columns.map((c) => [c.name, c.type]));
    expect(cols).toEqual({ id: 'INTEGER', m: 'INTEGER[][]', t: 'VARCHAR[][]' });
    // The studio's table browser says the same types the read plans.
    const [grid] = await discoverPostgres({ ...PG, ssl: 'disable', connect_timeout_s: 10, commit_timeout_s: 120 }, { schema, table: 'grid' });
    expect(grid!.columns!.map((c) => c.type)).toEqual(['INTEGER', 'INTEGER[][]', 'VARCHAR[][]']);
    const s = await runPipeline({ pipeline: doc, baseDir: dir, connections: pgConnection() });
    expect(s.error).toBeUndefined();
    const { readFile } = await import('node:fs/promises');
    const out = (doc.nodes[1]!.params as { path: string }).path;
    const rows = (await readFile(out, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.sort((a, b) => Number(a.id) - Number(b.id))).toEqual([
      { id: 1, m: [[1, 2], [3, 4]], t: [['a', 'b,c'], ['"q"', null]] },
      { id: 2, m: null, t: null },
      { id: 3, m: [], t: [] },
    ]);
  });

  it('a query whose array has more dimensions than its type says stops naming the column and what to do', async () => {
    const doc = read({ query: `SELECT 1 AS id, ARRAY[[1,2],[3,4]] AS m` });
    const s = await runPipeline({ pipeline: doc, baseDir: dir, connections: pgConnection() });
    expect(s.error?.message).toMatch(/column "m"/);
    expect(s.error?.message).toMatch(/a value has 2 dimension/);
    expect(s.error?.message).toMatch(/m::text|to_jsonb\(m\)/);
    expect(s.error?.message).not.toMatch(/Conversion Error/);
  });

  it('a value of fewer dimensions than its int[][] column declares (PostgreSQL does not enforce them) stops naming the column', async () => {
    await q(`CREATE TABLE loose_grid (id int, m int[][])`);
    await q(`INSERT INTO loose_grid VALUES (1, ARRAY[[1,2],[3,4]]), (2, ARRAY[5,6])`);
    const s = await runPipeline({ pipeline: read({ schema, table: 'loose_grid' }), baseDir: dir, connections: pgConnection() });
    expect(s.error?.message).toContain('column "m" is read as INTEGER[][] (arrays of 2 dimensions), but a value has 1 dimension(s) ([5,6])');
  });

  it('numeric(10,2)[][] in a table is refused before the run, naming the column', async () => {
    await q(`CREATE TABLE money_grid (id int, amounts numeric(10,2)[][])`);
    await q(`INSERT INTO money_grid VALUES (1, ARRAY[[1.25, 2.50],[3, 4]])`);
    const shape = await inspect({ pipeline: read({ schema, table: 'money_grid' }), baseDir: dir, connections: pgConnection() });
    expect(shape.problems.map((p) => p.message).join('\n')).toMatch(/column 'amounts' \(numeric\(10,2\)\[\]\[\]\) is declared with 2 dimensions/);
  });

  it('lists of lists load into existing int[][] and text[][] columns as nested arrays (they were sent as JSON, which PostgreSQL refused); a jagged one stops the load and the table is as it was', async () => {
    await q(`CREATE TABLE grid_in (id int, m int[][], t text[][])`);
    const load = (query: string) =>
      runPipeline({
        pipeline: pipeline(
          [
            { id: 'src', type: 'transform.sql', params: { query } },
            { id: 'out', type: 'sink.postgres', params: { connection: 'db', schema, table: 'grid_in', mode: 'append' } },
          ],
          ['src -> out'],
          { connections },
        ),
        baseDir: dir,
        connections: pgConnection(),
      });
    const s = await load(`SELECT 1 AS id, [[1,2],[3,4]]::INTEGER[][] AS m, [['a','b,c'],['"q"', NULL]]::VARCHAR[][] AS t UNION ALL SELECT 2, NULL, NULL`);
    expect(s.error).toBeUndefined();
    expect(await q(`SELECT id, m, t FROM grid_in ORDER BY id`)).toEqual([
      { id: 1, m: [[1, 2], [3, 4]], t: [['a', 'b,c'], ['"q"', null]] },
      { id: 2, m: null, t: null },
    ]);
    const jagged = await load(`SELECT 3 AS id, [[1,2],[3]]::INTEGER[][] AS m, NULL::VARCHAR[][] AS t`);
    expect(jagged.status).toBe('failed');
    expect(jagged.error?.message).toMatch(/column "m" of table .*grid_in.* refused a value on line 1/);
    expect((await q(`SELECT count(*)::int AS n FROM grid_in`))[0]).toEqual({ n: 2 });
  });
});
