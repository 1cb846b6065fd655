import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { errors } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Db } from '../core/src/compiler/db.js';
import { type EsWriteSpec, recoverElasticsearch, writeElasticsearch } from '../core/src/connectors/elasticsearch/write.js';
import { existingJournal, newJournal, removeJournal } from '../core/src/engine/commit/journal.js';
import { ExternalParticipant } from '../core/src/engine/commit/participants.js';
import { CommitJournal, commitAll } from '../core/src/engine/commit/protocol.js';
import type { Column, HookIo } from '../core/src/nodes/define.js';
import { esWriteSpec, FakeCluster, quietIo } from './support/es-fake.js';

/**
 * sink.elasticsearch, third review: an upsert whose copy cannot be followed keeps what recovery
 * needs; composite document ids never collide; requests the client sends again after a lost answer
 * ("already exists") do not fail a load or leak its work index. Against the in-memory cluster
 * behind the official client mock (support/es-fake.ts): the client and its retries run for real.
 */
let db: Db;
let dir: string;
beforeAll(async () => {
  db = await Db.open({ threads: 1 });
  dir = await mkdtemp(path.join(os.tmpdir(), 'caudal-es-round3-'));
});
afterAll(async () => {
  db.close();
  await rm(dir, { recursive: true, force: true });
});

const io = (): HookIo => quietIo(db);
const ROWS = `SELECT * FROM (VALUES (1, 'Ann'), (2, 'Bob'), (3, 'Cy')) AS t(id, name)`;

const spec = (over: Partial<EsWriteSpec> = {}): EsWriteSpec => esWriteSpec(over, { retries: 1, retryWaitMs: 5 });

async function stage(es: FakeCluster, s: EsWriteSpec, sql = ROWS) {
  await db.run(`CREATE OR REPLACE TEMP VIEW src AS ${sql}`);
  const columns: Column[] = (await db.rows('DESCRIBE src')).map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
  return writeElasticsearch(es.client(), s, { relation: 'src', columns, table: 'docs' }, io(), { nodeId: 'es', connection: 'search', runId: '20250101-abcdef12' });
}

const workIndices = (es: FakeCluster) => [...es.indices.keys()].filter((n) => n.includes('-caudal-'));
const unavailable = () => new errors.ResponseError({ body: { error: { type: 'unavailable', reason: 'node restarting' }, status: 503 }, statusCode: 503, headers: {}, warnings: null, meta: {} as never });
/** The request reached the cluster, which acted on it; the connection broke before its answer (the client sends it again). */
const cut = () => new errors.ConnectionError('socket hang up');

describe('upsert: a copy the sink cannot follow may still be running', () => {
  it('the commit keeps the work index and the journal entry (naming the task) for recovery, which deletes the index once the copy has ended', async () => {
    const es = new FakeCluster();
    // The copy runs as a task that reports itself running to its first two polls.
    es.slowReindex = true;
    const st = await stage(es, spec());
    const [work] = workIndices(es);
    // Every poll of the task fails (the node that runs it restarts): after five, the sink gives up following it.
    es.fault = (r, when) => (r.startsWith('GET /_tasks/') && when === 'before' ? unavailable() : undefined);
    const keeper = new CommitJournal(newJournal('r-poll', 'customers_sync', dir, undefined));
    const warnings: string[] = [];
    const err = (await commitAll([new ExternalParticipant('es', 'Elasticsearch index customers', st)], keeper, { info: () => undefined, warn: (m) => void warnings.push(m) }).catch((e: unknown) => e)) as Error & { hint?: string };
    await keeper.done();

    expect(err.message).toMatch(/cannot follow the copy into customers \(task fakenode:1\), which may still be running in the cluster/);
    expect(err.message).toContain(`its work index ${work} is kept, since the copy may still be reading it`);
    expect(err.hint).toMatch(/once the copy \(task fakenode:1\) has ended, the next run of any pipeline or `caudal clean` deletes/);
    expect(err.hint).toContain('`caudal doctor` lists it');
    // The copy's source is still there; the run's journal outlives it, for recovery, with the task.
    expect(workIndices(es)).toEqual([work]);
    const kept = (await existingJournal('r-poll'))?.journal;
    expect(kept).toMatchObject({ abandoned: true, sinks: [{ kind: 'external', nodeId: 'es', recovery: { connection: 'search', ref: { mode: 'upsert', index: 'customers', work, task: 'fakenode:1' } } }] });

    // Recovery (the next run, `caudal clean`): while the task still runs, the index stays and so does the entry.
    es.fault = () => undefined;
    const recovery = kept!.sinks[0]!.kind === 'external' ? kept!.sinks[0]!.recovery! : undefined;
    await expect(recoverElasticsearch(es.client(), recovery!, 'rollback')).rejects.toThrow(`the copy into customers (task fakenode:1) that the run could not follow is still running in the cluster; its work index ${work} is kept until it ends`);
    await expect(recoverElasticsearch(es.client(), recovery!, 'rollback')).rejects.toThrow(/still running/);
    expect(workIndices(es)).toEqual([work]);
    // Once it has ended, the work index goes; the documents it copied stay.
    await recoverElasticsearch(es.client(), recovery!, 'rollback');
    expect(workIndices(es)).toEqual([]);
    expect([...es.indices.get('customers')!.docs.keys()].sort()).toEqual(['1', '2', '3']);
    await removeJournal('r-poll');
  }, 30_000);
});

describe('document ids from several id columns', () => {
  const pairs = (values: string) => `SELECT * FROM (VALUES ${values}) AS t(a, b)`;
  const ids = (es: FakeCluster) => [...es.indices.get('customers')!.docs.keys()].sort();
  const upsert = async (es: FakeCluster, values: string, idColumns = ['a', 'b']) => {
    const st = await stage(es, spec({ idColumns }), pairs(values));
    await st.prepare({ twoPhase: false });
    await st.commit();
    await st.finalize!();
  };

  it("('a:b', 'c') and ('a', 'b:c') are two documents, in one run or in two: a ':' or '%' inside a value is written %3A or %25", async () => {
    const one = new FakeCluster();
    await upsert(one, `('a:b', 'c'), ('a', 'b:c'), ('50%', 'off')`);
    expect(ids(one)).toEqual(['50%25:off', 'a%3Ab:c', 'a:b%3Ac']);

    // A later upsert of the other row does not overwrite the first one's document.
    const two = new FakeCluster();
    await upsert(two, `('a:b', 'c')`);
    await upsert(two, `('a', 'b:c')`);
    expect(ids(two)).toEqual(['a%3Ab:c', 'a:b%3Ac']);
    expect(two.indices.get('customers')!.docs.get('a%3Ab:c')).toEqual({ a: 'a:b', b: 'c' });
  });

  it('values without either character keep the ids earlier versions gave them, and so does a single id column', async () => {
    const es = new FakeCluster();
    await upsert(es, `('eu', 'shop-7'), ('us', '2024-01-31')`);
    expect(ids(es)).toEqual(['eu:shop-7', 'us:2024-01-31']);
    const single = new FakeCluster();
    await upsert(single, `('urn:isbn:0451450523', 'x'), ('100%', 'y')`, ['a']);
    expect(ids(single)).toEqual(['100%', 'urn:isbn:0451450523']);
  });
});

describe('requests the client sends again after a lost answer', () => {
  const lostOnce = (es: FakeCluster, match: (request: string) => boolean) => {
    let lost = false;
    es.fault = (r, when) => {
      if (lost || when !== 'after' || !match(r)) return undefined;
      lost = true;
      return cut();
    };
  };

  it('the work index was created by the first attempt: "already exists" is the run\'s own index, and the load goes on', async () => {
    const es = new FakeCluster();
    const create = /^PUT \/customers-caudal-stage-[^/]+$/;
    lostOnce(es, (r) => create.test(r));
    const st = await stage(es, spec());
    expect(es.requests.filter((r) => create.test(r))).toHaveLength(2);
    await st.prepare({ twoPhase: false });
    await st.commit();
    await st.finalize!();
    expect([...es.indices.get('customers')!.docs.keys()].sort()).toEqual(['1', '2', '3']);
    expect(workIndices(es)).toEqual([]);
  });

  it('when no answer to the work index creation comes back at all, the failed load still deletes the index it may have created', async () => {
    const es = new FakeCluster();
    es.fault = (r, when) => (/^PUT \/customers-caudal-stage-[^/]+$/.test(r) && when === 'after' ? cut() : undefined);
    await expect(stage(es, spec())).rejects.toThrow(/cannot reach the cluster/);
    expect(es.requests.some((r) => r.startsWith('DELETE /customers-caudal-stage-'))).toBe(true);
    expect([...es.indices.keys()]).toEqual([]);
  });

  it('the target index the commit creates was created by the first attempt: the copy goes on', async () => {
    const es = new FakeCluster();
    const st = await stage(es, spec({ settings: { number_of_shards: 2 } }));
    await st.prepare({ twoPhase: false });
    lostOnce(es, (r) => r === 'PUT /customers');
    await st.commit();
    expect(es.requests.filter((r) => r === 'PUT /customers')).toHaveLength(2);
    expect([...es.indices.get('customers')!.docs.keys()].sort()).toEqual(['1', '2', '3']);
    expect(es.indices.get('customers')!.settings).toMatchObject({ number_of_shards: 2 });
    expect(workIndices(es)).toEqual([]);
  });
});
