import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { errors } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Db } from '../core/src/compiler/db.js';
import { elasticsearchClient, elasticsearchRecoveryTarget } from '../core/src/connectors/elasticsearch/client.js';
import { type EsWriteSpec, writeElasticsearch } from '../core/src/connectors/elasticsearch/write.js';
import { cleanUp } from '../core/src/engine/commit/clean.js';
import { journalPath, listJournals, newJournal, type RunJournal, writeJournal } from '../core/src/engine/commit/journal.js';
import { recoverDeadRuns, recoveryWarnings } from '../core/src/engine/commit/recover.js';
import { runPipeline } from '../core/src/engine/engine.js';
import { readNodeState } from '../core/src/engine/state.js';
import type { Column, ExternalRecovery, HookIo, ResolvedConnection } from '../core/src/nodes/define.js';
import { self } from '../core/src/util/owner.js';
import { afterFile } from './support/cleanup.js';
import { FakeCluster } from './support/es-fake.js';
import { deadPid } from './support/owners.js';
import { pipeline, tempDir } from './support/pipeline.js';

/**
 * Recovery of a killed run's Elasticsearch load acts only through a connection to the cluster the
 * load was on. Journals are the user's, shared by every project, and recovery resolves a connection
 * by name in the project of whoever recovers: another project's `search` may be another cluster,
 * where the work index (its name unique to the run) is not found, so recovery "finished" without
 * doing anything, the journal went and, rolled forward, the incremental states were saved while
 * the documents never reached the cluster. So each Elasticsearch journal entry records the cluster's
 * URL (never a password or API key); an entry without it (an older version's journal) is finished
 * only from its own pipeline's project.
 *
 * No Elasticsearch runs here: each "cluster" is the in-memory one of support/es-fake.ts behind a
 * node:http server, so the real client talks to it over real sockets, from the engine's worker too.
 */
const API_KEY = 'VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==';
const root = await tempDir('caudal-recovery-targets-es-');
let db: Db;
beforeAll(async () => {
  db = await Db.open({ threads: 1 });
});
afterAll(() => db.close());

/** A cluster on a port of its own, speaking HTTP in front of a FakeCluster. */
async function cluster(): Promise<{ es: FakeCluster; url: string }> {
  const es = new FakeCluster();
  const router = es.mock as unknown as { get(p: Record<string, unknown>): ((p: Record<string, unknown>) => unknown) | null };
  const server = http.createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (text += c));
    req.on('end', () => {
      const u = new URL(req.url!, 'http://x');
      const ndjson = String(req.headers['content-type'] ?? '').includes('ndjson');
      const body = text === '' ? null : ndjson ? text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown) : (JSON.parse(text) as unknown);
      const params: Record<string, unknown> = { method: req.method, path: u.pathname, querystring: Object.fromEntries(u.searchParams), body };
      const resolver = router.get(params);
      const answer = resolver ? resolver(params) : new errors.ResponseError({ body: { error: 'no such route' }, statusCode: 404, headers: {}, warnings: null, meta: {} as never });
      // A failure of the connection itself (a fault the test set): the socket is cut.
      if (answer instanceof Error && !(answer instanceof errors.ResponseError)) return void req.socket.destroy();
      const status = answer instanceof errors.ResponseError ? answer.statusCode! : 200;
      const payload = answer instanceof errors.ResponseError ? answer.body : answer;
      res.writeHead(status, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' });
      res.end(typeof payload === 'string' ? payload : JSON.stringify(payload));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  afterFile(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return { es, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const connection = (url: string): ResolvedConnection => ({ name: 'search', type: 'elasticsearch', config: { url, auth: 'api_key', api_key: API_KEY } });
const resolver = (url: string) => (name: string) => (name === 'search' ? connection(url) : undefined);
const workIndices = (es: FakeCluster) => [...es.indices.keys()].filter((n) => n.includes('-caudal-'));
const io = (): HookIo => ({ db, isCancelled: () => false, log: () => undefined, progress: () => undefined });

const spec: EsWriteSpec = { index: 'customers', mode: 'upsert', idColumns: ['id'], mappings: {}, settings: {}, onError: 'fail', createIndex: true, flushBytes: 5_000_000, concurrency: 2, retries: 1, retryWaitMs: 5 };

/**
 * Project A's run, killed after its commit decision and before this sink's copy (the run had another
 * destination that committed first): its journal, as the run left it, and its project folder.
 * The sink staged through a client of the connection, as the node does.
 */
async function killedRun(name: string, url: string): Promise<{ dir: string; journal: RunJournal; recovery: ExternalRecovery }> {
  const dir = path.join(root, name);
  await mkdir(dir, { recursive: true });
  const config = { url, auth: 'api_key' as const, api_key: API_KEY, tls_verify: true, request_timeout_s: 60 };
  await db.run(`CREATE OR REPLACE TEMP VIEW src AS SELECT * FROM (VALUES (1, 'Ann'), (2, 'Bob'), (3, 'Cy')) AS t(id, name)`);
  const columns: Column[] = (await db.rows('DESCRIBE src')).map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
  const runId = `20260101T000000-${name}`;
  const stage = await writeElasticsearch(await elasticsearchClient(config), spec, { relation: 'src', columns, table: 'docs' }, io(), {
    nodeId: 'es',
    connection: 'search',
    runId,
    secrets: [API_KEY],
    target: elasticsearchRecoveryTarget(config),
  });
  const { recovery } = await stage.prepare({ twoPhase: false });
  const journal: RunJournal = {
    ...newJournal(runId, name, dir, undefined, { host: self.host, pid: deadPid() }, path.join(dir, 'pipeline.json')),
    phase: 'committing',
    decision: 'commit',
    sinks: [{ kind: 'external', nodeId: 'es', label: "Elasticsearch index 'customers' (connection 'search')", recovery, committed: false }],
    states: [{ stateDir: path.join(dir, 'state'), nodeId: 'src', state: { watermark: '3' } }],
  };
  await writeJournal(journal);
  return { dir, journal, recovery: recovery! };
}

const journalLeft = async (runId: string) => (await listJournals()).some((f) => f.journal?.runId === runId);
const savedWatermark = async (a: { dir: string; journal: RunJournal }) => (await readNodeState(path.join(a.dir, 'state'), a.journal.pipeline, 'src'))?.stored;

describe("a killed run's Elasticsearch load is finished only through a connection to its cluster", () => {
  it("another project's connection of the same name, on another cluster, leaves the run as it is (documents, journal, states); a connection to the same cluster completes it", async () => {
    const prod = await cluster();
    const other = await cluster();
    const a = await killedRun('es_cross', `${prod.url}/`);
    expect(a.recovery.target).toEqual({ url: prod.url });
    const text = await readFile(journalPath(a.journal.runId), 'utf8');
    expect(text).not.toContain(API_KEY);

    // Project B's run starts by recovering what dead runs left: its `search` is another cluster.
    const b = path.join(root, 'es_cross_other');
    const [outcome] = (await recoverDeadRuns({ db, connection: resolver(other.url), baseDir: b })).filter((o) => o.runId === a.journal.runId);
    expect(outcome).toMatchObject({ untouched: true, done: [] });
    expect(recoveryWarnings(outcome!).join('\n')).toMatch(
      new RegExp(`run \\S+ of 'es_cross', which was killed, is left as it was: .*work left prepared on connection 'search' \\(url=${prod.url}\\).* is on another server or database than connection 'search' here \\(url=${other.url}\\); run \`caudal clean \\S+/es_cross/pipeline\\.json\` from its project`),
    );
    expect(other.es.requests).toEqual([]);
    expect(await journalLeft(a.journal.runId)).toBe(true);
    expect(await savedWatermark(a)).toBeUndefined();
    expect(prod.es.indices.has('customers')).toBe(false);
    // Its doctor says so; its clean changes nothing.
    const doctor = await cleanUp({ fix: false, connection: async (n) => resolver(other.url)(n), baseDir: b });
    expect(doctor.dead.find((d) => d.runId === a.journal.runId)?.blocked?.join('\n')).toMatch(/is on another server or database than connection 'search' here/);
    expect(other.es.requests).toEqual([]);

    // Another project whose `search` is the same cluster (its URL spelled another way) completes the commit, states included.
    const [done] = (await recoverDeadRuns({ db, connection: resolver(`HTTP://127.0.0.1:${new URL(prod.url).port}`), baseDir: path.join(root, 'es_cross_same') })).filter((o) => o.runId === a.journal.runId);
    expect(done).toMatchObject({ action: 'rolled forward', pending: [] });
    expect(done!.done).toContain("saved the state of node 'src'");
    expect([...prod.es.indices.get('customers')!.docs.keys()].sort()).toEqual(['1', '2', '3']);
    expect(workIndices(prod.es)).toEqual([]);
    expect(await journalLeft(a.journal.runId)).toBe(false);
    expect(await savedWatermark(a)).toMatchObject({ state: { watermark: '3' } });
  });

  it('an entry that does not say which cluster it is on (a journal of an older version) is finished only from its own project', async () => {
    const prod = await cluster();
    const a = await killedRun('es_untargeted', prod.url);
    const old = { ...a.journal, sinks: a.journal.sinks.map((s) => (s.kind === 'external' ? { ...s, recovery: { connection: 'search', ref: s.recovery!.ref } } : s)) };
    await writeJournal(old);

    // Another project: even a connection to the same URL is not proof, without the journal saying so.
    const [left] = (await recoverDeadRuns({ db, connection: resolver(prod.url), baseDir: path.join(root, 'es_untargeted_other') })).filter((o) => o.runId === a.journal.runId);
    expect(left).toMatchObject({ untouched: true });
    expect(left!.pending.join('\n')).toMatch(/the journal does not say which server that connection is, and this is not its pipeline's project \(\S+es_untargeted\)/);
    expect(prod.es.indices.has('customers')).toBe(false);
    expect(await journalLeft(a.journal.runId)).toBe(true);
    expect(await savedWatermark(a)).toBeUndefined();

    const [own] = (await recoverDeadRuns({ db, connection: resolver(prod.url), baseDir: a.dir })).filter((o) => o.runId === a.journal.runId);
    expect(own).toMatchObject({ action: 'rolled forward', pending: [] });
    expect([...prod.es.indices.get('customers')!.docs.keys()].sort()).toEqual(['1', '2', '3']);
    expect(await journalLeft(a.journal.runId)).toBe(false);
  });

  it('the sink node journals its cluster: an upsert whose copy it could not follow is left to recovery through that cluster only', async () => {
    const prod = await cluster();
    const other = await cluster();
    const dir = path.join(root, 'es_node');
    await mkdir(dir, { recursive: true });
    // The cluster stops answering the polls of the copy's task (a node restarting).
    prod.es.fault = (r, when) =>
      r.startsWith('GET /_tasks/') && when === 'before' ? new errors.ResponseError({ body: { error: { type: 'unavailable', reason: 'restarting' }, status: 503 }, statusCode: 503, headers: {}, warnings: null, meta: {} as never }) : undefined;
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: `SELECT * FROM (VALUES (1, 'Ann'), (2, 'Bob')) AS t(id, name)` } },
        { id: 'es', type: 'sink.elasticsearch', params: { connection: 'search', index: 'customers', id_columns: ['id'] } },
      ],
      ['src -> es'],
      { connections: { search: { type: 'elasticsearch' } } },
    );
    const s = await runPipeline({ pipeline: doc, baseDir: dir, connections: { search: connection(prod.url) } });
    expect(s.status).toBe('failed');
    expect(s.error?.message).toMatch(/node 'es' \(connection 'search'\): .*cannot follow the copy into customers .*its work index customers-caudal-stage-\S+ is kept/);
    expect(s.error?.hint).toMatch(/the next run of any pipeline or `caudal clean` deletes customers-caudal-stage-\S+ \(`caudal doctor` lists it until then\)/);
    const [work] = workIndices(prod.es);
    expect(work).toBeDefined();
    const [found] = (await listJournals()).filter((f) => f.journal?.runId === s.runId);
    expect(found?.journal).toMatchObject({ abandoned: true, sinks: [{ kind: 'external', nodeId: 'es', recovery: { connection: 'search', target: { url: prod.url }, ref: { work } } }] });
    expect(await readFile(found!.file, 'utf8')).not.toContain(API_KEY);

    // Another project's clean, whose `search` is another cluster: nothing happens there or here.
    prod.es.fault = () => undefined;
    const report = await cleanUp({ fix: true, connection: async (n) => resolver(other.url)(n), baseDir: path.join(root, 'es_node_other') });
    expect(report.recovered.find((r) => r.runId === s.runId)).toMatchObject({ untouched: true });
    expect(other.es.requests).toEqual([]);
    expect(workIndices(prod.es)).toEqual([work]);

    // Its own clean, the copy being over: the work index goes; the documents copied stay.
    const own = await cleanUp({ fix: true, connection: async (n) => resolver(prod.url)(n), baseDir: dir });
    expect(own.recovered.find((r) => r.runId === s.runId)).toMatchObject({ action: 'rolled back', pending: [] });
    expect(workIndices(prod.es)).toEqual([]);
    expect([...prod.es.indices.get('customers')!.docs.keys()].sort()).toEqual(['1', '2']);
    expect((await listJournals()).filter((f) => f.journal?.runId === s.runId)).toEqual([]);
  }, 60_000);
});
