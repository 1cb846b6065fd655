import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CdcSession, ensureReplication, walEnd, type Change } from '../core/src/connectors/postgres/cdc.js';
import type { PostgresConfig } from '../core/src/connections/postgres/postgres.connection.js';
import pg from 'pg';
import { afterFile } from './support/cleanup.js';
import { tempDir } from './support/pipeline.js';
import { privateCluster } from './support/pg-private-cluster.js';
import { dropReplicationAfterFile, pgConnection, pgSandbox } from './support/postgres.js';

/**
 * A plain (not --watch) run reads the changes committed before it started. With synchronous_commit
 * = off (a common setting for bulk loads, and the test server's) a COMMIT returns before its record
 * is written: the run took the write position for "now", and ended before the transaction its user
 * had just seen committed, which came only with the next run.
 */
const { schema, q } = await pgSandbox();
const dir = await tempDir('caudal-cdc-plain-');
const tag = `cdcplain_${randomUUID().slice(0, 8)}`;
dropReplicationAfterFile(tag);
const config = pgConnection().db!.config as PostgresConfig;
const control = { watch: false, stopping: () => false, isCancelled: () => false };

describe('a plain change-capture run: where it ends, and how it leaves the slot', () => {
  it('reads every transaction committed before the run, also one whose commit record is not written yet', { timeout: 60_000 }, async () => {
    await q(`CREATE TABLE lazy (id int PRIMARY KEY, v text)`);
    const spec = { table: { schema, name: 'lazy' }, slot: `${tag}_slot`, publication: `${tag}_slot`, create: true, owner: { pipeline: tag, node: 'chg' }, maxRows: 1_000, maxWaitMs: 200, spillDir: dir };
    await ensureReplication(config, spec, 'chg');
    for (let round = 1; round <= 5; round++) {
      const session = await CdcSession.open(config, spec);
      try {
        await q(`BEGIN; SET LOCAL synchronous_commit = off; INSERT INTO lazy VALUES (${round}, 'round ${round}'); COMMIT`);
        const { changes } = await session.read(config, control, ['id', 'v']);
        expect(changes.map((c) => (c as Change).values)).toEqual([{ id: String(round), v: `round ${round}` }]);
        await session.acknowledge();
      } finally {
        await session.close();
      }
    }
  });

  it('ends on an idle server whose last WAL records are not flushed yet (an open transaction wrote them), rather than waiting for them', { timeout: 60_000 }, async () => {
    // A server of its own: on the shared one, other files' commits flush the WAL all the time.
    const idle = await privateCluster({ synchronous_commit: 'off' });
    const own = { ...idle.connection.db!.config, ssl: 'disable', connect_timeout_s: 10 } as PostgresConfig;
    await idle.psql(`CREATE TABLE quiet (id int PRIMARY KEY, v text); CREATE TABLE elsewhere (id int)`);
    const spec = { table: { schema: 'public', name: 'quiet' }, slot: `${tag}_idle`, publication: `${tag}_idle`, create: true, owner: { pipeline: tag, node: 'chg' }, maxRows: 1_000, maxWaitMs: 200, spillDir: dir };
    await ensureReplication(own, spec, 'chg');
    const session = await CdcSession.open(own, spec);
    const open = new pg.Client({ host: own.host, port: own.port, user: own.user, database: own.database });
    await open.connect();
    afterFile(() => open.end());
    try {
      await idle.psql(`INSERT INTO quiet VALUES (1, 'committed')`);
      // Written after the last commit and never committed: the WAL writer has no reason to flush it.
      await open.query('BEGIN');
      await open.query('INSERT INTO elsewhere SELECT generate_series(1, 10)');
      const t0 = Date.now();
      const read = session.read(own, control, ['id', 'v']);
      const late = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the read still waits after 20 s')), 20_000).unref());
      const { changes } = await Promise.race([read, late]);
      expect(changes.map((c) => (c as Change).values)).toEqual([{ id: '1', v: 'committed' }]);
      expect(Date.now() - t0).toBeLessThan(10_000);
    } finally {
      await open.query('ROLLBACK').catch(() => undefined);
      await session.close();
    }
  });

  it('lets go of the slot before it is closed: the next run, or an administrator dropping the slot, finds it free', { timeout: 60_000 }, async () => {
    await q(`CREATE TABLE released (id int PRIMARY KEY)`);
    const spec = { table: { schema, name: 'released' }, slot: `${tag}_released`, publication: `${tag}_released`, create: true, owner: { pipeline: tag, node: 'chg' }, maxRows: 1_000, maxWaitMs: 200, spillDir: dir };
    await ensureReplication(config, spec, 'chg');
    const active: Array<number | null> = [];
    for (let round = 0; round < 5; round++) {
      const session = await CdcSession.open(config, spec);
      await session.read(config, control, ['id']);
      await session.close();
      active.push((await q<{ pid: number | null }>(`SELECT active_pid AS pid FROM pg_replication_slots WHERE slot_name = $1`, [spec.slot]))[0]!.pid);
    }
    expect(active).toEqual([null, null, null, null, null]);
  });

  it('takes the end of the last record for the WAL end, where the insert position already points past the next page header', () => {
    const page = 8192n;
    const segment = 16n * 1024n * 1024n;
    expect(walEnd(5n * page + 24n, page, segment)).toBe(5n * page);
    expect(walEnd(3n * segment + 40n, page, segment)).toBe(3n * segment);
    expect(walEnd(5n * page + 200n, page, segment)).toBe(5n * page + 200n);
  });
});
