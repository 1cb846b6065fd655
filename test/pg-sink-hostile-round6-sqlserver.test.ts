import { describe, expect, it } from 'vitest';
import { stageTableDdl } from '../core/src/connectors/sqlserver/bulk.js';
import { ENSURE_SCHEMA_SQL } from '../core/src/connectors/sqlserver/write.js';

/**
 * sink.sqlserver's statements where a server's setup or another session differ from the load's
 * assumptions (checked as T-SQL text: the suite has no SQL Server to run them on).
 */
describe('sink.sqlserver, round 6 (T-SQL text)', () => {
  it("stages text in the database's collation, not tempdb's: staged keys compare with the target's without a collation conflict (Msg 468) and by the target's rules", () => {
    const ddl = stageTableDdl('#caudal_stage_x', [
      { name: 'id', type: 'INTEGER' },
      { name: 'code', type: 'VARCHAR' },
      { name: 'price', type: 'DECIMAL(12,2)' },
      { name: 'day', type: 'DATE' },
      { name: 'doc', type: 'STRUCT(a INTEGER)' },
      { name: 'raw', type: 'BLOB' },
      { name: 'uid', type: 'UUID' },
    ]);
    expect(ddl).toBe(
      'CREATE TABLE #caudal_stage_x ([c1] int NULL, [c2] nvarchar(max) COLLATE DATABASE_DEFAULT NULL, [c3] nvarchar(64) COLLATE DATABASE_DEFAULT NULL, ' +
        '[c4] nvarchar(16) COLLATE DATABASE_DEFAULT NULL, [c5] nvarchar(max) COLLATE DATABASE_DEFAULT NULL, [c6] varbinary(max) NULL, [c7] uniqueidentifier NULL)',
    );
  });

  it('creates a missing schema, and takes "already exists" from another session creating it at the same moment as done', () => {
    // Only when missing (CREATE SCHEMA needs a privilege on the database); the name is a bind parameter, quoted by the server.
    expect(ENSURE_SCHEMA_SQL).toMatch(/^IF SCHEMA_ID\(@s\) IS NULL\nBEGIN\n/);
    expect(ENSURE_SCHEMA_SQL).toContain("EXEC(N'CREATE SCHEMA ' + QUOTENAME(@s));");
    // The CREATE inside TRY; in CATCH, error 2714 ("There is already an object named …") with the
    // schema there now and the transaction still committable is success; anything else is raised.
    expect(ENSURE_SCHEMA_SQL).toMatch(/BEGIN TRY\n\s+EXEC\(N'CREATE SCHEMA ' \+ QUOTENAME\(@s\)\);\n\s+END TRY\n\s+BEGIN CATCH\n\s+IF ERROR_NUMBER\(\) NOT IN \(2714, 2601, 2627\) OR XACT_STATE\(\) = -1 OR SCHEMA_ID\(@s\) IS NULL\n\s+BEGIN\n\s+THROW;\n\s+END\n\s+END CATCH\nEND$/);
  });
});
