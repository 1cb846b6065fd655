import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PlanStep } from '../core/src/engine/protocol.js';
import { inspect, pipeline, run, tempDir } from './support/pipeline.js';

/**
 * A file sink whose input has no order to keep (a DISTINCT or GROUP BY upstream, then only row-wise
 * nodes) lets DuckDB write the rows as they come (`preserve_insertion_order` off: faster, less
 * memory). Anything that may give the rows an order (sort, SQL, an ordered fill) keeps it, and so
 * does a sink fed straight from a file.
 */

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-row-order-');
});

const NUMBERS = 'SELECT range AS id, range % 1000 AS grp FROM range(400000)';
const UNORDERED = 'rows in any order';

async function sinkReason(nodes: Parameters<typeof pipeline>[0], edges: string[]): Promise<string> {
  const plan = (await inspect({ pipeline: pipeline(nodes, edges), baseDir: dir })).plan!;
  return (plan.find((s: PlanStep) => s.nodeId === 'out') as PlanStep).reason;
}

async function rows(file: string, sql: string): Promise<unknown[][]> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    return (await conn.runAndReadAll(sql.replaceAll('$file', `'${file.replaceAll("'", "''")}'`))).getRows();
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

const src = { id: 'src', type: 'transform.sql', params: { query: NUMBERS } };
const dedupe = { id: 'dedupe', type: 'transform.dedupe', params: {} };
const filter = { id: 'filter', type: 'transform.filter', params: { condition: 'id >= 0' } };
const parquet = (name: string) => ({ id: 'out', type: 'sink.parquet', params: { path: path.join(dir, name), if_exists: 'overwrite' } });

describe('sinks write rows in any order only when the rows have none', () => {
  it('after a dedupe and row-wise nodes: said in the plan, and every row is written', async () => {
    const nodes = [src, dedupe, filter, { id: 'fill', type: 'transform.fill_nulls', params: { rules: [{ column: 'grp', strategy: 'constant', value: 0 }] } }, parquet('dedupe.parquet')];
    const edges = ['src -> dedupe', 'dedupe -> filter', 'filter -> fill', 'fill -> out'];
    expect(await sinkReason(nodes, edges)).toContain(UNORDERED);
    const { summary } = await run(pipeline(nodes, edges), dir);
    expect(summary.status).toBe('succeeded');
    expect(await rows(path.join(dir, 'dedupe.parquet'), 'SELECT count(*), count(DISTINCT id), sum(id) FROM $file')).toEqual([[400000n, 400000n, 79999800000n]]);
  });

  it('a node with no row order that is computed once (into a table, or by the Parquet sink that writes it) stores its rows as they come', async () => {
    const csv = (id: string) => ({ id, type: 'sink.csv', params: { path: path.join(dir, `${id}.csv`), if_exists: 'overwrite' } });
    for (const [first, strategy] of [[csv('first'), 'table'], [parquet('twice.parquet'), 'sink-file']] as const) {
      const doc = pipeline([src, dedupe, first, csv('second')], ['src -> dedupe', `dedupe -> ${first.id}`, 'dedupe -> second']);
      const plan = (await inspect({ pipeline: doc, baseDir: dir })).plan!;
      const step = plan.find((s: PlanStep) => s.nodeId === 'dedupe')!;
      expect(step.strategy).toBe(strategy);
      expect(step.notes).toContain('rows stored in any order: they have none after a DISTINCT or GROUP BY upstream');
      const { summary } = await run(doc, dir);
      expect(summary.status).toBe('succeeded');
      expect(await rows(path.join(dir, 'second.csv'), 'SELECT count(DISTINCT id), count(*) FROM $file')).toEqual([[400000n, 400000n]]);
    }
    expect(await rows(path.join(dir, 'twice.parquet'), 'SELECT count(DISTINCT id) FROM $file')).toEqual([[400000n]]);
  });

  it('after an aggregate: said in the plan', async () => {
    const agg = { id: 'agg', type: 'transform.aggregate', params: { group_by: ['grp'], aggregations: [{ name: 'n', function: 'count' }] } };
    expect(await sinkReason([src, agg, parquet('agg.parquet')], ['src -> agg', 'agg -> out'])).toContain(UNORDERED);
  });

  it('a sink fed by a source through row-wise nodes keeps the order', async () => {
    expect(await sinkReason([src, filter, parquet('plain.parquet')], ['src -> filter', 'filter -> out'])).not.toContain(UNORDERED);
  });

  it('a sort after the dedupe gives the rows an order again: kept exactly in the file', async () => {
    const sort = { id: 'sort', type: 'transform.sort', params: { by: [{ column: 'id', direction: 'desc' }] } };
    const nodes = [src, dedupe, sort, filter, parquet('sorted.parquet')];
    const edges = ['src -> dedupe', 'dedupe -> sort', 'sort -> filter', 'filter -> out'];
    expect(await sinkReason(nodes, edges)).not.toContain(UNORDERED);
    const { summary } = await run(pipeline(nodes, edges), dir);
    expect(summary.status).toBe('succeeded');
    const [[n, inOrder]] = (await rows(path.join(dir, 'sorted.parquet'), 'SELECT count(*), bool_and(id = 399999 - (rn - 1)) FROM (SELECT id, row_number() OVER () AS rn FROM $file)')) as [[bigint, boolean]];
    expect([n, inOrder]).toEqual([400000n, true]);
  });

  it('SQL or an ordered fill may give the rows an order: kept', async () => {
    const sql = { id: 'sql', type: 'transform.sql', params: { query: 'SELECT * FROM dedupe' } };
    expect(await sinkReason([src, dedupe, sql, parquet('sql.parquet')], ['src -> dedupe', 'dedupe -> sql', 'sql -> out'])).not.toContain(UNORDERED);
    const ffill = { id: 'fill', type: 'transform.fill_nulls', params: { rules: [{ column: 'grp', strategy: 'previous' }], order_by: [{ column: 'id' }] } };
    expect(await sinkReason([src, dedupe, ffill, parquet('ffill.parquet')], ['src -> dedupe', 'dedupe -> fill', 'fill -> out'])).not.toContain(UNORDERED);
  });

  it("a join follows its left side's order: none after a dedupe on the left, the left's own order otherwise", async () => {
    const other = { id: 'other', type: 'transform.sql', params: { query: 'SELECT range AS id, range AS w FROM range(10)' } };
    const join = (kind: string) => ({ id: 'join', type: 'transform.join', params: { kind, on: [{ left: 'id' }] } });
    const reason = (kind: string, left: string, right: string) =>
      sinkReason([src, dedupe, other, join(kind), parquet('join.parquet')], ['src -> dedupe', `${left} -> join:left`, `${right} -> join:right`, 'join -> out']);
    expect(await reason('left', 'dedupe', 'other')).toContain(UNORDERED);
    expect(await reason('inner', 'dedupe', 'other')).toContain(UNORDERED);
    expect(await reason('left', 'other', 'dedupe')).not.toContain(UNORDERED);
    expect(await reason('full', 'dedupe', 'other')).not.toContain(UNORDERED);
  });
});
