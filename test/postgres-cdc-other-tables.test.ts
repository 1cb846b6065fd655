import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { runPipeline, startRun } from '../core/src/engine/engine.js';
import type { RunSummary } from '../core/src/engine/protocol.js';
import { listStates } from '../core/src/engine/state.js';
import { lsnValue } from '../core/src/connectors/postgres/lsn.js';
import { afterFile } from './support/cleanup.js';
import { pipeline, tempDir } from './support/pipeline.js';
import { dropReplicationAfterFile, PG, pgClient, pgConnection, pgSandbox } from './support/postgres.js';

/**
 * The WAL of tables a change capture does not follow goes through its slot too: the publication
 * filters their changes out and PostgreSQL 15 sends no empty transaction, so a slot confirmed only at
 * its table's last change never moved on a quiet table. The server kept every byte of WAL written
 * since, and each run decoded it all again (seconds per run, growing). These specs write a lot of
 * WAL on another table and check that the slot moves past it once nothing of its own table is
 * left unread, but never past a change of its table that did not reach the destinations.
 */
const { schema, q } = await pgSandbox();
const dir = await tempDir('caudal-cdc-other-tables-');
const tag = `cdcother_${randomUUID().slice(0, 8)}`;
dropReplicationAfterFile(tag);
const stateDir = path.join(dir, 'state');

/** changes of `table` appended to `<table>_log`, through the slot `<tag>_<table>`. */
function doc(table: string) {
  return pipeline(
    [
      { id: 'chg', type: 'source.postgres_cdc', params: { connection: 'db', schema, table, slot: `${tag}_${table}`, max_rows: 50_000, max_wait_ms: 200 } },
      { id: 'log', type: 'sink.postgres', params: { connection: 'db', schema, table: `${table}_log`, mode: 'append' } },
    ],
    ['chg -> log'],
    { name: `${tag} ${table}`, connections: { db: { type: 'postgres' } } },
  );
}

const run = (table: string) => runPipeline({ pipeline: doc(table), baseDir: dir, connections: pgConnection(), stateDir });
const failure = (s: RunSummary) => `${s.error?.message ?? ''}\n${s.error?.hint ?? ''}`.replaceAll(PG.password, '***');
async function ok(table: string): Promise<RunSummary> {
  const s = await run(table);
  expect(failure(s)).toBe('\n');
  return s;
}
const rowsRead = (s: RunSummary) => s.nodes.find((n) => n.nodeId === 'chg')?.rowsOut;
const slotPosition = async (table: string) => (await q<{ lsn: string }>(`SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1`, [`${tag}_${table}`]))[0]!.lsn;
const acknowledgedInState = async (table: string) => (await listStates(stateDir, `${tag} ${table}`, 'chg'))[0]?.state.acknowledged_lsn;
/** Where the server's WAL stands now: a slot confirmed at or past it holds back nothing written so far. */
const walNow = async () => (await q<{ lsn: string }>(`SELECT pg_current_wal_lsn()::text AS lsn`))[0]!.lsn;
const logged = async (table: string) => q<{ id: number; op: string }>(`SELECT id, _op AS op FROM ${table}_log ORDER BY _lsn NULLS FIRST, _seq`);
/** About 13 MB of WAL on a table no capture follows. */
const noise = (table: string, rows = 50_000) => `INSERT INTO ${table} SELECT g, repeat('n', 200) FROM generate_series(1, ${rows}) g`;

async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 40_000): Promise<T> {
  for (const t0 = Date.now(); ; await sleep(200)) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
  }
}

describe('a change capture on a quiet table while other tables write WAL', () => {
  it('moves its slot past the other tables\' WAL once the run committed, though the run read no change; the next runs go on from there', { timeout: 120_000 }, async () => {
    await q(`CREATE TABLE calm (id int PRIMARY KEY, v text); CREATE TABLE calm_noise (id int, pad text)`);
    await q(`INSERT INTO calm VALUES (1, 'a')`);
    await ok('calm');
    const start = await slotPosition('calm');

    await q(noise('calm_noise'));
    const before = await walNow();
    const quiet = await ok('calm');
    expect(rowsRead(quiet)).toBe(0);
    // Before, confirmed_flush_lsn stayed at `start` for good.
    expect(lsnValue(await slotPosition('calm'))).toBeGreaterThanOrEqual(lsnValue(before));
    expect(lsnValue(await slotPosition('calm'))).toBeGreaterThan(lsnValue(start));
    // The state says as far as the slot: the next run is not taken for another reader of it.
    expect(await acknowledgedInState('calm')).toBe(await slotPosition('calm'));

    await q(noise('calm_noise'));
    await q(`INSERT INTO calm VALUES (2, 'b')`);
    await q(noise('calm_noise'));
    const later = await walNow();
    expect(rowsRead(await ok('calm'))).toBe(1);
    expect(lsnValue(await slotPosition('calm'))).toBeGreaterThanOrEqual(lsnValue(later));
    expect(rowsRead(await ok('calm'))).toBe(0);
    expect(await acknowledgedInState('calm')).toBe(await slotPosition('calm'));
    expect(await logged('calm')).toEqual([
      { id: 1, op: 'snapshot' },
      { id: 2, op: 'insert' },
    ]);
  });

  it('does not move its slot past a change of its table, amid the other tables\' WAL, whose run failed at the sink: the change comes again', { timeout: 120_000 }, async () => {
    await q(`CREATE TABLE held (id int PRIMARY KEY, v text); CREATE TABLE held_noise (id int, pad text)`);
    await q(`INSERT INTO held VALUES (1, 'a')`);
    await ok('held');
    const saved = await acknowledgedInState('held');
    const start = await slotPosition('held');

    // One transaction: the other table's WAL before and after the change, more WAL after it.
    await q(`BEGIN; ${noise('held_noise', 20_000)}; INSERT INTO held VALUES (2, 'b'); ${noise('held_noise', 20_000)}; COMMIT`);
    await q(noise('held_noise'));
    // The sink fails: the target refuses the row.
    await q(`ALTER TABLE held_log ADD CONSTRAINT held_before_2 CHECK (id < 2)`);
    const failed = await run('held');
    expect(failure(failed)).toContain('held_before_2');
    expect(await slotPosition('held')).toBe(start);
    expect(await acknowledgedInState('held')).toBe(saved);

    await q(`ALTER TABLE held_log DROP CONSTRAINT held_before_2`);
    const before = await walNow();
    expect(rowsRead(await ok('held'))).toBe(1);
    expect(await logged('held')).toEqual([
      { id: 1, op: 'snapshot' },
      { id: 2, op: 'insert' },
    ]);
    expect(lsnValue(await slotPosition('held'))).toBeGreaterThanOrEqual(lsnValue(before));
  });

  it('moves its slot past the other tables\' WAL while a transaction of its table is still open, and delivers that transaction once it commits', { timeout: 120_000 }, async () => {
    await q(`CREATE TABLE open_tx (id int PRIMARY KEY, v text); CREATE TABLE open_tx_noise (id int, pad text)`);
    await q(`INSERT INTO open_tx VALUES (1, 'a')`);
    await ok('open_tx');
    const writer = await pgClient();
    afterFile(() => writer.end());
    await writer.query(`SET search_path = "${schema}"`);
    await writer.query(`BEGIN`);
    await writer.query(`INSERT INTO open_tx VALUES (2, 'b')`);
    try {
      await q(noise('open_tx_noise'));
      const before = await walNow();
      expect(rowsRead(await ok('open_tx'))).toBe(0);
      // The slot now stands after the open transaction's change in the WAL, before its commit: the
      // server sends the transaction whole when it commits.
      expect(lsnValue(await slotPosition('open_tx'))).toBeGreaterThanOrEqual(lsnValue(before));
      await writer.query(`COMMIT`);
    } finally {
      await writer.query(`ROLLBACK`).catch(() => undefined);
    }
    expect(rowsRead(await ok('open_tx'))).toBe(1);
    expect(await logged('open_tx')).toEqual([
      { id: 1, op: 'snapshot' },
      { id: 2, op: 'insert' },
    ]);
  });

  it('under --watch, moves its slot past the other tables\' WAL while it waits; the watch and the next runs go on from there', { timeout: 180_000 }, async () => {
    await q(`CREATE TABLE waits (id int PRIMARY KEY, v text); CREATE TABLE waits_noise (id int, pad text)`);
    await q(`INSERT INTO waits VALUES (1, 'a')`);
    await ok('waits');
    const saved = await acknowledgedInState('waits');

    const watch = startRun({ pipeline: doc('waits'), baseDir: dir, connections: pgConnection(), stateDir, watch: true });
    let ended: RunSummary | undefined;
    void watch.done.then((s) => (ended = s));
    try {
      await until('the watch to read the slot', async () => (ended ? true : (await q(`SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND active_pid IS NOT NULL`, [`${tag}_waits`])).length > 0 || undefined));
      await q(noise('waits_noise'));
      const before = await walNow();
      await until('the waiting watch to confirm the slot past the other table', async () => (ended ? true : lsnValue(await slotPosition('waits')) >= lsnValue(before) || undefined));
      expect(ended && failure(ended)).toBeUndefined();
      // No batch ran: the state stays behind the slot until the next commit.
      expect(await acknowledgedInState('waits')).toBe(saved);

      // A change of the table still comes, and after it the slot moves on again while the watch waits.
      await q(`INSERT INTO waits VALUES (2, 'b')`);
      await until('the change', async () => (ended ? true : (await logged('waits')).length >= 2 || undefined));
      await q(noise('waits_noise'));
      const later = await walNow();
      await until('the slot to move on', async () => (ended ? true : lsnValue(await slotPosition('waits')) >= lsnValue(later) || undefined));
      expect(ended && failure(ended)).toBeUndefined();
    } finally {
      watch.stop();
    }
    expect((await watch.done).status).toBe('cancelled');

    // The slot stands past the state, by this pipeline's doing: not refused as another reader's.
    expect(lsnValue(await slotPosition('waits'))).toBeGreaterThan(lsnValue(String(await acknowledgedInState('waits'))));
    expect(rowsRead(await ok('waits'))).toBe(0);
    expect(await acknowledgedInState('waits')).toBe(await slotPosition('waits'));
    await q(`INSERT INTO waits VALUES (3, 'c')`);
    expect(rowsRead(await ok('waits'))).toBe(1);
    expect(await logged('waits')).toEqual([
      { id: 1, op: 'snapshot' },
      { id: 2, op: 'insert' },
      { id: 3, op: 'insert' },
    ]);
  });

  it('under --watch, a first run that created the slot, moved it while it waited and never committed leaves the next run to start from that slot as from a new one', { timeout: 180_000 }, async () => {
    await q(`CREATE TABLE fresh (id int PRIMARY KEY, v text); CREATE TABLE fresh_noise (id int, pad text)`);
    // An empty table: the snapshot has no rows, so the first batch waits for a change.
    const watch = startRun({ pipeline: doc('fresh'), baseDir: dir, connections: pgConnection(), stateDir, watch: true });
    let ended: RunSummary | undefined;
    void watch.done.then((s) => (ended = s));
    let created: string;
    try {
      created = await until('the watch to read its new slot', async () => (ended ? 'ended' : (await q<{ lsn: string }>(`SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1 AND active_pid IS NOT NULL`, [`${tag}_fresh`]))[0]?.lsn));
      await q(noise('fresh_noise'));
      const before = await walNow();
      await until('the waiting watch to confirm the slot past the other table', async () => (ended ? true : lsnValue(await slotPosition('fresh')) >= lsnValue(before) || undefined));
      expect(ended && failure(ended)).toBeUndefined();
    } finally {
      watch.stop();
    }
    expect((await watch.done).status).toBe('cancelled');
    expect(lsnValue(await slotPosition('fresh'))).toBeGreaterThan(lsnValue(created));
    expect(await acknowledgedInState('fresh')).toBeUndefined();

    // Not refused as another reader's slot; the snapshot the watch never committed is taken now.
    await q(`INSERT INTO fresh VALUES (1, 'a')`);
    await ok('fresh');
    expect((await logged('fresh')).filter((r) => r.op === 'snapshot')).toEqual([{ id: 1, op: 'snapshot' }]);
    expect(await acknowledgedInState('fresh')).toBe(await slotPosition('fresh'));
  });
});
