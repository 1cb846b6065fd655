import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPipeline } from '../core/src/engine/engine.js';
import type { RunEvent } from '../core/src/engine/protocol.js';
import { afterFile } from './support/cleanup.js';
import { pipeline, tempDir } from './support/pipeline.js';
import { pgClient, pgConnection, pgSandbox } from './support/postgres.js';

const connections = { db: { type: 'postgres' } };

/** sink.postgres against targets that others hold, change, or name past PostgreSQL's limits. */
describe('sink.postgres against a hostile target', async () => {
  const { schema, q } = await pgSandbox();
  const dir = await tempDir();
  const csv = async (name: string, text: string) => {
    await writeFile(path.join(dir, name), text);
    return name;
  };
  const load = (file: string, sink: Record<string, unknown>) =>
    pipeline(
      [
        { id: 'src', type: 'source.csv', params: { path: file } },
        { id: 'dst', type: 'sink.postgres', params: { connection: 'db', schema, ...sink } },
      ],
      ['src -> dst'],
      { connections },
    );
  const run = (doc: ReturnType<typeof load>, events: RunEvent[] = []) => runPipeline({ pipeline: doc, baseDir: dir, connections: pgConnection(), onEvent: (e) => events.push(e) });

  describe('names longer than the 63 bytes PostgreSQL keeps', () => {
    const long = `t${'x'.repeat(62)}`;
    it('a table name is refused before anything is read, instead of loading a table of a cut name', async () => {
      const s = await run(load(await csv('l.csv', 'id\n1\n'), { table: `${long}_first` }));
      expect(s.status).toBe('failed');
      expect(s.error!.message).toContain(`table name "${long}_first" is 69 bytes`);
      expect(s.error!.message).toContain('63');
      expect(await q(`SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND relname LIKE 'txxx%'`, [schema])).toEqual([]);
    });

    it('a column name is refused before anything is read (a created table would get a cut name and the next run would not find it)', async () => {
      const column = `c${'y'.repeat(70)}`;
      const s = await run(load(await csv('c.csv', `id,${column}\n1,a\n`), { table: 'long_column' }));
      expect(s.status).toBe('failed');
      expect(s.error!.message).toContain(`column "${column}" is 71 bytes`);
      expect(await q(`SELECT to_regclass('long_column') AS t`)).toEqual([{ t: null }]);
    });

    it('counts bytes, not characters: 32 two-byte letters are 64 bytes', async () => {
      const s = await run(load(await csv('u.csv', 'id\n1\n'), { table: 'é'.repeat(32) }));
      expect(s.status).toBe('failed');
      expect(s.error!.message).toContain('is 64 bytes');
    });
  });

  it("upsert as a role with the table privileges but not CREATE on the schema is told it needs that (for its staging table)", async () => {
    const user = `pgh_loader_${randomUUID().slice(0, 8)}`;
    await q(`CREATE ROLE "${user}" LOGIN PASSWORD 'pgh-secret'`);
    afterFile(async () => {
      await q(`DROP OWNED BY "${user}"`);
      await q(`DROP ROLE "${user}"`);
    });
    await q(`GRANT USAGE ON SCHEMA "${schema}" TO "${user}"`);
    await q(`CREATE TABLE up_role (id bigint PRIMARY KEY, name text)`);
    await q(`GRANT SELECT, INSERT, UPDATE ON up_role TO "${user}"`);
    const conn = pgConnection();
    conn.db!.config = { ...conn.db!.config, user, password: 'pgh-secret' };
    const s = await runPipeline({ pipeline: load(await csv('r.csv', 'id,name\n1,a\n'), { table: 'up_role', mode: 'upsert', keys: ['id'] }), baseDir: dir, connections: conn });
    expect(s.status).toBe('failed');
    expect(s.error!.message).toContain('permission denied for schema');
    expect(s.error!.hint).toContain('and CREATE on its schema, where it stages the rows');
    expect(await q(`SELECT * FROM up_role`)).toEqual([]);
  });

  it('a generated column in the input is named, with the advice to leave it out', async () => {
    await q(`CREATE TABLE gen (id bigint, a bigint, b bigint GENERATED ALWAYS AS (a * 2) STORED)`);
    const s = await run(load(await csv('g.csv', 'id,a,b\n1,2,3\n'), { table: 'gen' }));
    expect(s.status).toBe('failed');
    expect(s.error!.message).toMatch(/node 'dst' \(connection 'db'\): column "b" is a generated column of table "[^"]+"\."gen", whose values PostgreSQL computes/);
    expect(s.error!.hint).toContain('exclude_columns');
  });

  it("a column type changed by another session while the load waits for its lock is the type the values are checked against", async () => {
    // 12.345 fits numeric(10,3); the other session's ALTER, committed while the load waits for the
    // table, makes it numeric(10,2), which would round it to 12.35 without a word.
    await q(`CREATE TABLE retyped (id bigint, v numeric(10,3))`);
    const other = await pgClient();
    try {
      await other.query(`SET application_name = 'pgh_alterer'`);
      await other.query('BEGIN');
      await other.query(`ALTER TABLE "${schema}".retyped ALTER COLUMN v TYPE numeric(10,2)`);
      const events: RunEvent[] = [];
      const done = run(load(await csv('t.csv', 'id,v\n1,12.345\n'), { table: 'retyped' }), events);
      const waiting = () => events.some((e) => e.type === 'log' && e.message.includes('pgh_alterer'));
      for (let i = 0; i < 400 && !waiting(); i++) await new Promise((r) => setTimeout(r, 50));
      await other.query('COMMIT');
      const s = await done;
      expect(s.status).toBe('failed');
      expect(s.error!.message).toMatch(/12\.345/);
      expect(s.error!.message).toContain('numeric(10,2)');
      expect(await q(`SELECT * FROM retyped`)).toEqual([]);
    } finally {
      await other.end();
    }
  }, 40_000);

  it('a load waiting for a lock that another session holds says who holds it, then goes on when it is released', async () => {
    await q(`CREATE TABLE held (id bigint)`);
    const holder = await pgClient();
    try {
      await holder.query(`SET application_name = 'the_lock_holder'`);
      const holderPid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      await holder.query('BEGIN');
      await holder.query(`LOCK TABLE "${schema}".held IN ACCESS EXCLUSIVE MODE`);
      const events: RunEvent[] = [];
      const done = run(load(await csv('h.csv', 'id\n1\n'), { table: 'held' }), events);
      const said = () => events.some((e) => e.type === 'log' && e.message.includes('the_lock_holder'));
      for (let i = 0; i < 400 && !said(); i++) await new Promise((r) => setTimeout(r, 50));
      const message = events.find((e) => e.type === 'log' && e.message.includes('the_lock_holder'));
      expect(message && 'message' in message ? message.message : 'nothing was said').toMatch(new RegExp(`waiting for a lock on table "[^"]+"\\."held" held by session ${holderPid} \\(user postgres, application the_lock_holder, idle in transaction since [-0-9 :]+ UTC: LOCK TABLE`));
      await holder.query('ROLLBACK');
      const s = await done;
      expect(s.error).toBeUndefined();
      expect(await q(`SELECT id FROM held`)).toEqual([{ id: '1' }]);
    } finally {
      await holder.end();
    }
  }, 40_000);
});
