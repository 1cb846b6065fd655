import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SPILL_AT } from '../core/src/connectors/postgres/cdc-spill.js';
import { runPipeline } from '../core/src/engine/engine.js';
import type { RunEvent } from '../core/src/engine/protocol.js';
import { pipeline, tempDir } from './support/pipeline.js';
import { dropReplicationAfterFile, pgConnection, pgSandbox } from './support/postgres.js';

/**
 * A transaction of more changes than fit comfortably in memory (a bulk UPDATE of millions of rows)
 * is kept on disk while it arrives, and delivered whole, in order, like any other: before, it was
 * held in memory until the engine worker ran out of it, at the same place on every run.
 */
const { schema, q } = await pgSandbox();
const dir = await tempDir('caudal-cdc-large-');
const tag = `cdcbig_${randomUUID().slice(0, 8)}`;
dropReplicationAfterFile(tag);

describe('a transaction larger than the change capture holds in memory', () => {
  it('is kept on disk while it arrives, then delivered whole and in order, with the transactions around it', { timeout: 120_000 }, async () => {
    // Twice the threshold, to keep the file quick: a transaction of 1,000,000 changes takes about 30 s here.
    const big = SPILL_AT * 2 + 123;
    await q(`CREATE TABLE big (id int PRIMARY KEY, tags text[], note text)`);
    const d = pipeline(
      [
        // Batches of 1,000: a transaction larger than that is still taken whole.
        { id: 'chg', type: 'source.postgres_cdc', params: { connection: 'db', schema, table: 'big', slot: `${tag}_slot`, snapshot: false, max_rows: 1_000, max_wait_ms: 200 } },
        { id: 'log', type: 'sink.postgres', params: { connection: 'db', schema, table: 'big_log', mode: 'append' } },
      ],
      ['chg -> log'],
      { name: `${tag} big`, connections: { db: { type: 'postgres' } } },
    );
    const run = async () => {
      const logs: string[] = [];
      const summary = await runPipeline({ pipeline: d, baseDir: dir, connections: pgConnection(), stateDir: path.join(dir, 'state'), onEvent: (e: RunEvent) => void (e.type === 'log' && logs.push(e.message)) });
      expect(summary.error).toBeUndefined();
      return logs;
    };
    await run();
    await q(`INSERT INTO big VALUES (0, '{before}', 'small transaction before')`);
    await q(`INSERT INTO big SELECT g, ARRAY['a "quoted" tag', 'n' || g], repeat('x', 40) FROM generate_series(1, ${big}) g`);
    await q(`UPDATE big SET note = 'after' WHERE id = 7`);

    const logs = await run();
    const rows = await q<{ n: number; first: number; last: number; seqs: number; ids: number; quoted: number }>(
      `SELECT count(*)::int AS n, min(_seq)::int AS first, max(_seq)::int AS last, count(DISTINCT _seq)::int AS seqs, count(DISTINCT id)::int AS ids,
              count(*) FILTER (WHERE tags[1] = 'a "quoted" tag' AND tags[2] = 'n' || id)::int AS quoted FROM big_log WHERE _op = 'insert' AND id > 0`,
    );
    expect(rows).toEqual([{ n: big, first: 1, last: big, seqs: big, ids: big, quoted: big }]);
    expect(logs).toContain(`a transaction of ${big} changes, kept on disk while it arrived`);
    expect(await q(`SELECT id, _op, note, _seq::int AS _seq FROM big_log WHERE id = 0`)).toEqual([{ id: 0, _op: 'insert', note: 'small transaction before', _seq: 0 }]);
    // The batch ended with the large transaction (1,000 changes were reached); the next run goes on after it.
    expect(await q(`SELECT count(*)::int AS n FROM big_log WHERE _op = 'update'`)).toEqual([{ n: 0 }]);
    await run();
    expect(await q(`SELECT id, _op, note, _seq::int AS _seq FROM big_log WHERE _op = 'update'`)).toEqual([{ id: 7, _op: 'update', note: 'after', _seq: 0 }]);
  });
});
