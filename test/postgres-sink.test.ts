import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspect, runPipeline, startRun } from '../core/src/engine/engine.js';
import { caudal } from './support/cli.js';
import { pipeline, tempDir } from './support/pipeline.js';
import { loadingRole, pgConnection, pgSandbox, writePgConnectionsFile } from './support/postgres.js';

const connections = { db: { type: 'postgres' } };

describe('sink.postgres', async () => {
  const { schema, q } = await pgSandbox();
  const dir = await tempDir();
  const csv = async (name: string, text: string) => {
    await writeFile(path.join(dir, name), text);
    return name;
  };
  /** A CSV source feeding one PostgreSQL sink with the given params. */
  const load = (file: string, sink: Record<string, unknown>, extraNodes: Parameters<typeof pipeline>[0] = [], extraEdges: string[] = []) =>
    pipeline(
      [
        { id: 'src', type: 'source.csv', params: { path: file } },
        { id: 'dst', type: 'sink.postgres', params: { connection: 'db', schema, ...sink } },
        ...extraNodes,
      ],
      ['src -> dst', ...extraEdges],
      { connections },
    );
  const run = (doc: ReturnType<typeof pipeline>) => runPipeline({ pipeline: doc, baseDir: dir, connections: pgConnection() });
  const rows = (table: string, order = 'id') => q(`SELECT * FROM ${table} ORDER BY ${order}`);

  it('append creates the table with mapped types, then adds rows', async () => {
    const f = await csv('a.csv', 'id,name,amount,day\n1,ann,1.50,2024-01-01\n2,bob,2.25,2024-01-02\n');
    const doc = load(f, { table: 'appended' });
    expect((await run(doc)).status).toBe('succeeded');
    expect((await run(doc)).outputs[0]!.rows).toBe(2);
    expect(await q(`SELECT count(*)::int AS n FROM appended`)).toEqual([{ n: 4 }]);
    const types = await q<{ data_type: string }>(`SELECT data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'appended' ORDER BY ordinal_position`, [schema]);
    expect(types.map((t) => t.data_type)).toEqual(['bigint', 'text', 'double precision', 'date']);
  });

  it('replace swaps in exactly the new data, with its columns', async () => {
    await q(`CREATE TABLE replaced (id int, old_col text)`);
    await q(`INSERT INTO replaced VALUES (99, 'old')`);
    const f = await csv('r.csv', 'id,label\n1,x\n2,y\n');
    expect((await run(load(f, { table: 'replaced', mode: 'replace' }))).status).toBe('succeeded');
    expect(await rows('replaced')).toEqual([{ id: '1', label: 'x' }, { id: '2', label: 'y' }]);
  });

  it('replace explains what to do when views depend on the table, and changes nothing', async () => {
    await q(`CREATE TABLE with_view (id bigint, label text)`);
    await q(`INSERT INTO with_view VALUES (1, 'kept')`);
    await q(`CREATE VIEW on_with_view AS SELECT * FROM with_view`);
    const f = await csv('v.csv', 'id,label\n2,new\n');
    const s = await run(load(f, { table: 'with_view', mode: 'replace' }));
    expect(s.status).toBe('failed');
    expect(s.error!.hint).toContain('truncate_insert');
    expect(await rows('with_view')).toEqual([{ id: '1', label: 'kept' }]);
  });

  it('upsert updates matching keys and inserts the rest, with ON CONFLICT or without a unique index', async () => {
    await q(`CREATE TABLE up_pk (id bigint PRIMARY KEY, name text, n bigint DEFAULT 0)`);
    await q(`CREATE TABLE up_plain (id bigint, name text, n bigint DEFAULT 0)`);
    for (const t of ['up_pk', 'up_plain']) await q(`INSERT INTO ${t} VALUES (1, 'one', 1), (2, 'two', 2)`);
    const f = await csv('u.csv', 'id,name\n2,TWO\n3,three\n');
    for (const t of ['up_pk', 'up_plain']) {
      const s = await run(load(f, { table: t, mode: 'upsert', keys: ['id'] }));
      expect(s.error).toBeUndefined();
      expect(await rows(t)).toEqual([
        { id: '1', name: 'one', n: '1' },
        { id: '2', name: 'TWO', n: '2' },
        { id: '3', name: 'three', n: '0' },
      ]);
    }
  });

  it('upsert refuses duplicate keys in the data and leaves the table as it was', async () => {
    await q(`CREATE TABLE up_dup (id bigint PRIMARY KEY, name text)`);
    await q(`INSERT INTO up_dup VALUES (1, 'one')`);
    const f = await csv('d.csv', 'id,name\n1,a\n5,b\n5,c\n');
    const s = await run(load(f, { table: 'up_dup', mode: 'upsert', keys: ['id'] }));
    expect(s.status).toBe('failed');
    expect(s.error!.message).toContain('key (id=5) appears 2 times');
    expect(await rows('up_dup')).toEqual([{ id: '1', name: 'one' }]);
  });

  it('truncate_insert replaces the rows and keeps the table definition', async () => {
    await q(`CREATE TABLE trunc (id bigint PRIMARY KEY, name text, created timestamptz DEFAULT '2020-01-01')`);
    await q(`INSERT INTO trunc VALUES (7, 'gone')`);
    const f = await csv('t.csv', 'id,name\n1,a\n2,b\n');
    expect((await run(load(f, { table: 'trunc', mode: 'truncate_insert' }))).status).toBe('succeeded');
    expect((await rows('trunc')).map((r) => r.name)).toEqual(['a', 'b']);
    expect(await q(`SELECT count(*)::int AS n FROM pg_indexes WHERE schemaname = $1 AND tablename = 'trunc'`, [schema])).toEqual([{ n: 1 }]);
  });

  it('runs SQL before and after the rows inside the same transaction', async () => {
    await q(`CREATE TABLE audited (id bigint, name text)`);
    await q(`CREATE TABLE audit_log (msg text)`);
    await q(`INSERT INTO audited VALUES (1, 'old'), (2, 'keep')`);
    const f = await csv('p.csv', 'id,name\n1,new\n');
    const s = await run(load(f, { table: 'audited', pre_sql: `DELETE FROM "${schema}".audited WHERE id = 1`, post_sql: `INSERT INTO "${schema}".audit_log SELECT 'rows: ' || count(*) FROM "${schema}".audited` }));
    expect(s.error).toBeUndefined();
    expect(await rows('audited')).toEqual([{ id: '1', name: 'new' }, { id: '2', name: 'keep' }]);
    expect(await q(`SELECT msg FROM audit_log`)).toEqual([{ msg: 'rows: 2' }]);
  });

  it('checks the columns of an existing table before reading anything', async () => {
    await q(`CREATE TABLE strict_cols (id bigint, amount numeric)`);
    const f = await csv('c.csv', 'id,amout\n1,2\n');
    const result = await inspect({ pipeline: load(f, { table: 'strict_cols' }), baseDir: dir, connections: pgConnection() });
    expect(result.problems[0]).toMatchObject({ nodeId: 'dst', column: 'amout' });
    expect(result.problems[0]!.message).toContain(`has no column 'amout' (did you mean 'amount'?)`);
  });

  describe('into an existing table, a value its column would change stops the load instead of changing', () => {
    /** A CSV with typed columns into `typed`, whose columns are coarser than the input's. */
    const typedLoad = async (name: string, line: string, mode = 'append') => {
      const f = await csv(name, `id,day,price,qty,at\n9,2024-02-02 00:00:00,1.5,1,2024-02-02 08:00:00\n${line}\n`);
      const columns = [
        { name: 'id', type: 'BIGINT' },
        { name: 'day', type: 'TIMESTAMP' },
        { name: 'price', type: 'DOUBLE' },
        { name: 'qty', type: 'DOUBLE' },
        { name: 'at', type: 'TIMESTAMP' },
      ];
      const doc = load(f, { table: 'typed', mode, keys: mode === 'upsert' ? ['id'] : [] });
      doc.nodes[0]!.params = { path: f, columns };
      return run(doc);
    };
    const before = [{ id: '1', day: '2024-01-01', price: '1.00', qty: 1, at: '2024-01-01 00:00:00' }];
    const table = () => q(`SELECT id, day::text, price::text, qty, at::text FROM typed ORDER BY id`);

    it('exact values go: a midnight timestamp into a date, 12.0 into an integer, 12.30 into numeric(10,2)', async () => {
      await q(`CREATE TABLE typed (id bigint PRIMARY KEY, day date, price numeric(10,2), qty integer, at timestamp(0))`);
      await q(`INSERT INTO typed VALUES (1, '2024-01-01', 1, 1, '2024-01-01')`);
      const s = await typedLoad('exact.csv', '2,2024-03-04 00:00:00,12.30,12.0,2024-03-04 10:30:01');
      expect(s.error).toBeUndefined();
      expect(await table()).toEqual([
        ...before,
        { id: '2', day: '2024-03-04', price: '12.30', qty: 12, at: '2024-03-04 10:30:01' },
        { id: '9', day: '2024-02-02', price: '1.50', qty: 1, at: '2024-02-02 08:00:00' },
      ]);
      await q(`DELETE FROM typed WHERE id <> 1`);
    });

    const refused: Array<[string, string, string]> = [
      ['a time of day into a date', '2,2024-03-04 10:30:00,12.30,12,2024-03-04 10:30:01', `column 'day' failed: Invalid Input Error: column "day" holds 2024-03-04 10:30:00, whose time of day the table's column "day" (date) would drop`],
      ['a third decimal into numeric(10,2)', '2,2024-03-04 00:00:00,12.345,12,2024-03-04 10:30:01', `column "price" holds 12.345, which the table's column "price" (numeric(10,2)) would round to 2 decimal places: round it on purpose first`],
      ['a fraction into an integer', '2,2024-03-04 00:00:00,12.30,12.5,2024-03-04 10:30:01', `column "qty" holds 12.5, which is not a whole number, and the table's column "qty" (integer) holds whole numbers`],
      ['a fraction of a second into timestamp(0)', '2,2024-03-04 00:00:00,12.30,12,2024-03-04 10:30:00.7', `column "at" holds 2024-03-04 10:30:00.7, whose fraction of a second the table's column "at" (timestamp(0) without time zone) would round`],
    ];
    for (const [what, line, message] of refused) {
      for (const mode of ['append', 'upsert']) {
        it(`${what} (${mode}): the run fails naming the sink, the column and the value; the table is as it was`, async () => {
          const s = await typedLoad(`${mode}-${what.replaceAll(' ', '-')}.csv`, line, mode);
          expect(s.status).toBe('failed');
          expect(s.error!.message).toContain(`node 'dst' (sink.postgres)`);
          expect(s.error!.message).toContain(message);
          expect(await table()).toEqual(before);
        });
      }
    }

    it('nanoseconds (TIMESTAMP_NS, as pandas writes Parquet) go when they are whole microseconds, and stop the load otherwise, also into a table the load creates', async () => {
      const nanos = (value: string, table: string) =>
        pipeline(
          [
            { id: 'src', type: 'transform.sql', params: { query: `SELECT 1 AS id, CAST('${value}' AS TIMESTAMP_NS) AS at` } },
            { id: 'dst', type: 'sink.postgres', params: { connection: 'db', schema, table } },
          ],
          ['src -> dst'],
          { connections },
        );
      expect((await run(nanos('2024-03-04 10:30:00.123456000', 'nanos_ok'))).error).toBeUndefined();
      expect(await q(`SELECT at::text FROM nanos_ok`)).toEqual([{ at: '2024-03-04 10:30:00.123456' }]);
      const s = await run(nanos('2024-03-04 10:30:00.123456789', 'nanos_new'));
      expect(s.error!.message).toContain(`column "at" holds 2024-03-04 10:30:00.123456789, whose fraction of a second the table's column "at" (timestamp) would round: truncate it to microseconds on purpose first (a Derive with CAST(at AS TIMESTAMP))`);
      expect(await q(`SELECT to_regclass('${schema}.nanos_new') IS NULL AS gone`)).toEqual([{ gone: true }]);
      const into = await run(nanos('2024-03-04 10:30:00.123456789', 'nanos_ok'));
      expect(into.error!.message).toContain(`(timestamp without time zone) would round`);
      expect(await q(`SELECT count(*)::int AS n FROM nanos_ok`)).toEqual([{ n: 1 }]);
    });

    it('a timestamp into a time column is refused before anything is read', async () => {
      await q(`CREATE TABLE shifts (id bigint, starts time)`);
      const f = await csv('shifts.csv', 'id,starts\n1,2024-01-01 08:00:00\n');
      const result = await inspect({ pipeline: load(f, { table: 'shifts' }), baseDir: dir, connections: pgConnection() });
      expect(result.problems[0]).toMatchObject({ nodeId: 'dst', column: 'starts' });
      expect(result.problems[0]!.message).toContain(`column "starts" is TIMESTAMP in the input, but the table's column "starts" (time without time zone) holds a time of day: writing it would drop the date of every value`);
      expect(result.problems[0]!.hint).toContain('CAST(starts AS TIME)');
    });

    it('a whole number past 2^53 into a double precision column stops the load: PostgreSQL would round it', async () => {
      await q(`CREATE TABLE measures (id bigint, reading double precision)`);
      const ok = await csv('measures-ok.csv', 'id,reading\n1,9007199254740992\n');
      expect((await run(load(ok, { table: 'measures' }))).error).toBeUndefined();
      const bad = await csv('measures-bad.csv', 'id,reading\n2,12\n3,9007199254740993\n');
      const s = await run(load(bad, { table: 'measures' }));
      expect(s.error!.message).toContain(`column "reading" holds 9007199254740993 (BIGINT), which the table's column "reading" (double precision) cannot hold exactly: it would become 9007199254740992.0`);
      expect(await q(`SELECT id, reading::bigint::text AS reading FROM measures`)).toEqual([{ id: '1', reading: '9007199254740992' }]);
    });

    it('text that PostgreSQL would round or cut stops the load: 12.345 into numeric(10,2), a time into a date', async () => {
      await q(`CREATE TABLE texts (id bigint, price numeric(10,2), day date)`);
      const columns = [{ name: 'id', type: 'BIGINT' }, { name: 'price', type: 'VARCHAR' }, { name: 'day', type: 'VARCHAR' }];
      const loadText = async (name: string, line: string) => {
        const doc = load(await csv(name, `id,price,day\n${line}\n`), { table: 'texts' });
        doc.nodes[0]!.params = { path: name, columns };
        return run(doc);
      };
      expect((await loadText('texts-ok.csv', '1,12.30,2024-01-05')).error).toBeUndefined();
      expect((await loadText('texts-price.csv', '2,12.345,2024-01-05')).error!.message).toContain(`column "price" holds 12.345, which the table's column "price" (numeric(10,2)) would round to 2 decimal places`);
      expect((await loadText('texts-day.csv', '2,1,2024-01-05 10:30')).error!.message).toContain(`column "day" holds 2024-01-05 10:30, whose time of day the table's column "day" (date) would drop`);
      expect(await q(`SELECT id, price::text AS price, day::text AS day FROM texts`)).toEqual([{ id: '1', price: '12.30', day: '2024-01-05' }]);
    });

    it('a time of day into a timestamp column is refused before anything is read: it has no date', async () => {
      await q(`CREATE TABLE visits (id bigint, at timestamp)`);
      await q(`INSERT INTO visits VALUES (1, '2024-01-01 08:00')`);
      const f = await csv('visits.csv', 'id,at\n2,08:30:00\n');
      const result = await inspect({ pipeline: load(f, { table: 'visits' }), baseDir: dir, connections: pgConnection() });
      expect(result.problems[0]).toMatchObject({ nodeId: 'dst', column: 'at' });
      expect(result.problems[0]!.message).toContain(`column "at" is TIME in the input, but the table's column "at" (timestamp without time zone) holds a date and a time: writing it would give every value a date the data does not hold`);
      const s = await run(load(f, { table: 'visits' }));
      expect(s.status).toBe('failed');
      expect(await q(`SELECT count(*)::int AS n FROM visits`)).toEqual([{ n: 1 }]);
    });

    it('a value PostgreSQL refuses is named by column, both types and the line sent', async () => {
      await q(`CREATE TABLE coded (id bigint, code varchar(3), qty integer)`);
      // Numbers into a varchar(3) column: PostgreSQL refuses the one too long for it.
      const long = await csv('long.csv', 'id,code,qty\n1,123,1\n2,1234,2\n');
      const s = await run(load(long, { table: 'coded' }));
      expect(s.status).toBe('failed');
      // (The schema's name is not compared: the test password, "caudal", is redacted from messages.)
      expect(s.error!.message).toMatch(/column "code" of table "[^"]+"\."coded" \(character varying\(3\)\) refused a value on line 2 of the rows sent: value too long for type character varying\(3\); the input's column is BIGINT/);
      expect(s.error).toMatchObject({ nodeId: 'dst', column: 'code', hint: expect.stringContaining('left(code, n)') });
      // Text is checked before it is sent (PostgreSQL would cut trailing spaces past the length without a word).
      const longText = await csv('long-text.csv', 'id,code,qty\n1,abc,1\n2,abcd,2\n');
      expect((await run(load(longText, { table: 'coded' }))).error!.message).toContain(`column "code" holds 'abcd', 4 characters, but the table's column "code" (character varying(3)) holds at most 3`);
      const text = await csv('text.csv', 'id,code,qty\n1,abc,1\n2,abc,2\n3,abc,many\n');
      const t = await run(load(text, { table: 'coded' }));
      expect(t.error!.message).toMatch(/column "qty" of table "[^"]+"\."coded" \(integer\) refused a value on line 3 of the rows sent: invalid input syntax for type integer: "many"; the input's column is VARCHAR/);
      expect(await q(`SELECT count(*)::int AS n FROM coded`)).toEqual([{ n: 0 }]);
    });
  });

  it('quotes schema, table and column names with quotes, spaces and mixed case', async () => {
    const weirdSchema = `${schema} "Sales" Dept`;
    await q(`CREATE SCHEMA "${weirdSchema.replaceAll('"', '""')}"`);
    const f = await csv('w.csv', '"Order ID","Amount €","say ""hi"""\n1,2.5,x\n');
    const doc = pipeline(
      [
        { id: 'src', type: 'source.csv', params: { path: f } },
        { id: 'dst', type: 'sink.postgres', params: { connection: 'db', schema: weirdSchema, table: 'Order "Items" 2024', mode: 'upsert', keys: ['Order ID'] } },
      ],
      ['src -> dst'],
      { connections },
    );
    expect((await run(doc)).error).toBeUndefined();
    expect((await run(doc)).error).toBeUndefined();
    const got = await q(`SELECT * FROM "${weirdSchema.replaceAll('"', '""')}"."Order ""Items"" 2024"`);
    expect(got).toEqual([{ 'Order ID': '1', 'Amount €': 2.5, 'say "hi"': 'x' }]);
    await q(`DROP SCHEMA "${weirdSchema.replaceAll('"', '""')}" CASCADE`);
  });

  it('rolls back every sink of the run when one of them fails', async () => {
    await q(`CREATE TABLE multi_a (id bigint, name text)`);
    await q(`CREATE TABLE multi_b (id bigint PRIMARY KEY, name text)`);
    await q(`INSERT INTO multi_a VALUES (0, 'before')`);
    const f = await csv('m.csv', 'id,name\n1,a\n1,b\n');
    const doc = load(f, { table: 'multi_a' }, [{ id: 'dst2', type: 'sink.postgres', params: { connection: 'db', schema, table: 'multi_b', mode: 'upsert', keys: ['id'] } }], ['src -> dst2']);
    const s = await run(doc);
    expect(s.status).toBe('failed');
    expect(await rows('multi_a')).toEqual([{ id: '0', name: 'before' }]);
    expect(await rows('multi_b')).toEqual([]);
  });

  /**
   * `caudal run` of a CSV loaded into `table` as a role of its own, which may use this file's schema
   * but not create schemas (no CREATE on the database, as for many loading roles).
   */
  async function runAsLoadingRole(name: string, sink: Record<string, unknown>, opts: { roleSettings?: string[]; env?: Record<string, string>; tablePrivileges?: string } = {}) {
    const { user, password } = await loadingRole(q, schema, opts.roleSettings);
    await q(`GRANT ${opts.tablePrivileges ?? 'ALL'} ON ALL TABLES IN SCHEMA "${schema}" TO "${user}"`);
    const project = path.join(dir, name);
    await mkdir(project, { recursive: true });
    await writePgConnectionsFile(project, user);
    await writeFile(path.join(project, 'i.csv'), 'id,name\n1,a\n2,b\n');
    await writeFile(path.join(project, 'pipeline.json'), JSON.stringify(load('i.csv', sink)));
    const env = { CAUDAL_SECRET_DB_PASSWORD: password, CAUDAL_RUNTIME_DIR: path.join(project, 'runtime'), CAUDAL_CONFIG_DIR: path.join(project, 'config'), ...opts.env };
    return caudal(['run', 'pipeline.json'], { cwd: project, env });
  }
  const loadedRows = [
    { id: '1', name: 'a' },
    { id: '2', name: 'b' },
  ];

  it("keeps its transaction open past the server's idle_in_transaction_session_timeout until the run commits", async () => {
    // The role's sessions are ended after 1 s idle in a transaction; the run waits 3 s between
    // loading the table and committing (as while other sinks are written).
    await q(`CREATE TABLE idle_wait (id bigint, name text)`);
    const r = await runAsLoadingRole('idle', { table: 'idle_wait' }, { roleSettings: ["idle_in_transaction_session_timeout = '1s'"], env: { CAUDAL_FAILPOINT: 'pause:after-stage' } });
    expect(r.code, r.stderr).toBe(0);
    expect(await rows('idle_wait')).toEqual(loadedRows);
  });

  it('says which privilege a mode needs when the user lacks it, and changes nothing', async () => {
    await q(`CREATE TABLE not_owned (id bigint, name text)`);
    await q(`INSERT INTO not_owned VALUES (0, 'kept')`);
    const replaced = await runAsLoadingRole('not_owner', { table: 'not_owned', mode: 'replace' });
    expect(replaced.code).toBe(1);
    expect(replaced.stderr).toMatch(/the connection's user may not do this on table "[^"]+"\."not_owned": must be owner of table not_owned/);
    expect(replaced.stderr).toContain('hint: mode "replace" drops the table and creates it anew, which only its owner may do: connect as the owner, or use "truncate_insert"');
    const truncated = await runAsLoadingRole('no_truncate', { table: 'not_owned', mode: 'truncate_insert' }, { tablePrivileges: 'SELECT, INSERT' });
    expect(truncated.code).toBe(1);
    expect(truncated.stderr).toContain('permission denied for table not_owned');
    expect(truncated.stderr).toContain('hint: mode "truncate_insert" empties the table first, which needs the TRUNCATE privilege besides INSERT');
    expect(await rows('not_owned')).toEqual([{ id: '0', name: 'kept' }]);
  });

  it('creates a missing table in an existing schema as a role that may not create schemas', async () => {
    const r = await runAsLoadingRole('no_create', { table: 'created_by_loader' });
    expect(r.code, r.stderr).toBe(0);
    expect(await rows('created_by_loader')).toEqual(loadedRows);
  });

  describe('a load interrupted half way leaves the target exactly as it was', async () => {
    // A trigger that sleeps per row makes the load slow enough to interrupt while COPY runs.
    const slowTable = async (name: string) => {
      await q(`CREATE TABLE ${name} (id bigint, name text)`);
      await q(`INSERT INTO ${name} VALUES (0, 'before')`);
      await q(`CREATE OR REPLACE FUNCTION slow_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.002); RETURN NEW; END $$`);
      await q(`CREATE TRIGGER slow BEFORE INSERT ON ${name} FOR EACH ROW EXECUTE FUNCTION slow_row()`);
    };
    const bigCsv = () => csv('big.csv', 'id,name\n' + Array.from({ length: 5000 }, (_, i) => `${i + 1},n${i + 1}`).join('\n') + '\n');
    /** Waits until the server shows Caudal's COPY, returning its backend pid. */
    const copyPid = async (): Promise<number> => {
      for (let i = 0; i < 400; i++) {
        // Test files run in parallel against one server: only this file's schema counts.
        const found = await q<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE application_name = 'caudal' AND query LIKE $1 AND state = 'active'`, [`COPY "${schema}".%FROM STDIN%`]);
        if (found[0]) return found[0].pid;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error('the COPY never showed up in pg_stat_activity');
    };

    it('when the connection is killed', async () => {
      await slowTable('killed');
      const doc = load(await bigCsv(), { table: 'killed' });
      const done = run(doc);
      await q(`SELECT pg_terminate_backend($1)`, [await copyPid()]);
      const s = await done;
      expect(s.status).toBe('failed');
      expect(s.error!.message).toMatch(/node 'dst' \(connection 'db'\)/);
      expect(await rows('killed')).toEqual([{ id: '0', name: 'before' }]);
    });

    it('when the run is cancelled', async () => {
      await slowTable('cancelled');
      const doc = load(await bigCsv(), { table: 'cancelled' });
      const handle = startRun({ pipeline: doc, baseDir: dir, connections: pgConnection() });
      await copyPid();
      handle.cancel();
      const s = await handle.done;
      expect(s.status).toBe('cancelled');
      expect(await rows('cancelled')).toEqual([{ id: '0', name: 'before' }]);
      // No session is left holding the transaction open (the server notices the closed session within moments).
      let open = -1;
      for (let i = 0; i < 100 && open !== 0; i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, 50));
        open = (await q<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'caudal' AND query LIKE $1`, [`%"${schema}"%`]))[0]!.n;
      }
      expect(open).toBe(0);
    });

    it('when the run is cancelled during post_sql: the statement stops on the server at once, not when it ends', async () => {
      await q(`CREATE TABLE cancelled_post (id bigint, name text)`);
      await q(`INSERT INTO cancelled_post VALUES (0, 'before')`);
      // A statement that never reads from the client: only a server-side cancel stops it early.
      const marker = `${schema}_post_sleep`;
      const f = await csv('post.csv', 'id,name\n1,new\n');
      const handle = startRun({ pipeline: load(f, { table: 'cancelled_post', post_sql: `SELECT pg_sleep(27) AS "${marker}"` }), baseDir: dir, connections: pgConnection() });
      const sleeping = async () => q(`SELECT pid FROM pg_stat_activity WHERE application_name = 'caudal' AND state = 'active' AND query LIKE $1`, [`%${marker}%`]);
      for (let i = 0; i < 400 && (await sleeping()).length === 0; i++) await new Promise((r) => setTimeout(r, 25));
      expect(await sleeping()).toHaveLength(1);
      const cancelledAt = Date.now();
      handle.cancel();
      const s = await handle.done;
      expect(s.status).toBe('cancelled');
      expect(Date.now() - cancelledAt).toBeLessThan(5000);
      // Not polled: the run ends only once the server has stopped the statement.
      expect(await sleeping()).toEqual([]);
      expect(await rows('cancelled_post')).toEqual([{ id: '0', name: 'before' }]);
    });
  });
});
