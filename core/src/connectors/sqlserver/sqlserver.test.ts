import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sql from 'mssql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mssqlConfig, sqlserverFields } from '../../connections/sqlserver/sqlserver.connection.js';
import { Db } from '../../compiler/db.js';
import type { HookIo } from '../../nodes/define.js';
import { watermarkText } from '../../nodes/source.sqlserver/source.sqlserver.node.js';
import { bulkLoad, bulkTable, stageTableDdl } from './bulk.js';
import { isTransient } from './client.js';
import { explainSqlServerError } from './errors.js';
import { buildReadQuery, paramDeclarations } from './query.js';
import { csvField, scanSql, transportQuery } from './read.js';
import { tsqlIdent, tsqlString, tsqlTable } from './sql.js';
import { exportSelect, parseTypeName, readTransport, sqlserverTypeFor } from './types.js';
import { checkAssignments, createTableSql, mergeSql, shownType, stagedSelect, updateInsertSql } from './write.js';

/** Everything of the SQL Server connector that needs no server: T-SQL text, types both ways, the bulk path, errors. */
let db: Db;
let dir: string;
beforeAll(async () => {
  db = await Db.open({ threads: 1 });
  dir = await mkdtemp(path.join(os.tmpdir(), 'caudal-mssql-unit-'));
});
afterAll(async () => {
  db.close();
  await rm(dir, { recursive: true, force: true });
});

describe('T-SQL quoting', () => {
  it('brackets identifiers, doubling a closing bracket, and refuses NUL and over-long names', () => {
    expect(tsqlIdent('order id')).toBe('[order id]');
    expect(tsqlIdent('a]b')).toBe('[a]]b]');
    expect(tsqlTable({ schema: 'sales', name: "o'rders" })).toBe("[sales].[o'rders]");
    expect(() => tsqlIdent('a\u0000b')).toThrow(/NUL/);
    expect(() => tsqlIdent('x'.repeat(129))).toThrow(/128/);
  });
  it('writes Unicode string literals with quotes doubled', () => {
    expect(tsqlString("it's Zürich")).toBe("N'it''s Zürich'");
  });
});

describe('read statements (pushdown with bind parameters)', () => {
  it('a table with columns, filters, a watermark and a limit: every value is a parameter', () => {
    const q = buildReadQuery({
      table: { schema: 'dbo', name: 'orders' },
      columns: ['id', 'status]x'],
      filters: [
        { column: 'status', op: '!=', value: "x'; DROP TABLE t --" },
        { column: 'country', op: 'in', value: ['CH', 'FR'] },
        { column: 'note', op: 'is_null' },
        { column: 'name', op: 'like', value: 'A%' },
        { column: 'gone', op: 'in', value: [] },
      ],
      watermark: { column: 'updated_at', after: '2024-01-01 00:00:00' },
      limit: 100,
    });
    expect(q.text).toBe(
      'SELECT TOP (@caudal_6) [id], [status]]x] FROM [dbo].[orders] WHERE [status] <> @caudal_1 AND [country] IN (@caudal_2, @caudal_3) AND [note] IS NULL AND [name] LIKE @caudal_4 AND 1 = 0 AND [updated_at] > @caudal_5',
    );
    expect(q.params).toEqual([
      { name: 'caudal_1', value: "x'; DROP TABLE t --" },
      { name: 'caudal_2', value: 'CH' },
      { name: 'caudal_3', value: 'FR' },
      { name: 'caudal_4', value: 'A%' },
      { name: 'caudal_5', value: '2024-01-01 00:00:00' },
      { name: 'caudal_6', value: 100 },
    ]);
  });
  it("a query keeps its own @p1, @p2 and is wrapped so the watermark applies to it", () => {
    const q = buildReadQuery({ query: 'SELECT id, amount FROM sales.orders WHERE region = @p1 AND amount > @p2', queryParams: ['EU', 10.5], watermark: { column: 'id', after: '42' } });
    expect(q.text).toBe('SELECT * FROM (SELECT id, amount FROM sales.orders WHERE region = @p1 AND amount > @p2\n) AS _caudal_query WHERE [id] > @caudal_3');
    expect(paramDeclarations(q.params)).toBe('@p1 nvarchar(4000), @p2 float, @caudal_3 nvarchar(4000)');
    expect(paramDeclarations([{ name: 'n', value: 7 }, { name: 'b', value: true }])).toBe('@n bigint, @b bit');
  });
});

describe('types: SQL Server → DuckDB (reads)', () => {
  it('parses the type names sp_describe_first_result_set gives', () => {
    expect(parseTypeName('decimal(18,2)')).toEqual({ name: 'decimal', precision: 18, scale: 2 });
    expect(parseTypeName('nvarchar(max)')).toEqual({ name: 'nvarchar', precision: undefined, scale: undefined });
    expect(parseTypeName('datetime2(7)')).toEqual({ name: 'datetime2', scale: 7 });
    expect(parseTypeName('datetimeoffset(3)')).toEqual({ name: 'datetimeoffset', scale: 3 });
    expect(parseTypeName('int')).toEqual({ name: 'int', precision: undefined, scale: undefined });
  });

  const cases: Array<[string, string]> = [
    ['bit', 'BOOLEAN'],
    ['tinyint', 'SMALLINT'],
    ['int', 'INTEGER'],
    ['bigint', 'BIGINT'],
    ['real', 'FLOAT'],
    ['float', 'DOUBLE'],
    ['decimal(38,10)', 'DECIMAL(38,10)'],
    ['numeric(5,0)', 'DECIMAL(5,0)'],
    ['money', 'DECIMAL(19,4)'],
    ['smallmoney', 'DECIMAL(10,4)'],
    ['date', 'DATE'],
    ['time(7)', 'TIME'],
    ['datetime', 'TIMESTAMP'],
    ['datetime2(3)', 'TIMESTAMP'],
    ['datetime2(7)', 'TIMESTAMP_NS'],
    ['datetimeoffset(7)', 'TIMESTAMPTZ'],
    ['uniqueidentifier', 'UUID'],
    ['varbinary(max)', 'BLOB'],
    ['nvarchar(50)', 'VARCHAR'],
    ['varchar(max)', 'VARCHAR'],
    ['xml', 'VARCHAR'],
    ['geography', 'VARCHAR'],
    ['sql_variant', 'VARCHAR'],
  ];
  it.each(cases)('%s → %s', (remote, duck) => {
    expect(readTransport(parseTypeName(remote)).duckdbType).toBe(duck);
  });

  it('the text each type travels as (as the server writes it) becomes the exact DuckDB value', async () => {
    const remote = ['decimal(38,10)', 'money', 'datetime2(7)', 'datetime2(3)', 'datetimeoffset(7)', 'date', 'time(7)', 'uniqueidentifier', 'varbinary(max)', 'bit', 'bigint', 'nvarchar(20)'];
    const columns = remote.map((t, i) => ({ name: `col${i}`, transport: readTransport(parseTypeName(t)) }));
    // What the server's CONVERTs produce (types.ts), one row with values and one with NULLs.
    const texts = ['1234567890123456789012345678.0123456789', '-922337203685477.5808', '2024-02-29T23:59:59.1234567', '2024-01-02T03:04:05.123', '2024-06-30T22:15:00.1234560', '2024-02-29', '13:14:15.1234560', '6F9619FF-8B86-D011-B42D-00C04FC964FF', '00FF10', 'true', '9007199254740993', 'Zürich, "quoted"'];
    const file = path.join(dir, 'read.csv');
    await writeFile(file, texts.map(csvField).join(',') + '\n' + texts.map(() => csvField(null)).join(',') + '\n');
    const rows = await db.rows(`SELECT ${columns.map((c) => `CAST("${c.name}" AS VARCHAR) AS "${c.name}"`).join(', ')} FROM (${scanSql(file, columns)})`);
    expect(Object.values(rows[0]!)).toEqual([
      '1234567890123456789012345678.0123456789',
      '-922337203685477.5808',
      '2024-02-29 23:59:59.1234567',
      '2024-01-02 03:04:05.123',
      '2024-06-30 22:15:00.123456+00',
      '2024-02-29',
      '13:14:15.123456',
      '6f9619ff-8b86-d011-b42d-00c04fc964ff',
      '\\x00\\xFF\\x10',
      'true',
      '9007199254740993',
      'Zürich, "quoted"',
    ]);
    expect(Object.values(rows[1]!).every((v) => v === null)).toBe(true);
  });

  it("a time(7) or datetimeoffset(7) value with a seventh fractional digit stops the read (DuckDB keeps microseconds)", async () => {
    for (const [remote, value] of [
      ['time(7)', '13:14:15.1234567'],
      ['datetimeoffset(7)', '2024-06-30T22:15:00.1234567'],
    ] as const) {
      const columns = [{ name: 'v', transport: readTransport(parseTypeName(remote)) }];
      const file = path.join(dir, 'seventh.csv');
      await writeFile(file, `${value}\n`);
      await expect(db.rows(`SELECT * FROM (${scanSql(file, columns)})`)).rejects.toThrow(`'${value}' has a seventh fractional digit of a second, which DuckDB's ${remote.startsWith('time') ? 'TIME' : 'TIMESTAMPTZ'} (microseconds) would cut`);
    }
  });

  it('the fetch statement converts each column on the server and names them by position', () => {
    const columns = [
      { name: 'amount', transport: readTransport(parseTypeName('money')) },
      { name: 'seen]at', transport: readTransport(parseTypeName('datetimeoffset(7)')) },
    ];
    expect(transportQuery('SELECT * FROM [dbo].[t]', columns)).toBe(
      'SELECT CONVERT(varchar(48), CAST([amount] AS decimal(19,4))) AS [c1], CONVERT(varchar(27), CAST(SWITCHOFFSET([seen]]at], 0) AS datetime2(7)), 126) AS [c2] FROM (SELECT * FROM [dbo].[t]) AS _caudal_src',
    );
  });

  it('CSV fields: NULL empty, the rest quoted, so an empty string stays one', () => {
    expect([csvField(null), csvField(''), csvField('a"b'), csvField(1.5), csvField(false), csvField(Buffer.from([1, 255]))]).toEqual(['', '""', '"a""b"', '"1.5"', '"false"', '"01ff"']);
  });
});

describe('types: DuckDB → SQL Server (sinks)', () => {
  const cases: Array<[string, string]> = [
    ['BOOLEAN', 'bit'],
    ['TINYINT', 'smallint'],
    ['UTINYINT', 'tinyint'],
    ['INTEGER', 'int'],
    ['BIGINT', 'bigint'],
    ['UBIGINT', 'decimal(20,0)'],
    ['HUGEINT', 'decimal(38,0)'],
    ['FLOAT', 'real'],
    ['DOUBLE', 'float'],
    ['DECIMAL(18,3)', 'decimal(18,3)'],
    ['VARCHAR', 'nvarchar(max)'],
    ['DATE', 'date'],
    ['TIME', 'time(6)'],
    ['TIMESTAMP', 'datetime2(6)'],
    ['TIMESTAMP_NS', 'datetime2(7)'],
    ['TIMESTAMP WITH TIME ZONE', 'datetimeoffset(6)'],
    ['UUID', 'uniqueidentifier'],
    ['BLOB', 'varbinary(max)'],
    ['INTEGER[]', 'nvarchar(max)'],
    ['STRUCT(a INTEGER)', 'nvarchar(max)'],
  ];
  it.each(cases)('%s → %s', (duck, remote) => {
    expect(sqlserverTypeFor(duck)).toBe(remote);
  });

  it('values leave DuckDB in a form the driver sends without rounding (decimals and times as text)', async () => {
    const columns = [
      { name: 'd', type: 'DECIMAL(38,10)' },
      { name: 'h', type: 'HUGEINT' },
      { name: 'b', type: 'BIGINT' },
      { name: 'ns', type: 'TIMESTAMP_NS' },
      { name: 'tz', type: 'TIMESTAMP WITH TIME ZONE' },
      { name: 'day', type: 'DATE' },
      { name: 't', type: 'TIME' },
      { name: 'l', type: 'INTEGER[]' },
      { name: 'u', type: 'UUID' },
    ];
    await db.run("SET TimeZone = 'Europe/Zurich'");
    const [row] = await db.rows(
      `SELECT ${exportSelect(columns)} FROM (SELECT 1234567890123456789012345678.0123456789::DECIMAL(38,10) AS d, 170141183460469231731687303715884105727::HUGEINT AS h, 9007199254740993::BIGINT AS b,
        '2024-02-29 23:59:59.1234567'::TIMESTAMP_NS AS ns, '2024-07-01 00:30:00.5+02'::TIMESTAMPTZ AS tz, DATE '2024-02-29' AS day, TIME '13:14:15.123456' AS t, [1, NULL, 3] AS l,
        '6f9619ff-8b86-d011-b42d-00c04fc964ff'::UUID AS u)`,
    );
    expect(row).toEqual({
      d: '1234567890123456789012345678.0123456789',
      h: '170141183460469231731687303715884105727',
      b: '9007199254740993',
      ns: '2024-02-29T23:59:59.1234567',
      tz: '2024-06-30T22:30:00.500000+00:00',
      day: '2024-02-29',
      t: '13:14:15.123456',
      l: '[1,null,3]',
      u: '6f9619ff-8b86-d011-b42d-00c04fc964ff',
    });
  });

  it('into an existing table: the export refuses what the column would change (names compared without case), sends the rest as before', async () => {
    await db.run("SET TimeZone = 'UTC'");
    const columns = [
      { name: 'Qty', type: 'DOUBLE' },
      { name: 'day', type: 'TIMESTAMP' },
      { name: 'price', type: 'DECIMAL(10,3)' },
    ];
    const table = new Map([
      ['qty', shownType('int', 10, 0)],
      ['DAY', shownType('date', 10, 0)],
      ['price', shownType('decimal', 10, 2)],
    ]);
    expect([...table.values()]).toEqual(['int', 'date', 'decimal(10,2)']);
    const from = (qty: string, day: string, price: string) => `FROM (SELECT ${qty}::DOUBLE AS "Qty", TIMESTAMP '${day}' AS day, ${price}::DECIMAL(10,3) AS price)`;
    expect(await db.rows(`SELECT ${exportSelect(columns, table)} ${from('12', '2024-01-01 00:00:00', '1.230')}`)).toEqual([{ Qty: 12, day: '2024-01-01T00:00:00.000000', price: '1.230' }]);
    await expect(db.rows(`SELECT ${exportSelect(columns, table)} ${from('12.7', '2024-01-01 00:00:00', '1.230')}`)).rejects.toThrow(/column "Qty" holds 12\.7, which is not a whole number, and the table's column "Qty" \(int\) holds whole numbers/);
    await expect(db.rows(`SELECT ${exportSelect(columns, table)} ${from('12', '2024-01-01 10:30:00', '1.230')}`)).rejects.toThrow(/whose time of day the table's column "day" \(date\) would drop/);
    await expect(db.rows(`SELECT ${exportSelect(columns, table)} ${from('12', '2024-01-01 00:00:00', '1.235')}`)).rejects.toThrow(/holds 1\.235, which the table's column "price" \(decimal\(10,2\)\) would round to 2 decimal places/);
    expect(() => checkAssignments({ nodeId: 'dst' }, [{ name: 'At', type: 'TIMESTAMP' }], new Map([['at', 'time(7)']]))).toThrow(`node 'dst': column "At" is TIMESTAMP in the input, but the table's column "At" (time(7)) holds a time of day`);
  });

  it('into datetime, smalldatetime and money columns: values between their steps are refused, values on them go', async () => {
    const columns = [
      { name: 'at', type: 'TIMESTAMP' },
      { name: 'minute', type: 'TIMESTAMP' },
      { name: 'amount', type: 'DOUBLE' },
    ];
    const table = new Map([
      ['at', shownType('datetime', 23, 3)],
      ['minute', shownType('smalldatetime', 16, 0)],
      ['amount', shownType('money', 19, 4)],
    ]);
    expect([...table.values()]).toEqual(['datetime', 'smalldatetime', 'money']);
    const from = (at: string, minute: string, amount: string) => `FROM (SELECT TIMESTAMP '${at}' AS at, TIMESTAMP '${minute}' AS minute, ${amount}::DOUBLE AS amount)`;
    expect(await db.rows(`SELECT ${exportSelect(columns, table)} ${from('2024-01-01 10:30:00.997', '2024-01-01 10:30:00', '12.3456')}`)).toEqual([
      { at: '2024-01-01T10:30:00.997000', minute: '2024-01-01T10:30:00.000000', amount: 12.3456 },
    ]);
    await expect(db.rows(`SELECT ${exportSelect(columns, table)} ${from('2024-01-01 10:30:00.998', '2024-01-01 10:30:00', '12.3456')}`)).rejects.toThrow(
      /column "at" holds 2024-01-01 10:30:00\.998, whose fraction of a second the table's column "at" \(datetime\) would round \(it keeps steps of 1\/300 s/,
    );
    await expect(db.rows(`SELECT ${exportSelect(columns, table)} ${from('2024-01-01 10:30:00', '2024-01-01 10:30:30', '12.3456')}`)).rejects.toThrow(
      /column "minute" holds 2024-01-01 10:30:30, whose seconds the table's column "minute" \(smalldatetime\) would round to the minute/,
    );
    await expect(db.rows(`SELECT ${exportSelect(columns, table)} ${from('2024-01-01 10:30:00', '2024-01-01 10:30:00', '12.34567')}`)).rejects.toThrow(
      /column "amount" holds 12\.34567, which the table's column "amount" \(money\) would round to 4 decimal places/,
    );
    expect(() => checkAssignments({ nodeId: 'dst' }, [{ name: 'at', type: 'TIME' }], new Map([['at', 'datetime']]))).toThrow(
      `node 'dst': column "at" is TIME in the input, but the table's column "at" (datetime) holds a date and a time: writing it would give every value a date the data does not hold`,
    );
  });

  it('text into datetime and smalldatetime columns: a time between their steps is refused, as for a TIMESTAMP; other text is left to the server', async () => {
    const columns = [
      { name: 'at', type: 'VARCHAR' },
      { name: 'minute', type: 'VARCHAR' },
    ];
    const table = new Map([
      ['at', shownType('datetime', 23, 3)],
      ['minute', shownType('smalldatetime', 16, 0)],
    ]);
    const from = (at: string, minute: string) => `FROM (SELECT '${at}' AS at, '${minute}' AS minute)`;
    expect(await db.rows(`SELECT ${exportSelect(columns, table)} ${from('2024-01-01 10:30:00.997', ' 2024-01-01 10:30 ')}`)).toEqual([{ at: '2024-01-01 10:30:00.997', minute: ' 2024-01-01 10:30 ' }]);
    expect(await db.rows(`SELECT ${exportSelect(columns, table)} ${from('Jan 1 2024 10:30AM', '2024-01-01T10:30:00.000')}`)).toEqual([{ at: 'Jan 1 2024 10:30AM', minute: '2024-01-01T10:30:00.000' }]);
    await expect(db.rows(`SELECT ${exportSelect(columns, table)} ${from('2024-01-01 10:30:00.998', '2024-01-01 10:30')}`)).rejects.toThrow(
      /column "at" holds 2024-01-01 10:30:00\.998, whose fraction of a second the table's column "at" \(datetime\) would round \(it keeps steps of 1\/300 s/,
    );
    await expect(db.rows(`SELECT ${exportSelect(columns, table)} ${from('2024-01-01 10:30:00.0004', '2024-01-01 10:30')}`)).rejects.toThrow(/column "at" holds 2024-01-01 10:30:00\.0004, whose fraction of a second/);
    await expect(db.rows(`SELECT ${exportSelect(columns, table)} ${from('2024-01-01 10:30:00', '2024-01-01 10:30:30')}`)).rejects.toThrow(
      /column "minute" holds 2024-01-01 10:30:30, whose seconds the table's column "minute" \(smalldatetime\) would round to the minute/,
    );
  });

  it('into a table the load creates: TIMESTAMP_NS goes as datetime2(7) when its last two digits are zero, and stops the load otherwise', async () => {
    const columns = [{ name: 'at', type: 'TIMESTAMP_NS' }];
    const from = (at: string) => `FROM (SELECT CAST('${at}' AS TIMESTAMP_NS) AS at)`;
    expect(await db.rows(`SELECT ${exportSelect(columns)} ${from('2024-01-01 10:30:00.1234567')}`)).toEqual([{ at: '2024-01-01T10:30:00.1234567' }]);
    await expect(db.rows(`SELECT ${exportSelect(columns)} ${from('2024-01-01 10:30:00.123456789')}`)).rejects.toThrow(/column "at" holds 2024-01-01 10:30:00\.123456789, whose fraction of a second the table's column "at" \(datetime2\(7\)\) would round/);
  });

  it('statements: CREATE TABLE with keys, the staged SELECT, MERGE and UPDATE + INSERT, names quoted', () => {
    const cols = [
      { name: 'id', type: 'BIGINT' },
      { name: 'amount]', type: 'DECIMAL(12,2)' },
      { name: 'seen', type: 'TIMESTAMP' },
    ];
    expect(createTableSql('[s].[t]', cols, ['id'])).toBe('CREATE TABLE [s].[t] ([id] bigint NOT NULL, [amount]]] decimal(12,2) NULL, [seen] datetime2(6) NULL, PRIMARY KEY ([id]))');
    const staged = stagedSelect(cols, '#st');
    expect(staged).toBe('SELECT [c1] AS [id], CAST([c2] AS decimal(12,2)) AS [amount]]], CONVERT(datetime2(6), [c3], 126) AS [seen] FROM #st');
    expect(mergeSql('[s].[t]', cols, ['id'], '#st')).toBe(
      `MERGE INTO [s].[t] WITH (HOLDLOCK) AS t USING (${staged}) AS s ON t.[id] = s.[id] WHEN MATCHED THEN UPDATE SET t.[amount]]] = s.[amount]]], t.[seen] = s.[seen] WHEN NOT MATCHED BY TARGET THEN INSERT ([id], [amount]]], [seen]) VALUES (s.[id], s.[amount]]], s.[seen]);`,
    );
    expect(updateInsertSql('[s].[t]', cols.slice(0, 1), ['id'], '#st')).toEqual([
      'INSERT INTO [s].[t] ([id]) SELECT s.[id] FROM (SELECT [c1] AS [id] FROM #st) AS s WHERE NOT EXISTS (SELECT 1 FROM [s].[t] AS t WITH (UPDLOCK, HOLDLOCK) WHERE t.[id] = s.[id])',
    ]);
  });
});

describe('the bulk path (the driver\'s own Table objects, no network)', () => {
  const columns = [
    { name: 'id', type: 'INTEGER' },
    { name: 'name', type: 'VARCHAR' },
    { name: 'price', type: 'DECIMAL(30,8)' },
    { name: 'raw', type: 'BLOB' },
    { name: 'ok', type: 'BOOLEAN' },
  ];

  it('describes the staging table with positional columns in their transport types', () => {
    const t = bulkTable(sql, '#caudal_stage_x', columns);
    expect(t.temporary).toBe(true);
    expect(t.create).toBe(false);
    expect(t.columns.map((c) => [c.name, (c as unknown as { length?: unknown }).length, c.nullable])).toEqual([
      ['c1', undefined, true],
      ['c2', sql.MAX, true],
      ['c3', 64, true],
      ['c4', sql.MAX, true],
      ['c5', undefined, true],
    ]);
    expect(stageTableDdl('#caudal_stage_x', columns)).toBe('CREATE TABLE #caudal_stage_x ([c1] int NULL, [c2] nvarchar(max) COLLATE DATABASE_DEFAULT NULL, [c3] nvarchar(64) COLLATE DATABASE_DEFAULT NULL, [c4] varbinary(max) NULL, [c5] bit NULL)');
  });

  it('streams DuckDB rows into batches of the given size, one in flight at a time', async () => {
    await db.run(`CREATE OR REPLACE TEMP VIEW bulk_src AS SELECT range::INTEGER AS id, CASE WHEN range % 2 = 0 THEN 'n' || range END AS name, (range / 3)::DECIMAL(30,8) AS price, '\\x01\\xFF'::BLOB AS raw, range % 3 = 0 AS ok FROM range(5000)`);
    const sent: Array<Array<unknown[]>> = [];
    let active = 0;
    let maxActive = 0;
    const request = () =>
      ({
        bulk: async (table: sql.Table, options: { keepNulls: boolean }) => {
          expect(options.keepNulls).toBe(true);
          active++;
          maxActive = Math.max(maxActive, active);
          await new Promise((r) => setTimeout(r, 5));
          sent.push(table.rows.map((r) => [...r]));
          active--;
          return { rowsAffected: table.rows.length };
        },
      }) as unknown as sql.Request;
    const io: HookIo = { db, isCancelled: () => false, log: () => undefined, progress: () => undefined };
    const r = await bulkLoad(sql, request, '#st', 'bulk_src', columns, io, 1500);
    expect(r).toEqual({ rows: 5000, batches: 3 });
    expect(maxActive).toBe(1);
    // DuckDB hands rows over in chunks of 2,048: a batch closes at the first chunk that fills it.
    expect(sent.map((b) => b.length)).toEqual([2048, 2048, 904]);
    expect(sent.flat().length).toBe(5000);
    const first = sent.flat().find((row) => row[0] === 4)!;
    expect(first).toEqual([4, 'n4', '1.33333333', Buffer.from([1, 255]), false]);
    expect(sent.flat().find((row) => row[0] === 3)![1]).toBeNull();
  });

  it('a cancel stops the load between chunks', async () => {
    let calls = 0;
    const io: HookIo = { db, isCancelled: () => ++calls > 1, log: () => undefined, progress: () => undefined };
    const request = () => ({ bulk: async () => ({ rowsAffected: 0 }) }) as unknown as sql.Request;
    await expect(bulkLoad(sql, request, '#st', 'bulk_src', columns, io, 1000)).rejects.toThrow(/cancelled/);
  });
});

describe('errors in the words of the node', () => {
  const ctx = { nodeId: 'load', connection: 'erp', spec: { table: { schema: 'dbo', name: 'orders' }, mode: 'append' as const, createTable: true }, password: 's3cret!' };
  const serverError = (number: number, message: string) => Object.assign(new sql.RequestError(message, 'EREQUEST'), { number });

  it('maps server error numbers to what to fix, without the password', () => {
    const missing = explainSqlServerError(serverError(208, "Invalid object name 'dbo.orders'."), ctx);
    expect(missing.kind).toBe('validation');
    expect(missing.message).toContain("node 'load' (connection 'erp'): table [dbo].[orders] does not exist");
    expect(missing.problems[0]!.path).toBe('params.table');
    const col = explainSqlServerError(serverError(207, "Invalid column name 'emial'."), ctx);
    expect(col.problems[0]).toMatchObject({ code: 'unknown_column', column: 'emial' });
    expect(explainSqlServerError(serverError(2627, 'Violation of PRIMARY KEY constraint'), ctx).hint).toMatch(/upsert/);
    expect(explainSqlServerError(serverError(2628, 'String or binary data would be truncated'), ctx).message).toMatch(/too long/);
    const login = explainSqlServerError(serverError(18456, "Login failed for user 'etl' with password s3cret!"), ctx);
    expect(login.message).not.toContain('s3cret!');
    expect(login.hint).toContain('CAUDAL_SECRET_ERP_PASSWORD');
  });

  it('says which permission a mode needs when the login lacks it', () => {
    const denied = explainSqlServerError(serverError(229, "The INSERT permission was denied on the object 'orders', database 'erp', schema 'dbo'."), ctx);
    expect(denied.message).toBe("node 'load' (connection 'erp'): the login may not do this on table [dbo].[orders]: The INSERT permission was denied on the object 'orders', database 'erp', schema 'dbo'.");
    expect(denied.hint).toMatch(/^mode "append" needs INSERT on the table/);
    const truncate = explainSqlServerError(serverError(1088, "Cannot find the object \"orders\" because it does not exist or you do not have permissions."), { ...ctx, spec: { ...ctx.spec, mode: 'truncate_insert' as const } });
    expect(truncate.hint).toMatch(/^mode "truncate_insert" empties the table first, which needs ALTER on the table/);
  });

  it('maps driver codes for the connection', () => {
    const e = explainSqlServerError(new sql.ConnectionError('Failed to connect to db:1433 - connect ECONNREFUSED', 'ESOCKET'), ctx);
    expect(e.kind).toBe('io');
    expect(e.hint).toContain('caudal connections test erp');
    expect(explainSqlServerError(new sql.ConnectionError("Login failed for user 'etl'.", 'ELOGIN'), ctx).message).toMatch(/login failed/);
  });

  it('retries only what may pass: unreachable or starting servers, never a failed login', () => {
    expect(isTransient(new sql.ConnectionError('Failed to connect', 'ESOCKET'))).toBe(true);
    expect(isTransient(Object.assign(new Error('Cannot open database'), { number: 4060 }))).toBe(true);
    expect(isTransient(new sql.ConnectionError('Login failed', 'ELOGIN'))).toBe(false);
    expect(isTransient(serverError(208, 'Invalid object name'))).toBe(false);
  });
});

describe('connection options', () => {
  it('SQL auth with encryption on by default; a named instance without a port asks the browser service', () => {
    const c = mssqlConfig(sqlserverFields.parse({ host: 'db', database: 'erp', user: 'etl', password: 'x', instance: 'SQLEXPRESS' }));
    expect(c).toMatchObject({ server: 'db', port: undefined, database: 'erp', user: 'etl', password: 'x', requestTimeout: 0, options: { encrypt: true, trustServerCertificate: false, instanceName: 'SQLEXPRESS' } });
    expect(mssqlConfig(sqlserverFields.parse({ database: 'erp', user: 'etl' })).port).toBe(1433);
  });
  it('Windows (NTLM) authentication with a domain', () => {
    const c = mssqlConfig(sqlserverFields.parse({ host: 'db', database: 'erp', auth: 'ntlm', user: 'etl', password: 'x', domain: 'CORP', trust_server_certificate: true }));
    expect(c.authentication).toEqual({ type: 'ntlm', options: { userName: 'etl', password: 'x', domain: 'CORP' } });
    expect(c.user).toBeUndefined();
    expect(c.options?.trustServerCertificate).toBe(true);
  });
});

describe('incremental watermarks', () => {
  it('are written as text SQL Server converts back exactly (seven digits, offsets)', async () => {
    const [row] = await db.rows(
      `SELECT ${watermarkText('TIMESTAMP_NS', "'2024-02-29 23:59:59.123456789'::TIMESTAMP_NS")} AS ns, ${watermarkText('TIMESTAMPTZ', "'2024-07-01 00:30:00.5+02'::TIMESTAMPTZ")} AS tz, ${watermarkText('BIGINT', '42::BIGINT')} AS n`,
    );
    expect(row).toEqual({ ns: '2024-02-29 23:59:59.1234567', tz: '2024-06-30 22:30:00.500000+00:00', n: '42' });
  });
});
