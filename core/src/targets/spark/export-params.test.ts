import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { pipeline, tempDir } from '../../../../test/support/pipeline.js';
import { useSparkPython } from '../../../../test/spark/support.js';
import { exportSpark } from './export.js';
import type { SparkStep } from './job.js';

/**
 * Params in an exported Spark job mean what they mean on the DuckDB engine: a path param's value is
 * literal text (its glob characters name themselves), a number keeps its spelling, `~/` is the home
 * folder, and number values are carried exactly. Export only (sqlglot runs; no Spark session).
 */
let dir: string;
beforeAll(async () => {
  useSparkPython();
  dir = await tempDir('caudal-spark-params-');
  // `data[1].csv` is the file the param names; `data1.csv` is what `data[1]` matches as a pattern.
  await writeFile(path.join(dir, 'data[1].csv'), 'id,v\n1,a\n');
  await writeFile(path.join(dir, 'data1.csv'), 'id,v\n2,b\n');
  await mkdir(path.join(dir, 'in{a,b}'), { recursive: true });
  await writeFile(path.join(dir, 'in{a,b}', 'x.csv'), 'id,v\n3,c\n');
});

const reads = (steps: SparkStep[] | undefined) => (steps ?? []).flatMap((s) => (s.kind === 'read' ? [s.read] : []));
const sinks = (steps: SparkStep[] | undefined) => (steps ?? []).flatMap((s) => (s.kind === 'sink' ? [s.sink] : []));
const views = (steps: SparkStep[] | undefined) => (steps ?? []).flatMap((s) => (s.kind === 'view' ? [s] : []));

const params = { name: { type: 'string', default: 'x' }, n: { type: 'number', default: 0 }, rate: { type: 'number', default: 0 }, big: { type: 'number', default: 0 } };

async function exported(nodes: Parameters<typeof pipeline>[0], edges: string[], values: Record<string, string>) {
  const r = await exportSpark(pipeline(nodes, edges, { params }), { baseDir: dir, params: values });
  expect(r.problems).toEqual([]);
  return r.job!;
}

describe('caudal export spark: params in paths, as on the DuckDB engine', () => {
  it("reads the file a path param names literally (data[1] is that file, not data1), escaped for Spark's glob", async () => {
    const job = await exported(
      [
        { id: 'src', type: 'source.csv', params: { path: '${name}.csv' } },
        { id: 'sink', type: 'sink.parquet', params: { path: 'out/r.parquet', if_exists: 'overwrite' } },
      ],
      ['src -> sink'],
      { name: 'data[1]' },
    );
    expect(reads(job.steps).map((r) => r.paths)).toEqual([[`${dir}/data\\[1\\].csv`]]);
  });

  it('keeps a pattern written in the pipeline a pattern, with the literal parts of the value escaped ({a,b} is a name on DuckDB, a choice in Hadoop)', async () => {
    const job = await exported(
      [
        { id: 'src', type: 'source.csv', params: { path: '${name}/*.csv' } },
        { id: 'sink', type: 'sink.parquet', params: { path: 'out/r.parquet', if_exists: 'overwrite' } },
      ],
      ['src -> sink'],
      { name: 'in{a,b}' },
    );
    expect(reads(job.steps).map((r) => r.paths)).toEqual([[`${dir}/in\\{a,b\\}/*.csv`]]);
  });

  it('writes where the DuckDB engine writes: ~/ is the home folder, and a number param keeps its spelling (007)', async () => {
    const job = await exported(
      [
        { id: 'src', type: 'source.csv', params: { path: 'data1.csv' } },
        { id: 'sink', type: 'sink.csv', params: { path: '~/caudal-stream-${n}.csv', if_exists: 'overwrite' } },
      ],
      ['src -> sink'],
      { n: '007' },
    );
    expect(sinks(job.steps).map((s) => s.target)).toEqual([path.join(os.homedir(), 'caudal-stream-007.csv')]);
  });
});

describe('caudal export spark: number params are exact', () => {
  it('puts a decimal and an integer beyond 2^53 into the SQL as exact literals, and records them without change', async () => {
    const job = await exported(
      [
        { id: 'src', type: 'source.csv', params: { path: 'data1.csv' } },
        { id: 'calc', type: 'transform.derive', params: { columns: [{ name: 'r', expression: '$rate' }, { name: 'big', expression: '$big' }] } },
        { id: 'sink', type: 'sink.parquet', params: { path: 'out/n.parquet', if_exists: 'overwrite' } },
      ],
      ['src -> calc', 'calc -> sink'],
      { rate: '0.1', big: '9007199254740993', n: '007' },
    );
    const calc = views(job.steps).find((v) => v.node === 'calc')!;
    expect(calc.sql).toContain('(0.1) AS `r`');
    expect(calc.sql).toContain('(9007199254740993) AS `big`');
    // 2^53 + 1 as a JS number would be 9007199254740992; 007 is the number 7.
    expect(job.params).toMatchObject({ rate: 0.1, big: '9007199254740993', n: 7 });
    expect(JSON.stringify(job.params)).toContain('"rate":0.1');
  });
});
