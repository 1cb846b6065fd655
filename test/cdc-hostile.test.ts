import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { inspect, runPipeline, startRun } from '../core/src/engine/engine.js';
import type { RunSummary } from '../core/src/engine/protocol.js';
import type { ResolvedConnection } from '../core/src/nodes/define.js';
import { afterFile } from './support/cleanup.js';
import { pipeline, tempDir } from './support/pipeline.js';
import { dropReplicationAfterFile, PG, pgClient, pgConnection, pgSandbox } from './support/postgres.js';

/**
 * source.postgres_cdc against hostile changes and servers: updates that move a row's key while a
 * large value stays unchanged, a server that cuts an idle replication connection, generated columns,
 * a table dropped and recreated under its publication. Every slot, publication and role made here
 * carries `tag` in its name and is dropped after the file (a slot left behind keeps WAL for ever).
 */
const { schema, q } = await pgSandbox();
const dir = await tempDir('caudal-cdc-hostile-');
const tag = `cdch_${randomUUID().slice(0, 8)}`;

dropReplicationAfterFile(tag);

type Params = Record<string, unknown>;

/** changes of `table` (read through connection `src`) → sink through `db`: an append log, or a mirror. */
function doc(name: string, table: string, target: string, cdc: Params = {}, mirror = false) {
  const source = { id: 'chg', type: 'source.postgres_cdc', params: { connection: 'src', schema, table, max_rows: 5_000, max_wait_ms: 200, ...cdc } };
  const extra = { name, connections: { db: { type: 'postgres' }, src: { type: 'postgres' } } };
  if (!mirror) return pipeline([source, { id: 'log', type: 'sink.postgres', params: { connection: 'db', schema, table: target, mode: 'append' } }], ['chg -> log'], extra);
  return pipeline(
    [
      source,
      { id: 'last', type: 'transform.dedupe', params: { keys: ['id'], keep: 'last', order_by: [{ column: '_seq' }] } },
      { id: 'mirror', type: 'sink.postgres', params: { connection: 'db', schema, table: target, mode: 'upsert', keys: ['id'], delete_when: "_op = 'delete'", exclude_columns: ['_op', '_lsn', '_seq', '_commit_time'] } },
    ],
    ['chg -> last', 'last -> mirror'],
    extra,
  );
}

/** Both connections as the test user, or the source as another role. */
function connections(src: { user: string; password: string } = PG): Record<string, ResolvedConnection> {
  const db = pgConnection('db').db!;
  return { db, src: { ...db, name: 'src', config: { ...db.config, user: src.user, password: src.password } } };
}

const stateDir = path.join(dir, 'state');
const run = (d: ReturnType<typeof doc>, conns = connections()) => runPipeline({ pipeline: d, baseDir: dir, connections: conns, stateDir });
/** The message and hints, also those of a refusal found while planning (its hint is on the problem). */
const failure = (s: RunSummary) => `${s.error?.message ?? ''}\n${[s.error?.hint, ...(s.error?.problems ?? []).map((p) => p.hint)].filter(Boolean).join('\n')}`;
// Whole words only, as redaction masks since it treats _ as part of a word: the schemas' prefix
// (`caudal_test_…`) is no longer masked, a password standing alone still is.
const shown = (text: string) => text.replace(new RegExp(`(?<![A-Za-z0-9_])${PG.password.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9_])`, 'g'), '***');
const slotPosition = async (slot: string) => (await q<{ lsn: string }>(`SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1`, [slot]))[0]?.lsn;

async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  for (const t0 = Date.now(); ; await sleep(100)) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
  }
}

describe('source.postgres_cdc under hostile changes and servers', () => {
  it('refuses an UPDATE that moves the key and leaves a TOASTed value unchanged, instead of inserting the new row with it NULL', async () => {
    await q(`CREATE TABLE rekey_toast (id int PRIMARY KEY, big text, n int)`);
    await q(`ALTER TABLE rekey_toast ALTER COLUMN big SET STORAGE EXTERNAL`);
    await q(`INSERT INTO rekey_toast VALUES (1, repeat('x', 10000), 1)`);
    await q(`CREATE TABLE rekey_toast_mirror (id int PRIMARY KEY, big text, n int)`);
    const slot = `${tag}_rekey_toast`;
    const d = doc(`${tag} rekey toast`, 'rekey_toast', 'rekey_toast_mirror', { slot }, true);
    expect(failure(await run(d))).toBe('\n');
    await q(`UPDATE rekey_toast SET id = 10 WHERE id = 1`);
    const before = await slotPosition(slot);
    const failed = await run(d);
    expect(failed.status).toBe('failed');
    expect(failure(failed)).toContain(`column 'big'`);
    expect(failure(failed)).toContain('REPLICA IDENTITY FULL');
    expect(await slotPosition(slot)).toBe(before);
    expect(await q(`SELECT id, length(big) AS len FROM rekey_toast_mirror ORDER BY id`)).toEqual([{ id: 1, len: 10000 }]);
  });

  it('keeps an idle --watch connected past the server\'s wal_sender_timeout, and delivers what comes after', async () => {
    // A role whose replication connections the server cuts after 2 s without a status update.
    const role = { user: `${tag}_idle`, password: randomUUID() };
    await q(`CREATE ROLE "${role.user}" LOGIN REPLICATION PASSWORD '${role.password}'`);
    await q(`ALTER ROLE "${role.user}" SET wal_sender_timeout = '2s'`);
    afterFile(async () => {
      const c = await pgClient();
      await c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1`, [role.user]);
      await sleep(200);
      await c.query(`DROP OWNED BY "${role.user}"`).catch(() => undefined);
      await c.query(`DROP ROLE IF EXISTS "${role.user}"`);
      await c.end();
    });
    await q(`GRANT USAGE ON SCHEMA "${schema}" TO "${role.user}"`);
    await q(`CREATE TABLE idle (id int PRIMARY KEY, v text)`);
    await q(`GRANT SELECT ON idle TO "${role.user}"`);
    const slot = `${tag}_idle`;
    await q(`CREATE PUBLICATION ${slot} FOR TABLE idle`);
    await q(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
    const d = doc(`${tag} idle`, 'idle', 'idle_log', { slot, snapshot: false });
    const watch = startRun({ pipeline: d, baseDir: dir, connections: connections(role), stateDir, watch: true });
    let ended: RunSummary | undefined;
    void watch.done.then((s) => (ended = s));
    const rows = async () => (await q<{ n: number }>(`SELECT count(*)::int AS n FROM idle_log`).catch(() => [{ n: 0 }]))[0]!.n;
    await q(`INSERT INTO idle VALUES (1, 'a')`);
    await until('the first change', async () => ((await rows()) >= 1 || ended ? true : undefined));
    expect(ended && failure(ended)).toBeUndefined();
    // Idle for three times the server's timeout.
    await sleep(6_000);
    expect(ended && failure(ended)).toBeUndefined();
    await q(`INSERT INTO idle VALUES (2, 'b')`);
    await until('the change after the idle time', async () => ((await rows()) >= 2 || ended ? true : undefined));
    expect(ended && failure(ended)).toBeUndefined();
    watch.stop();
    expect((await watch.done).status).toBe('cancelled');
    expect(await q(`SELECT id, v FROM idle_log ORDER BY id`)).toEqual([
      { id: 1, v: 'a' },
      { id: 2, v: 'b' },
    ]);
  }, 180_000);

  it('loses no transaction whose commit directly follows the last one a batch took', async () => {
    await q(`CREATE TABLE adjacent (id int PRIMARY KEY, v text)`);
    const slot = `${tag}_adjacent`;
    const d = doc(`${tag} adjacent`, 'adjacent', 'adjacent_log', { slot, max_rows: 1, snapshot: false });
    expect(failure(await run(d))).toBe('\n');
    // Pairs of transactions whose changes interleave, so that the second commit record is written
    // right after the first: the batch of one row takes the first, the next run must bring the second.
    const [a, b] = [await pgClient(), await pgClient()];
    try {
      for (const [s, c] of [a, b].entries()) await c.query(`SET search_path = "${schema}"`).then(() => s);
      for (let pair = 0; pair < 3; pair++) {
        await a.query('BEGIN');
        await b.query('BEGIN');
        await a.query(`INSERT INTO adjacent VALUES ($1, 'first')`, [pair * 2]);
        await b.query(`INSERT INTO adjacent VALUES ($1, 'second')`, [pair * 2 + 1]);
        await Promise.all([a.query('COMMIT'), b.query('COMMIT')]);
      }
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
    for (let i = 0; i < 6; i++) expect(failure(await run(d))).toBe('\n');
    expect((await q<{ id: number }>(`SELECT id FROM adjacent_log ORDER BY id`)).map((r) => r.id)).toEqual([0, 1, 2, 3, 4, 5]);
  }, 180_000);

  it('leaves generated columns out, in the snapshot as in changes, rather than delivering them NULL in every change', async () => {
    await q(`CREATE TABLE gen (id int PRIMARY KEY, n int, g int GENERATED ALWAYS AS (n * 2) STORED)`);
    await q(`INSERT INTO gen (id, n) VALUES (1, 1), (2, 2)`);
    const slot = `${tag}_gen`;
    const log = doc(`${tag} gen`, 'gen', 'gen_log', { slot });
    expect(failure(await run(log))).toBe('\n');
    await q(`INSERT INTO gen (id, n) VALUES (3, 3)`);
    await q(`UPDATE gen SET n = 20 WHERE id = 2`);
    expect(failure(await run(log))).toBe('\n');
    const columns = await q<{ c: string }>(`SELECT column_name AS c FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'gen_log' ORDER BY ordinal_position`, [schema]);
    expect(columns.map((c) => c.c)).toEqual(['id', 'n', '_op', '_lsn', '_seq', '_commit_time']);
    expect(await q(`SELECT id, n, _op FROM gen_log ORDER BY _lsn NULLS FIRST, _seq`)).toEqual([
      { id: 1, n: 1, _op: 'snapshot' },
      { id: 2, n: 2, _op: 'snapshot' },
      { id: 3, n: 3, _op: 'insert' },
      { id: 2, n: 20, _op: 'update' },
    ]);
    // A mirror with the same generated column computes it itself.
    await q(`CREATE TABLE gen_mirror (id int PRIMARY KEY, n int, g int GENERATED ALWAYS AS (n * 2) STORED)`);
    const mirror = doc(`${tag} gen mirror`, 'gen', 'gen_mirror', { slot: `${tag}_gen_mirror` }, true);
    expect(failure(await run(mirror))).toBe('\n');
    await q(`UPDATE gen SET n = 30 WHERE id = 3`);
    expect(failure(await run(mirror))).toBe('\n');
    expect(await q(`SELECT * FROM gen_mirror ORDER BY id`)).toEqual(await q(`SELECT * FROM gen ORDER BY id`));
  });

  it('says that the table was dropped (and created again) under its publication, and how to start over', async () => {
    await q(`CREATE TABLE phoenix (id int PRIMARY KEY, v text)`);
    const slot = `${tag}_phoenix`;
    const d = doc(`${tag} phoenix`, 'phoenix', 'phoenix_log', { slot });
    expect(failure(await run(d))).toBe('\n');
    await q(`DROP TABLE phoenix`);
    await q(`CREATE TABLE phoenix (id int PRIMARY KEY, v text)`);
    await q(`INSERT INTO phoenix VALUES (2, 'new')`);
    const failed = await run(d);
    expect(failed.status).toBe('failed');
    expect(failure(failed)).toContain(shown(`${schema}.phoenix was dropped since it was made (and perhaps created again), and changes made since were not captured`));
    expect(failure(failed)).toContain(`DROP PUBLICATION "${slot}"`);
    // The way out it gives: drop both, run again, the new slot starts with a snapshot.
    await q(`SELECT pg_drop_replication_slot($1)`, [slot]);
    await q(`DROP PUBLICATION ${slot}`);
    expect(failure(await run(d))).toBe('\n');
    expect(await q(`SELECT id, v, _op FROM phoenix_log ORDER BY id`)).toEqual([{ id: 2, v: 'new', _op: 'snapshot' }]);
  });

  it('warns when the slot an earlier run read from is gone and has to be created again (changes in between were never captured)', async () => {
    await q(`CREATE TABLE dropped_slot (id int PRIMARY KEY, v text)`);
    await q(`INSERT INTO dropped_slot VALUES (1, 'a')`);
    const slot = `${tag}_dropped`;
    const d = doc(`${tag} dropped`, 'dropped_slot', 'dropped_slot_log', { slot });
    const warnings = async () => {
      const seen: string[] = [];
      const s = await runPipeline({ pipeline: d, baseDir: dir, connections: connections(), stateDir, onEvent: (e) => void (e.type === 'warning' && seen.push(e.message)) });
      expect(failure(s)).toBe('\n');
      return seen;
    };
    expect(await warnings()).toEqual([]);
    // An administrator (or max_slot_wal_keep_size) drops the slot; a change is made meanwhile.
    await q(`SELECT pg_drop_replication_slot($1)`, [slot]);
    await q(`DELETE FROM dropped_slot WHERE id = 1`);
    expect((await warnings()).join('\n')).toMatch(new RegExp(`replication slot '${slot}' was missing and has been created again .*changes made in between were not captured; a new snapshot follows, but rows deleted in between stay in a mirror`));
    expect(await warnings()).toEqual([]);
  });

  it('stops a waiting --watch, saying so, when its table is dropped under it (it waited in silence for ever)', async () => {
    await q(`CREATE TABLE vanish (id int PRIMARY KEY, v text)`);
    const slot = `${tag}_vanish`;
    const d = doc(`${tag} vanish`, 'vanish', 'vanish_log', { slot, snapshot: false });
    const watch = startRun({ pipeline: d, baseDir: dir, connections: connections(), stateDir, watch: true });
    let ended: RunSummary | undefined;
    void watch.done.then((s) => (ended = s));
    const rows = async () => (await q<{ n: number }>(`SELECT count(*)::int AS n FROM vanish_log`).catch(() => [{ n: 0 }]))[0]!.n;
    await until('the watch to start', async () => ((await slotPosition(slot)) || ended ? true : undefined));
    await q(`INSERT INTO vanish VALUES (1, 'a')`);
    await until('the first change', async () => ((await rows()) >= 1 || ended ? true : undefined));
    expect(ended && failure(ended)).toBeUndefined();
    // Time for the next batch to be planned and waiting for changes, where the drop went unnoticed.
    // (Dropped while that batch is still being planned, its planning says the table does not exist.)
    await sleep(5_000);
    await q(`DROP TABLE vanish`);
    const done = await until('the watch to stop', async () => ended, 40_000).finally(() => watch.stop());
    expect(done.status).toBe('failed');
    const waiting = `${schema}.vanish is no longer in publication '${slot}': it was dropped (and perhaps created again) or renamed while --watch waited`;
    const planning = `table ${schema}.vanish does not exist`;
    expect([waiting, planning].map(shown).some((m) => failure(done).includes(m)), failure(done)).toBe(true);
    if (failure(done).includes(shown(waiting))) expect(failure(done)).toContain(`pg_drop_replication_slot('${slot}')`);
  }, 90_000);

  it('says which open transaction the first run waits for while it creates the slot (it waited without a word)', async () => {
    await q(`CREATE TABLE blocked (id int PRIMARY KEY, v text)`);
    await q(`CREATE TABLE blocker (id int)`);
    // Another session holds a transaction id: a logical slot cannot be created until it ends.
    const other = await pgClient();
    await other.query('BEGIN');
    await other.query(`INSERT INTO "${schema}".blocker VALUES (1)`);
    const otherPid = (other as unknown as { processID: number }).processID;
    const logged: string[] = [];
    const slot = `${tag}_blocked`;
    const running = runPipeline({ pipeline: doc(`${tag} blocked`, 'blocked', 'blocked_log', { slot }), baseDir: dir, connections: connections(), stateDir, onEvent: (e) => void (e.type === 'log' && logged.push(e.message)) });
    try {
      await until('the waiting message', async () => (logged.some((m) => m.includes(`pid ${otherPid}`)) ? true : undefined), 30_000);
    } finally {
      await other.query('COMMIT');
      await other.end();
    }
    expect(logged.find((m) => m.includes(`pid ${otherPid}`))).toMatch(new RegExp(`creating replication slot '${slot}' waits for the transactions open on the server to end: .*pid ${otherPid} \\(`));
    expect(failure(await running)).toBe('\n');
  }, 60_000);

  it('warns, before anything is created, when the replica identity is a unique index other than the primary key: deletes carry only its columns', async () => {
    await q(`CREATE TABLE ident_index (id int PRIMARY KEY, code text NOT NULL, v text)`);
    await q(`CREATE UNIQUE INDEX ident_index_code ON ident_index (code)`);
    await q(`ALTER TABLE ident_index REPLICA IDENTITY USING INDEX ident_index_code`);
    const slot = `${tag}_ident_index`;
    const d = doc(`${tag} ident index`, 'ident_index', 'ident_index_mirror', { slot }, true);
    const seen = await inspect({ pipeline: d, baseDir: dir, connections: connections(), stateDir });
    expect(seen.warnings?.map((w) => w.message)).toContainEqual(
      `node 'chg': the replica identity of ${schema}.ident_index is a unique index on (code), not its primary key (id): a delete carries only code, every other column NULL, so key a mirror on code (dedupe and sink keys), or a delete stops its upsert with a NULL key. REPLICA IDENTITY DEFAULT (the primary key) or FULL send the primary key too`,
    );
    expect(await slotPosition(slot)).toBeUndefined();
    // The primary key as identity says nothing.
    await q(`ALTER TABLE ident_index REPLICA IDENTITY DEFAULT`);
    expect((await inspect({ pipeline: d, baseDir: dir, connections: connections(), stateDir })).warnings ?? []).toEqual([]);
  });

  it('says a publication name is refused as a publication name, not as a slot name', async () => {
    const d = doc(`${tag} pub name`, 'ident_index', 'ident_index_mirror', { publication: 'Bad-Name' });
    const { problems } = await inspect({ pipeline: d, baseDir: dir, connections: connections(), stateDir });
    expect(problems.map((p) => [p.path, p.message])).toEqual([
      ['nodes[0].params.publication', expect.stringContaining('the replication protocol passes the publication name unescaped')],
    ]);
    expect(problems[0]!.message).not.toContain('slot');
  });
});
