import { stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPipeline } from '../core/src/engine/engine.js';
import { pipeline, tempDir } from './support/pipeline.js';
import { pgConnection, pgSandbox } from './support/postgres.js';
import { inDb } from './support/duckdb.js';

const connections = { db: { type: 'postgres' } };

/**
 * Values PostgreSQL holds that DuckDB's types do not: each must stop the read naming the column and
 * the value, never arrive changed (read_csv turned an out-of-range timestamp into NULL; a DOUBLE
 * turned 1e400 into Infinity and 1e-400 into 0, all without a word).
 */
describe('source.postgres: values beyond the DuckDB type they are read as', async () => {
  const { schema } = await pgSandbox();
  const dir = await tempDir();

  const load = async (query: string, table: string) => {
    const db = path.join(dir, `${table}.duckdb`);
    const d = pipeline(
      [
        { id: 'src', type: 'source.postgres', params: { connection: 'db', schema, query } },
        { id: 'dst', type: 'sink.duckdb', params: { database: db, table } },
      ],
      ['src -> dst'],
      { connections },
    );
    const s = await runPipeline({ pipeline: d, baseDir: dir, connections: pgConnection() });
    const exists = await stat(db).then(() => true, () => false);
    return { s, db, exists };
  };

  it('a timestamptz or timestamp after DuckDB\'s last one (294247 AD) stops the read naming the column and the value, instead of arriving as NULL', async () => {
    for (const [type, value] of [['timestamptz', '294270-01-01 00:00:00+00'], ['timestamp', '294270-01-01 00:00:00']] as const) {
      const { s, exists } = await load(`SELECT 1 AS id, '${value}'::${type} AS at`, `far_${type}`);
      expect(s.status).toBe('failed');
      expect(s.error).toMatchObject({ nodeId: 'src', column: 'at' });
      expect(s.error!.message).toContain(`'${value}'`);
      expect(s.error!.message).toMatch(/outside the range of DuckDB's TIMESTAMP/);
      // Nothing written: the database the run would have created is not there.
      expect(exists).toBe(false);
    }
  });

  it('timestamps DuckDB holds still arrive as they are: a five-digit year, infinity, NULL, BC', async () => {
    const { s, db } = await load(
      `SELECT * FROM (VALUES (1, '12345-06-07 08:09:10.123456+00'::timestamptz, '12345-06-07 08:09:10'::timestamp), (2, 'infinity', '-infinity'), (3, NULL, NULL), (4, '0044-03-15 10:00:00+00 BC', '0044-03-15 10:00:00 BC')) AS v(id, tz, ts)`,
      'near',
    );
    expect(s.error).toBeUndefined();
    expect(await inDb(db, `SELECT id, CAST(tz AT TIME ZONE 'UTC' AS VARCHAR) AS tz, CAST(ts AS VARCHAR) AS ts FROM near ORDER BY id`)).toEqual([
      { id: 1, tz: '12345-06-07 08:09:10.123456', ts: '12345-06-07 08:09:10' },
      { id: 2, tz: 'infinity', ts: '-infinity' },
      { id: 3, tz: null, ts: null },
      { id: 4, tz: '0044-03-15 (BC) 10:00:00', ts: '0044-03-15 (BC) 10:00:00' },
    ]);
  });

  it('an unconstrained numeric beyond a DOUBLE\'s range (1e400, 1e-400) stops the read instead of arriving as Infinity or 0', async () => {
    for (const [name, value] of [['huge', '1e400'], ['tiny', '-1e-400']] as const) {
      const { s, exists } = await load(`SELECT 1 AS id, ${value}::numeric AS amount`, name);
      expect(s.status).toBe('failed');
      expect(s.error).toMatchObject({ nodeId: 'src', column: 'amount' });
      expect(s.error!.message).toMatch(/column "amount": numeric without a declared precision is read as DOUBLE, which holds values from about 4.9e-324 to 1.8e308, but '[-0-9.]{20}…' is outside that range/);
      expect(exists).toBe(false);
    }
  });

  it('numeric values a DOUBLE holds still arrive: zeros, NaN, ±Infinity, the largest and smallest normal ones, a subnormal one', async () => {
    const { s, db } = await load(
      `SELECT * FROM (VALUES (1, 0::numeric), (2, '-0.000'), (3, 'NaN'), (4, 'Infinity'), (5, '-Infinity'), (6, 1.5e308), (7, 3e-308), (8, NULL), (9, 1e-310)) AS v(id, amount)`,
      'fits',
    );
    expect(s.error).toBeUndefined();
    expect(await inDb(db, `SELECT id, CAST(amount AS VARCHAR) AS amount FROM fits ORDER BY id`)).toEqual([
      { id: 1, amount: '0.0' },
      { id: 2, amount: '0.0' },
      { id: 3, amount: 'nan' },
      { id: 4, amount: 'inf' },
      { id: 5, amount: '-inf' },
      { id: 6, amount: '1.5e+308' },
      { id: 7, amount: '3e-308' },
      { id: 8, amount: null },
      // Subnormal: fewer digits kept, the written ones intact (as the CSV source reads it).
      { id: 9, amount: '1e-310' },
    ]);
  });
});
