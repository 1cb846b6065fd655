import { describe, expect, it } from 'vitest';
import { inspect, previewPipeline, runPipeline } from '../core/src/engine/engine.js';
import { pipeline, tempDir } from './support/pipeline.js';
import { pgConnection, pgSandbox } from './support/postgres.js';

/**
 * Values PostgreSQL would change without a word on their way into a table: inside arrays, past a
 * varchar's length, past an interval's fields, with an offset a column without time zone drops.
 * Each is refused naming the column and the value; values that convert exactly still load.
 */
describe('sink.postgres: values the table would change stop the load', async () => {
  const { schema, q } = await pgSandbox();
  const dir = await tempDir();
  const connections = { db: { type: 'postgres' } };
  /** The rows of `query` (DuckDB SQL) loaded into `table`. */
  const load = (query: string, table: string, mode = 'append') =>
    pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query } },
        { id: 'dst', type: 'sink.postgres', params: { connection: 'db', schema, table, mode } },
      ],
      ['src -> dst'],
      { connections },
    );
  const run = (query: string, table: string, mode?: string) => runPipeline({ pipeline: load(query, table, mode), baseDir: dir, connections: pgConnection() });
  const count = async (table: string) => (await q<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`))[0]!.n;
  /** The run of `query` into `table` fails with `message`, and the table keeps its rows. */
  const refuses = async (table: string, query: string, message: string) => {
    const before = await count(table);
    const s = await run(query, table);
    expect(s.status, query).toBe('failed');
    expect(s.error!.message).toContain(`node 'dst' (sink.postgres)`);
    expect(s.error!.message).toContain(message);
    expect(await count(table)).toBe(before);
    return s.error!;
  };

  describe('lists into array columns are checked element by element, as single values are', () => {
    it('exact elements go, in the form the element type takes', async () => {
      await q(`CREATE TABLE arr_ok (na numeric(5,2)[], ta timestamp(0)[], da date[], fa float8[], ia integer[])`);
      const s = await run(
        `SELECT [1.230::DECIMAL(10,3), NULL] AS na, [TIMESTAMP '2024-01-01 10:30:00'] AS ta, [TIMESTAMP '2024-01-01 00:00:00'] AS da, [9007199254740992::BIGINT] AS fa, [12.0::DOUBLE, -3.0] AS ia`,
        'arr_ok',
      );
      expect(s.error).toBeUndefined();
      expect(await q(`SELECT na::text, ta::text, da::text, fa::text, ia::text FROM arr_ok`)).toEqual([
        { na: '{1.23,NULL}', ta: '{"2024-01-01 10:30:00"}', da: '{2024-01-01}', fa: '{9.007199254740992e+15}', ia: '{12,-3}' },
      ]);
    });

    const cases: Array<[string, string, string]> = [
      ['a third decimal into numeric(5,2)[]', `[1.00::DECIMAL(10,3), 1.234::DECIMAL(10,3)] AS na`, `column "na" holds a list with the element 1.234, which the table's column "na" (numeric(5,2)[]) would round to 2 decimal places`],
      ['a double into numeric(5,2)[]', `[0.1::DOUBLE + 0.2] AS na`, `column "na" holds a list with the element 0.30000000000000004, which the table's column "na" (numeric(5,2)[]) would round`],
      ['a fraction of a second into timestamp(0)[]', `[TIMESTAMP '2024-01-01 10:30:00.5'] AS ta`, `column "ta" holds a list with the element 2024-01-01 10:30:00.5, whose fraction of a second the table's column "ta" (timestamp(0) without time zone[]) would round`],
      ['a time of day into date[]', `[TIMESTAMP '2024-01-01 10:30:00'] AS da`, `column "da" holds a list with the element 2024-01-01 10:30:00, whose time of day the table's column "da" (date[]) would drop`],
      ['a BIGINT past 2^53 into float8[]', `[9007199254740993::BIGINT] AS fa`, `the table's column "fa" (double precision[]) cannot hold exactly`],
      ['a fraction into integer[]', `[12.5::DOUBLE] AS ia`, `column "ia" holds a list with the element 12.5, which is not a whole number, and the table's column "ia" (integer[]) holds whole numbers`],
    ];
    for (const [what, select, message] of cases) {
      it(`${what}: the load stops naming the column and the element`, async () => {
        await q(`CREATE TABLE IF NOT EXISTS arr (na numeric(5,2)[], ta timestamp(0)[], da date[], fa float8[], ia integer[])`);
        const e = await refuses('arr', `SELECT ${select}`, message);
        expect(e.message).toContain('list_transform(');
      });
    }

    it('a list of timestamps into a time[] column is refused before anything is read', async () => {
      await q(`CREATE TABLE arr_time (t time[])`);
      const result = await inspect({ pipeline: load(`SELECT [TIMESTAMP '2024-01-01 08:00:00'] AS t`, 'arr_time'), baseDir: dir, connections: pgConnection() });
      expect(result.problems[0]).toMatchObject({ nodeId: 'dst', column: 't' });
      expect(result.problems[0]!.message).toContain(`column "t" is TIMESTAMP[] in the input, but the table's column "t" (time without time zone[]) holds a time of day: writing it would drop the date of every value`);
    });
  });

  describe('fixed-size arrays (DuckDB ARRAY) become PostgreSQL arrays, as lists do', () => {
    it('a created table gets array columns with the element types, values unambiguous', async () => {
      const s = await run(`SELECT ['a, b', 'c', NULL, 'NULL']::VARCHAR[4] AS tags, [0.5, -0.0::FLOAT, 1]::FLOAT[3] AS emb, [1, 2]::INTEGER[2] AS ids`, 'fixed_new', 'replace');
      expect(s.error).toBeUndefined();
      const types = await q<{ column_name: string; t: string }>(
        `SELECT column_name, format_type(atttypid, atttypmod) AS t FROM information_schema.columns c JOIN pg_attribute a ON a.attrelid = to_regclass($1) AND a.attname = c.column_name WHERE table_schema = $2 AND table_name = 'fixed_new' ORDER BY ordinal_position`,
        [`"${schema}".fixed_new`, schema],
      );
      expect(types.map((t) => t.t)).toEqual(['text[]', 'real[]', 'integer[]']);
      expect(await q(`SELECT tags::text, emb::text, ids::text FROM fixed_new`)).toEqual([{ tags: '{"a, b",c,NULL,"NULL"}', emb: '{0.5,-0,1}', ids: '{1,2}' }]);
    });

    it('into an existing array column, their elements are checked', async () => {
      await q(`CREATE TABLE fixed_into (fa float8[], tags text[])`);
      expect((await run(`SELECT [1.5, 2]::DOUBLE[2] AS fa, ['x', 'y']::VARCHAR[2] AS tags`, 'fixed_into')).error).toBeUndefined();
      expect(await q(`SELECT fa::text, tags::text FROM fixed_into`)).toEqual([{ fa: '{1.5,2}', tags: '{x,y}' }]);
      await refuses('fixed_into', `SELECT [9007199254740993, 1]::BIGINT[2] AS fa`, `the table's column "fa" (double precision[]) cannot hold exactly`);
    });
  });

  it('-0.0 keeps its sign inside a float8 array, as in a plain column', async () => {
    await q(`CREATE TABLE signed (fa float8[], f float8)`);
    expect((await run(`SELECT [0.1::DOUBLE + 0.2, 'nan'::DOUBLE, -0.0::DOUBLE, '-inf'::DOUBLE] AS fa, -0.0::DOUBLE AS f`, 'signed')).error).toBeUndefined();
    expect(await q(`SELECT fa::text, f::text FROM signed`)).toEqual([{ fa: '{0.30000000000000004,NaN,-0,-Infinity}', f: '-0' }]);
    expect((await run(`SELECT [0.1::DOUBLE + 0.2, -0.0::DOUBLE] AS fa`, 'signed_new')).error).toBeUndefined();
    expect(await q(`SELECT fa::text FROM signed_new`)).toEqual([{ fa: '{0.30000000000000004,-0}' }]);
  });

  describe('text longer than a varchar(n) or char(n) column', () => {
    it('is refused, also when the excess is spaces (PostgreSQL would cut those without a word)', async () => {
      await q(`CREATE TABLE sized (v varchar(5), c char(5), va varchar(5)[])`);
      expect((await run(`SELECT 'abc  ' AS v, 'ab' AS c, ['abcde', NULL] AS va`, 'sized')).error).toBeUndefined();
      expect(await q(`SELECT v || '|' AS v, c::text, va::text FROM sized`)).toEqual([{ v: 'abc  |', c: 'ab', va: '{abcde,NULL}' }]);
      const e = await refuses('sized', `SELECT 'abc       ' AS v`, `column "v" holds 'abc       ', 10 characters, but the table's column "v" (character varying(5)) holds at most 5`);
      expect(e.column).toBe('v');
      expect(e.message).toContain('shorten it on purpose first (a Derive with left(v, 5), or rtrim(v) for trailing spaces), or widen the table');
      await refuses('sized', `SELECT 'abcdef' AS v`, `column "v" holds 'abcdef', 6 characters, but the table's column "v" (character varying(5)) holds at most 5`);
      await refuses('sized', `SELECT 'abc       ' AS c`, `the table's column "c" (character(5)) holds at most 5`);
      await refuses('sized', `SELECT ['ok', 'abc       '] AS va`, `column "va" holds a list with the element 'abc       ', 10 characters, but the table's column "va" (character varying(5)[]) holds at most 5`);
    });
  });

  describe('intervals into a column with restricted fields or precision', () => {
    it('values the fields and precision keep go; others are refused', async () => {
      await q(`CREATE TABLE spans (d interval day, s interval second(0), hm interval hour to minute, y interval year, p interval(3), dl interval day[])`);
      const ok = await run(`SELECT INTERVAL '2 days' AS d, INTERVAL '3 seconds' AS s, INTERVAL '1 hour 30 minutes' AS hm, INTERVAL '24 months' AS y, INTERVAL '0.001 seconds' AS p, [INTERVAL '1 day'] AS dl`, 'spans');
      expect(ok.error).toBeUndefined();
      expect(await q(`SELECT d::text, s::text, hm::text, y::text, p::text, dl::text FROM spans`)).toEqual([{ d: '2 days', s: '00:00:03', hm: '01:30:00', y: '2 years', p: '00:00:00.001', dl: '{"1 day"}' }]);
      await refuses('spans', `SELECT INTERVAL '1 day 3 hours' AS d`, `column "d" holds 1 day 03:00:00, which the table's column "d" (interval day) would cut to whole days`);
      await refuses('spans', `SELECT INTERVAL '1.5 seconds' AS s`, `column "s" holds 00:00:01.5, whose fraction of a second the table's column "s" (interval second(0)) would round`);
      await refuses('spans', `SELECT INTERVAL '1 hour 30 minutes 5 seconds' AS hm`, `the table's column "hm" (interval hour to minute) would cut to whole minutes`);
      await refuses('spans', `SELECT INTERVAL '14 months' AS y`, `the table's column "y" (interval year) would cut to whole years`);
      await refuses('spans', `SELECT INTERVAL '0.0005 seconds' AS p`, `the table's column "p" (interval(3)) would round`);
      await refuses('spans', `SELECT [INTERVAL '1 day 3 hours'] AS dl`, `column "dl" holds a list with the element 1 day 03:00:00, which the table's column "dl" (interval day[]) would cut to whole days`);
    });
  });

  describe('a UTC offset or zone that a column without time zone would drop', () => {
    it('text with one into timestamp or time is refused; UTC (Z, +00) loads as its wall clock', async () => {
      await q(`CREATE TABLE zoned (at timestamp, t time, tz timestamptz, ats timestamp[])`);
      const ok = await run(`SELECT '2024-06-01T12:00:00Z' AS at, '12:00:00+00' AS t, '2024-06-01 12:00:00+05' AS tz UNION ALL SELECT '2024-06-01 12:00:00 PM', '12:00:00', NULL`, 'zoned');
      expect(ok.error).toBeUndefined();
      expect(await q(`SELECT at::text, t::text, tz IS NULL AS none FROM zoned ORDER BY at`)).toEqual([
        { at: '2024-06-01 12:00:00', t: '12:00:00', none: false },
        { at: '2024-06-01 12:00:00', t: '12:00:00', none: true },
      ]);
      const e = await refuses('zoned', `SELECT '2024-06-01 12:00:00+05' AS at`, `column "at" holds 2024-06-01 12:00:00+05, whose UTC offset or time zone the table's column "at" (timestamp without time zone) would drop`);
      expect(e.column).toBe('at');
      expect(e.message).toContain('CAST(at AS TIMESTAMPTZ)');
      await refuses('zoned', `SELECT '2024-06-01 12:00:00 America/New_York' AS at`, `column "at" holds 2024-06-01 12:00:00 America/New_York, whose UTC offset or time zone`);
      await refuses('zoned', `SELECT ['2024-06-01 12:00:00', '2024-06-01 12:00:00 EST'] AS ats`, `column "ats" holds a list with the element 2024-06-01 12:00:00 EST, whose UTC offset or time zone the table's column "ats" (timestamp without time zone[]) would drop`);
      await refuses('zoned', `SELECT '12:00:00-08:00' AS t`, `column "t" holds 12:00:00-08:00, whose UTC offset or time zone the table's column "t" (time without time zone) would drop`);
    });

    it('a TIMETZ into time is refused unless its offset is zero; into time with time zone it keeps it', async () => {
      await q(`CREATE TABLE clock (t time, tt timetz, t0 time(0))`);
      expect((await run(`SELECT TIMETZ '12:00:00+00' AS t, TIMETZ '12:00:00+05' AS tt, TIMETZ '12:00:01+00' AS t0`, 'clock')).error).toBeUndefined();
      expect(await q(`SELECT t::text, tt::text, t0::text FROM clock`)).toEqual([{ t: '12:00:00', tt: '12:00:00+05', t0: '12:00:01' }]);
      const e = await refuses('clock', `SELECT TIMETZ '12:00:00+05' AS t`, `column "t" holds 12:00:00+05, whose UTC offset the table's column "t" (time without time zone) would drop`);
      expect(e.message).toContain(`CAST(t AS TIME) keeps the local time of day), or make the table's column time with time zone`);
      await refuses('clock', `SELECT TIMETZ '12:00:00.5+00' AS t0`, `whose fraction of a second the table's column "t0" (time(0) without time zone) would round`);
    });

    it('a TIMETZ column makes a created table a time with time zone column, and comes back from it as TIMETZ', async () => {
      expect((await run(`SELECT TIMETZ '12:00:00+05:30' AS tt UNION ALL SELECT TIMETZ '23:59:59.123456-03:00' UNION ALL SELECT NULL`, 'clock_new', 'replace')).error).toBeUndefined();
      expect(await q(`SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = 'tt'`, [`"${schema}".clock_new`])).toEqual([{ t: 'time with time zone' }]);
      expect(await q(`SELECT tt::text FROM clock_new ORDER BY tt NULLS LAST`)).toEqual([{ tt: '12:00:00+05:30' }, { tt: '23:59:59.123456-03' }, { tt: null }]);
      const doc = pipeline([{ id: 'src', type: 'source.postgres', params: { connection: 'db', schema, table: 'clock_new' } }], [], { connections });
      const shape = await inspect({ pipeline: doc, baseDir: dir, connections: pgConnection() });
      expect(shape.nodes[0]!.outputs[0]!.columns).toEqual([expect.objectContaining({ name: 'tt', type: 'TIME WITH TIME ZONE' })]);
      const back = await previewPipeline({ pipeline: doc, baseDir: dir, nodeId: 'src', connections: pgConnection() });
      expect(back.rows.map((r) => (r.tt === null ? null : String(r.tt))).sort()).toEqual(['12:00:00+05:30', '23:59:59.123456-03', null]);
    });
  });

  describe('HUGEINT', () => {
    it('a created table keeps numeric(38,0), which reads back exactly; a 39-digit value stops the load naming the column and value', async () => {
      expect((await run(`SELECT sum(x) AS total FROM (VALUES (12345678901234567::BIGINT), (1)) v(x)`, 'huge_sum')).error).toBeUndefined();
      expect(await q(`SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = 'total'`, [`"${schema}".huge_sum`])).toEqual([{ t: 'numeric(38,0)' }]);
      const s = await run(`SELECT 170141183460469231731687303715884105727::HUGEINT AS h`, 'huge_new');
      expect(s.status).toBe('failed');
      expect(s.error!.message).toContain(`column "h" holds 170141183460469231731687303715884105727, which has more digits than the table's column "h" (numeric(38,0)) holds (38 before the point)`);
      expect(s.error!.message).toContain('numeric(39,0)');
      expect(await q(`SELECT to_regclass('"${schema}".huge_new') IS NULL AS gone`)).toEqual([{ gone: true }]);
      await q(`CREATE TABLE huge_into (h numeric(39,0))`);
      expect((await run(`SELECT 170141183460469231731687303715884105727::HUGEINT AS h`, 'huge_into')).error).toBeUndefined();
      expect(await q(`SELECT h::text FROM huge_into`)).toEqual([{ h: '170141183460469231731687303715884105727' }]);
    });
  });
});
