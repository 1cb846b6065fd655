import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPipeline } from '../core/src/engine/engine.js';
import type { RunEvent } from '../core/src/engine/protocol.js';
import { pipeline, tempDir } from './support/pipeline.js';
import { privateCluster } from './support/pg-private-cluster.js';

/**
 * A replication slot the server invalidated (it held back more WAL than max_slot_wal_keep_size
 * allows, as when a pipeline stops running for long) is named as such before anything is read,
 * with what to do; before, the run failed with the server's bare "cannot read from logical
 * replication slot". A slot close to that limit is warned about. On a cluster of the file's own:
 * a small max_slot_wal_keep_size on the shared server would invalidate other files' slots.
 */
const cluster = await privateCluster({ max_slot_wal_keep_size: "'16MB'" });
const dir = await tempDir('caudal-cdc-lost-');

describe('a replication slot the server invalidated', () => {
  it('is refused before the run reads, saying why and what to do; doing it captures the table again', { timeout: 120_000 }, async () => {
    await cluster.psql('CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, \'a\')');
    const d = pipeline(
      [
        { id: 'chg', type: 'source.postgres_cdc', params: { connection: 'db', schema: 'public', table: 't', slot: 'lost_slot' } },
        { id: 'out', type: 'sink.csv', params: { path: 'out.csv', if_exists: 'overwrite' } },
      ],
      ['chg -> out'],
      { name: 'lost', connections: { db: { type: 'postgres' } } },
    );
    const run = async () => {
      const warnings: string[] = [];
      const summary = await runPipeline({ pipeline: d, baseDir: dir, connections: cluster.connection, stateDir: path.join(dir, 'state'), onEvent: (e: RunEvent) => void (e.type === 'warning' && warnings.push(e.message)) });
      return { summary, warnings };
    };
    expect((await run()).summary.error).toBeUndefined();
    const status = () => cluster.psql("SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'lost_slot'");

    // More WAL than the limit, not yet removed by a checkpoint: the run warns, and reads the changes.
    const fill = (from: number) => cluster.psql(`INSERT INTO t SELECT g, repeat('x', 200) FROM generate_series(${from}, ${from + 99_999}) g; SELECT pg_switch_wal()`);
    await fill(2);
    await fill(100_002);
    expect(await status()).toBe('unreserved');
    const warned = await run();
    expect(warned.summary.error).toBeUndefined();
    expect(warned.warnings.join('\n')).toContain("replication slot 'lost_slot' holds back more WAL than the server's max_slot_wal_keep_size allows");

    // Then nobody runs it for a while, and a checkpoint removes what it held back.
    await fill(200_002);
    await fill(300_002);
    await cluster.psql('CHECKPOINT');
    expect(await status()).toBe('lost');
    const { summary } = await run();
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toBe(
      "node 'chg': replication slot 'lost_slot' was invalidated by the server: it held back more WAL than max_slot_wal_keep_size allows (the pipeline did not run for a long time?), and the changes made since its position are gone",
    );
    expect(summary.error?.hint).toContain("drop the slot (SELECT pg_drop_replication_slot('lost_slot')) and run again: a new slot starts with a snapshot of the table");

    // The way out the hint gives: the new slot starts with a snapshot of every row.
    await cluster.psql("SELECT pg_drop_replication_slot('lost_slot')");
    const again = await run();
    expect(again.summary.error).toBeUndefined();
    expect(again.summary.outputs[0]?.rows).toBe(400_001);
  });
});
