import { mkdir, writeFile } from 'node:fs/promises';
import mssql from 'mssql';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPipeline } from '../../core/src/engine/engine.js';
import { caudal } from '../support/cli.js';
import { pipeline, tempDir } from '../support/pipeline.js';
import { sqlserverLockResource } from '../../core/src/connectors/table-lock.js';
import { MSSQL_URL, mssqlConnection, mssqlSandbox, mssqlTestConfig } from '../support/sqlserver.js';
import { exportJob, readOutput, runSparkJobs, writeTestData } from './support.js';

/**
 * sink.sqlserver and source.sqlserver on Spark against a real server: the same table loaded (upsert)
 * by both engines, then read back by both. No SQL Server can run on the project's machines: set
 * CAUDAL_TEST_MSSQL_URL (docs/testing.md). Without it, conformance.test.ts still checks that the job
 * loads Microsoft's driver and fails cleanly when the server does not answer.
 */
const suite = MSSQL_URL ? describe : describe.skip;
const connections = { erp: { type: 'sqlserver' } };

suite(`Spark ↔ SQL Server (${MSSQL_URL ? 'CAUDAL_TEST_MSSQL_URL' : 'skipped: set CAUDAL_TEST_MSSQL_URL to run against a real server'})`, async () => {
  const { pool, schema, q } = MSSQL_URL ? await mssqlSandbox() : ({} as Awaited<ReturnType<typeof mssqlSandbox>>);
  // Nothing is made for a skipped suite: its cleanup would not run.
  const dir = MSSQL_URL ? await tempDir('caudal-spark-mssql-') : '';

  /** A project whose pipeline appends `csv` to the table `table` with `caudal run --engine spark`. */
  async function appendProject(table: string, csv: string) {
    const project = path.join(dir, table);
    await mkdir(project, { recursive: true });
    const { password, ...config } = mssqlTestConfig();
    await writeFile(path.join(project, 'caudal.connections.json'), JSON.stringify({ format: 'caudal.connections/1', connections: { erp: { type: 'sqlserver', ...config } } }));
    await writeFile(path.join(project, 'new.csv'), csv);
    const doc = pipeline(
      [{ id: 'src', type: 'source.csv', params: { path: 'new.csv' } }, { id: 'mart', type: 'sink.sqlserver', params: { connection: 'erp', schema, table, mode: 'append' } }],
      ['src -> mart'],
      { connections },
    );
    await writeFile(path.join(project, 'pipeline.json'), JSON.stringify(doc));
    const env = { CAUDAL_SECRET_ERP_PASSWORD: String(password), CAUDAL_RUNTIME_DIR: path.join(project, 'runtime'), CAUDAL_CONFIG_DIR: path.join(project, 'config') };
    return { run: (extra: Record<string, string> = {}) => caudal(['run', 'pipeline.json', '--engine', 'spark', '--master', 'local[1]'], { cwd: project, env: { ...env, ...extra }, timeoutMs: 600_000 }) };
  }

  it('upserts the same rows as the DuckDB engine, and reads them back the same over JDBC', async () => {
    await writeTestData(dir);
    process.env.CAUDAL_SECRET_ERP_PASSWORD = String(mssqlTestConfig().password);
    const load = (table: string) =>
      pipeline(
        [
          { id: 'orders', type: 'source.csv', params: { path: 'orders.csv' } },
          { id: 'latest', type: 'transform.dedupe', params: { keys: ['order_id'] } },
          { id: 'mart', type: 'sink.sqlserver', params: { connection: 'erp', schema, table, mode: 'upsert', keys: ['order_id'] } },
        ],
        ['orders -> latest', 'latest -> mart'],
        { connections },
      );
    const readBack = (table: string, out: string) =>
      pipeline(
        [
          { id: 'src', type: 'source.sqlserver', params: { connection: 'erp', schema, table, filters: [{ column: 'order_id', op: '>', value: 10 }] } },
          { id: 'sink', type: 'sink.parquet', params: { path: out, if_exists: 'overwrite' } },
        ],
        ['src -> sink'],
        { connections },
      );
    // Twice each: the second load must update, not duplicate.
    for (let i = 0; i < 2; i++) expect((await runPipeline({ pipeline: load('by_duck'), baseDir: dir, connections: mssqlConnection() })).error).toBeUndefined();
    const jobs = [path.join(dir, 'job-load'), path.join(dir, 'job-read')];
    await exportJob(load('by_spark'), dir, jobs[0]!, {}, mssqlConnection());
    const [first] = await runSparkJobs([{ jobDir: jobs[0]!, reportDir: path.join(dir, 'report-1') }]);
    expect(first!.error?.message ?? '').toBe('');
    const [second] = await runSparkJobs([{ jobDir: jobs[0]!, reportDir: path.join(dir, 'report-2') }]);
    expect(second!.error?.message ?? '').toBe('');
    const table = async (t: string) => (await q(`SELECT * FROM [${schema}].[${t}] ORDER BY order_id`)).map((r) => JSON.stringify(r));
    expect(await table('by_spark')).toEqual(await table('by_duck'));
    const staging = await q<{ name: string }>(`SELECT name FROM sys.tables WHERE schema_id = SCHEMA_ID('${schema}') ORDER BY name`);
    expect(staging.map((t) => t.name)).toEqual(['by_duck', 'by_spark']);

    const outs = { duck: path.join(dir, 'duck.parquet'), spark: path.join(dir, 'spark.parquet') };
    expect((await runPipeline({ pipeline: readBack('by_duck', outs.duck), baseDir: dir, connections: mssqlConnection() })).error).toBeUndefined();
    await exportJob(readBack('by_duck', outs.spark), dir, jobs[1]!, {}, mssqlConnection());
    const [read] = await runSparkJobs([{ jobDir: jobs[1]!, reportDir: path.join(dir, 'report-read') }]);
    expect(read!.error?.message ?? '').toBe('');
    expect(await readOutput(outs.spark)).toEqual(await readOutput(outs.duck));
  }, 900_000);

  it('into an existing table, a value its column would change stops the load on Spark as on DuckDB; exact values go', async () => {
    await q(`CREATE TABLE [${schema}].stepped (id bigint, price decimal(10,2), at datetime, amount money)`);
    process.env.CAUDAL_SECRET_ERP_PASSWORD = String(mssqlTestConfig().password);
    const columns = [
      { name: 'id', type: 'BIGINT' },
      { name: 'price', type: 'DECIMAL(10,3)' },
      { name: 'at', type: 'TIMESTAMP' },
      { name: 'amount', type: 'DOUBLE' },
    ];
    const loads: Array<[string, string, string | undefined]> = [
      ['exact', '1,12.300,2024-03-04 10:30:00.997,12.3456', undefined],
      ['price', '2,12.345,2024-03-04 10:30:00,1', `which the table's column "price" (decimal(10,2)) would round to 2 decimal places`],
      ['at', '2,1,2024-03-04 10:30:00.998,1', `whose fraction of a second the table's column "at" (datetime) would round`],
      ['amount', '2,1,2024-03-04 10:30:00,12.34567', `which the table's column "amount" (money) would round to 4 decimal places`],
    ];
    for (const [name, line, message] of loads) {
      await writeFile(path.join(dir, `stepped-${name}.csv`), `id,price,at,amount\n${line}\n`);
      const doc = pipeline(
        [{ id: 'src', type: 'source.csv', params: { path: `stepped-${name}.csv`, columns } }, { id: 'mart', type: 'sink.sqlserver', params: { connection: 'erp', schema, table: 'stepped', mode: 'append' } }],
        ['src -> mart'],
        { connections },
      );
      const jobDir = path.join(dir, `job-stepped-${name}`);
      await exportJob(doc, dir, jobDir, {}, mssqlConnection());
      const [spark] = await runSparkJobs([{ jobDir, reportDir: path.join(dir, `report-stepped-${name}`) }]);
      if (message) expect(spark!.error?.message, name).toContain(message);
      else expect(spark!.error?.message ?? '', name).toBe('');
    }
    expect(await q(`SELECT COUNT(*) AS n FROM [${schema}].stepped`)).toEqual([{ n: 1 }]);
  }, 900_000);

  it("text into an existing table: what SQL Server's parse of it would change stops the load on Spark as on DuckDB", async () => {
    await q(`CREATE TABLE [${schema}].parsed (id bigint, price decimal(10,2), day date, at datetime, minute smalldatetime)`);
    process.env.CAUDAL_SECRET_ERP_PASSWORD = String(mssqlTestConfig().password);
    const columns = ['id', 'price', 'day', 'at', 'minute'].map((name) => ({ name, type: name === 'id' ? 'BIGINT' : 'VARCHAR' }));
    const loads: Array<[string, string, string | undefined]> = [
      ['exact', '1,12.300,2024-03-04,2024-03-04 10:30:00.997,2024-03-04 10:30', undefined],
      ['price', '2,12.345,2024-03-04,2024-03-04 10:30:00,2024-03-04 10:30', `which the table's column "price" (decimal(10,2)) would round to 2 decimal places`],
      ['day', '2,1,2024-03-04 10:30,2024-03-04 10:30:00,2024-03-04 10:30', `whose time of day the table's column "day" (date) would drop`],
      ['at', '2,1,2024-03-04,2024-03-04 10:30:00.998,2024-03-04 10:30', `whose fraction of a second the table's column "at" (datetime) would round`],
      ['minute', '2,1,2024-03-04,2024-03-04 10:30:00,2024-03-04 10:30:30', `whose seconds the table's column "minute" (smalldatetime) would round to the minute`],
    ];
    for (const [name, line, message] of loads) {
      await writeFile(path.join(dir, `parsed-${name}.csv`), `id,price,day,at,minute\n${line}\n`);
      const doc = pipeline(
        [{ id: 'src', type: 'source.csv', params: { path: `parsed-${name}.csv`, columns } }, { id: 'mart', type: 'sink.sqlserver', params: { connection: 'erp', schema, table: 'parsed', mode: 'append' } }],
        ['src -> mart'],
        { connections },
      );
      const duck = await runPipeline({ pipeline: doc, baseDir: dir, connections: mssqlConnection() });
      if (message) expect(duck.error?.message, `duckdb ${name}`).toContain(message);
      const jobDir = path.join(dir, `job-parsed-${name}`);
      await exportJob(doc, dir, jobDir, {}, mssqlConnection());
      const [spark] = await runSparkJobs([{ jobDir, reportDir: path.join(dir, `report-parsed-${name}`) }]);
      if (message) expect(spark!.error?.message, `spark ${name}`).toContain(message);
      else expect([duck.error?.message ?? '', spark!.error?.message ?? ''], name).toEqual(['', '']);
    }
    // The exact row, once by each engine.
    expect(await q(`SELECT COUNT(*) AS n FROM [${schema}].parsed`)).toEqual([{ n: 2 }]);
  }, 900_000);

  it('caudal run --engine spark: a driver killed once its staging table is filled leaves neither rows nor the staging table', async () => {
    await q(`CREATE TABLE [${schema}].killed (id bigint, name nvarchar(20))`);
    await q(`INSERT INTO [${schema}].killed VALUES (1, 'old')`);
    const r = await (await appendProject('killed', 'id,name\n2,new\n3,new\n')).run({ CAUDAL_SPARK_FAILPOINT: 'kill:staged' });
    expect(r.stderr).toMatch(/rolled back; SQL Server table \S+killed: undone/);
    expect(r.code, r.stderr).toBe(1);
    expect(await q(`SELECT id FROM [${schema}].killed ORDER BY id`)).toEqual([{ id: '1' }]);
    const tables = await q<{ name: string }>(`SELECT name FROM sys.tables WHERE schema_id = SCHEMA_ID('${schema}') AND name LIKE 'killed%'`);
    expect(tables.map((t) => t.name)).toEqual(['killed']);
  }, 900_000);

  it('caudal run --engine spark: while another run loads the table (its application lock held), stops at once with exit 75', async () => {
    await q(`CREATE TABLE [${schema}].busy (id bigint, name nvarchar(20))`);
    const project = await appendProject('busy', 'id,name\n2,new\n');
    // The other run: a transaction holding the lock a DuckDB run's load into this table takes.
    const other = new mssql.Transaction(pool);
    await other.begin();
    try {
      await new mssql.Request(other)
        .input('res', mssql.NVarChar(255), sqlserverLockResource(String(mssqlTestConfig().database), { schema, name: 'busy' }))
        .query("EXEC sp_getapplock @Resource = @res, @LockMode = 'Exclusive', @LockOwner = 'Transaction'");
      const r = await project.run();
      expect(r.stderr).toMatch(/node 'mart': table \[[^\]]+\]\.\[busy\] \(connection 'erp'\) is being loaded by another Caudal run/);
      expect(r.code, r.stderr).toBe(75);
    } finally {
      await other.rollback();
    }
    expect(await q(`SELECT COUNT(*) AS n FROM [${schema}].busy`)).toEqual([{ n: 0 }]);
  }, 900_000);
});
