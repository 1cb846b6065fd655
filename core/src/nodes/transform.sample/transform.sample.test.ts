import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { inspect, pipeline, preview, problemsOf, run, tempDir } from '../../../../test/support/pipeline.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-sample-');
});

// 10 000 rows, some names needing Unicode, some NULLs, and a column name needing quotes.
const SRC = `SELECT range::INTEGER AS id, CASE WHEN range % 3 = 0 THEN 'José Muñoz' WHEN range % 3 = 1 THEN 'Zoë' END AS "Full Name" FROM range(10000)`;

const sampleOver = (params: Record<string, unknown>, src = SRC) =>
  pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query: src } },
      { id: 's', type: 'transform.sample', params },
    ],
    ['src -> s'],
  );
const sampleIds = async (params: Record<string, unknown>, src = SRC) =>
  (await preview(sampleOver(params, src), dir, 's', { limit: 100000 })).rows.map((r) => r.id as number);

describe('transform.sample', () => {
  it('keeps exactly N distinct input rows with unit rows, and the same seed gives the same rows again', async () => {
    const first = await sampleIds({ unit: 'rows', size: 25, seed: 7 });
    expect(first).toHaveLength(25);
    expect(new Set(first).size).toBe(25);
    expect(first.every((id) => Number.isInteger(id) && id >= 0 && id < 10000)).toBe(true);
    expect(await sampleIds({ unit: 'rows', size: 25, seed: 7 })).toEqual(first);
    expect(await sampleIds({ unit: 'rows', size: 25, seed: 8 })).not.toEqual(first);
  });

  it('keeps about the given share with unit percent, reproducibly', async () => {
    const first = await sampleIds({ unit: 'percent', size: 10, seed: 3 });
    expect(first.length).toBeGreaterThan(850);
    expect(first.length).toBeLessThan(1150);
    expect(new Set(first).size).toBe(first.length);
    expect(await sampleIds({ unit: 'percent', size: 10, seed: 3 })).toEqual(first);
  });

  it('keeps all rows when asking for more rows than there are, and none from an empty input', async () => {
    const small = `SELECT * FROM (VALUES (1, 'Zoë'), (2, NULL), (3, 'José Muñoz')) t(id, "Full Name")`;
    const r = await preview(sampleOver({ unit: 'rows', size: 10 }, small), dir, 's');
    expect([...r.rows].sort((a, b) => (a.id as number) - (b.id as number))).toEqual([
      { id: 1, 'Full Name': 'Zoë' },
      { id: 2, 'Full Name': null },
      { id: 3, 'Full Name': 'José Muñoz' },
    ]);
    expect(await sampleIds({ unit: 'percent', size: 50 }, `${small} WHERE false`)).toEqual([]);
    expect(await sampleIds({ unit: 'percent', size: 100 }, small)).toHaveLength(3);
  });

  it('is materialized in a run, so two consumers see the same sample', async () => {
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: SRC } },
        { id: 's', type: 'transform.sample', params: { unit: 'percent', size: 1, seed: 11 } },
        { id: 'a', type: 'sink.csv', params: { path: 'a.csv' } },
        { id: 'b', type: 'sink.csv', params: { path: 'b.csv' } },
      ],
      ['src -> s', 's -> a', 's -> b'],
    );
    const { summary } = await run(doc, dir);
    expect(summary.status).toBe('succeeded');
    expect(summary.nodes.find((n) => n.nodeId === 's')).toMatchObject({ materialized: true });
    const [a, b] = await Promise.all(['a.csv', 'b.csv'].map((f) => readFile(path.join(dir, f), 'utf8')));
    expect(a).toBe(b);
    expect(a!.split('\n').filter(Boolean).length).toBeGreaterThan(50);
  });

  it('picks the same rows whatever the number of DuckDB threads (why both methods are used with a seed)', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    const q = async (sql: string) => (await con.runAndReadAll(sql)).getRowObjectsJson();
    await q('CREATE TABLE t AS SELECT range AS id, hash(range) % 100 AS h FROM range(1000000)');
    await q('CREATE VIEW v AS SELECT id FROM t WHERE h < 80');
    for (const method of ['reservoir(500 ROWS)', 'bernoulli(1 PERCENT)']) {
      const seen = new Set<string>();
      for (const threads of [1, 2, 4]) {
        await q(`SET threads = ${threads}`);
        const [r] = await q(`SELECT count(*)::VARCHAR || ':' || sum(id)::VARCHAR AS k FROM (SELECT * FROM v USING SAMPLE ${method} REPEATABLE (5))`);
        seen.add(String(r!.k));
      }
      expect([method, seen.size]).toEqual([method, 1]);
    }
    con.closeSync();
  });

  it('compiles to USING SAMPLE with the method and seed as literals', async () => {
    for (const params of [{ unit: 'rows', size: 1000 }, { unit: 'percent', size: 2.5, seed: 9 }]) {
      const result = await inspect({ pipeline: sampleOver(params), baseDir: dir });
      expect(result.problems).toEqual([]);
      expect(result.nodes.find((n) => n.nodeId === 's')!.outputs[0]!.sql).toMatchSnapshot();
    }
  });

  it('refuses a fractional row count and a percentage above 100', async () => {
    expect(await problemsOf(sampleOver({ unit: 'rows', size: 2.5 }), dir)).toEqual([
      expect.objectContaining({ path: 'nodes[1].params.size', message: expect.stringContaining('a row count must be a whole number, not 2.5') }),
    ]);
    expect(await problemsOf(sampleOver({ unit: 'percent', size: 150 }), dir)).toEqual([
      expect.objectContaining({ path: 'nodes[1].params.size', message: expect.stringContaining('a percentage must be at most 100, not 150') }),
    ]);
  });
});
