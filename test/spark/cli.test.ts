import { cp, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../core/src/util/package-root.js';
import { caudal } from '../support/cli.js';
import { tempDir } from '../support/pipeline.js';
import { useSparkPython } from './support.js';

/** The CLI of the Spark target: validate and export (sqlglot only), and one real spark-submit. */

let dir: string;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  const python = useSparkPython();
  env = { CAUDAL_SPARK_PYTHON: python };
  dir = await tempDir('caudal-spark-cli-');
  await cp(path.join(packageRoot(), 'resources/examples/order-rules'), dir, { recursive: true });
});

describe('caudal validate --engine spark', () => {
  it('passes a pipeline whose every node runs on Spark', async () => {
    const r = await caudal(['validate', path.join(dir, 'pipeline.json'), '--engine', 'spark'], { env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/can run on Spark/);
  });

  it('lists what has no Spark form, with node and field, and exits 2', async () => {
    const doc = JSON.parse(await readFile(path.join(dir, 'pipeline.json'), 'utf8')) as { nodes: Array<{ id: string; params: Record<string, unknown> }> };
    (doc.nodes.find((n) => n.id === 'revenue')!.params.columns as unknown[]).push({ name: 'sim', expression: 'jaro_winkler_similarity(name, email)' });
    doc.nodes.find((n) => n.id === 'orders')!.params.on_error = 'reject';
    await writeFile(path.join(dir, 'not-spark.json'), JSON.stringify(doc));
    const r = await caudal(['validate', path.join(dir, 'not-spark.json'), '--engine', 'spark', '--json'], { env });
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout) as { valid: boolean; problems: Array<{ nodeId: string; path: string; message: string }> };
    expect(out.valid).toBe(false);
    expect(out.problems.map((p) => [p.nodeId, p.path])).toEqual([
      ['orders', 'nodes[0].params.on_error'],
      ['revenue', 'nodes[12].params.columns[2].expression'],
    ]);
  });

  it('an unknown engine is a usage error', async () => {
    const r = await caudal(['validate', path.join(dir, 'pipeline.json'), '--engine', 'flink'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--engine expects duckdb or spark/);
  });
});

describe('caudal export spark', () => {
  it('writes job.json, the runtime and run.sh, with Spark SQL only', async () => {
    const job = path.join(dir, 'job');
    const r = await caudal(['export', 'spark', path.join(dir, 'pipeline.json'), '-o', job], { env });
    expect(r.code).toBe(0);
    expect((await readdir(job)).sort()).toEqual(['caudal_spark.py', 'job.json', 'run.sh']);
    const spec = JSON.parse(await readFile(path.join(job, 'job.json'), 'utf8')) as { steps: Array<{ sql?: string }> };
    expect(spec).toMatchObject({ format: 'caudal.spark-job/1', packages: [] });
    for (const step of spec.steps) expect(step.sql ?? '').not.toMatch(/EXCLUDE|REPLACE \(|read_csv|"_n_/);
  });

  it("replaces an earlier export's files, never the user's own unless --force", async () => {
    const job = path.join(dir, 'job-again');
    expect((await caudal(['export', 'spark', path.join(dir, 'pipeline.json'), '-o', job], { env })).code).toBe(0);
    expect((await caudal(['export', 'spark', path.join(dir, 'pipeline.json'), '-o', job], { env })).code).toBe(0);

    // A project folder that has a run.sh of its own.
    const project = path.join(dir, 'project');
    await mkdir(project, { recursive: true });
    const own = '#!/bin/sh\n# deploys the website\nrsync -a site/ web:/srv/\n';
    await writeFile(path.join(project, 'run.sh'), own);
    const refused = await caudal(['export', 'spark', path.join(dir, 'pipeline.json'), '-o', project], { env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`${path.join(project, 'run.sh')} exists and was not written by a Caudal export: exporting would replace it`);
    expect(refused.stderr).toContain('add --force');
    expect(await readdir(project)).toEqual(['run.sh']);
    expect(await readFile(path.join(project, 'run.sh'), 'utf8')).toBe(own);

    expect((await caudal(['export', 'spark', path.join(dir, 'pipeline.json'), '-o', project, '--force'], { env })).code).toBe(0);
    expect(await readFile(path.join(project, 'run.sh'), 'utf8')).toMatch(/^#!\/bin\/sh\n# Submits the exported pipeline/);

    const notFolder = await caudal(['export', 'spark', path.join(dir, 'pipeline.json'), '-o', path.join(project, 'run.sh')], { env });
    expect(notFolder.code).toBe(2);
    expect(notFolder.stderr).toContain('is a file: -o names the folder the Spark job goes into');
  });
});

describe('caudal run --engine spark', () => {
  it('needs --master', async () => {
    const r = await caudal(['run', path.join(dir, 'pipeline.json'), '--engine', 'spark'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/needs --master/);
  });

  it('runs the order-rules example through spark-submit and writes what the DuckDB engine writes', async () => {
    const spark = await caudal(['run', path.join(dir, 'pipeline.json'), '--engine', 'spark', '--master', 'local[1]', '--artifacts-dir', path.join(dir, 'report')], { env, timeoutMs: 900_000 });
    expect(spark.stderr).toMatch(/run succeeded on Spark/);
    expect(spark.code).toBe(0);
    const sparkFiles = await Promise.all(['revenue_by_country.csv', 'billable_orders.csv', 'rejected_orders.csv'].map((f) => readFile(path.join(dir, 'out', f), 'utf8')));
    expect(JSON.parse(await readFile(path.join(dir, 'report', 'result.json'), 'utf8'))).toMatchObject({ status: 'succeeded' });
    const duck = await caudal(['run', path.join(dir, 'pipeline.json'), '-q']);
    expect(duck.code).toBe(0);
    const duckFiles = await Promise.all(['revenue_by_country.csv', 'billable_orders.csv', 'rejected_orders.csv'].map((f) => readFile(path.join(dir, 'out', f), 'utf8')));
    const lines = (s: string) => s.trim().split('\n');
    // The report is sorted: the same lines in the same order. The others as sets of lines.
    expect(lines(sparkFiles[0]!)).toEqual(lines(duckFiles[0]!));
    for (const i of [1, 2]) expect(lines(sparkFiles[i]!).sort()).toEqual(lines(duckFiles[i]!).sort());
  }, 1_000_000);
});
