import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPipeline } from '../core/src/engine/engine.js';
import { listStates } from '../core/src/engine/state.js';
import { pipeline, tempDir } from './support/pipeline.js';
import { pgConnection, pgSandbox } from './support/postgres.js';
import { inDb } from './support/duckdb.js';

const connections = { db: { type: 'postgres' } };

/**
 * Watermark values a hostile table holds: each must either move the watermark to a value the next
 * run reads after, or stop the run before anything commits. Never a saved watermark that stops
 * every later run, or that no later row is above.
 */
describe('source.postgres incremental: watermark values at the edges', async () => {
  const { schema, q } = await pgSandbox();
  const dir = await tempDir();
  const stateDir = path.join(dir, 'state');
  const db = path.join(dir, 'w.duckdb');

  const run = async (table: string) => {
    const d = pipeline(
      [
        { id: 'src', type: 'source.postgres', params: { connection: 'db', schema, table, incremental: { column: 'k' } } },
        { id: 'dst', type: 'sink.duckdb', params: { database: db, table, mode: 'append' } },
      ],
      ['src -> dst'],
      { connections, name: `watermark ${table}` },
    );
    const s = await runPipeline({ pipeline: d, baseDir: dir, connections: pgConnection(), stateDir });
    const states = (await listStates(stateDir, d.name)).map((st) => st.state);
    return { s, states };
  };
  const ids = async (table: string) => (await inDb(db, `SELECT id FROM "${table}" ORDER BY id`)).map((r) => Number(r.id));

  for (const [type, first, unbounded, later, said] of [
    ['float8', '1.5', 'NaN', '2.5', 'NaN'],
    ['numeric', '1.5', 'NaN', '2.5', 'NaN'],
    ['float8', '1.5', 'Infinity', '2.5', 'Infinity'],
    ['timestamptz', '2024-01-01 00:00:00+00', 'infinity', '2024-02-01 00:00:00+00', 'infinity'],
    ['timestamp', '2024-01-01 00:00:00', 'infinity', '2024-02-01 00:00:00', 'infinity'],
    ['date', '2024-01-01', 'infinity', '2024-02-01', 'infinity'],
  ] as const) {
    it(`a ${type} watermark of ${unbounded} stops the run before anything commits (no later row would be above it), and the old watermark stays`, async () => {
      const table = `unb_${type}_${unbounded.toLowerCase()}`;
      await q(`CREATE TABLE ${table} (id int, k ${type})`);
      await q(`INSERT INTO ${table} VALUES (1, '${first}')`);
      const ok = await run(table);
      expect(ok.s.error).toBeUndefined();
      const saved = ok.states;
      expect(saved).toHaveLength(1);

      await q(`INSERT INTO ${table} VALUES (2, '${unbounded}'), (3, '${later}')`);
      const bad = await run(table);
      expect(bad.s.status).toBe('failed');
      expect(bad.s.error).toMatchObject({ nodeId: 'src' });
      expect(bad.s.error!.message).toContain(`watermark column 'k'`);
      expect(bad.s.error!.message).toContain(said);
      expect(bad.states).toEqual(saved);
      expect(await ids(table)).toEqual([1]);

      // The row fixed at the source: the next run reads both rows, and later ones after them.
      await q(`UPDATE ${table} SET k = '${later}' WHERE id = 2`);
      const fixed = await run(table);
      expect(fixed.s.error).toBeUndefined();
      expect(await ids(table)).toEqual([1, 2, 3]);
    });
  }

  it('a timestamptz watermark before year 1 is saved as PostgreSQL reads it: the next run reads the rows after it', async () => {
    await q(`CREATE TABLE bc_tz (id int, k timestamptz)`);
    await q(`INSERT INTO bc_tz VALUES (1, '0044-03-15 10:00:00.25+00 BC')`);
    expect((await run('bc_tz')).s.error).toBeUndefined();
    await q(`INSERT INTO bc_tz VALUES (2, '0044-03-15 10:00:00.5+00 BC'), (3, '0001-01-01 00:00:00+00 BC'), (4, '2025-01-01 00:00:00+00')`);
    const second = await run('bc_tz');
    expect(second.s.error).toBeUndefined();
    expect(await ids('bc_tz')).toEqual([1, 2, 3, 4]);
    expect(second.states).toEqual([{ column: 'k', watermark: '2025-01-01 00:00:00.000000+00', kind: 'date/time' }]);
    // And a third run reads nothing again.
    const third = await run('bc_tz');
    expect(third.s.error).toBeUndefined();
    expect(await ids('bc_tz')).toEqual([1, 2, 3, 4]);
  });

  it('a timestamp and a date watermark before year 1 are read after, too', async () => {
    for (const [type, first, next] of [['timestamp', '0044-03-15 10:00:00.25 BC', '0044-03-15 10:00:00.5 BC'], ['date', '0044-03-15 BC', '0044-03-16 BC']] as const) {
      const table = `bc_${type}`;
      await q(`CREATE TABLE ${table} (id int, k ${type})`);
      await q(`INSERT INTO ${table} VALUES (1, '${first}')`);
      expect((await run(table)).s.error).toBeUndefined();
      await q(`INSERT INTO ${table} VALUES (2, '${next}')`);
      expect((await run(table)).s.error).toBeUndefined();
      expect((await run(table)).s.error).toBeUndefined();
      expect(await ids(table)).toEqual([1, 2]);
    }
  });
});

/**
 * The next watermark is the highest value DuckDB read, in DuckDB's order (bytes, for text); the
 * server compared in its own (the column's collation, an enum's declared order), so rows between the
 * two maxima were read again on the next run: duplicates in every append.
 */
describe('source.postgres incremental: a watermark column PostgreSQL orders otherwise than DuckDB', async () => {
  const { schema, q } = await pgSandbox();
  const dir = await tempDir();
  const stateDir = path.join(dir, 'state');
  const db = path.join(dir, 'w.duckdb');
  const run = async (table: string, fetch?: number) => {
    const d = pipeline(
      [
        { id: 'src', type: 'source.postgres', params: { connection: 'db', schema, table, incremental: { column: 'k' }, ...(fetch ? { fetch_size: fetch } : {}) } },
        { id: 'dst', type: 'sink.duckdb', params: { database: db, table, mode: 'append' } },
      ],
      ['src -> dst'],
      { connections, name: `order ${table}` },
    );
    const s = await runPipeline({ pipeline: d, baseDir: dir, connections: pgConnection(), stateDir });
    expect(s.error).toBeUndefined();
    return (await listStates(stateDir, d.name)).map((st) => st.state);
  };
  const ids = async (table: string) => (await inDb(db, `SELECT id FROM "${table}" ORDER BY id`)).map((r) => Number(r.id));

  it('a text column with a linguistic collation: each row is read once, and rows after the watermark in byte order are read', async () => {
    await q(`CREATE TABLE coll (id int, k text COLLATE "und-x-icu")`);
    // ICU puts 'a' before 'B'; bytes put 'B' (0x42) before 'a' (0x61).
    await q(`INSERT INTO coll VALUES (1, 'a'), (2, 'B')`);
    expect(await run('coll')).toEqual([{ column: 'k', watermark: 'a', kind: 'text' }]);
    expect(await run('coll')).toEqual([{ column: 'k', watermark: 'a', kind: 'text' }]);
    expect(await ids('coll')).toEqual([1, 2]);
    await q(`INSERT INTO coll VALUES (3, 'b'), (4, 'A')`);
    await run('coll');
    // 'b' is after 'a' in byte order, 'A' is not: the watermark is a byte-order one, and says so in the docs.
    expect(await ids('coll')).toEqual([1, 2, 3]);
  });

  it('a text column in byte order (a C collation, its own or the database\'s) keeps the plain comparison an index serves; others compare their text', async () => {
    await q(`CREATE TABLE plain_c (id int, k text COLLATE "C", d text, u text COLLATE "und-x-icu")`);
    await q(`INSERT INTO plain_c VALUES (1, 'a', 'a', 'a')`);
    const dbCollation = (await q<{ c: string }>(`SELECT datcollate AS c FROM pg_database WHERE datname = current_database()`))[0]!.c;
    const seen = async (column: string) => {
      const d = pipeline(
        [
          { id: 'src', type: 'source.postgres', params: { connection: 'db', schema, table: 'plain_c', incremental: { column, initial: '0' } } },
          { id: 'dst', type: 'sink.duckdb', params: { database: db, table: `plain_c_${column}`, mode: 'append' } },
        ],
        ['src -> dst'],
        { connections, name: `plain ${column}` },
      );
      const logs: string[] = [];
      const s = await runPipeline({ pipeline: d, baseDir: dir, connections: pgConnection(), stateDir, onEvent: (e) => void (e.type === 'log' && logs.push(e.message)) });
      expect(s.error).toBeUndefined();
      return logs.find((m) => m.startsWith('PostgreSQL query:'));
    };
    expect(await seen('k')).toContain(`WHERE "k" > $1`);
    if (['C', 'POSIX', 'C.UTF-8', 'C.utf8'].includes(dbCollation)) expect(await seen('d')).toContain(`WHERE "d" > $1`);
    expect(await seen('u')).toContain(`WHERE "u"::text COLLATE "C" > $1`);
  });

  it('an enum column: each row is read once', async () => {
    await q(`CREATE TYPE "${schema}".stage AS ENUM ('zeta', 'alpha')`);
    await q(`CREATE TABLE en (id int, k "${schema}".stage)`);
    await q(`INSERT INTO en VALUES (1, 'zeta'), (2, 'alpha')`);
    await run('en');
    await run('en', 100);
    expect(await ids('en')).toEqual([1, 2]);
  });
});

/**
 * The watermark goes into the remote statement as a bind parameter: a value the column's type
 * refuses (a Start after of the wrong form, a saved watermark of a column retyped since) or a
 * column renamed since came back as PostgreSQL's words about a filter ("invalid input syntax for
 * type integer"), with nothing saying it was the watermark, nor how to move it.
 */
describe('source.postgres incremental: a watermark the server refuses', async () => {
  const { schema, q } = await pgSandbox();
  const dir = await tempDir();
  const stateDir = path.join(dir, 'state');
  const db = path.join(dir, 'w.duckdb');
  const doc = (table: string, initial?: string) =>
    pipeline(
      [
        { id: 'src', type: 'source.postgres', params: { connection: 'db', schema, table, incremental: { column: 'k', ...(initial === undefined ? {} : { initial }) } } },
        { id: 'dst', type: 'sink.duckdb', params: { database: db, table, mode: 'append' } },
      ],
      ['src -> dst'],
      { connections, name: `refused ${table}` },
    );
  const run = async (table: string, initial?: string) => {
    const d = doc(table, initial);
    const s = await runPipeline({ pipeline: d, baseDir: dir, connections: pgConnection(), stateDir });
    return { s, states: (await listStates(stateDir, d.name)).map((st) => st.state) };
  };

  it('a Start after value the column\'s type refuses names the setting, the value and the type', async () => {
    await q(`CREATE TABLE bad_initial (id int, k int)`);
    await q(`INSERT INTO bad_initial VALUES (1, 1)`);
    const { s, states } = await run('bad_initial', 'yesterday');
    expect(s.status).toBe('failed');
    expect(s.error).toMatchObject({ nodeId: 'src' });
    expect(s.error!.message).toBe(`node 'src': PostgreSQL refused the watermark 'yesterday' (Start after, incremental.initial) for column 'k' (integer): invalid input syntax for type integer: "yesterday"`);
    expect(s.error!.hint).toBe('set Start after to a value of the column\'s type (integer), or leave it empty to read every row the first time');
    expect(states).toEqual([]);
  });

  it('a saved watermark the column refuses since it was retyped says so and how to move it; nothing is written and it stays', async () => {
    await q(`CREATE TABLE retyped (id int, k int)`);
    await q(`INSERT INTO retyped VALUES (1, 42)`);
    expect((await run('retyped')).s.error).toBeUndefined();
    await q(`ALTER TABLE retyped ALTER k TYPE timestamptz USING timestamptz '2024-01-01 00:00:00+00' + k * interval '1 day'`);
    const { s, states } = await run('retyped');
    expect(s.status).toBe('failed');
    expect(s.error!.message).toBe(`node 'src': PostgreSQL refused the watermark '42' (saved by the last successful run) for column 'k' (timestamp with time zone): invalid input syntax for type timestamp with time zone: "42"`);
    // (The test server's password is 'caudal', which the engine masks in every message: the command is not compared.)
    expect(s.error!.hint).toMatch(
      /^the column's type changed since the watermark was saved: set a watermark of its type with `.+ state set <pipeline> --node src --value <value>`, or reset it with `.+ state reset <pipeline> --node src` \(the next run then reads from Start after\)$/,
    );
    expect(states).toEqual([{ column: 'k', watermark: '42', kind: 'number' }]);
  });

  it('a saved watermark of a column retyped to text (whose order differs: 10 before 9) is refused instead of skipping rows; nothing is written and it stays', async () => {
    await q(`CREATE TABLE to_text (id int, k int)`);
    await q(`INSERT INTO to_text VALUES (1, 9)`);
    expect((await run('to_text')).s.error).toBeUndefined();
    await q(`ALTER TABLE to_text ALTER k TYPE text`);
    await q(`INSERT INTO to_text VALUES (2, '10'), (3, '11')`);
    const { s, states } = await run('to_text');
    expect(s.status).toBe('failed');
    expect(s.error!.message).toBe(
      "node 'src': the saved watermark '9' was taken when column 'k' held number values; it is now text (text), whose values order otherwise ('10' comes before '9' as text), so comparing would skip rows or read them again",
    );
    expect(s.error!.hint).toMatch(/state set <pipeline> --node src --value <value>`, or reset it with `.+ state reset <pipeline> --node src`/);
    expect(states).toEqual([{ column: 'k', watermark: '9', kind: 'number' }]);
  });

  it('a column widened within its kind (integer to bigint) keeps its watermark', async () => {
    await q(`CREATE TABLE widened (id int, k int)`);
    await q(`INSERT INTO widened VALUES (1, 9)`);
    expect((await run('widened')).s.error).toBeUndefined();
    await q(`ALTER TABLE widened ALTER k TYPE bigint`);
    await q(`INSERT INTO widened VALUES (2, 10)`);
    // The DuckDB table keeps INTEGER and would refuse the BIGINT input: it goes, the state stays.
    await inDb(path.join(dir, 'w.duckdb'), 'DROP TABLE widened');
    const { s, states } = await run('widened');
    expect(s.error).toBeUndefined();
    expect(states).toEqual([{ column: 'k', watermark: '10', kind: 'number' }]);
  });

  it('a watermark column renamed since the last run: the run says the column is not among those read, and lists them', async () => {
    await q(`CREATE TABLE renamed (id int, k int)`);
    await q(`INSERT INTO renamed VALUES (1, 1)`);
    expect((await run('renamed')).s.error).toBeUndefined();
    await q(`ALTER TABLE renamed RENAME k TO kk`);
    const { s, states } = await run('renamed');
    expect(s.status).toBe('failed');
    expect(s.error!.message).toMatch(/^node 'src': watermark column 'k' is not among the columns read/);
    expect(s.error!.hint).toBe('columns: id, kk');
    expect(states).toEqual([{ column: 'k', watermark: '1', kind: 'number' }]);
  });
});
