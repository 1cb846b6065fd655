import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { inspect, runPipeline, startRun } from '../core/src/engine/engine.js';
import type { RunSummary } from '../core/src/engine/protocol.js';
import { defaultReplicationName } from '../core/src/connectors/postgres/cdc-setup.js';
import { pipeline, tempDir } from './support/pipeline.js';
import { dropReplicationAfterFile, PG, pgConnection, pgSandbox } from './support/postgres.js';

/**
 * source.postgres_cdc refusing what it cannot capture faithfully, in-process from the sources: slot
 * and publication names that two pipelines would share, TOASTed values an UPDATE leaves unchanged,
 * TRUNCATE, columns that changed after the run was planned, and tables without a replica identity.
 * Every slot and publication made here carries `tag` in its name and is dropped after the file.
 */
const { schema, q } = await pgSandbox();
const dir = await tempDir('caudal-cdc-safety-');
const tag = `cdcsafe_${randomUUID().slice(0, 8)}`;

dropReplicationAfterFile(tag);

type Params = Record<string, unknown>;

/** changes of `table` → sink: an append log, or a mirror (dedupe + upsert-and-delete). */
function doc(name: string, table: string, target: string, cdc: Params = {}, mirror = false) {
  const source = { id: 'chg', type: 'source.postgres_cdc', params: { connection: 'db', schema, table, max_rows: 5_000, max_wait_ms: 200, ...cdc } };
  const extra = { name, connections: { db: { type: 'postgres' } } };
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

const stateDir = path.join(dir, 'state');
const run = (d: ReturnType<typeof doc>) => runPipeline({ pipeline: d, baseDir: dir, connections: pgConnection(), stateDir });
const failure = (s: RunSummary) => `${s.error?.message ?? ''}\n${s.error?.hint ?? ''}`;
/** As messages show it: the engine redacts the password, which is also the first word of the test schemas' prefix. */
// Whole words only, as redaction masks since it treats _ as part of a word: the schemas' prefix
// (`caudal_test_…`) is no longer masked, a password standing alone still is.
const shown = (text: string) => text.replace(new RegExp(`(?<![A-Za-z0-9_])${PG.password.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9_])`, 'g'), '***');
const slotPosition = async (slot: string) => (await q<{ lsn: string }>(`SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1`, [slot]))[0]?.lsn;

describe('source.postgres_cdc refuses what it cannot capture faithfully', () => {
  it('gives pipelines whose names differ only in case or punctuation their own slot and publication', async () => {
    await q(`CREATE TABLE ta (id int PRIMARY KEY, a text)`);
    await q(`CREATE TABLE tb (id int PRIMARY KEY, b text)`);
    const a = doc(`${tag}-x`, 'ta', 'log_a');
    const b = doc(`${tag}_x`, 'tb', 'log_b');
    expect((await run(a)).error).toBeUndefined();
    expect((await run(b)).error).toBeUndefined();
    await q(`INSERT INTO ta VALUES (1, 'A1')`);
    await q(`INSERT INTO tb VALUES (1, 'B1')`);
    expect(failure(await run(b))).toBe('\n');
    expect(failure(await run(a))).toBe('\n');
    expect(await q(`SELECT id, b, _op FROM log_b`)).toEqual([{ id: 1, b: 'B1', _op: 'insert' }]);
    expect(await q(`SELECT id, a, _op FROM log_a`)).toEqual([{ id: 1, a: 'A1', _op: 'insert' }]);
    // Two slots, each with a publication that covers its own table only.
    const pubs = await q<{ pubname: string; tablename: string }>(`SELECT pubname, tablename FROM pg_publication_tables WHERE pubname LIKE $1 ORDER BY tablename`, [`%${tag}%`]);
    expect(pubs.map((p) => p.tablename)).toEqual(['ta', 'tb']);
    expect(new Set(pubs.map((p) => p.pubname)).size).toBe(2);
    for (const p of pubs) expect(p.pubname.length).toBeLessThanOrEqual(63);

    // A publication named explicitly that covers another table (or belongs to another pipeline) is refused.
    const stolen = doc(`${tag}_thief`, 'tb', 'log_thief', { slot: `${tag}_thief`, publication: pubs[0]!.pubname });
    const refused = await run(stolen);
    expect(refused.status).toBe('failed');
    expect(failure(refused)).toContain(shown(`publication '${pubs[0]!.pubname}' covers ${schema}.ta, not ${schema}.tb alone`));
    expect(await q(`SELECT count(*)::int AS n FROM pg_replication_slots WHERE slot_name = $1`, [`${tag}_thief`])).toEqual([{ n: 0 }]);

    // Another pipeline's publication or slot for the same table is refused too, before anything is created.
    const [aPub] = pubs;
    const copycat = await run(doc(`${tag}_copycat`, 'ta', 'log_copycat', { slot: `${tag}_copycat`, publication: aPub!.pubname }));
    expect(failure(copycat)).toContain(shown(`publication '${aPub!.pubname}' belongs to node 'chg' of pipeline '${tag}-x'`));
    const sharer = await run(doc(`${tag}_sharer`, 'ta', 'log_sharer', { slot: aPub!.pubname, publication: `${tag}_sharer` }));
    expect(failure(sharer)).toContain(shown(`replication slot '${aPub!.pubname}' belongs to node 'chg' of pipeline '${tag}-x'`));
    expect(await q(`SELECT count(*)::int AS n FROM pg_replication_slots WHERE slot_name = $1`, [`${tag}_copycat`])).toEqual([{ n: 0 }]);
    expect(await q(`SELECT count(*)::int AS n FROM pg_publication WHERE pubname = $1`, [`${tag}_sharer`])).toEqual([{ n: 0 }]);
  });

  it('makes default names readable, at most 63 characters, and different for names that differ only in case or punctuation', () => {
    const names = ['sales-eu', 'sales_eu', 'Sales EU', 'sales eu'].map((p) => defaultReplicationName(p, 'chg'));
    expect(new Set(names).size).toBe(4);
    for (const n of names) expect(n).toMatch(/^caudal_sales_eu_chg_[0-9a-f]{12}$/);
    const long = defaultReplicationName('x'.repeat(200), 'node');
    expect(long).toMatch(/^caudal_x+_[0-9a-f]{12}$/);
    expect(long.length).toBe(63);
    expect(defaultReplicationName('x'.repeat(200), 'node')).not.toBe(defaultReplicationName('x'.repeat(201), 'node'));
  });

  it('keeps using a slot created under the name earlier versions gave by default, from where it stood', async () => {
    await q(`CREATE TABLE legacy (id int PRIMARY KEY, v text)`);
    const name = `${tag}_Legacy`;
    const old = `caudal_${name}_chg`.toLowerCase();
    await q(`CREATE PUBLICATION "${old}" FOR TABLE legacy`);
    await q(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [old]);
    await q(`INSERT INTO legacy VALUES (1, 'after the slot')`);
    const s = await run(doc(name, 'legacy', 'log_legacy', { snapshot: false }));
    expect(s.error).toBeUndefined();
    expect(await q(`SELECT id, v, _op FROM log_legacy`)).toEqual([{ id: 1, v: 'after the slot', _op: 'insert' }]);
    expect(await q<{ slot_name: string }>(`SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE $1`, [`%${tag}_legacy%`])).toEqual([{ slot_name: old }]);
  });

  it('refuses an UPDATE that leaves a TOASTed value unchanged unless the table has REPLICA IDENTITY FULL, instead of delivering it as NULL', async () => {
    await q(`CREATE TABLE toasty (id int PRIMARY KEY, name text, big text, n int)`);
    await q(`ALTER TABLE toasty ALTER COLUMN big SET STORAGE EXTERNAL`);
    await q(`INSERT INTO toasty VALUES (1, 'a', repeat('x', 10000), 1), (2, 'b', 'small', 2)`);
    await q(`CREATE TABLE toasty_mirror (id int PRIMARY KEY, name text, big text, n int)`);
    const slot = `${tag}_toast`;
    const d = doc(`${tag} toast`, 'toasty', 'toasty_mirror', { slot }, true);
    expect((await run(d)).error).toBeUndefined();
    await q(`UPDATE toasty SET n = n + 10`);
    const before = await slotPosition(slot);
    const failed = await run(d);
    expect(failed.status).toBe('failed');
    expect(failure(failed)).toContain(`column 'big'`);
    expect(failure(failed)).toContain('REPLICA IDENTITY FULL');
    expect(await slotPosition(slot)).toBe(before);
    expect(await q(`SELECT id, length(big) AS len, n FROM toasty_mirror ORDER BY id`)).toEqual([
      { id: 1, len: 10000, n: 1 },
      { id: 2, len: 5, n: 2 },
    ]);

    // The documented way out: REPLICA IDENTITY FULL, then drop the slot; the next run starts over from a snapshot.
    await q(`ALTER TABLE toasty REPLICA IDENTITY FULL`);
    await q(`SELECT pg_drop_replication_slot($1)`, [slot]);
    expect(failure(await run(d))).toBe('\n');
    await q(`UPDATE toasty SET n = n + 100, name = 'A' WHERE id = 1`);
    expect(failure(await run(d))).toBe('\n');
    expect(await q(`SELECT id, name, length(big) AS len, n FROM toasty_mirror ORDER BY id`)).toEqual([
      { id: 1, name: 'A', len: 10000, n: 111 },
      { id: 2, name: 'b', len: 5, n: 12 },
    ]);
  });

  it('an UPDATE that changes the primary key reaches a mirror as a delete of the old key and an insert of the new row (with default and FULL identity)', async () => {
    for (const identity of ['DEFAULT', 'FULL']) {
      const t = `rekey_${identity.toLowerCase()}`;
      await q(`CREATE TABLE ${t} (id int PRIMARY KEY, v text)`);
      await q(`ALTER TABLE ${t} REPLICA IDENTITY ${identity}`);
      await q(`INSERT INTO ${t} VALUES (1, 'a'), (2, 'b')`);
      await q(`CREATE TABLE ${t}_mirror (id int PRIMARY KEY, v text)`);
      const d = doc(`${tag} ${t}`, t, `${t}_mirror`, { slot: `${tag}_${t}` }, true);
      expect((await run(d)).error).toBeUndefined();
      await q(`UPDATE ${t} SET id = 10 WHERE id = 1`);
      await q(`UPDATE ${t} SET v = 'b2' WHERE id = 2`);
      const s = await run(d);
      expect(s.error, identity).toBeUndefined();
      expect(await q(`SELECT id, v FROM ${t}_mirror ORDER BY id`), identity).toEqual([
        { id: 2, v: 'b2' },
        { id: 10, v: 'a' },
      ]);
    }
  });

  it('fails on a TRUNCATE of the table, naming it, without acknowledging past it', async () => {
    await q(`CREATE TABLE trunc (id int PRIMARY KEY, v text)`);
    await q(`INSERT INTO trunc VALUES (1, 'a'), (2, 'b')`);
    await q(`CREATE TABLE trunc_mirror (id int PRIMARY KEY, v text)`);
    const slot = `${tag}_trunc`;
    const d = doc(`${tag} trunc`, 'trunc', 'trunc_mirror', { slot }, true);
    expect((await run(d)).error).toBeUndefined();
    await q(`TRUNCATE trunc`);
    await q(`INSERT INTO trunc VALUES (3, 'c')`);
    const before = await slotPosition(slot);
    for (let i = 0; i < 2; i++) {
      const failed = await run(d);
      expect(failed.status).toBe('failed');
      expect(failure(failed)).toContain(shown(`${schema}.trunc was truncated`));
      expect(await slotPosition(slot)).toBe(before);
    }
  });

  it('under --watch, fails before acknowledging a change that carries a column added after the batch was planned', async () => {
    await q(`CREATE TABLE grows (id int PRIMARY KEY, v text)`);
    const slot = `${tag}_grows`;
    const d = doc(`${tag} grows`, 'grows', 'grows_log', { slot });
    const watch = startRun({ pipeline: d, baseDir: dir, connections: pgConnection(), stateDir, watch: true });
    const rows = async () => (await q<{ n: number }>(`SELECT count(*)::int AS n FROM grows_log`).catch(() => [{ n: 0 }]))[0]!.n;
    await q(`INSERT INTO grows VALUES (1, 'a')`);
    for (const t0 = Date.now(); (await rows()) < 1; ) {
      if (Date.now() - t0 > 30_000) throw new Error('the watch delivered nothing');
      await sleep(200);
    }
    await q(`ALTER TABLE grows ADD COLUMN extra text`);
    await q(`INSERT INTO grows VALUES (2, 'b', 'E')`);
    const summary = await Promise.race([watch.done, sleep(30_000).then(() => (watch.stop(), watch.done))]);
    expect(summary.status).toBe('failed');
    expect(failure(summary)).toContain(`column 'extra'`);
    expect(await q(`SELECT id FROM grows_log ORDER BY id`)).toEqual([{ id: 1 }]);
    // Planned again with the column (and the log given it), the change comes with its value.
    await q(`ALTER TABLE grows_log ADD COLUMN extra text`);
    expect(failure(await run(d))).toBe('\n');
    expect(await q(`SELECT id, v, extra FROM grows_log ORDER BY id`)).toEqual([
      { id: 1, v: 'a', extra: null },
      { id: 2, v: 'b', extra: 'E' },
    ]);
  }, 90_000);

  it('refuses a table without a primary key or replica identity before creating anything, saying how to fix it', async () => {
    await q(`CREATE TABLE nopk (id int, v text)`);
    await q(`INSERT INTO nopk VALUES (1, 'a'), (2, 'b')`);
    const slot = `${tag}_nopk`;
    const d = doc(`${tag} nopk`, 'nopk', 'nopk_log', { slot });
    const problems = (await inspect({ pipeline: d, baseDir: dir, connections: pgConnection(), stateDir })).problems;
    expect(problems.map((p) => `${p.message} ${p.hint ?? ''}`).join('\n')).toContain('REPLICA IDENTITY FULL');
    const failed = await run(d);
    expect(failed.status).toBe('failed');
    expect(failure(failed)).toContain('primary key');
    expect(await q(`SELECT count(*)::int AS n FROM pg_publication WHERE pubname = $1`, [slot])).toEqual([{ n: 0 }]);
    expect(await q(`SELECT count(*)::int AS n FROM pg_replication_slots WHERE slot_name = $1`, [slot])).toEqual([{ n: 0 }]);
    // The application's own statements still work.
    await q(`UPDATE nopk SET v = 'z' WHERE id = 1`);
    await q(`DELETE FROM nopk WHERE id = 2`);
    // With REPLICA IDENTITY FULL it is captured.
    await q(`ALTER TABLE nopk REPLICA IDENTITY FULL`);
    expect(failure(await run(d))).toBe('\n');
  });

  it('fails on changes captured before a column was renamed rather than delivering the column NULL', async () => {
    await q(`CREATE TABLE ren (id int PRIMARY KEY, name text)`);
    const slot = `${tag}_ren`;
    const d = doc(`${tag} ren`, 'ren', 'ren_log', { slot });
    expect((await run(d)).error).toBeUndefined();
    await q(`INSERT INTO ren VALUES (2, 'before-rename')`);
    await q(`ALTER TABLE ren RENAME COLUMN name TO label`);
    await q(`INSERT INTO ren VALUES (3, 'after-rename')`);
    await q(`DROP TABLE ren_log`);
    const failed = await run(d);
    expect(failed.status).toBe('failed');
    expect(failure(failed)).toContain(`column 'name'`);
    expect(await q(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = $1 AND tablename = 'ren_log'`, [schema])).toEqual([{ n: 0 }]);
  });
});
