import { randomUUID } from 'node:crypto';
import { cp, mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringLiteral } from '../core/src/compiler/sql.js';
import { pgIdent } from '../core/src/connectors/postgres/sql.js';
import { runPipeline } from '../core/src/engine/engine.js';
import type { RunSummary } from '../core/src/engine/protocol.js';
import { pipeline, tempDir } from './support/pipeline.js';
import { dropReplicationAfterFile, PG, pgConnection, pgSandbox } from './support/postgres.js';

/**
 * Two copies of one change-capture pipeline — the same name and node in two folders, each with its
 * own state — get the same default slot. Reading one slot, each would acknowledge changes the other
 * never saw, and both targets would silently miss rows. The copy that did not make the slot is
 * refused before it reads anything; a copy whose state was copied with it is caught at the next run
 * of the other; a folder moved with its state, or a first run that failed, is still the same copy.
 */
const { schema, q } = await pgSandbox();
const root = await tempDir('caudal-cdc-copies-');
const tag = `cdccopy_${randomUUID().slice(0, 8)}`;
dropReplicationAfterFile(tag);

/** changes of `table` appended to `target` (a table per copy, so each copy's rows can be told apart). */
function doc(name: string, table: string, target: string) {
  return pipeline(
    [
      { id: 'chg', type: 'source.postgres_cdc', params: { connection: 'db', schema, table, max_rows: 5_000, max_wait_ms: 200 } },
      { id: 'log', type: 'sink.postgres', params: { connection: 'db', schema, table: target, mode: 'append' } },
    ],
    ['chg -> log'],
    { name, connections: { db: { type: 'postgres' } } },
  );
}

/** A run of `d` from the folder `baseDir`, with the state where a user's runs keep it (`<folder>/.caudal/state`). */
const runIn = (baseDir: string, d: ReturnType<typeof doc>) => runPipeline({ pipeline: d, baseDir, connections: pgConnection() });
const failure = (s: RunSummary) => `${s.error?.message ?? ''}\n${s.error?.hint ?? ''}`.replaceAll(PG.password, '***');
const ids = async (target: string) => (await q<{ id: number }>(`SELECT id FROM ${target} ORDER BY id, _seq`)).map((r) => r.id);
const folder = async (name: string) => {
  const d = path.join(root, name);
  await mkdir(d, { recursive: true });
  return d;
};

describe('two copies of a change-capture pipeline', () => {
  it('a copy in another folder is refused before it reads, and the first copy loses nothing', async () => {
    await q(`CREATE TABLE t1 (id int PRIMARY KEY)`);
    await q(`INSERT INTO t1 VALUES (1)`);
    const [a, b] = [await folder('a1'), await folder('b1')];
    const name = `${tag} orders`;
    expect(failure(await runIn(a, doc(name, 't1', 'log_a1')))).toBe('\n');
    await q(`INSERT INTO t1 VALUES (2)`);
    const refused = await runIn(b, doc(name, 't1', 'log_b1'));
    expect(refused.status).toBe('failed');
    expect(refused.error?.kind).toBe('validation');
    expect(failure(refused)).toMatch(/^node 'chg': publication '\S+_orders_chg_[0-9a-f]{12}' is used by another copy of pipeline '[^']+ orders' \(the same pipeline name and node, with its state in another folder/);
    expect(failure(refused)).toContain(`give this copy its own slot and publication`);
    expect(failure(refused)).toContain(path.join(b, '.caudal', 'state').replaceAll(PG.password, '***'));
    // Nothing read, nothing written, nothing acknowledged: the first copy gets the change.
    expect((await q(`SELECT to_regclass($1) AS t`, [`${schema}.log_b1`]))[0]).toEqual({ t: null });
    expect(failure(await runIn(a, doc(name, 't1', 'log_a1')))).toBe('\n');
    expect(await ids('log_a1')).toEqual([1, 2]);

    // The pipeline moves to b for good: the SQL the refusal gives lets b take over where a stopped
    // (a snapshot first, as b has no state), and a is refused from then on.
    const takeOver = /let this one take over where it stopped: (COMMENT ON PUBLICATION .+); then run again/.exec(failure(refused))?.[1];
    expect(takeOver).toBeDefined();
    // The messages mask the test server's password, which is also the mark's first word.
    await q(takeOver!.replaceAll('***', PG.password));
    await q(`INSERT INTO t1 VALUES (3)`);
    expect(failure(await runIn(b, doc(name, 't1', 'log_b1')))).toBe('\n');
    expect(await q(`SELECT id, _op FROM log_b1 ORDER BY _op, id`)).toEqual([
      { id: 3, _op: 'insert' },
      { id: 1, _op: 'snapshot' },
      { id: 2, _op: 'snapshot' },
      { id: 3, _op: 'snapshot' },
    ]);
    expect(failure(await runIn(a, doc(name, 't1', 'log_a1')))).toContain('is used by another copy');
    expect(await ids('log_a1')).toEqual([1, 2]);
  });

  it('a copy whose state was copied with it is caught at the next run of the other, naming both positions', async () => {
    await q(`CREATE TABLE t2 (id int PRIMARY KEY)`);
    const a = await folder('a2');
    const name = `${tag} copied`;
    expect(failure(await runIn(a, doc(name, 't2', 'log_a2')))).toBe('\n');
    await q(`INSERT INTO t2 VALUES (1)`);
    expect(failure(await runIn(a, doc(name, 't2', 'log_a2')))).toBe('\n');
    // `cp -r a b`: the copy carries the copy id, and reads the next change before the original does.
    const b = path.join(root, 'b2');
    await cp(a, b, { recursive: true });
    await q(`INSERT INTO t2 VALUES (2)`);
    expect(failure(await runIn(b, doc(name, 't2', 'log_b2')))).toBe('\n');
    expect(await ids('log_b2')).toEqual([2]);
    const caught = await runIn(a, doc(name, 't2', 'log_a2'));
    expect(caught.status).toBe('failed');
    expect(failure(caught)).toMatch(/^node 'chg': replication slot '\S+' was acknowledged up to [0-9A-F]+\/[0-9A-F]+ by another reader since this pipeline's last run, which acknowledged up to [0-9A-F]+\/[0-9A-F]+: the changes in between went to that reader/);
    expect(failure(caught)).toContain('drop the slot and the publication');
    // Found while running, not in the pipeline: a failed run (exit 1), not an invalid one (2).
    expect(caught.error?.kind).toBe('execution');
    // Refused before it read: the original's target is as it was.
    expect(await ids('log_a2')).toEqual([1]);
  });

  it('a folder moved with its state, and a first run that failed, stay the same copy', async () => {
    await q(`CREATE TABLE t3 (id int PRIMARY KEY)`);
    await q(`INSERT INTO t3 VALUES (1)`);
    // The first run fails after the slot is made: its target has a column of the wrong type.
    await q(`CREATE TABLE log_a3 (id int, _op int)`);
    const a = await folder('a3');
    const name = `${tag} moved`;
    const first = await runIn(a, doc(name, 't3', 'log_a3'));
    expect(first.status).toBe('failed');
    expect(failure(first)).not.toContain('another copy');
    await q(`DROP TABLE log_a3`);
    expect(failure(await runIn(a, doc(name, 't3', 'log_a3')))).toBe('\n');
    expect(await ids('log_a3')).toEqual([1]);
    // Renamed folder, state inside it: no refusal, no second snapshot, the change arrives once.
    const moved = path.join(root, 'a3-moved');
    await rename(a, moved);
    await q(`INSERT INTO t3 VALUES (2)`);
    expect(failure(await runIn(moved, doc(name, 't3', 'log_a3')))).toBe('\n');
    expect(await ids('log_a3')).toEqual([1, 2]);
  });

  it('a publication marked by an earlier version (no copy id) is claimed by the first copy that runs', async () => {
    await q(`CREATE TABLE t4 (id int PRIMARY KEY)`);
    const [a, b] = [await folder('a4'), await folder('b4')];
    const name = `${tag} legacy`;
    expect(failure(await runIn(a, doc(name, 't4', 'log_a4')))).toBe('\n');
    // As an earlier version left it: the mark names pipeline, node and slot only.
    const [pub] = await q<{ pubname: string; comment: string }>(`SELECT pubname, obj_description(oid, 'pg_publication') AS comment FROM pg_publication WHERE pubname LIKE $1`, [`%${tag}_legacy%`]);
    const mark = JSON.parse(pub!.comment.slice('caudal change capture '.length)) as Record<string, unknown>;
    expect(mark.copy).toMatch(/^[0-9a-f]{16}$/);
    delete mark.copy;
    await q(`COMMENT ON PUBLICATION ${pgIdent(pub!.pubname)} IS ${stringLiteral(`caudal change capture ${JSON.stringify(mark)}`)}`);
    await q(`INSERT INTO t4 VALUES (1)`);
    expect(failure(await runIn(a, doc(name, 't4', 'log_a4')))).toBe('\n');
    expect(await ids('log_a4')).toEqual([1]);
    const [again] = await q<{ comment: string }>(`SELECT obj_description(oid, 'pg_publication') AS comment FROM pg_publication WHERE pubname = $1`, [pub!.pubname]);
    expect(JSON.parse(again!.comment.slice('caudal change capture '.length))).toEqual({ ...mark, copy: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(failure(await runIn(b, doc(name, 't4', 'log_b4')))).toContain('is used by another copy');
  });
});
