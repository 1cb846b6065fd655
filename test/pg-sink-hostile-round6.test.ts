import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { runPipeline } from '../core/src/engine/engine.js';
import { afterFile } from './support/cleanup.js';
import { pipeline, tempDir } from './support/pipeline.js';
import { pgClient, pgConnection } from './support/postgres.js';

/**
 * sink.postgres against a real server, with a second session playing another run or a person at a
 * psql prompt: a schema or table created by someone else at the same moment, the sink's own
 * pre_sql / post_sql refused by the server, keys PostgreSQL checks only at commit (DEFERRABLE), a key
 * column whose name is one the load's own queries might use.
 */
describe('sink.postgres, round 6', async () => {
  const client = await pgClient();
  const tag = `s39f_${randomUUID().slice(0, 8)}`;
  const schema = `${tag}_main`;
  const schemas = new Set([schema]);
  await client.query(`CREATE SCHEMA "${schema}"`);
  const others: pg.Client[] = [];
  afterFile(async () => {
    for (const o of others) await o.end().catch(() => undefined);
    for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
    await client.end();
  });
  const q = async <T extends pg.QueryResultRow = Record<string, unknown>>(sql: string, values?: unknown[]) => (await client.query<T>(sql, values)).rows;
  /** A second session, as psql would be: its transaction stays open until the test ends it. */
  const otherSession = async () => {
    const other = await pgClient();
    others.push(other);
    return other;
  };
  const dir = await tempDir();
  await writeFile(path.join(dir, 'in.csv'), 'id,name\n1,a\n2,b\n');
  const load = (params: Record<string, unknown>, file = 'in.csv') =>
    pipeline([{ id: 'src', type: 'source.csv', params: { path: file } }, { id: 'dst', type: 'sink.postgres', params: { connection: 'db', schema, ...params } }], ['src -> dst'], {
      connections: { db: { type: 'postgres' } },
    });
  const run = (params: Record<string, unknown>, file?: string) => runPipeline({ pipeline: load(params, file), baseDir: dir, connections: pgConnection() });
  const schemaExists = async (s: string) => (await q(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [s])).length > 0;
  /** Waits until a session runs a statement starting with `start` and waits for a lock (another session's transaction). */
  const blockedOn = async (start: string) => {
    for (let i = 0; i < 400; i++) {
      const waiting = await q(`SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND starts_with(query, $1)`, [start]);
      if (waiting.length > 0) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no session waited on a lock running ${start}…`);
  };

  describe('a new schema another session creates at the same moment', () => {
    it('committed while the load waits: the load uses it and succeeds (it used to fail with a unique violation on pg_namespace, worded as a key of the rows)', async () => {
      const fresh = `${tag}_shared`;
      schemas.add(fresh);
      const other = await otherSession();
      await other.query('BEGIN');
      await other.query(`CREATE SCHEMA "${fresh}"`);
      const running = run({ schema: fresh, table: 'loaded' });
      await blockedOn(`CREATE SCHEMA IF NOT EXISTS "${fresh}"`);
      await other.query('COMMIT');
      const s = await running;
      expect(s.error).toBeUndefined();
      expect(s.status).toBe('succeeded');
      expect(await q(`SELECT id, name FROM "${fresh}".loaded ORDER BY id`)).toEqual([
        { id: '1', name: 'a' },
        { id: '2', name: 'b' },
      ]);
    });

    it('rolled back while the load waits: the load creates the schema itself and succeeds', async () => {
      const fresh = `${tag}_undone`;
      schemas.add(fresh);
      const other = await otherSession();
      await other.query('BEGIN');
      await other.query(`CREATE SCHEMA "${fresh}"`);
      const running = run({ schema: fresh, table: 'loaded' });
      await blockedOn(`CREATE SCHEMA IF NOT EXISTS "${fresh}"`);
      await other.query('ROLLBACK');
      const s = await running;
      expect(s.error).toBeUndefined();
      expect(s.status).toBe('succeeded');
      expect(await q(`SELECT count(*)::int AS n FROM "${fresh}".loaded`)).toEqual([{ n: 2 }]);
    });

    it('a run that creates the schema and then fails leaves no schema behind', async () => {
      const fresh = `${tag}_failed`;
      schemas.add(fresh);
      const s = await run({ schema: fresh, table: 'loaded', post_sql: `SELECT 1/0` });
      expect(s.status).toBe('failed');
      expect(await schemaExists(fresh)).toBe(false);
    });

    it('a table another session created at the same moment is reported as such, not as a key of the rows already in the table', async () => {
      const other = await otherSession();
      await other.query('BEGIN');
      await other.query(`CREATE TABLE "${schema}".raced (id bigint, name text)`);
      const running = run({ table: 'raced' });
      await blockedOn(`CREATE TABLE "${schema}"."raced"`);
      await other.query('COMMIT');
      const s = await running;
      expect(s.status).toBe('failed');
      expect(s.error).toMatchObject({ kind: 'execution', nodeId: 'dst' });
      expect(s.error!.message).toMatch(/^node 'dst' \(connection 'db'\): another session created the same table \(or type\) at the same moment and committed first: duplicate key value violates unique constraint "pg_type_typname_nsp_index"/);
      expect(s.error!.message).not.toContain('already holds a row');
      expect(s.error!.hint).toBe('the table (or type) exists now: run again');
      expect(await q(`SELECT count(*)::int AS n FROM "${schema}".raced`)).toEqual([{ n: 0 }]);
    });
  });

  describe("the sink's own SQL refused by the server", () => {
    it('post_sql naming a missing table: an execution failure of post_sql, not a problem with params.table; the table is unchanged', async () => {
      await q(`CREATE TABLE "${schema}".post_missing (id bigint, name text)`);
      await q(`INSERT INTO "${schema}".post_missing VALUES (9, 'kept')`);
      const s = await run({ table: 'post_missing', post_sql: `INSERT INTO "${schema}".${tag}_nowhere VALUES (1)` });
      expect(s.status).toBe('failed');
      expect(s.error).toMatchObject({ kind: 'execution', nodeId: 'dst' });
      expect(s.error!.problems ?? []).toEqual([]);
      expect(s.error!.message).toMatch(new RegExp(`^node 'dst' \\(connection 'db'\\): post_sql failed: relation "${schema}\\.${tag}_nowhere" does not exist \\(at character \\d+ of post_sql\\)$`));
      expect(s.error!.hint).toContain('fix the statement in SQL after (post_sql)');
      expect(s.error!.hint).toContain('rolled back');
      expect(await q(`SELECT id, name FROM "${schema}".post_missing`)).toEqual([{ id: '9', name: 'kept' }]);
    });

    it('pre_sql with a syntax error: an execution failure of pre_sql, not a problem with params.filters', async () => {
      await q(`CREATE TABLE "${schema}".pre_syntax (id bigint, name text)`);
      const s = await run({ table: 'pre_syntax', pre_sql: `DELET FROM "${schema}".pre_syntax` });
      expect(s.status).toBe('failed');
      expect(s.error).toMatchObject({ kind: 'execution', nodeId: 'dst' });
      expect(s.error!.problems ?? []).toEqual([]);
      expect(s.error!.message).toMatch(/^node 'dst' \(connection 'db'\): pre_sql failed: syntax error at or near "DELET" \(at character 1 of pre_sql\)$/);
      expect(s.error!.hint).toContain('(pre_sql)');
      expect(await q(`SELECT count(*)::int AS n FROM "${schema}".pre_syntax`)).toEqual([{ n: 0 }]);
    });

    it('post_sql naming a missing column: an execution failure of post_sql, not a problem with params.columns', async () => {
      await q(`CREATE TABLE "${schema}".post_column (id bigint, name text)`);
      const s = await run({ table: 'post_column', post_sql: `UPDATE "${schema}".post_column SET nmae = 'x'` });
      expect(s.status).toBe('failed');
      expect(s.error).toMatchObject({ kind: 'execution', nodeId: 'dst' });
      expect(s.error!.problems ?? []).toEqual([]);
      expect(s.error!.column).toBeUndefined();
      expect(s.error!.message).toMatch(/^node 'dst' \(connection 'db'\): post_sql failed: column "nmae" of relation "post_column" does not exist/);
      expect(await q(`SELECT count(*)::int AS n FROM "${schema}".post_column`)).toEqual([{ n: 0 }]);
    });
  });

  describe('upsert', () => {
    it('into a table whose key is a DEFERRABLE unique constraint: updates and inserts (ON CONFLICT cannot use such a constraint)', async () => {
      await q(`CREATE TABLE "${schema}".deferred_key (id bigint, name text, CONSTRAINT deferred_key_id UNIQUE (id) DEFERRABLE INITIALLY DEFERRED)`);
      await q(`CREATE TABLE "${schema}".deferrable_key (id bigint, name text, CONSTRAINT deferrable_key_id UNIQUE (id) DEFERRABLE INITIALLY IMMEDIATE)`);
      for (const table of ['deferred_key', 'deferrable_key']) {
        await q(`INSERT INTO "${schema}"."${table}" VALUES (1, 'old'), (5, 'untouched')`);
        const s = await run({ table, mode: 'upsert', keys: ['id'] });
        expect(s.error, table).toBeUndefined();
        expect(s.status).toBe('succeeded');
        expect(await q(`SELECT id, name FROM "${schema}"."${table}" ORDER BY id`)).toEqual([
          { id: '1', name: 'a' },
          { id: '2', name: 'b' },
          { id: '5', name: 'untouched' },
        ]);
      }
    });

    it('into a table named "excluded" (the name ON CONFLICT gives the row proposed): updates and inserts', async () => {
      await q(`CREATE TABLE "${schema}".excluded (id bigint PRIMARY KEY, name text)`);
      await q(`INSERT INTO "${schema}".excluded VALUES (1, 'old')`);
      const s = await run({ table: 'excluded', mode: 'upsert', keys: ['id'] });
      expect(s.error).toBeUndefined();
      expect(await q(`SELECT id, name FROM "${schema}".excluded ORDER BY id`)).toEqual([
        { id: '1', name: 'a' },
        { id: '2', name: 'b' },
      ]);
    });

    it('a key twice in the data is named by its value when the key column is called n', async () => {
      await writeFile(path.join(dir, 'n.csv'), 'n,name\n7,a\n7,b\n7,c\n8,d\n');
      await q(`CREATE TABLE "${schema}".keyed_n (n bigint PRIMARY KEY, name text)`);
      const s = await run({ table: 'keyed_n', mode: 'upsert', keys: ['n'] }, 'n.csv');
      expect(s.status).toBe('failed');
      expect(s.error!.message).toBe(`node 'dst': key (n=7) appears 3 times in the data; an upsert needs one row per key`);
      expect(await q(`SELECT count(*)::int AS n FROM "${schema}".keyed_n`)).toEqual([{ n: 0 }]);
    });
  });
});
