import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sqlserverFields } from '../core/src/connections/sqlserver/sqlserver.connection.js';
import { commitOutcome, markerTable } from '../core/src/connectors/sqlserver/commit-marker.js';
import { runPipeline } from '../core/src/engine/engine.js';
import { pipeline, tempDir } from './support/pipeline.js';
import { MSSQL_URL, mssqlConnection, mssqlSandbox, mssqlTestConfig } from './support/sqlserver.js';

/**
 * The SQL Server connector's commit marker, reads of text with line breaks, refused watermarks and
 * values, against a real server: the unit tests next to the connector check the same with fakes.
 * No SQL Server can run on the project's machines: set CAUDAL_TEST_MSSQL_URL to run them
 * (docs/testing.md).
 */
const suite = MSSQL_URL ? describe : describe.skip;
const connections = { erp: { type: 'sqlserver' } };

suite(`SQL Server, round 3 (${MSSQL_URL ? 'CAUDAL_TEST_MSSQL_URL' : 'skipped: set CAUDAL_TEST_MSSQL_URL to run against a real server'})`, async () => {
  const { schema, q, pool } = MSSQL_URL ? await mssqlSandbox() : ({} as Awaited<ReturnType<typeof mssqlSandbox>>);
  const dir = MSSQL_URL ? await tempDir('caudal-mssql-r3-') : '';
  const run = (doc: ReturnType<typeof pipeline>) => runPipeline({ pipeline: doc, baseDir: dir, connections: mssqlConnection() });
  const markers = async () => (await q<{ name: string }>(`SELECT name FROM sys.tables WHERE schema_id = SCHEMA_ID('${schema}') AND name LIKE 'caudal[_]commit[_]%'`)).map((r) => r.name);

  it('a load creates its commit marker inside its transaction and drops it once committed', async () => {
    await writeFile(path.join(dir, 'in.csv'), 'id,amount\n1,1.25\n2,2.50\n');
    const s = await run(
      pipeline(
        [
          { id: 'src', type: 'source.csv', params: { path: 'in.csv' } },
          { id: 'dst', type: 'sink.sqlserver', params: { connection: 'erp', schema, table: 'marked' } },
        ],
        ['src -> dst'],
        { connections },
      ),
    );
    expect(s.error).toBeUndefined();
    expect(await q(`SELECT COUNT(*) AS n FROM [${schema}].marked`)).toEqual([{ n: 2 }]);
    expect(await markers()).toEqual([]);
  });

  it('after a lost answer: the marker says committed when it exists, not committed when it does not, unknown while the old transaction holds its lock', async () => {
    const config = sqlserverFields.parse(mssqlTestConfig());
    const marker = { schema, name: 'caudal_commit_testrun1_h0000p1_00000000', lock: 'caudal-commit:caudal_commit_testrun1_h0000p1_00000000', made: true };
    expect(await commitOutcome(config, marker)).toEqual({ committed: false });
    await q(`CREATE TABLE ${markerTable(marker)} ([committed] bit NULL)`);
    expect(await commitOutcome(config, marker)).toEqual({ committed: true });
    // Dropped once it answered.
    expect(await markers()).toEqual([]);
    const tx = pool.transaction();
    await tx.begin();
    try {
      await tx.request().input('lock', marker.lock).query("EXEC sp_getapplock @Resource = @lock, @LockMode = 'Exclusive', @LockOwner = 'Transaction'");
      expect(await commitOutcome(config, marker, 500)).toEqual({ unknown: 'its transaction was still open on the server 1 s later' });
    } finally {
      await tx.rollback();
    }
  });

  it("text with '\\r\\n' inside a value reads back as it was", async () => {
    await q(`CREATE TABLE [${schema}].notes (id int, note nvarchar(100)); INSERT INTO [${schema}].notes VALUES (1, N'line one' + CHAR(13) + CHAR(10) + N'line two'), (2, N'plain')`);
    const s = await run(
      pipeline(
        [
          { id: 'src', type: 'source.sqlserver', params: { connection: 'erp', schema, table: 'notes' } },
          { id: 'dst', type: 'sink.sqlserver', params: { connection: 'erp', schema, table: 'notes_copy' } },
        ],
        ['src -> dst'],
        { connections },
      ),
    );
    expect(s.error).toBeUndefined();
    expect(await q(`SELECT id FROM [${schema}].notes_copy WHERE note = N'line one' + CHAR(13) + CHAR(10) + N'line two'`)).toEqual([{ id: 1 }]);
  });

  it('a rowversion watermark is refused before the run; cast to bigint below MIN_ACTIVE_ROWVERSION() it reads', async () => {
    await q(`CREATE TABLE [${schema}].versioned (id int, rv rowversion); INSERT INTO [${schema}].versioned (id) VALUES (1), (2)`);
    const read = (params: Record<string, unknown>) =>
      run(pipeline([{ id: 'src', type: 'source.sqlserver', params: { connection: 'erp', ...params } }, { id: 'o', type: 'sink.csv', params: { path: 'v.csv', if_exists: 'overwrite' } }], ['src -> o'], { connections }));
    expect((await read({ schema, table: 'versioned', incremental: { column: 'rv' } })).error?.message).toMatch(/column 'rv' \(timestamp\) cannot be the watermark/);
    const query = `SELECT id, CAST(rv AS bigint) AS rv_n FROM [${schema}].versioned WHERE rv < MIN_ACTIVE_ROWVERSION()`;
    expect((await read({ query, incremental: { column: 'rv_n' } })).outputs[0]!.rows).toBe(2);
    expect((await read({ query, incremental: { column: 'rv_n' } })).outputs[0]!.rows).toBe(0);
  });

  it('a Start after value the column does not take is refused before the run', async () => {
    await q(`CREATE TABLE [${schema}].stamped (id int, at datetime2(3))`);
    const s = await run(
      pipeline(
        [
          { id: 'src', type: 'source.sqlserver', params: { connection: 'erp', schema, table: 'stamped', incremental: { column: 'at', initial: 'yesterday' } } },
          { id: 'o', type: 'sink.csv', params: { path: 's.csv', if_exists: 'overwrite' } },
        ],
        ['src -> o'],
        { connections },
      ),
    );
    expect(s.error?.message).toContain("the watermark 'yesterday' (Start after, incremental.initial) is not a value of column 'at' (datetime2(3))");
  });

  it('NaN and TIME 24:00:00 stop the load naming the column; the table is unchanged', async () => {
    await writeFile(path.join(dir, 'odd.csv'), 'id\n1\n2\n');
    const load = (table: string, expression: string) =>
      run(
        pipeline(
          [
            { id: 'src', type: 'source.csv', params: { path: 'odd.csv' } },
            { id: 'odd', type: 'transform.derive', params: { columns: [{ name: 'x', expression }] } },
            { id: 'dst', type: 'sink.sqlserver', params: { connection: 'erp', schema, table } },
          ],
          ['src -> odd', 'odd -> dst'],
          { connections },
        ),
      );
    expect((await load('odd_nan', "CASE WHEN id = 2 THEN 'NaN'::DOUBLE ELSE 1.5 END")).error?.message).toMatch(/column "x" holds nan, which SQL Server's float and real cannot hold/);
    expect((await load('odd_time', "CASE WHEN id = 2 THEN TIME '24:00:00' ELSE TIME '23:00:00' END")).error?.message).toMatch(/column "x" holds 24:00:00, which SQL Server's time cannot hold/);
    expect(await q(`SELECT OBJECT_ID('[${schema}].odd_nan') AS a, OBJECT_ID('[${schema}].odd_time') AS b`)).toEqual([{ a: null, b: null }]);
  });
});
