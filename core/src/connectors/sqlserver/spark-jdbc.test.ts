import { describe, expect, it } from 'vitest';
import { buildReadQuery } from './query.js';
import { inlineTsqlBinds, sqlserverJdbc, sqlserverSparkStatements } from './spark-jdbc.js';

const render = (parts: Array<string | { stage: true }>) => parts.map((p) => (typeof p === 'string' ? p : '[t__caudal_run1]')).join('');

describe('SQL Server over JDBC (Spark jobs)', () => {
  it('puts the connection into driver properties, never the password', () => {
    const j = sqlserverJdbc('erp', { host: 'sql.internal', database: 'ERP;x', user: 'etl', password: 'hunter2', trust_server_certificate: true });
    expect(j.url).toBe('jdbc:sqlserver://sql.internal:1433');
    expect(j.properties).toMatchObject({ databaseName: 'ERP;x', user: 'etl', encrypt: 'true', trustServerCertificate: 'true', useBulkCopyForBatchInsert: 'true' });
    expect(JSON.stringify(j)).not.toContain('hunter2');
    expect(j.secrets).toEqual({ password: 'CAUDAL_SECRET_ERP_PASSWORD' });
  });

  it('reaches a named instance through its name, and Windows logins through NTLM', () => {
    const j = sqlserverJdbc('erp', { host: 'db', instance: 'SQLEXPRESS', database: 'd', user: 'u', auth: 'ntlm', domain: 'CORP' });
    expect(j.url).toBe('jdbc:sqlserver://db');
    expect(j.properties).toMatchObject({ instanceName: 'SQLEXPRESS', authenticationScheme: 'NTLM', integratedSecurity: 'true', domain: 'CORP' });
  });

  it('writes bound values into the read as T-SQL literals, leaving names and string literals alone', () => {
    const table = buildReadQuery({ table: { schema: 'dbo', name: 'Orders [@caudal_1]' }, columns: [], filters: [{ column: 'status', op: '=', value: "it's" }, { column: 'id', op: 'in', value: [1, 2] }, { column: 'ok', op: '=', value: true }] });
    expect(inlineTsqlBinds(table)).toBe("SELECT * FROM [dbo].[Orders [@caudal_1]]] WHERE [status] = N'it''s' AND [id] IN (1, 2) AND [ok] = 1");
    const query = buildReadQuery({ query: "SELECT '@p1' AS t, x FROM s WHERE y > @p1 AND z = @P2", queryParams: [10, null] });
    expect(inlineTsqlBinds(query)).toBe("SELECT * FROM (SELECT '@p1' AS t, x FROM s WHERE y > 10 AND z = NULL\n) AS _caudal_query");
  });

  it('publishes the staging table in the mode asked for, creating the schema and table when missing', () => {
    const columns = [{ name: 'id', type: 'BIGINT' }, { name: 'name', type: 'VARCHAR' }];
    const base = { schema: 'mart', table: 'customers', keys: [], upsertMethod: 'merge' as const, createTable: true, columns };
    const append = sqlserverSparkStatements({ ...base, mode: 'append' });
    expect(append.stage.map(render)).toEqual([
      "IF SCHEMA_ID(N'mart') IS NULL EXEC(N'CREATE SCHEMA [mart]')",
      'CREATE TABLE [mart].[t__caudal_run1] ([id] bigint NULL, [name] nvarchar(max) NULL)',
    ]);
    expect(append.publish.map(render)).toEqual([
      "IF SCHEMA_ID(N'mart') IS NULL EXEC(N'CREATE SCHEMA [mart]')",
      "IF OBJECT_ID(N'[mart].[customers]', 'U') IS NULL CREATE TABLE [mart].[customers] ([id] bigint NULL, [name] nvarchar(max) NULL)",
      'INSERT INTO [mart].[customers] WITH (TABLOCK) ([id], [name]) SELECT [id], [name] FROM [mart].[t__caudal_run1]',
      'DROP TABLE [mart].[t__caudal_run1]',
    ]);
    expect(append.drop.map(render)).toEqual(['DROP TABLE IF EXISTS [mart].[t__caudal_run1]']);

    const merge = sqlserverSparkStatements({ ...base, mode: 'upsert', keys: ['id'] }).publish.map(render);
    expect(merge).toContain('MERGE INTO [mart].[customers] WITH (HOLDLOCK) AS t USING [mart].[t__caudal_run1] AS s ON t.[id] = s.[id] WHEN MATCHED THEN UPDATE SET t.[name] = s.[name] WHEN NOT MATCHED BY TARGET THEN INSERT ([id], [name]) VALUES (s.[id], s.[name]);');
    expect(merge[1]).toContain('[id] bigint NOT NULL, [name] nvarchar(max) NULL, PRIMARY KEY ([id])');

    const updateInsert = sqlserverSparkStatements({ ...base, mode: 'upsert', keys: ['id'], upsertMethod: 'update_insert' }).publish.map(render);
    expect(updateInsert.filter((s) => /^(UPDATE|INSERT)/.test(s))).toHaveLength(2);

    const replace = sqlserverSparkStatements({ ...base, mode: 'replace', createTable: false }).publish.map(render);
    expect(replace.slice(0, 3)).toEqual(["IF SCHEMA_ID(N'mart') IS NULL EXEC(N'CREATE SCHEMA [mart]')", 'DROP TABLE IF EXISTS [mart].[customers]', 'CREATE TABLE [mart].[customers] ([id] bigint NULL, [name] nvarchar(max) NULL)']);
    expect(sqlserverSparkStatements({ ...base, mode: 'truncate_insert', createTable: false }).publish.map(render)[0]).toBe('TRUNCATE TABLE [mart].[customers]');
  });
});
