import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPipeline, startRun } from '../core/src/engine/engine.js';
import type { ResolvedConnection } from '../core/src/nodes/define.js';
import { cleanUp } from '../core/src/engine/commit/clean.js';
import { listJournals } from '../core/src/engine/commit/journal.js';
import { afterFile } from './support/cleanup.js';
import { pipeline, tempDir } from './support/pipeline.js';
import { PG, pgSandbox, preparedTransactionsIn } from './support/postgres.js';
import { queryIs, queryStarts, tcpCutProxy } from './support/tcp-cut-proxy.js';

const connections = { db: { type: 'postgres' } };

/**
 * sink.postgres behind a TCP proxy that cuts or freezes its connection at chosen statements: the
 * answer to COMMIT lost, PREPARE TRANSACTION done but unanswered, a server that stops answering.
 */
describe('sink.postgres under a failing connection', async () => {
  const { client, schema, q } = await pgSandbox();
  const dir = await tempDir();
  // Whatever a failing test leaves prepared is ended before the schema is dropped (it would wait on its locks).
  afterFile(async () => {
    for (const gid of await preparedTransactionsIn(client, schema)) await client.query(`ROLLBACK PREPARED '${gid.replace(/'/g, "''")}'`);
  });
  const proxy = await tcpCutProxy(PG);
  const viaProxy = (): Record<string, ResolvedConnection> => ({ db: { name: 'db', type: 'postgres', config: { ...PG, port: proxy.port, ssl: 'disable', connect_timeout_s: 3 } } });
  await writeFile(path.join(dir, 'in.csv'), 'id,name\n1,a\n2,b\n');
  const sink = (id: string, table: string, extra: Record<string, unknown> = {}) => ({ id, type: 'sink.postgres', params: { connection: 'db', schema, table, ...extra } });
  const doc = (sinks: ReturnType<typeof sink>[]) =>
    pipeline([{ id: 'src', type: 'source.csv', params: { path: 'in.csv' } }, ...sinks], sinks.map((s) => `src -> ${s.id}`), { connections });
  const run = (d: ReturnType<typeof doc>) => runPipeline({ pipeline: d, baseDir: dir, connections: viaProxy() });
  const rows = (table: string) => q(`SELECT * FROM "${table}" ORDER BY id`);
  const loaded = [
    { id: '1', name: 'a' },
    { id: '2', name: 'b' },
  ];

  it('a COMMIT whose answer is lost, but which the server did, is a succeeded run (not a failure that invites a second load)', async () => {
    await q(`CREATE TABLE lost_commit_answer (id bigint, name text)`);
    proxy.arm({ trigger: queryIs('COMMIT'), action: 'cut-after-answer' });
    const s = await run(doc([sink('dst', 'lost_commit_answer')]));
    expect(proxy.fired()).toBe(true);
    expect(s.error).toBeUndefined();
    expect(s.status).toBe('succeeded');
    expect(await rows('lost_commit_answer')).toEqual(loaded);
  });

  it('a COMMIT cut before the server got it fails the run, and the table is as it was', async () => {
    await q(`CREATE TABLE cut_commit (id bigint, name text)`);
    proxy.arm({ trigger: queryIs('COMMIT'), action: 'cut-before' });
    const s = await run(doc([sink('dst', 'cut_commit')]));
    expect(proxy.fired()).toBe(true);
    expect(s.status).toBe('failed');
    expect(s.error!.message).toMatch(/node 'dst' \(connection 'db'\)/);
    expect(await rows('cut_commit')).toEqual([]);
  });

  it('a PREPARE TRANSACTION that the server did but whose answer is lost leaves no prepared transaction (nor its locks) behind', async () => {
    await q(`CREATE TABLE lost_prepare_a (id bigint, name text)`);
    await q(`CREATE TABLE lost_prepare_b (id bigint, name text)`);
    await q(`INSERT INTO lost_prepare_a VALUES (0, 'before')`);
    proxy.arm({ trigger: queryStarts('PREPARE TRANSACTION'), action: 'cut-after-answer' });
    const s = await run(doc([sink('dst', 'lost_prepare_a', { mode: 'truncate_insert' }), sink('dst2', 'lost_prepare_b')]));
    expect(proxy.fired()).toBe(true);
    expect(s.status).toBe('failed');
    expect(await preparedTransactionsIn(client, schema)).toEqual([]);
    // truncate_insert's ACCESS EXCLUSIVE lock would make this wait for ever behind a prepared transaction.
    await q(`SET statement_timeout = '5s'`);
    try {
      expect(await rows('lost_prepare_a')).toEqual([{ id: '0', name: 'before' }]);
      expect(await rows('lost_prepare_b')).toEqual([]);
    } finally {
      await q(`SET statement_timeout = 0`);
    }
  });

  it('a prepared transaction that cannot be rolled back (the server is unreachable) is named in the error, with how to end it', async () => {
    await q(`CREATE TABLE unreachable_a (id bigint, name text)`);
    await q(`CREATE TABLE unreachable_b (id bigint, name text)`);
    proxy.arm({ trigger: queryStarts('PREPARE TRANSACTION'), action: 'cut-after-answer', thereafter: 'refuse' });
    const s = await run(doc([sink('dst', 'unreachable_a'), sink('dst2', 'unreachable_b')]));
    expect(proxy.fired()).toBe(true);
    expect(s.status).toBe('failed');
    const [left] = await preparedTransactionsIn(client, schema);
    expect(left).toMatch(/^caudal:.*:dst$/);
    // (The test server's password is "caudal": messages show it as *** wherever it appears.)
    const shown = left!.replace(PG.password, '***');
    expect(s.error!.message).toContain(`node 'dst' (connection 'db'): the connection to the server was lost: Connection terminated unexpectedly; the prepared transaction ${shown} on postgres@127.0.0.1:${proxy.port}/${PG.database} may still be there, holding its locks on the table`);
    expect(s.error!.hint).toContain(`ROLLBACK PREPARED '${shown}'`);
    await client.query(`ROLLBACK PREPARED '${left}'`);
  });

  it('a COMMIT PREPARED whose answer is lost is a succeeded run with both tables loaded', async () => {
    await q(`CREATE TABLE lost_cp_a (id bigint, name text)`);
    await q(`CREATE TABLE lost_cp_b (id bigint, name text)`);
    proxy.arm({ trigger: queryStarts('COMMIT PREPARED'), action: 'cut-after-answer' });
    const s = await run(doc([sink('dst', 'lost_cp_a'), sink('dst2', 'lost_cp_b')]));
    expect(proxy.fired()).toBe(true);
    expect(s.error).toBeUndefined();
    expect(await rows('lost_cp_a')).toEqual(loaded);
    expect(await rows('lost_cp_b')).toEqual(loaded);
    expect(await preparedTransactionsIn(client, schema)).toEqual([]);
  });

  it('a COMMIT PREPARED whose answer is lost, with the server unreachable afterwards, is not undone: the other load commits, and caudal clean completes this one', async () => {
    await q(`CREATE TABLE unknown_a (id bigint, name text)`);
    await q(`CREATE TABLE unknown_b (id bigint, name text)`);
    proxy.arm({ trigger: queryStarts('COMMIT PREPARED'), action: 'cut-after-answer', thereafter: 'refuse' });
    const s = await run(doc([sink('dst', 'unknown_a'), sink('dst2', 'unknown_b')]));
    expect(proxy.fired()).toBe(true);
    expect(s.status).toBe('failed');
    expect(s.error!.message).toMatch(/could not confirm that PostgreSQL "[^"]+"\."unknown_[ab]" \(connection 'db'\), append \(node 'dst2?': the answer to COMMIT PREPARED never came \(.+\) and the server could not be asked again \(.+\): table "[^"]+"\."unknown_[ab]" may or may not have the new rows\) committed; every other destination committed/);
    // (The test server's password is "caudal", which every message has redacted.)
    expect(s.error!.hint).toMatch(/`(caudal|\*\*\*) clean <pipeline.json>` completes the commit/);
    // The commit was decided: nothing is rolled back, and the journal waits for the server.
    const loadedTables = [(await rows('unknown_a')).length, (await rows('unknown_b')).length];
    expect(loadedTables.filter((n) => n === 2)).toHaveLength(2);
    const left = (await listJournals()).flatMap((f) => (f.journal?.runId === s.runId ? [f.journal] : []));
    expect(left).toEqual([expect.objectContaining({ decision: 'commit', abandoned: true })]);
    // The server answers again (through the same address: recovery acts only on the server the load is on).
    proxy.arm(undefined);
    const report = await cleanUp({ fix: true, connection: async (name) => viaProxy()[name], baseDir: dir });
    const recovered = report.recovered.filter((r) => r.runId === s.runId);
    expect(recovered, JSON.stringify(recovered)).toEqual([expect.objectContaining({ action: "rolled forward", pending: [] })]);
    expect(await rows('unknown_a')).toEqual(loaded);
    expect(await rows('unknown_b')).toEqual(loaded);
    expect(await preparedTransactionsIn(client, schema)).toEqual([]);
  });

  // A server frozen at the commit (its processes stopped, its VM paused) keeps the connection open:
  // without commit_timeout_s the run waited for the answer for ever, holding its locks.
  const frozenAtCommit = (): Record<string, ResolvedConnection> => ({ db: { name: 'db', type: 'postgres', config: { ...PG, port: proxy.port, ssl: 'disable', connect_timeout_s: 2, commit_timeout_s: 2 } } });

  it('a server that stops answering at COMMIT PREPARED fails the run within the commit timeout; the decided commit is completed by caudal clean', async () => {
    await q(`CREATE TABLE frozen_cp_a (id bigint, name text)`);
    await q(`CREATE TABLE frozen_cp_b (id bigint, name text)`);
    proxy.arm({ trigger: queryStarts('COMMIT PREPARED'), action: 'hang', thereafter: 'hang' });
    const t0 = Date.now();
    const d = doc([sink('dst', 'frozen_cp_a'), sink('dst2', 'frozen_cp_b')]);
    const s = await Promise.race([runPipeline({ pipeline: d, baseDir: dir, connections: frozenAtCommit() }), new Promise<undefined>((r) => setTimeout(() => r(undefined), 45_000))]);
    expect(proxy.fired()).toBe(true);
    expect(s?.status, 'the run was still waiting for the frozen server after 45 s').toBe('failed');
    expect(Date.now() - t0).toBeLessThan(45_000);
    expect(s!.error!.message).toMatch(/the answer to COMMIT PREPARED never came \(the server did not answer COMMIT PREPARED within 2 s \(the connection's commit_timeout_s\)\) and the server could not be asked again/);
    // Decided: the other load committed, this one waits in the journal for the server.
    expect([(await rows('frozen_cp_a')).length, (await rows('frozen_cp_b')).length].sort()).toEqual([0, 2]);
    proxy.arm(undefined);
    const report = await cleanUp({ fix: true, connection: async (name) => frozenAtCommit()[name], baseDir: dir });
    expect(report.recovered.filter((r) => r.runId === s!.runId)).toEqual([expect.objectContaining({ action: 'rolled forward', pending: [] })]);
    expect(await rows('frozen_cp_a')).toEqual(loaded);
    expect(await rows('frozen_cp_b')).toEqual(loaded);
    expect(await preparedTransactionsIn(client, schema)).toEqual([]);
  }, 90_000);

  it('a server that stops answering at COMMIT fails the run within the commit timeout, saying the outcome is unknown; the server rolls the load back', async () => {
    await q(`CREATE TABLE frozen_commit (id bigint, name text)`);
    proxy.arm({ trigger: queryIs('COMMIT'), action: 'hang', thereafter: 'hang' });
    const t0 = Date.now();
    const s = await Promise.race([runPipeline({ pipeline: doc([sink('dst', 'frozen_commit')]), baseDir: dir, connections: frozenAtCommit() }), new Promise<undefined>((r) => setTimeout(() => r(undefined), 45_000))]);
    expect(proxy.fired()).toBe(true);
    expect(s?.status, 'the run was still waiting for the frozen server after 45 s').toBe('failed');
    expect(Date.now() - t0).toBeLessThan(45_000);
    expect(s!.error!.message).toContain('the server did not answer COMMIT within 2 s');
    expect(s!.error!.message).toContain('the server could not be asked afterwards whether its COMMIT went through');
    // The COMMIT never reached the server: once it sees the connection gone, it rolls the load back.
    proxy.arm(undefined);
    for (let i = 0; i < 100 && (await q(`SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'frozen_commit'`)).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await rows('frozen_commit')).toEqual([]);
  }, 90_000);

  it('a load that fails (a value the table would round) while the server stopped answering fails within seconds, not never', async () => {
    await q(`CREATE TABLE frozen_fail (id bigint, v numeric(10,2))`);
    await writeFile(path.join(dir, 'round.csv'), 'id,v\n' + Array.from({ length: 2000 }, (_, i) => `${i + 1},1.25`).join('\n') + '\n2001,12.345\n');
    proxy.arm({ trigger: queryStarts('COPY'), action: 'hang' });
    const d = pipeline([{ id: 'src', type: 'source.csv', params: { path: 'round.csv' } }, sink('dst', 'frozen_fail')], ['src -> dst'], { connections });
    const t0 = Date.now();
    const s = await Promise.race([run(d), new Promise<undefined>((r) => setTimeout(() => r(undefined), 30_000))]);
    expect(proxy.fired()).toBe(true);
    expect(s?.status, 'the failed run was still waiting for the server after 30 s').toBe('failed');
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(s!.error!.message).toContain('12.345');
    expect(await rows('frozen_fail')).toEqual([]);
  }, 60_000);

  it('a server that stops answering mid-load does not keep a cancelled run waiting', async () => {
    await q(`CREATE TABLE frozen (id bigint, name text)`);
    await q(`INSERT INTO frozen VALUES (0, 'before')`);
    proxy.arm({ trigger: queryStarts('COPY'), action: 'hang' });
    const handle = startRun({ pipeline: doc([sink('dst', 'frozen')]), baseDir: dir, connections: viaProxy() });
    for (let i = 0; i < 1200 && !proxy.fired(); i++) await new Promise((r) => setTimeout(r, 25));
    expect(proxy.fired()).toBe(true);
    handle.cancel();
    const t0 = Date.now();
    const s = await Promise.race([handle.done, new Promise<undefined>((r) => setTimeout(() => r(undefined), 20_000))]);
    expect(s?.status, 'the cancelled run was still waiting for the server after 20 s').toBe('cancelled');
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(await rows('frozen')).toEqual([{ id: '0', name: 'before' }]);
  }, 70_000);
});
