import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportSpark } from '../core/src/targets/spark/export.js';
import type { SparkStep } from '../core/src/targets/spark/job.js';
import { afterFile } from './support/cleanup.js';
import { pipeline, tempDir } from './support/pipeline.js';
import { PG, pgClient, pgConnection } from './support/postgres.js';
import { exportJob, runSparkJobs, useSparkPython } from './spark/support.js';

/**
 * `caudal export spark` of sink.postgres keeps what the node's settings say: `exclude_columns` are
 * left out of the rows Spark writes and of the table it creates; `delete_when`, which the Spark job
 * cannot honour, stops the export naming the node and the setting (the job used to upsert the rows
 * meant to be deleted, and write the excluded columns).
 */
describe('caudal export spark: sink.postgres settings', async () => {
  useSparkPython();
  const client = await pgClient();
  const schema = `s39f_${randomUUID().slice(0, 8)}_spark`;
  await client.query(`CREATE SCHEMA "${schema}"`);
  afterFile(async () => {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });
  const dir = await tempDir('caudal-s39f-spark-');
  await writeFile(path.join(dir, 'changes.csv'), 'id,name,_op,_lsn\n1,a,upsert,10\n2,b,delete,11\n');
  const doc = (params: Record<string, unknown>) =>
    pipeline(
      [
        { id: 'changes', type: 'source.csv', params: { path: 'changes.csv' } },
        { id: 'pg', type: 'sink.postgres', params: { connection: 'db', schema, table: 'customers', mode: 'upsert', keys: ['id'], ...params } },
      ],
      ['changes -> pg'],
      { connections: { db: { type: 'postgres' } } },
    );
  const exported = (params: Record<string, unknown>) => exportSpark(doc(params), { baseDir: dir, params: {}, connections: pgConnection('db') });
  const sinkStep = (steps: SparkStep[] | undefined) => (steps ?? []).find((s): s is Extract<SparkStep, { kind: 'sink' }> => s.kind === 'sink' && s.node === 'pg')!;

  it('exclude_columns: the Spark job writes, and creates the table with, only the other columns', async () => {
    const { job, problems } = await exported({ exclude_columns: ['_op', '_lsn'] });
    expect(problems).toEqual([]);
    const sink = sinkStep(job?.steps).sink;
    expect(sink.jdbc!.columnTypes.map((c) => c.name)).toEqual(['id', 'name']);
    // The rows Spark writes: a SELECT of the kept columns over the input (Spark SQL).
    expect(sink.sql).toMatch(/^SELECT .*`id` AS `id`, .*`name` AS `name` FROM `[^`]+`/);
    expect(sink.sql).not.toMatch(/_op|_lsn/);
  });

  it('exclude_columns, run on Spark (local[1]): the table it creates has only the other columns, and their rows', { timeout: 600_000 }, async () => {
    process.env.CAUDAL_SECRET_DB_PASSWORD = PG.password;
    const jobDir = path.join(dir, 'job-exclude');
    await exportJob(doc({ table: 'without_changes', exclude_columns: ['_op', '_lsn'] }), dir, jobDir, {}, pgConnection('db'));
    const [result] = await runSparkJobs([{ jobDir, reportDir: path.join(dir, 'report-exclude'), runId: 's39fexclude' }], 'local[1]');
    expect(result!.error).toBeUndefined();
    expect(result!.status).toBe('succeeded');
    const columns = await client.query(`SELECT attname FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attnum`, [`"${schema}".without_changes`]);
    expect(columns.rows.map((r) => r.attname)).toEqual(['id', 'name']);
    expect((await client.query(`SELECT id, name FROM "${schema}".without_changes ORDER BY id`)).rows).toEqual([
      { id: '1', name: 'a' },
      { id: '2', name: 'b' },
    ]);
  });

  it('without exclude_columns, every input column is written', async () => {
    const { job, problems } = await exported({});
    expect(problems).toEqual([]);
    const sink = sinkStep(job?.steps).sink;
    expect(sink.jdbc!.columnTypes.map((c) => c.name)).toEqual(['id', 'name', '_op', '_lsn']);
    expect(sink.sql).toBeUndefined();
  });

  it('delete_when: no Spark form, so the export stops naming the node and the setting', async () => {
    const { job, problems } = await exported({ delete_when: "_op = 'delete'", exclude_columns: ['_op', '_lsn'] });
    expect(job).toBeUndefined();
    expect(problems).toEqual([
      expect.objectContaining({
        code: 'unsupported_on_engine',
        nodeId: 'pg',
        path: 'nodes[1].params.delete_when',
        message: "node 'pg': delete_when has no Spark form yet: the Spark job upserts every row, so the rows meant to delete their key would be upserted instead",
        hint: expect.stringContaining('DuckDB engine'),
      }),
    ]);
  });
});
