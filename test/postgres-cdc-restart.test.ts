import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runPipeline } from '../core/src/engine/engine.js';
import type { RunEvent, RunSummary } from '../core/src/engine/protocol.js';
import { listStates } from '../core/src/engine/state.js';
import { pipeline, tempDir } from './support/pipeline.js';
import { dropReplicationAfterFile, PG, pgConnection, pgSandbox } from './support/postgres.js';

/**
 * Where a change capture goes on from after its slot was made again or a run did not finish:
 * - a slot dropped to start over (what the TOAST, TRUNCATE and column errors tell users to do) is
 *   created again with a snapshot, and the state then holds the new slot's position, so later runs
 *   are not taken for "another reader" of it;
 * - a run that created the slot and then failed or was killed moves no state, and the next run
 *   starts from that slot as from a new one (its snapshot included);
 * - a run killed after its sinks committed, whose state recovery saved, is not read again;
 * - a publication dropped under a slot stops the capture with the way to start over.
 * In-process from the sources; a run "killed" is one whose engine worker dies (CAUDAL_FAILPOINT=crash:<point>).
 */
const { schema, q } = await pgSandbox();
const dir = await tempDir('caudal-cdc-restart-');
const tag = `cdcrestart_${randomUUID().slice(0, 8)}`;
dropReplicationAfterFile(tag);

afterEach(() => {
  delete process.env.CAUDAL_FAILPOINT;
});

/** changes of `table` appended to `target`, through the slot `<tag>_<table>`. */
function doc(table: string, target: string) {
  return pipeline(
    [
      { id: 'chg', type: 'source.postgres_cdc', params: { connection: 'db', schema, table, slot: `${tag}_${table}`, max_rows: 50_000, max_wait_ms: 200 } },
      { id: 'log', type: 'sink.postgres', params: { connection: 'db', schema, table: target, mode: 'append' } },
    ],
    ['chg -> log'],
    { name: `${tag} ${table}`, connections: { db: { type: 'postgres' } } },
  );
}

const stateDir = path.join(dir, 'state');

async function run(d: ReturnType<typeof doc>, failpoint?: string): Promise<{ summary: RunSummary; warnings: string[]; crash?: Error }> {
  const warnings: string[] = [];
  if (failpoint) process.env.CAUDAL_FAILPOINT = failpoint;
  try {
    const summary = await runPipeline({ pipeline: d, baseDir: dir, connections: pgConnection(), stateDir, onEvent: (e: RunEvent) => void (e.type === 'warning' && warnings.push(e.message)) });
    return { summary, warnings };
  } catch (e) {
    return { summary: undefined as never, warnings, crash: e as Error };
  } finally {
    delete process.env.CAUDAL_FAILPOINT;
  }
}

const failure = (s: RunSummary) => `${s.error?.message ?? ''}\n${s.error?.hint ?? ''}`.replaceAll(PG.password, '***');
const ok = async (d: ReturnType<typeof doc>) => {
  const r = await run(d);
  expect(r.crash).toBeUndefined();
  expect(failure(r.summary)).toBe('\n');
  return r;
};
const slotPosition = async (table: string) => (await q<{ lsn: string }>(`SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1`, [`${tag}_${table}`]))[0]?.lsn;
const acknowledgedInState = async (table: string) => (await listStates(stateDir, `${tag} ${table}`, 'chg'))[0]?.state.acknowledged_lsn;
const logged = async (target: string) => q<{ id: number; op: string }>(`SELECT id, _op AS op FROM ${target} ORDER BY _lsn NULLS FIRST, _seq`);
const dropSlot = (table: string) => q(`SELECT pg_drop_replication_slot($1)`, [`${tag}_${table}`]);

describe('change capture after its slot was made again', () => {
  it('a slot dropped to start over is created again with a snapshot, and the next runs go on from it', async () => {
    await q(`CREATE TABLE redo (id int PRIMARY KEY, v text)`);
    await q(`INSERT INTO redo VALUES (1, 'a')`);
    const d = doc('redo', 'redo_log');
    await ok(d);
    await q(`INSERT INTO redo VALUES (2, 'b')`);
    await ok(d);

    // "Start over": the slot goes, the next run makes it again and reads the table first.
    await dropSlot('redo');
    await q(`TRUNCATE redo_log`);
    const again = await ok(d);
    expect(again.warnings.join('\n')).toContain(`replication slot '${tag}_redo' was missing and has been created again`);
    expect(await logged('redo_log')).toEqual([
      { id: 1, op: 'snapshot' },
      { id: 2, op: 'snapshot' },
    ]);
    // The state holds where the new slot stands, not where the dropped one stood.
    expect(await acknowledgedInState('redo')).toBe(await slotPosition('redo'));

    // Before, every later run was refused as "acknowledged … by another reader".
    await q(`INSERT INTO redo VALUES (3, 'c')`);
    await ok(d);
    await ok(d);
    expect((await logged('redo_log')).slice(2)).toEqual([{ id: 3, op: 'insert' }]);
    expect(await acknowledgedInState('redo')).toBe(await slotPosition('redo'));
  });

  it('a run that created the slot and then failed, or was killed, moves no state; the next run starts from that slot as from a new one', { timeout: 60_000 }, async () => {
    await q(`CREATE TABLE fail (id int PRIMARY KEY, v text)`);
    await q(`INSERT INTO fail VALUES (1, 'a')`);
    const d = doc('fail', 'fail_log');
    await ok(d);
    await q(`INSERT INTO fail VALUES (2, 'b')`);
    await ok(d);
    const saved = await acknowledgedInState('fail');

    await dropSlot('fail');
    await q(`TRUNCATE fail_log`);
    // The run makes the slot, then its sink fails: the target's _op column cannot take text.
    await q(`ALTER TABLE fail_log ALTER COLUMN _op TYPE int USING NULL`);
    const failed = await run(d);
    expect(failed.summary.status).toBe('failed');
    expect(await slotPosition('fail')).toBeDefined();
    expect(await acknowledgedInState('fail')).toBe(saved);
    await q(`ALTER TABLE fail_log ALTER COLUMN _op TYPE text`);

    // Killed before its commit: the same.
    const killed = await run(d, 'crash:after-stage');
    expect(killed.crash?.message).toMatch(/^engine worker crashed: failpoint crash:after-stage/);
    expect(await acknowledgedInState('fail')).toBe(saved);

    // Not refused as another reader, and the snapshot the failed runs took is taken again.
    await q(`INSERT INTO fail VALUES (3, 'c')`);
    await ok(d);
    const rows = await logged('fail_log');
    expect(rows.filter((r) => r.op === 'snapshot').map((r) => r.id)).toEqual([1, 2, 3]);
    // Row 3 also came as a change (made after the slot, before the snapshot): harmless for a mirror.
    expect(rows.filter((r) => r.op !== 'snapshot')).toEqual([{ id: 3, op: 'insert' }]);
    await q(`INSERT INTO fail VALUES (4, 'd')`);
    await ok(d);
    expect((await logged('fail_log')).slice(rows.length)).toEqual([{ id: 4, op: 'insert' }]);
  });
});

describe('change capture after its publication was dropped', () => {
  it('stops saying so and how to start over (the slot cannot read past the drop); starting over works', { timeout: 60_000 }, async () => {
    await q(`CREATE TABLE pub (id int PRIMARY KEY)`);
    await q(`INSERT INTO pub VALUES (1)`);
    const d = doc('pub', 'pub_log');
    await ok(d);
    await q(`DROP PUBLICATION ${tag}_pub`);
    await q(`INSERT INTO pub VALUES (2)`);
    // The run makes the publication again, but the slot's changes predate it: before, a bare server error.
    const failed = await run(d);
    expect(failure(failed.summary)).toContain(`publication '${tag}_pub' was dropped (and perhaps created again) after the slot's position`);
    expect(failure(failed.summary)).toContain(`drop the slot (SELECT pg_drop_replication_slot('${tag}_pub')) and run again`);
    await dropSlot('pub');
    await q(`TRUNCATE pub_log`);
    await ok(d);
    await q(`INSERT INTO pub VALUES (3)`);
    await ok(d);
    expect(await logged('pub_log')).toEqual([
      { id: 1, op: 'snapshot' },
      { id: 2, op: 'snapshot' },
      { id: 3, op: 'insert' },
    ]);
  });
});

describe('change capture after a run killed once its sinks committed', () => {
  it('delivers none of that run\'s changes again: recovery saved its position, the next run starts there', { timeout: 60_000 }, async () => {
    await q(`CREATE TABLE dup (id int PRIMARY KEY, v text)`);
    const d = doc('dup', 'dup_log');
    await ok(d);
    await q(`INSERT INTO dup SELECT g, 'x' FROM generate_series(1, 3000) g`);
    const before = await slotPosition('dup');
    // Killed after the commit decision: recovery rolls the commit forward and saves the state,
    // but the dead run never acknowledged the slot.
    const killed = await run(d, 'crash:after-decision');
    expect(killed.crash?.message).toMatch(/rolled forward/);
    expect(await slotPosition('dup')).toBe(before);
    expect((await q<{ n: number }>(`SELECT count(*)::int AS n FROM dup_log`))[0]!.n).toBe(3000);

    await q(`INSERT INTO dup VALUES (3001, 'y')`);
    await ok(d);
    const counts = await q<{ n: number; ids: number }>(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids FROM dup_log`);
    expect(counts).toEqual([{ n: 3001, ids: 3001 }]);
    // And the slot caught up with the state.
    expect(await slotPosition('dup')).toBe(await acknowledgedInState('dup'));
  });
});

describe('a change capture that stops for what the data did', () => {
  it('fails as a run (exit 1), not as an invalid pipeline (exit 2)', async () => {
    await q(`CREATE TABLE cut (id int PRIMARY KEY)`);
    const d = doc('cut', 'cut_log');
    await ok(d);
    await q(`TRUNCATE cut`);
    const failed = await run(d);
    expect(failure(failed.summary)).toContain('was truncated');
    expect(failed.summary.error?.kind).toBe('execution');
  });
});
