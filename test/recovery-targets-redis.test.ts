import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Db } from '../core/src/compiler/db.js';
import { redisFields } from '../core/src/connections/redis/redis.connection.js';
import { redisConnector } from '../core/src/connectors/redis/redis.connector.js';
import { REGISTRY_KEY } from '../core/src/connectors/redis/names.js';
import { parseKeyTemplate } from '../core/src/connectors/redis/template.js';
import { writeRedis } from '../core/src/connectors/redis/write.js';
import { cleanUp } from '../core/src/engine/commit/clean.js';
import { journalPath, listJournals, newJournal, type RunJournal, writeJournal } from '../core/src/engine/commit/journal.js';
import { recoverDeadRuns, recoveryWarnings } from '../core/src/engine/commit/recover.js';
import type { HookIo, ResolvedConnection } from '../core/src/nodes/define.js';
import { self } from '../core/src/util/owner.js';
import { deadPid } from './support/owners.js';
import { tempDir } from './support/pipeline.js';
import { redisConfig, redisSandbox } from './support/redis.js';

/**
 * Recovery of a killed run's Redis load acts only through a connection to the server and database
 * the load was on. Journals are the user's, shared by every project, and recovery resolves a
 * connection by name in the project of whoever recovers: another project's `cache` may be another
 * server or database, where undoing the load finds nothing, "succeeds", and the journal goes,
 * leaving the run's new values (and the old ones it kept aside) for good. So each Redis journal
 * entry records host, port and database (never the user or password); an entry without them (an
 * older version's journal) is finished only from its own pipeline's project.
 *
 * Against the real Redis: project A's keys in a database of this file, project B's `cache` in
 * another database of the same server.
 */
const DB_A = 13;
const DB_B = 14;
const a = await redisSandbox(DB_A);
const b = await redisSandbox(DB_B);
const root = await tempDir('caudal-recovery-targets-redis-');
let db: Db;
beforeAll(async () => {
  db = await Db.open({ threads: 1 });
});
afterAll(() => db.close());

const cache = (database: number): ResolvedConnection => ({ name: 'cache', type: 'redis', config: redisConfig(database) });
const resolver = (database: number) => (name: string) => (name === 'cache' ? cache(database) : undefined);
const values = async (keys: string[]) => Promise.all(keys.map((k) => a.client.hGet(k, 'v')));
/** What a load of this file may leave in project A's database: staged, kept-aside or bookkeeping keys, registry entries. */
const debris = async () => [...(await a.keys(`caudal:*${a.tag}*`)), ...((await a.client.sMembers(REGISTRY_KEY)) as string[]).filter((m) => m.includes(a.tag))];

/**
 * Project A's run, killed after its Redis load was published (an upsert, undoable until the run is
 * over) and before its commit decision: recovery must put the old values back. The stage is the
 * sink's own (writeRedis), so the journal entry is the one it makes.
 */
async function killedRun(name: string): Promise<{ dir: string; journal: RunJournal; keys: string[] }> {
  const dir = path.join(root, name);
  await mkdir(dir, { recursive: true });
  const keys = [1, 2].map((i) => `${a.prefix}${name}:${i}`);
  await a.client.hSet(keys[0]!, { v: 'old' });
  await db.run(`CREATE OR REPLACE TEMP VIEW src AS SELECT * FROM (VALUES (1, 'new'), (2, 'new')) t(id, v)`);
  const io: HookIo = { db, isCancelled: () => false, log: () => undefined, progress: () => undefined };
  const keyText = `${a.prefix}${name}:{id}`;
  const runId = `20260101T000000-${a.tag}-${name}`;
  const stage = await writeRedis(
    redisFields.parse(redisConfig(DB_A)),
    { key: parseKeyTemplate(keyText), keyText, format: 'hash', columns: [{ name: 'v', type: 'VARCHAR' }], ttlMs: 0, mode: 'upsert', oldTtlMs: 0 },
    { relation: 'src', table: `"_stage_${name}"` },
    io,
    { nodeId: `dst_${a.tag}`, connection: 'cache', runId },
  );
  const { recovery } = await stage.prepare({ twoPhase: false });
  await stage.commit();
  expect(await values(keys)).toEqual(['new', 'new']);
  const journal: RunJournal = {
    ...newJournal(runId, name, dir, undefined, { host: self.host, pid: deadPid() }, path.join(dir, 'pipeline.json')),
    phase: 'committing',
    sinks: [{ kind: 'external', nodeId: `dst_${a.tag}`, label: `Redis keys ${keyText} (connection 'cache')`, recovery, committed: false }],
  };
  await writeJournal(journal);
  return { dir, journal, keys };
}

const journalLeft = async (runId: string) => (await listJournals()).some((f) => f.journal?.runId === runId);

describe("a killed run's Redis load is finished only through a connection to its server and database", () => {
  it('the journal names host, port and database, never the user or password', () => {
    const config = redisFields.parse({ host: 'Cache.Internal', port: 6380, database: 3, username: 'loader', password: 'pw-in-the-keychain' });
    expect(redisConnector.recoveryTarget!(config)).toEqual({ host: 'Cache.Internal', port: 6380, database: 3 });
  });

  it("another project's connection of the same name, on another database, leaves the run as it is; its own project's clean puts the old values back", async () => {
    const run = await killedRun('cross');
    const u = redisConfig(DB_A) as { host: string; port: number };
    const entry = run.journal.sinks[0]!;
    expect(entry.kind === 'external' && entry.recovery?.target).toEqual({ host: u.host, port: u.port, database: DB_A });

    // Project B's run starts by recovering what dead runs left: its `cache` is database 14.
    await b.client.hSet(`${b.prefix}cross:1`, { v: "B's own" });
    const [outcome] = (await recoverDeadRuns({ db, connection: resolver(DB_B), baseDir: path.join(root, 'cross_other') })).filter((o) => o.runId === run.journal.runId);
    expect(outcome).toMatchObject({ untouched: true, done: [] });
    expect(recoveryWarnings(outcome!).join('\n')).toContain(
      `work left prepared on connection 'cache' (${u.host}:${u.port}/${DB_A})`,
    );
    expect(outcome!.pending.join('\n')).toMatch(new RegExp(`is on another server or database than connection 'cache' here \\(${u.host}:${u.port}/${DB_B}\\); run \`caudal clean \\S+/cross/pipeline\\.json\` from its project`));
    expect(await values(run.keys)).toEqual(['new', 'new']);
    expect(await journalLeft(run.journal.runId)).toBe(true);
    expect(await b.keys()).toEqual([`${b.prefix}cross:1`]);
    // Its doctor says what is needed.
    const doctor = await cleanUp({ fix: false, connection: async (n) => resolver(DB_B)(n), baseDir: path.join(root, 'cross_other') });
    expect(doctor.dead.find((d) => d.runId === run.journal.runId)?.blocked?.join('\n')).toMatch(/is on another server or database than connection 'cache' here/);

    // Its own project's clean rolls it back: the old value, no new key, nothing left over.
    const own = await cleanUp({ fix: true, connection: async (n) => resolver(DB_A)(n), baseDir: run.dir });
    expect(own.recovered.find((r) => r.runId === run.journal.runId)).toMatchObject({ action: 'rolled back', pending: [] });
    expect(await values(run.keys)).toEqual(['old', null]);
    expect(await debris()).toEqual([]);
    expect(await journalLeft(run.journal.runId)).toBe(false);
  });

  it('an entry that does not say which server it is on (a journal of an older version) is finished only from its own project', async () => {
    const run = await killedRun('untargeted');
    const old = { ...run.journal, sinks: run.journal.sinks.map((s) => (s.kind === 'external' ? { ...s, recovery: { connection: 'cache', ref: s.recovery!.ref } } : s)) };
    await writeJournal(old);
    expect(await readFile(journalPath(run.journal.runId), 'utf8')).not.toContain('"target"');

    // Another project, even with a connection to the same database: the journal does not prove it.
    const [left] = (await recoverDeadRuns({ db, connection: resolver(DB_A), baseDir: path.join(root, 'untargeted_other') })).filter((o) => o.runId === run.journal.runId);
    expect(left).toMatchObject({ untouched: true });
    expect(left!.pending.join('\n')).toMatch(/the journal does not say which server that connection is, and this is not its pipeline's project \(\S+untargeted\)/);
    expect(await values(run.keys)).toEqual(['new', 'new']);
    expect(await journalLeft(run.journal.runId)).toBe(true);

    const [own] = (await recoverDeadRuns({ db, connection: resolver(DB_A), baseDir: run.dir })).filter((o) => o.runId === run.journal.runId);
    expect(own).toMatchObject({ action: 'rolled back', pending: [] });
    expect(await values(run.keys)).toEqual(['old', null]);
    expect(await debris()).toEqual([]);
    expect(await journalLeft(run.journal.runId)).toBe(false);
  });
});
