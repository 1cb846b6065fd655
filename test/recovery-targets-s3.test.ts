import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Db } from '../core/src/compiler/db.js';
import { s3Fields } from '../core/src/connections/s3/s3.connection.js';
import { s3Client } from '../core/src/connectors/s3/client.js';
import { listObjects } from '../core/src/connectors/s3/objects.js';
import { s3Connector } from '../core/src/connectors/s3/s3.connector.js';
import { writeS3 } from '../core/src/connectors/s3/write.js';
import { cleanUp } from '../core/src/engine/commit/clean.js';
import { journalPath, listJournals, newJournal, type RunJournal, writeJournal } from '../core/src/engine/commit/journal.js';
import { recoverDeadRuns, recoveryWarnings } from '../core/src/engine/commit/recover.js';
import type { HookIo, ResolvedConnection } from '../core/src/nodes/define.js';
import { self } from '../core/src/util/owner.js';
import { S3_CREDENTIALS, startS3 } from './services/s3/server.js';
import { afterFile } from './support/cleanup.js';
import { deadPid } from './support/owners.js';
import { tempDir } from './support/pipeline.js';
import { connectTo, SERVICES } from './support/services.js';

/**
 * Recovery of a killed run's S3 write acts only through a connection to the store the write was
 * on. Journals are the user's, shared by every project, and recovery resolves a connection by name
 * in the project of whoever recovers: another project's `lake` may be another store with a bucket
 * of the same name, where undoing the write deletes that store's object at the same key, while the
 * run's own store keeps the new object, its staging, and no journal. So each S3 journal entry records
 * the store (an endpoint, or Amazon's region; never a key or token); an entry without it (an older
 * version's journal) is finished only from its own pipeline's project.
 *
 * Project A writes to moto (the test S3 service); project B's `lake` is an s3rver of this file
 * with a bucket of the same name.
 */
const SECRET = 'caudal-recovery-targets-secret';
const lake = { region: 'us-east-1', endpoint: SERVICES.motoUrl, force_path_style: true, access_key_id: 'caudal-test', secret_access_key: SECRET };
const bucket = `caudal-rt-${Date.now().toString(36)}`;
const moto = s3Client(lake);
afterFile(() => moto.destroy());
await connectTo('moto', SERVICES.motoUrl, () => moto.send(new CreateBucketCommand({ Bucket: bucket })));
afterFile(async () => {
  for (const o of await listObjects(moto, bucket, '')) await moto.send(new DeleteObjectCommand({ Bucket: bucket, Key: o.key }));
  await moto.send(new DeleteBucketCommand({ Bucket: bucket }));
});
const elsewhere = await startS3({ buckets: [bucket] });
afterFile(() => elsewhere.close());
const otherLake = { region: 'us-east-1', endpoint: elsewhere.endpoint, force_path_style: true, access_key_id: S3_CREDENTIALS.accessKeyId, secret_access_key: S3_CREDENTIALS.secretAccessKey };
const other = s3Client(otherLake);
afterFile(() => other.destroy());

const root = await tempDir('caudal-recovery-targets-s3-');
let db: Db;
beforeAll(async () => {
  db = await Db.open({ threads: 1 });
});
afterAll(() => db.close());

const resolver = (config: Record<string, unknown>) => (name: string) => (name === 'lake' ? ({ name: 'lake', type: 's3', config } satisfies ResolvedConnection) : undefined);
const keysIn = async (client: typeof moto, prefix = '') => (await listObjects(client, bucket, prefix)).map((o) => o.key);
const text = async (client: typeof moto, key: string) => (await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();

/**
 * Project A's run, killed after its S3 write was published (a new object; undoable until the run is
 * over) and before its commit decision: recovery must delete the object. The stage is the sink's own
 * (writeS3), so the journal entry is the one it makes.
 */
async function killedRun(name: string): Promise<{ dir: string; journal: RunJournal; key: string }> {
  const dir = path.join(root, name);
  await mkdir(dir, { recursive: true });
  const key = `${name}/report.csv`;
  const local = path.join(dir, 'report.csv');
  const io: HookIo = { db, isCancelled: () => false, log: () => undefined, progress: () => undefined };
  const runId = `20260101T000000-${name}`;
  const stage = await writeS3(
    s3Fields.parse(lake),
    { bucket, target: key, folder: false, replace: true, stagingRoot: '.caudal-staging/', partSizeMb: 5, uploadConcurrency: 2 },
    local,
    `COPY (SELECT 1 AS id, 'new' AS v) TO '${local}' (FORMAT csv)`,
    io,
    { nodeId: 'dst', connection: 'lake', runId },
  );
  const { recovery } = await stage.prepare({ twoPhase: false });
  await stage.commit();
  expect(await text(moto, key)).toContain('new');
  const journal: RunJournal = {
    ...newJournal(runId, name, dir, undefined, { host: self.host, pid: deadPid() }, path.join(dir, 'pipeline.json')),
    phase: 'committing',
    sinks: [{ kind: 'external', nodeId: 'dst', label: `s3://${bucket}/${key}`, recovery, committed: false }],
  };
  await writeJournal(journal);
  return { dir, journal, key };
}

const journalLeft = async (runId: string) => (await listJournals()).some((f) => f.journal?.runId === runId);

describe("a killed run's S3 write is finished only through a connection to its store", () => {
  it("the journal names the endpoint (or Amazon's region), never a key, secret or token", () => {
    const config = s3Fields.parse({ region: 'eu-west-1', endpoint: 'HTTPS://Minio.Internal:9000/', access_key_id: 'AKIA…', secret_access_key: 'secret', session_token: 'token' });
    expect(s3Connector.recoveryTarget!(config)).toEqual({ endpoint: 'https://minio.internal:9000' });
    expect(s3Connector.recoveryTarget!(s3Fields.parse({ region: 'eu-west-1', access_key_id: 'AKIA…', secret_access_key: 'secret', profile: 'prod' }))).toEqual({ region: 'eu-west-1' });
  });

  it("another project's connection of the same name, on another store with a bucket of the same name, touches neither store; its own project's clean undoes the write", async () => {
    const run = await killedRun('cross');
    const entry = run.journal.sinks[0]!;
    expect(entry.kind === 'external' && entry.recovery?.target).toEqual({ endpoint: SERVICES.motoUrl });
    expect(await readFile(journalPath(run.journal.runId), 'utf8')).not.toContain(SECRET);
    // The other store holds an object of its own at the same key.
    await other.send(new PutObjectCommand({ Bucket: bucket, Key: run.key, Body: "B's own report" }));

    // Project B's run starts by recovering what dead runs left: its `lake` is the other store.
    const [outcome] = (await recoverDeadRuns({ db, connection: resolver(otherLake), baseDir: path.join(root, 'cross_other') })).filter((o) => o.runId === run.journal.runId);
    expect(outcome).toMatchObject({ untouched: true, done: [] });
    expect(recoveryWarnings(outcome!).join('\n')).toContain(`work left prepared on connection 'lake' (endpoint=${SERVICES.motoUrl})`);
    expect(outcome!.pending.join('\n')).toMatch(new RegExp(`is on another server or database than connection 'lake' here \\(endpoint=${elsewhere.endpoint}\\); run \`caudal clean \\S+/cross/pipeline\\.json\` from its project`));
    expect(await text(other, run.key)).toBe("B's own report");
    expect(await text(moto, run.key)).toContain('new');
    expect(await journalLeft(run.journal.runId)).toBe(true);
    const doctor = await cleanUp({ fix: false, connection: async (n) => resolver(otherLake)(n), baseDir: path.join(root, 'cross_other') });
    expect(doctor.dead.find((d) => d.runId === run.journal.runId)?.blocked?.join('\n')).toMatch(/is on another server or database than connection 'lake' here/);

    // Its own project's clean: the new object and the staging go; the other store is as it was.
    const own = await cleanUp({ fix: true, connection: async (n) => resolver(lake)(n), baseDir: run.dir });
    expect(own.recovered.find((r) => r.runId === run.journal.runId)).toMatchObject({ action: 'rolled back', pending: [] });
    expect(await keysIn(moto, 'cross/')).toEqual([]);
    expect(await keysIn(moto, '.caudal-staging/')).toEqual([]);
    expect(await text(other, run.key)).toBe("B's own report");
    expect(await journalLeft(run.journal.runId)).toBe(false);
  });

  it('an entry that does not say which store it is on (a journal of an older version) is finished only from its own project', async () => {
    const run = await killedRun('untargeted');
    const old = { ...run.journal, sinks: run.journal.sinks.map((s) => (s.kind === 'external' ? { ...s, recovery: { connection: 'lake', ref: s.recovery!.ref } } : s)) };
    await writeJournal(old);

    const [left] = (await recoverDeadRuns({ db, connection: resolver(lake), baseDir: path.join(root, 'untargeted_other') })).filter((o) => o.runId === run.journal.runId);
    expect(left).toMatchObject({ untouched: true });
    expect(left!.pending.join('\n')).toMatch(/the journal does not say which server that connection is, and this is not its pipeline's project \(\S+untargeted\)/);
    expect(await text(moto, run.key)).toContain('new');
    expect(await journalLeft(run.journal.runId)).toBe(true);

    const [own] = (await recoverDeadRuns({ db, connection: resolver(lake), baseDir: run.dir })).filter((o) => o.runId === run.journal.runId);
    expect(own).toMatchObject({ action: 'rolled back', pending: [] });
    expect(await keysIn(moto, 'untargeted/')).toEqual([]);
    expect(await keysIn(moto, '.caudal-staging/')).toEqual([]);
    expect(await journalLeft(run.journal.runId)).toBe(false);
  });
});
