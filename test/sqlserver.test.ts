import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspect, previewPipeline, runPipeline } from '../core/src/engine/engine.js';
import { pipeline, tempDir } from './support/pipeline.js';
import { MSSQL_URL, mssqlConnection, mssqlSandbox } from './support/sqlserver.js';

/**
 * source.sqlserver and sink.sqlserver against a real server: the cases PostgreSQL's suites run.
 * No SQL Server can run on the project's machines: set CAUDAL_TEST_MSSQL_URL to run them
 * (docs/testing.md).
 */
const suite = MSSQL_URL ? describe : describe.skip;
const connections = { erp: { type: 'sqlserver' } };

suite(`SQL Server (${MSSQL_URL ? 'CAUDAL_TEST_MSSQL_URL' : 'skipped: set CAUDAL_TEST_MSSQL_URL to run against a real server'})`, async () => {
  const { schema, q } = MSSQL_URL ? await mssqlSandbox() : ({} as Awaited<ReturnType<typeof mssqlSandbox>>);
  // Nothing is made for a skipped suite: its cleanup would not run.
  const dir = MSSQL_URL ? await tempDir('caudal-mssql-') : '';
  const conn = () => mssqlConnection();
  const run = (doc: ReturnType<typeof pipeline>) => runPipeline({ pipeline: doc, baseDir: dir, connections: conn() });
  const csv = async (name: string, text: string) => {
    await writeFile(path.join(dir, name), text);
    return name;
  };
  const load = (file: string, sink: Record<string, unknown>) =>
    pipeline(
      [
        { id: 'src', type: 'source.csv', params: { path: file } },
        { id: 'dst', type: 'sink.sqlserver', params: { connection: 'erp', schema, ...sink } },
      ],
      ['src -> dst'],
      { connections },
    );

  it('reads every type exactly (decimal, money, datetime2(7), datetimeoffset, date, time, bit, uniqueidentifier, collations, varbinary, xml) and writes them back', async () => {
    await q(`CREATE TABLE [${schema}].types (id int, d decimal(38,10), m money, dt2 datetime2(7), dto datetimeoffset(7), dd date, t time(6), b bit,
      u uniqueidentifier, v varchar(20) COLLATE Latin1_General_CI_AS, nv nvarchar(20), vb varbinary(10), x xml, f float, big bigint)`);
    await q(`INSERT INTO [${schema}].types VALUES
      (1, 1234567890123456789012345678.0123456789, -922337203685477.5808, '2024-02-29T23:59:59.1234567', '2024-07-01T00:30:00.1234560+02:00', '2024-02-29', '13:14:15.123456', 1,
       '6F9619FF-8B86-D011-B42D-00C04FC964FF', 'caf' + CHAR(233), N'Zürich "q", x', 0x00FF10, '<a b="1"/>', 1.25, 9007199254740993),
      (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, N'', NULL, NULL, NULL, NULL)`);
    const doc = pipeline(
      [
        { id: 'src', type: 'source.sqlserver', params: { connection: 'erp', schema, table: 'types' } },
        { id: 'dst', type: 'sink.sqlserver', params: { connection: 'erp', schema, table: 'types_copy' } },
      ],
      ['src -> dst'],
      { connections },
    );
    const shape = await inspect({ pipeline: doc, baseDir: dir, connections: conn() });
    expect(shape.problems).toEqual([]);
    const types = Object.fromEntries(shape.nodes.find((n) => n.nodeId === 'src')!.outputs[0]!.columns.map((c) => [c.name, c.type]));
    expect(types).toEqual({
      id: 'INTEGER', d: 'DECIMAL(38,10)', m: 'DECIMAL(19,4)', dt2: 'TIMESTAMP_NS', dto: 'TIMESTAMP WITH TIME ZONE', dd: 'DATE', t: 'TIME', b: 'BOOLEAN',
      u: 'UUID', v: 'VARCHAR', nv: 'VARCHAR', vb: 'BLOB', x: 'VARCHAR', f: 'DOUBLE', big: 'BIGINT',
    });
    const s = await run(doc);
    expect(s.error).toBeUndefined();
    expect(s.outputs[0]!.rows).toBe(2);
    const text = (t: string) =>
      q<{ r: string }>(`SELECT CONCAT_WS('|', id, CONVERT(varchar(60), d), CONVERT(varchar(40), CAST(m AS decimal(19,4))), CONVERT(varchar(30), dt2, 126), CONVERT(varchar(40), SWITCHOFFSET(dto, 0), 126), dd, t, b, u, v, ISNULL(nv, '<null>'), CONVERT(varchar(30), vb, 2), CONVERT(nvarchar(100), x), f, big) AS r FROM [${schema}].${t} ORDER BY id`);
    expect(await text('types_copy')).toEqual(await text('types'));
    const created = await q<{ t: string }>(`SELECT TYPE_NAME(user_type_id) AS t FROM sys.columns WHERE object_id = OBJECT_ID('[${schema}].types_copy') ORDER BY column_id`);
    expect(created.map((c) => c.t)).toEqual(['int', 'decimal', 'decimal', 'datetime2', 'datetimeoffset', 'date', 'time', 'bit', 'uniqueidentifier', 'nvarchar', 'nvarchar', 'varbinary', 'nvarchar', 'float', 'bigint']);
  });

  it('a time(7) or datetimeoffset(7) value with a seventh fractional digit stops the read, naming the value (DuckDB keeps microseconds)', async () => {
    await q(`CREATE TABLE [${schema}].fine (id int, t time(7), dto datetimeoffset(7))`);
    await q(`INSERT INTO [${schema}].fine VALUES (1, '13:14:15.1234560', '2024-07-01T00:30:00.1234560+02:00')`);
    const read = (columns: string[]) =>
      run(pipeline([{ id: 'src', type: 'source.sqlserver', params: { connection: 'erp', schema, table: 'fine', columns } }, { id: 'out', type: 'sink.csv', params: { path: 'fine.csv', if_exists: 'overwrite' } }], ['src -> out'], { connections }));
    expect((await read(['id', 't', 'dto'])).error).toBeUndefined();
    await q(`INSERT INTO [${schema}].fine VALUES (2, '13:14:15.1234567', '2024-07-01T00:30:00.1234567+02:00')`);
    expect((await read(['id', 't'])).error?.message).toContain(`'13:14:15.1234567' has a seventh fractional digit of a second, which DuckDB's TIME (microseconds) would cut`);
    expect((await read(['id', 'dto'])).error?.message).toContain(`has a seventh fractional digit of a second, which DuckDB's TIMESTAMPTZ (microseconds) would cut`);
  });

  it('pushes columns and filters down and previews a sample', async () => {
    await q(`CREATE TABLE [${schema}].orders (id int PRIMARY KEY, status nvarchar(10), amount decimal(10,2))`);
    await q(`INSERT INTO [${schema}].orders SELECT value, CASE WHEN value % 3 = 0 THEN 'shipped' ELSE 'open' END, value * 1.5 FROM GENERATE_SERIES(1, 3000)`);
    const doc = pipeline(
      [
        { id: 'src', type: 'source.sqlserver', params: { connection: 'erp', schema, table: 'orders', columns: ['id', 'amount'], filters: [{ column: 'status', op: '=', value: 'shipped' }, { column: 'id', op: '<=', value: 90 }] } },
        { id: 'out', type: 'sink.csv', params: { path: 'pushdown.csv' } },
      ],
      ['src -> out'],
      { connections },
    );
    const s = await run(doc);
    expect(s.error).toBeUndefined();
    expect(s.outputs[0]!.rows).toBe(30);
    const p = await previewPipeline({ pipeline: pipeline([{ id: 'src', type: 'source.sqlserver', params: { connection: 'erp', schema, table: 'orders' } }], [], { connections }), baseDir: dir, nodeId: 'src', connections: conn() });
    expect(p.sampled).toBe(true);
  });

  it('append creates the table with mapped types, then adds rows', async () => {
    const f = await csv('a.csv', 'id,name,amount,day\n1,ann,1.50,2024-01-01\n2,bob,2.25,2024-01-02\n');
    expect((await run(load(f, { table: 'appended' }))).status).toBe('succeeded');
    expect((await run(load(f, { table: 'appended' }))).outputs[0]!.rows).toBe(2);
    expect(await q(`SELECT COUNT(*) AS n FROM [${schema}].appended`)).toEqual([{ n: 4 }]);
  });

  it('replace swaps in exactly the new data; truncate_insert keeps the definition', async () => {
    await q(`CREATE TABLE [${schema}].replaced (id int, old_col nvarchar(10)); INSERT INTO [${schema}].replaced VALUES (99, 'old')`);
    const f = await csv('r.csv', 'id,label\n1,x\n2,y\n');
    expect((await run(load(f, { table: 'replaced', mode: 'replace' }))).status).toBe('succeeded');
    expect(await q(`SELECT id, label FROM [${schema}].replaced ORDER BY id`)).toEqual([{ id: 1, label: 'x' }, { id: 2, label: 'y' }]);
    await q(`CREATE TABLE [${schema}].truncated (id bigint, label nvarchar(5) NOT NULL DEFAULT 'd', extra int DEFAULT 7); INSERT INTO [${schema}].truncated (id, label) VALUES (99, 'old')`);
    expect((await run(load(f, { table: 'truncated', mode: 'truncate_insert' }))).status).toBe('succeeded');
    expect(await q(`SELECT id, label, extra FROM [${schema}].truncated ORDER BY id`)).toEqual([{ id: '1', label: 'x', extra: 7 }, { id: '2', label: 'y', extra: 7 }]);
  });

  for (const method of ['merge', 'update_insert'] as const) {
    it(`upsert (${method}) updates matching keys and inserts the rest; a duplicate key changes nothing`, async () => {
      const table = `up_${method}`;
      await q(`CREATE TABLE [${schema}].${table} (id bigint PRIMARY KEY, v nvarchar(10)); INSERT INTO [${schema}].${table} VALUES (1, 'old'), (5, 'keep')`);
      const f = await csv(`${table}.csv`, 'id,v\n1,new\n2,ins\n');
      expect((await run(load(f, { table, mode: 'upsert', keys: ['id'], upsert_method: method }))).status).toBe('succeeded');
      expect(await q(`SELECT id, v FROM [${schema}].${table} ORDER BY id`)).toEqual([{ id: '1', v: 'new' }, { id: '2', v: 'ins' }, { id: '5', v: 'keep' }]);
      const dup = await csv(`${table}-dup.csv`, 'id,v\n7,a\n7,b\n');
      const s = await run(load(dup, { table, mode: 'upsert', keys: ['id'], upsert_method: method }));
      expect(s.status).toBe('failed');
      expect(s.error!.message).toContain('key (id=7) appears 2 times');
      expect(await q(`SELECT COUNT(*) AS n FROM [${schema}].${table}`)).toEqual([{ n: 3 }]);
    });
  }

  it('a failed load (a constraint) leaves the table as it was; an unknown column is refused before anything is read', async () => {
    await q(`CREATE TABLE [${schema}].strict_t (id int, name nvarchar(3) NOT NULL); INSERT INTO [${schema}].strict_t VALUES (1, 'old')`);
    const f = await csv('s.csv', 'id,name\n2,ok\n3,\n');
    const s = await run(load(f, { table: 'strict_t', mode: 'truncate_insert' }));
    expect(s.status).toBe('failed');
    expect(s.error!.message).toMatch(/NOT NULL/);
    expect(await q(`SELECT id, name FROM [${schema}].strict_t`)).toEqual([{ id: 1, name: 'old' }]);
    const g = await csv('g.csv', 'id,nmae\n2,x\n');
    const bad = await run(load(g, { table: 'strict_t' }));
    expect(bad.status).toBe('failed');
    expect(bad.error!.message).toMatch(/has no column 'nmae'.*did you mean 'name'/);
  });

  it('into an existing table, a value its column would change stops the load; exact values go', async () => {
    await q(`CREATE TABLE [${schema}].typed (id bigint, day date, price decimal(10,2), qty int, at datetime2(0)); INSERT INTO [${schema}].typed VALUES (1, '2024-01-01', 1, 1, '2024-01-01')`);
    const columns = [
      { name: 'id', type: 'BIGINT' },
      { name: 'day', type: 'TIMESTAMP' },
      { name: 'price', type: 'DOUBLE' },
      { name: 'qty', type: 'DOUBLE' },
      { name: 'at', type: 'TIMESTAMP' },
    ];
    const typedLoad = async (name: string, line: string) => {
      const doc = load(await csv(name, `id,day,price,qty,at\n${line}\n`), { table: 'typed' });
      doc.nodes[0]!.params = { path: name, columns };
      return run(doc);
    };
    expect((await typedLoad('exact.csv', '2,2024-03-04 00:00:00,12.30,12.0,2024-03-04 10:30:01')).error).toBeUndefined();
    const cases: Array<[string, string]> = [
      ['2,2024-03-04 10:30:00,1,1,2024-03-04 10:30:01', `whose time of day the table's column "day" (date) would drop`],
      ['2,2024-03-04 00:00:00,12.345,1,2024-03-04 10:30:01', `which the table's column "price" (decimal(10,2)) would round to 2 decimal places`],
      ['2,2024-03-04 00:00:00,1,12.7,2024-03-04 10:30:01', `column "qty" holds 12.7, which is not a whole number`],
      ['2,2024-03-04 00:00:00,1,1,2024-03-04 10:30:00.7', `whose fraction of a second the table's column "at" (datetime2(0)) would round`],
    ];
    for (const [i, [line, message]] of cases.entries()) {
      const s = await typedLoad(`bad${i}.csv`, line);
      expect(s.error!.message).toContain(message);
    }
    expect(await q(`SELECT COUNT(*) AS n FROM [${schema}].typed`)).toEqual([{ n: 2 }]);
  });

  it('datetime, smalldatetime and money: values on their steps go, values between them stop the load', async () => {
    await q(`CREATE TABLE [${schema}].stepped (id bigint, at datetime, minute smalldatetime, amount money)`);
    const columns = [
      { name: 'id', type: 'BIGINT' },
      { name: 'at', type: 'TIMESTAMP' },
      { name: 'minute', type: 'TIMESTAMP' },
      { name: 'amount', type: 'DOUBLE' },
    ];
    const steppedLoad = async (name: string, line: string) => {
      const doc = load(await csv(name, `id,at,minute,amount\n${line}\n`), { table: 'stepped' });
      doc.nodes[0]!.params = { path: name, columns };
      return run(doc);
    };
    expect((await steppedLoad('stepped-ok.csv', '1,2024-03-04 10:30:00.997,2024-03-04 10:30:00,12.3456')).error).toBeUndefined();
    expect(await q(`SELECT CONVERT(varchar(23), at, 126) AS at, CONVERT(varchar(16), minute, 120) AS minute, CONVERT(varchar(20), amount, 2) AS amount FROM [${schema}].stepped`)).toEqual([
      { at: '2024-03-04T10:30:00.997', minute: '2024-03-04 10:30', amount: '12.3456' },
    ]);
    const cases: Array<[string, string]> = [
      ['2,2024-03-04 10:30:00.998,2024-03-04 10:30:00,1', `whose fraction of a second the table's column "at" (datetime) would round`],
      ['2,2024-03-04 10:30:00,2024-03-04 10:30:30,1', `whose seconds the table's column "minute" (smalldatetime) would round to the minute`],
      ['2,2024-03-04 10:30:00,2024-03-04 10:30:00,12.34567', `which the table's column "amount" (money) would round to 4 decimal places`],
    ];
    for (const [i, [line, message]] of cases.entries()) {
      const s = await steppedLoad(`stepped-bad${i}.csv`, line);
      expect(s.error!.message).toContain(message);
    }
    expect(await q(`SELECT COUNT(*) AS n FROM [${schema}].stepped`)).toEqual([{ n: 1 }]);
  });

  it('incremental: reads above the watermark, then only new rows', async () => {
    await q(`CREATE TABLE [${schema}].events (id int, at datetime2(7)); INSERT INTO [${schema}].events VALUES (1, '2024-01-01T00:00:00.0000001'), (2, '2024-01-02T00:00:00.1234567')`);
    const doc = pipeline(
      [
        { id: 'src', type: 'source.sqlserver', params: { connection: 'erp', schema, table: 'events', incremental: { column: 'at' } } },
        { id: 'dst', type: 'sink.sqlserver', params: { connection: 'erp', schema, table: 'events_copy' } },
      ],
      ['src -> dst'],
      { connections },
    );
    expect((await run(doc)).outputs[0]!.rows).toBe(2);
    expect((await run(doc)).outputs[0]!.rows).toBe(0);
    await q(`INSERT INTO [${schema}].events VALUES (3, '2024-01-02T00:00:00.1234568')`);
    expect((await run(doc)).outputs[0]!.rows).toBe(1);
    expect(await q(`SELECT COUNT(*) AS n FROM [${schema}].events_copy`)).toEqual([{ n: 3 }]);
  });

  it('reports a missing table with the node and connection named', async () => {
    const s = await run(pipeline([{ id: 'src', type: 'source.sqlserver', params: { connection: 'erp', schema, table: 'nope' } }, { id: 'o', type: 'sink.csv', params: { path: 'x.csv' } }], ['src -> o'], { connections }));
    expect(s.status).toBe('failed');
    expect(s.error!.message).toMatch(/node 'src' \(connection 'erp'\)/);
  });
});
