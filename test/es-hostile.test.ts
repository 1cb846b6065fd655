import { errors } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Db } from '../core/src/compiler/db.js';
import { type EsWriteSpec, recoverElasticsearch, writeElasticsearch } from '../core/src/connectors/elasticsearch/write.js';
import type { Column, HookIo } from '../core/src/nodes/define.js';
import { esWriteSpec, FakeCluster, quietIo } from './support/es-fake.js';

/**
 * sink.elasticsearch against a cluster that misbehaves: answers lost after the cluster acted,
 * documents refused for reasons of the cluster's own, targets whose mapping or settings the work
 * index must mirror. The in-memory cluster (support/es-fake.ts) sits behind the official client's
 * mock: the client, its bulk helper and its retries run for real.
 */
let db: Db;
beforeAll(async () => {
  db = await Db.open({ threads: 1 });
});
afterAll(() => db.close());

const io = (): HookIo => quietIo(db);
const ROWS = `SELECT * FROM (VALUES (1, 'Ann'), (2, 'Bob'), (3, 'Cy')) AS t(id, name)`;

const spec = (over: Partial<EsWriteSpec> = {}): EsWriteSpec => esWriteSpec(over, { retries: 1, retryWaitMs: 5 });

async function stage(es: FakeCluster, s: EsWriteSpec, sql = ROWS, rejects = false) {
  await db.run(`CREATE OR REPLACE TEMP VIEW src AS ${sql}`);
  const columns: Column[] = (await db.rows('DESCRIBE src')).map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
  if (rejects) await db.run(`CREATE OR REPLACE TEMP TABLE rejects AS SELECT *, NULL::INTEGER AS _error_status, NULL::VARCHAR AS _error_type, NULL::VARCHAR AS _error_reason FROM src WHERE false`);
  return writeElasticsearch(es.client(), s, { relation: 'src', columns, table: 'docs', rejects: rejects ? 'rejects' : undefined }, io(), { nodeId: 'es', connection: 'search', runId: '20250101-abcdef12' });
}

const timeout = () => new errors.TimeoutError('Request timed out');
/** The first time `request` is sent, the cluster acts on it but the answer never arrives. */
const loseAnswerOnce = (es: FakeCluster, request: string) => {
  let lost = false;
  es.fault = (r, when) => {
    if (lost || when !== 'after' || r !== request) return undefined;
    lost = true;
    return timeout();
  };
};

describe('replace: an alias swap whose answer is lost', () => {
  const withOld = () => {
    const es = new FakeCluster();
    es.indices.set('products-v1', { mappings: {}, settings: {}, docs: new Map([['old', { id: 'old' }]]), aliases: new Set(['products']) });
    return es;
  };
  const work = (es: FakeCluster) => [...es.indices.keys()].find((n) => n.startsWith('products-caudal-load-'))!;

  it('the commit asks where the alias points: the swap happened, so the run goes on as committed', async () => {
    const es = withOld();
    const st = await stage(es, spec({ index: 'products', mode: 'replace' }));
    await st.prepare({ twoPhase: false });
    loseAnswerOnce(es, 'POST /_aliases');
    await st.commit();
    expect(es.aliasHolders('products')).toEqual([work(es)]);
    expect(await st.finalize!()).toEqual([]);
    expect([...es.indices.keys()]).toEqual([work(es)]);
  });

  it('when the cluster cannot say, the rollback puts the alias back instead of deleting the index readers now use', async () => {
    const es = withOld();
    const st = await stage(es, spec({ index: 'products', mode: 'replace' }));
    await st.prepare({ twoPhase: false });
    let lost = false;
    // The swap takes effect, its answer is lost, and so is the answer to the question where the alias points.
    es.fault = (r, when) => {
      if (r === 'POST /_aliases' && when === 'after' && !lost) return ((lost = true), timeout());
      if (r.startsWith('GET /_alias/') && when === 'before' && lost) return timeout();
      return undefined;
    };
    await expect(st.commit()).rejects.toThrow(/cannot reach the cluster/);
    es.fault = () => undefined;
    await st.rollback();
    expect(es.aliasHolders('products')).toEqual(['products-v1']);
    expect([...es.indices.keys()]).toEqual(['products-v1']);
    expect(es.resolve('products')!.docs.has('old')).toBe(true);
  });

  it('a rollback that cannot reach the cluster keeps the new index and leaves the undo to recovery', async () => {
    const es = withOld();
    const st = await stage(es, spec({ index: 'products', mode: 'replace' }));
    const { recovery } = await st.prepare({ twoPhase: false });
    const fresh = work(es);
    let lost = false;
    es.fault = (r, when) => {
      if (r === 'POST /_aliases' && when === 'after' && !lost) return ((lost = true), timeout());
      return lost && when === 'before' ? timeout() : undefined;
    };
    await expect(st.commit()).rejects.toThrow(/cannot reach the cluster/);
    await expect(st.rollback()).rejects.toThrow(/may still point at/);
    expect(st.unrestored!()).toBe(true);
    expect(es.aliasHolders('products')).toEqual([fresh]);
    expect(es.indices.has(fresh)).toBe(true);
    es.fault = () => undefined;
    await recoverElasticsearch(es.client(), recovery!, 'rollback');
    expect(es.aliasHolders('products')).toEqual(['products-v1']);
    expect([...es.indices.keys()]).toEqual(['products-v1']);
  });
});

describe('documents the cluster refuses for reasons of its own are no rejects', () => {
  it('replace with on_error reject: a read-only cluster refusing every document fails the run; the alias keeps the old data', async () => {
    const es = new FakeCluster();
    es.indices.set('products-v1', { mappings: {}, settings: {}, docs: new Map([['old', { id: 'old' }]]), aliases: new Set(['products']) });
    es.refuse = () => ({ status: 403, type: 'cluster_block_exception', reason: 'index [products-caudal-load] blocked by: [FORBIDDEN/8/index write (api)];' });
    await expect(stage(es, spec({ index: 'products', mode: 'replace', onError: 'reject' }), ROWS, true)).rejects.toThrow(/refused 3 document\(s\).*cluster_block_exception.*nothing was published/);
    expect(await db.rows('SELECT * FROM rejects')).toEqual([]);
    expect([...es.indices.keys()]).toEqual(['products-v1']);
    expect(es.aliasHolders('products')).toEqual(['products-v1']);
  });

  it('upsert with on_error reject: an unavailable shard (503) or a 429 past the retries fails the run, naming the cause', async () => {
    const es = new FakeCluster();
    es.refuse = (d) => (d.id === 2 ? { status: 503, type: 'unavailable_shards_exception', reason: 'primary shard is not active' } : undefined);
    const err = (await stage(es, spec({ onError: 'reject' }), ROWS, true).catch((e: unknown) => e)) as Error & { hint?: string };
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/document 2: unavailable_shards_exception: primary shard is not active/);
    expect(err.hint).toMatch(/not because of the data/);
    expect(await db.rows('SELECT * FROM rejects')).toEqual([]);
    expect([...es.indices.keys()]).toEqual([]);

    const busy = new FakeCluster();
    busy.throttle.set('3', 99);
    await expect(stage(busy, spec({ onError: 'reject' }), ROWS, true)).rejects.toThrow(/document 3: too_many_requests/);
    expect(await db.rows('SELECT * FROM rejects')).toEqual([]);
  });

  it('documents refused for their data (400) still go to the rejects port', async () => {
    const es = new FakeCluster();
    es.refuse = (d) => (d.id === 2 ? 'failed to parse field [name]' : undefined);
    const st = await stage(es, spec({ onError: 'reject' }), ROWS, true);
    expect(st.rows).toBe(2);
    expect((await db.rows('SELECT id FROM rejects')).map((r) => r.id)).toEqual([2]);
  });
});

describe('upsert: the work index holds the documents as the target would', () => {
  it('a target with dynamic strict refuses an extra field while staging, not half-way through the commit', async () => {
    const es = new FakeCluster();
    const mappings = { dynamic: 'strict', properties: { id: { type: 'long' } } };
    es.indices.set('customers', { mappings, settings: {}, docs: new Map([['9', { id: 9 }]]), aliases: new Set() });
    await expect(stage(es, spec())).rejects.toThrow(/refused 3 document\(s\).*strict_dynamic_mapping_exception.*\[name\]/);
    expect([...es.indices.keys()]).toEqual(['customers']);
    expect([...es.indices.get('customers')!.docs.keys()]).toEqual(['9']);
    // With rejects connected the refused rows are kept and the others published.
    const st = await stage(es, spec({ onError: 'reject' }), `SELECT 1 AS id UNION ALL SELECT 2`, true);
    await st.prepare({ twoPhase: false });
    await st.commit();
    expect([...es.indices.get('customers')!.docs.keys()].sort()).toEqual(['1', '2', '9']);
  });

  it('a target whose mapping uses a custom analyzer can be loaded: its analysis settings come along, its _source options do not', async () => {
    const es = new FakeCluster();
    const analysis = { analyzer: { folded: { type: 'custom', tokenizer: 'standard', filter: ['lowercase', 'asciifolding'] } } };
    const mappings = { _source: { excludes: ['secret_note'] }, dynamic_templates: [{ strings: { match_mapping_type: 'string', mapping: { type: 'keyword' } } }], properties: { id: { type: 'long' }, name: { type: 'text', analyzer: 'folded' } } };
    es.indices.set('customers', { mappings, settings: { analysis, mapping: { total_fields: { limit: '5000' } } }, docs: new Map(), aliases: new Set() });
    let workSeen: { mappings: Record<string, unknown>; settings: Record<string, unknown> } | undefined;
    es.fault = (r, when) => {
      const name = /^PUT \/(customers-caudal-stage-[^/]+)$/.exec(r)?.[1];
      if (name && when === 'after') workSeen = es.indices.get(name);
      return undefined;
    };
    const st = await stage(es, spec());
    await st.prepare({ twoPhase: false });
    await st.commit();
    expect([...es.indices.get('customers')!.docs.keys()].sort()).toEqual(['1', '2', '3']);
    expect(workSeen!.settings).toMatchObject({ analysis, mapping: { total_fields: { limit: '5000' } } });
    expect(workSeen!.mappings).toMatchObject({ dynamic_templates: mappings.dynamic_templates, properties: mappings.properties });
    expect(workSeen!.mappings._source).toBeUndefined();
  });

  it('an index the sink creates gets the index settings the node names', async () => {
    const es = new FakeCluster();
    const st = await stage(es, spec({ settings: { number_of_shards: 3, number_of_replicas: 2 } }));
    await st.prepare({ twoPhase: false });
    await st.commit();
    expect(es.indices.get('customers')!.settings).toMatchObject({ number_of_shards: 3, number_of_replicas: 2 });
  });
});

describe('upsert: the commit', () => {
  it('waits for a _reindex that outlasts the request timeout as a task, instead of failing while it goes on', async () => {
    const es = new FakeCluster();
    es.slowReindex = true;
    const st = await stage(es, spec());
    await st.prepare({ twoPhase: false });
    await st.commit();
    expect([...es.indices.keys()]).toEqual(['customers']);
    expect([...es.indices.get('customers')!.docs.keys()].sort()).toEqual(['1', '2', '3']);
  });

  it('a commit that fails deletes its work index (the rerun stages its own)', async () => {
    const es = new FakeCluster();
    es.indices.set('customers', { mappings: { properties: { id: { type: 'long' } } }, settings: {}, docs: new Map(), aliases: new Set() });
    const st = await stage(es, spec());
    await st.prepare({ twoPhase: false });
    es.fault = (r, when) => (r === 'POST /_reindex' && when === 'before' ? new errors.ResponseError({ body: { error: { type: 'search_phase_execution_exception', reason: 'all shards failed' }, status: 400 }, statusCode: 400, headers: {}, warnings: null, meta: {} as never }) : undefined);
    await expect(st.commit()).rejects.toThrow(/all shards failed/);
    await st.rollback();
    expect([...es.indices.keys()]).toEqual(['customers']);
  });
});

describe('upsert: following the copy', () => {
  it('a copy whose task cannot be followed (no monitor privilege) fails the commit saying what is missing', async () => {
    const es = new FakeCluster();
    const st = await stage(es, spec());
    await st.prepare({ twoPhase: false });
    es.fault = (r, when) =>
      r.startsWith('GET /_tasks/') && when === 'before'
        ? new errors.ResponseError({ body: { error: { type: 'security_exception', reason: 'action [cluster:monitor/task/get] is unauthorized for user [loader]' }, status: 403 }, statusCode: 403, headers: {}, warnings: null, meta: {} as never })
        : undefined;
    const err = (await st.commit().catch((e: unknown) => e)) as Error & { hint?: string };
    expect(err.message).toMatch(/not allowed: security_exception: action \[cluster:monitor\/task\/get\]/);
    expect(err.hint).toMatch(/cluster privilege monitor/);
  });
});

describe('columns no document can carry are refused while planning', async () => {
  const { inspect } = await import('../core/src/engine/engine.js');
  const { pipeline } = await import('./support/pipeline.js');
  const resolved = { search: { name: 'search', type: 'elasticsearch', config: { url: 'http://127.0.0.1:1' } } };
  const problemsFor = async (query: string) => {
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query } },
        { id: 'es', type: 'sink.elasticsearch', params: { connection: 'search', index: 'products', mode: 'replace', id_columns: ['id'], on_error: 'reject' } },
      ],
      ['src -> es'],
      { connections: { search: { type: 'elasticsearch' } } },
    );
    return (await inspect({ pipeline: doc, baseDir: '/tmp', connections: resolved })).problems.map((p) => p.message);
  };

  it('a metadata field, a blank name, stray dots and a dotted name inside another column', async () => {
    const problems = await problemsFor(`SELECT 1 AS id, 'x' AS _id, 2 AS "a", 3 AS "a.b", 4 AS "b.", 5 AS " "`);
    expect(problems.join('\n')).toMatch(/column '_id' cannot be a document field: '_id' is an Elasticsearch metadata field/);
    expect(problems.join('\n')).toMatch(/column 'a\.b' cannot be a document field: .*inside 'a'/);
    expect(problems.join('\n')).toMatch(/column 'b\.' cannot be a document field/);
    expect(problems.join('\n')).toMatch(/column ' ' cannot be a document field: .*blank/);
    expect(problems).toHaveLength(4);
  });

  it('dotted names alone, and names merely starting with an underscore, are fine', async () => {
    expect(await problemsFor(`SELECT 1 AS id, 2 AS "geo.lat", 3 AS "geo.lon", 4 AS _score_hint`)).toEqual([]);
  });
});

describe('the client is closed when the stage is over', () => {
  const closed = async (client: ReturnType<FakeCluster['client']>) => (await client.info().then(() => false, (e: unknown) => (e as Error).name)) !== false;
  for (const mode of ['upsert', 'replace'] as const) {
    it(`${mode}: after finalize, and after a rollback`, async () => {
      for (const end of ['finalize', 'rollback'] as const) {
        const es = new FakeCluster();
        es.mock.add({ method: 'GET', path: '/' }, () => ({ version: { number: '8.19.0' } }));
        const client = es.client();
        await db.run(`CREATE OR REPLACE TEMP VIEW src AS ${ROWS}`);
        const columns: Column[] = (await db.rows('DESCRIBE src')).map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
        const st = await writeElasticsearch(client, spec({ mode, index: mode === 'replace' ? 'products' : 'customers' }), { relation: 'src', columns, table: 'docs' }, io(), { nodeId: 'es', connection: 'search', runId: '20250101-abcdef12' });
        expect(await closed(client)).toBe(false);
        await st.prepare({ twoPhase: false });
        if (end === 'finalize') {
          await st.commit();
          await st.finalize!();
        } else await st.rollback();
        expect(await closed(client), `${mode} ${end}`).toBe(true);
      }
    });
  }
});

describe('replace: the new index keeps the index settings the node names', () => {
  it('the loading settings (no replicas, no refresh) give way to the named ones, in either spelling', async () => {
    for (const settings of [{ refresh_interval: '30s', number_of_replicas: 0 }, { index: { refresh_interval: '30s', number_of_replicas: 0 } }, { 'index.refresh_interval': '30s', 'index.number_of_replicas': 0 }]) {
      const es = new FakeCluster();
      await stage(es, spec({ index: 'products', mode: 'replace', settings }));
      const work = [...es.indices.values()][0]!;
      expect(work.settings, JSON.stringify(settings)).toMatchObject({ refresh_interval: '30s', number_of_replicas: 0 });
    }
  });

  it('without named ones, Elasticsearch defaults come back: refresh every second, one replica', async () => {
    const es = new FakeCluster();
    await stage(es, spec({ index: 'products', mode: 'replace' }));
    expect([...es.indices.values()][0]!.settings).toMatchObject({ refresh_interval: null, number_of_replicas: 1 });
  });
});

describe('work indices killed runs left, without a load (for caudal doctor / clean)', () => {
  it('are listed without a change, then removed; a live run\'s and a swapped-in one stay', async () => {
    const { execFileSync } = await import('node:child_process');
    const { sweepDeadWorkIndices } = await import('../core/src/connectors/elasticsearch/sweep.js');
    const { self } = await import('../core/src/util/owner.js');
    const dead = Number(execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).toString());
    const es = new FakeCluster();
    const killed = `customers-caudal-stage-20240101t000000-zz-h${self.host}p${dead}`;
    const swapped = `customers-caudal-load-20240101t000000-yy-h${self.host}p${dead}`;
    const live = `customers-caudal-load-20240101t000000-xx-h${self.host}p${process.pid}`;
    for (const [name, aliases] of [[killed, []], [swapped, ['customers']], [live, []]] as const) es.indices.set(name, { mappings: {}, settings: {}, docs: new Map(), aliases: new Set(aliases) });
    expect(await sweepDeadWorkIndices(es.client(), 'customers', { dryRun: true })).toEqual([killed]);
    expect(es.indices.has(killed)).toBe(true);
    expect(await sweepDeadWorkIndices(es.client(), 'customers')).toEqual([killed]);
    expect([...es.indices.keys()].sort()).toEqual([swapped, live].sort());
  });
});
