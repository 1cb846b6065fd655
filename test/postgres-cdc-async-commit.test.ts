import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CdcSession, ensureReplication, walEnd, type Change } from '../core/src/connectors/postgres/cdc.js';
import type { PostgresConfig } from '../core/src/connections/postgres/postgres.connection.js';
import { tempDir } from './support/pipeline.js';
import { dropReplicationAfterFile, pgConnection, pgSandbox } from './support/postgres.js';

/**
 * A plain (not --watch) run reads the changes committed before it started. With synchronous_commit
 * = off (a common setting for bulk loads, and the test server's) a COMMIT returns before its record
 * is written: the run took the write position for "now", and ended before the transaction its user
 * had just seen committed, which came only with the next run.
 */
const { schema, q } = await pgSandbox();
const dir = await tempDir('caudal-cdc-async-');
const tag = `cdcasync_${randomUUID().slice(0, 8)}`;
dropReplicationAfterFile(tag);
const config = pgConnection().db!.config as PostgresConfig;
const control = { watch: false, stopping: () => false, isCancelled: () => false };

describe('change capture after asynchronous commits', () => {
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

  it('takes the end of the last record for the WAL end, where the insert position already points past the next page header', () => {
    const page = 8192n;
    const segment = 16n * 1024n * 1024n;
    expect(walEnd(5n * page + 24n, page, segment)).toBe(5n * page);
    expect(walEnd(3n * segment + 40n, page, segment)).toBe(3n * segment);
    expect(walEnd(5n * page + 200n, page, segment)).toBe(5n * page + 200n);
  });
});
