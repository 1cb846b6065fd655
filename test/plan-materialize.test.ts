import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PlanStep, RunEvent } from '../core/src/engine/protocol.js';
import { inspect, pipeline, run, tempDir } from './support/pipeline.js';

/**
 * The planner's materialization decisions: an output that more than one statement would compute
 * (consumers, counted through views, and quality evaluations) is computed once: by a Parquet sink
 * that writes it as it is (its other readers read the staged file back), else into a temp table;
 * each decision says why.
 */

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-plan-');
});

const planOf = (events: RunEvent[]) => (events.find((e) => e.type === 'plan') as { nodes: PlanStep[] } | undefined)?.nodes ?? [];
const step = (steps: PlanStep[], id: string) => steps.find((s) => s.nodeId === id)!;

// random() makes a second computation of the same rows visible: it would draw other numbers.
const RANDOM = 'SELECT range AS id, random() < 0.5 AS heads FROM range(20000)';

async function count(file: string, where: string): Promise<number> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const rows = (await conn.runAndReadAll(`SELECT count(*) FROM '${file.replaceAll("'", "''")}' WHERE ${where}`)).getRows();
    return Number(rows[0]?.[0]);
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

describe('materialization decided from the graph', () => {
  it('a quality node with one consumer is computed once: the counts describe exactly the rows written', async () => {
    const file = path.join(dir, 'one.parquet');
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: RANDOM } },
        { id: 'q', type: 'quality.check', params: { checks: [{ name: 'heads', kind: 'expression', expression: 'heads', severity: 'warn' }] } },
        { id: 'sink', type: 'sink.parquet', params: { path: file } },
      ],
      ['src -> q', 'q -> sink'],
    );
    const { summary, events } = await run(doc, dir);
    expect(summary.status).toBe('succeeded');
    const failed = summary.quality!.nodes[0]!.checks[0]!.rowsFailed;
    expect(failed).toBe(await count(file, 'NOT heads'));
    const plan = planOf(events);
    // The Parquet sink's statement computes it; the evaluation reads the staged file back.
    expect(step(plan, 'q')).toMatchObject({ strategy: 'sink-file', writtenBy: 'sink', statements: ['sink (sink)', 'q (quality evaluation)'] });
    expect(step(plan, 'q').reason).toMatch(/read by 2 statements: computed once by sink 'sink'/);
    expect(step(plan, 'src')).toMatchObject({ strategy: 'view', statements: ['sink (sink)'] });
    expect(summary.nodes.find((n) => n.nodeId === 'q')).toMatchObject({ materialized: true, rowsOut: 20000 });
  });

  it('a fan-out after the quality node reads what one statement computed: both outputs and the counts agree', async () => {
    const a = path.join(dir, 'a.parquet');
    const b = path.join(dir, 'b.parquet');
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: RANDOM } },
        { id: 'q', type: 'quality.check', params: { checks: [{ name: 'heads', kind: 'expression', expression: 'heads', severity: 'warn' }] } },
        { id: 'a', type: 'sink.parquet', params: { path: a } },
        { id: 'tails', type: 'transform.filter', params: { condition: 'NOT heads' } },
        { id: 'b', type: 'sink.parquet', params: { path: b } },
      ],
      ['src -> q', 'q -> a', 'q -> tails', 'tails -> b'],
    );
    const { summary, events } = await run(doc, dir);
    const failed = summary.quality!.nodes[0]!.checks[0]!.rowsFailed;
    expect(await count(a, 'NOT heads')).toBe(failed);
    expect(await count(b, 'true')).toBe(failed);
    expect(step(planOf(events), 'q')).toMatchObject({ strategy: 'sink-file', writtenBy: 'a', statements: ['a (sink)', 'b (sink)', 'q (quality evaluation)'] });
    expect(step(planOf(events), 'tails')).toMatchObject({ strategy: 'view', statements: ['b (sink)'] });
  });

  it('a checks-only node stays a view fused into its evaluation; quarantine reads its own table', async () => {
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: 'SELECT range AS id FROM range(10)' } },
        { id: 'q', type: 'quality.check', params: { checks: [{ name: 'id unique', kind: 'unique', columns: ['id'], severity: 'warn' }] } },
        { id: 'q2', type: 'quality.check', params: { checks: [{ name: 'small', kind: 'expression', expression: 'id < 5', severity: 'quarantine' }] } },
        { id: 'a', type: 'sink.csv', params: { path: path.join(dir, 'q2a.csv') } },
        { id: 'b', type: 'sink.csv', params: { path: path.join(dir, 'q2b.csv') } },
      ],
      ['src -> q', 'src -> q2', 'q2 -> a', 'q2 -> b'],
    );
    const r = await inspect({ pipeline: doc, baseDir: dir });
    expect(r.problems).toEqual([]);
    const plan = r.plan!;
    expect(step(plan, 'q')).toMatchObject({ strategy: 'view', statements: ['q (quality evaluation)'] });
    // Its setup is the one statement that reads the input; the fan-out needs no second table.
    expect(step(plan, 'q2')).toMatchObject({ strategy: 'setup', statements: ['a (sink)', 'b (sink)'] });
    // src: read by q's evaluation and q2's setup.
    expect(step(plan, 'src')).toMatchObject({ strategy: 'table', statements: ['q (quality evaluation)', 'q2 (setup)'] });
    expect(step(plan, 'q').notes.join(' ')).toMatch(/one aggregate scan/);
  });

  it('a node no Parquet sink writes as it is goes into a temp table: two CSV sinks, or a type Parquet would change', async () => {
    const nodes = (query: string, sinkType: string) => [
      { id: 'src', type: 'transform.sql', params: { query } },
      { id: 'a', type: sinkType, params: { path: path.join(dir, `t-a.${sinkType.slice(5)}`) } },
      { id: 'b', type: 'sink.csv', params: { path: path.join(dir, 't-b.csv') } },
    ];
    for (const [query, sinkType] of [
      ['SELECT range AS id FROM range(3)', 'sink.csv'],
      ['SELECT range::HUGEINT AS id FROM range(3)', 'sink.parquet'],
      ["SELECT 'a'::ENUM('a', 'b') AS e", 'sink.parquet'],
    ]) {
      const plan = (await inspect({ pipeline: pipeline(nodes(query!, sinkType!), ['src -> a', 'src -> b']), baseDir: dir })).plan!;
      expect(step(plan, 'src'), query).toMatchObject({ strategy: 'table', statements: ['a (sink)', 'b (sink)'] });
    }
  });

  it('a node with setup steps of its own (a CSV scan collecting rejects) goes into a temp table: its sink would run before them', async () => {
    const csv = path.join(dir, 'with-bad-line.csv');
    await writeFile(csv, 'id,amount\n1,10\n2,x\n3,30\n');
    const doc = pipeline(
      [
        { id: 'src', type: 'source.csv', params: { path: csv, on_error: 'reject', columns: [{ name: 'id', type: 'INTEGER' }, { name: 'amount', type: 'INTEGER' }] } },
        { id: 'a', type: 'sink.parquet', params: { path: path.join(dir, 'setup-a.parquet') } },
        { id: 'b', type: 'sink.csv', params: { path: path.join(dir, 'setup-b.csv') } },
      ],
      ['src -> a', 'src -> b'],
    );
    const { summary, events } = await run(doc, dir);
    expect(step(planOf(events), 'src').strategy).toBe('table');
    expect(summary.status).toBe('succeeded');
    expect(await count(path.join(dir, 'setup-a.parquet'), 'true')).toBe(2);
    expect(await count(path.join(dir, 'setup-b.csv'), 'true')).toBe(2);
  });

  it('a partitioned Parquet sink writes a folder, not one file to read back: a temp table', async () => {
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: 'SELECT range AS id, range % 2 AS part FROM range(4)' } },
        { id: 'a', type: 'sink.parquet', params: { path: path.join(dir, 'parts'), partition_by: ['part'] } },
        { id: 'b', type: 'sink.csv', params: { path: path.join(dir, 'parts.csv') } },
      ],
      ['src -> a', 'src -> b'],
    );
    expect(step((await inspect({ pipeline: doc, baseDir: dir })).plan!, 'src').strategy).toBe('table');
  });

  it('an error check failing after its sink staged the file: the old file stays, nothing staged is left', async () => {
    const folder = path.join(dir, 'failing');
    await mkdir(folder, { recursive: true });
    const file = path.join(folder, 'out.parquet');
    await writeFile(file, 'the previous run');
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: RANDOM } },
        { id: 'q', type: 'quality.check', params: { checks: [{ name: 'all heads', kind: 'expression', expression: 'heads', severity: 'error' }] } },
        { id: 'out', type: 'sink.parquet', params: { path: file, if_exists: 'overwrite' } },
      ],
      ['src -> q', 'q -> out'],
    );
    const { summary, events } = await run(doc, dir);
    expect(step(planOf(events), 'q').strategy).toBe('sink-file');
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toMatch(/all heads/);
    expect(await readFile(file, 'utf8')).toBe('the previous run');
    expect(await readdir(folder)).toEqual(['out.parquet']);
  });

  it('a data error inside the statement of the sink that computes the node names the node that raised it', async () => {
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: "SELECT range AS id, CASE WHEN range = 7 THEN 'seven' ELSE range::VARCHAR END AS n FROM range(10)" } },
        { id: 'num', type: 'transform.derive', params: { columns: [{ name: 'n_int', expression: 'CAST(n AS INTEGER)' }] } },
        { id: 'q', type: 'quality.check', params: { checks: [{ name: 'id set', kind: 'not_null', column: 'id', severity: 'warn' }] } },
        { id: 'out', type: 'sink.parquet', params: { path: path.join(dir, 'data-error.parquet') } },
      ],
      ['src -> num', 'num -> q', 'q -> out'],
    );
    const { summary, events } = await run(doc, dir);
    expect(step(planOf(events), 'q').strategy).toBe('sink-file');
    expect(summary.status).toBe('failed');
    expect(summary.error).toMatchObject({ nodeId: 'num' });
    expect(summary.error?.message).toMatch(/seven/);
  });

  it('counts statements through views: a chain read by two sinks materializes its last shared node only', async () => {
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: 'SELECT range AS id FROM range(10)' } },
        { id: 'd', type: 'transform.derive', params: { columns: [{ name: 'x', expression: 'id * 2' }] } },
        { id: 'a', type: 'sink.csv', params: { path: path.join(dir, 'ca.csv') } },
        { id: 'b', type: 'sink.csv', params: { path: path.join(dir, 'cb.csv') } },
      ],
      ['src -> d', 'd -> a', 'd -> b'],
    );
    const plan = (await inspect({ pipeline: doc, baseDir: dir })).plan!;
    expect(plan.map((s) => [s.nodeId, s.strategy, s.statements])).toEqual([
      ['src', 'view', ['d (materialized)']],
      ['d', 'table', ['a (sink)', 'b (sink)']],
      ['a', 'sink', []],
      ['b', 'sink', []],
    ]);
  });
});
