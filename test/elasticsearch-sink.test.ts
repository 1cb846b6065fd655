import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Db } from '../core/src/compiler/db.js';
import { explainEsError } from '../core/src/connectors/elasticsearch/client.js';
import { deriveMappings, docSql } from '../core/src/connectors/elasticsearch/mapping.js';
import { type EsWriteSpec, recoverElasticsearch, writeElasticsearch } from '../core/src/connectors/elasticsearch/write.js';
import type { Column, HookIo } from '../core/src/nodes/define.js';
import { errors } from '@elastic/elasticsearch';
import { esWriteSpec, FakeCluster, quietIo } from './support/es-fake.js';

/**
 * sink.elasticsearch's stage and commit steps against the official client mock (request shapes,
 * retries of 429 items, alias swaps, per-item failures routed to rejects). No Elasticsearch can
 * run here; test/elasticsearch.test.ts runs pipelines against a real cluster when
 * CAUDAL_TEST_ES_URL is set.
 */
let db: Db;
beforeAll(async () => {
  db = await Db.open({ threads: 1 });
});
afterAll(() => db.close());

const io = (): HookIo => quietIo(db);
const ROWS = `SELECT * FROM (VALUES
  (1, 'Ann', 12.50::DECIMAL(10,2), TIMESTAMPTZ '2024-07-01 02:30:00+02', DATE '2024-01-31', ['a', 'b']),
  (2, 'Bob', NULL, NULL, DATE '2024-02-29', []),
  (3, 'Cy', 7.00::DECIMAL(10,2), TIMESTAMPTZ '2024-01-01 00:00:00+00', NULL, ['c'])
) AS t(id, name, price, seen, since, tags)`;

async function columnsOf(sql: string): Promise<Column[]> {
  await db.run(`CREATE OR REPLACE TEMP VIEW src AS ${sql}`);
  return (await db.rows('DESCRIBE src')).map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
}

const spec = (over: Partial<EsWriteSpec> = {}): EsWriteSpec => esWriteSpec(over, { retries: 3, retryWaitMs: 10 });

async function stage(es: FakeCluster, s: EsWriteSpec, sql = ROWS, rejects = false) {
  const columns = await columnsOf(sql);
  if (rejects) await db.run(`CREATE OR REPLACE TEMP TABLE rejects AS SELECT *, NULL::INTEGER AS _error_status, NULL::VARCHAR AS _error_type, NULL::VARCHAR AS _error_reason FROM src WHERE false`);
  return writeElasticsearch(es.client(), s, { relation: 'src', columns, table: 'docs', rejects: rejects ? 'rejects' : undefined }, io(), { nodeId: 'es', connection: 'search', runId: '20250101-abcdef12' });
}

describe('documents and mappings', () => {
  it('derives mappings from the column types, overrides on top', async () => {
    const columns = await columnsOf(ROWS);
    expect(deriveMappings(columns, { name: { type: 'keyword' } })).toEqual({
      properties: {
        id: { type: 'integer' },
        name: { type: 'keyword' },
        price: { type: 'scaled_float', scaling_factor: 100 },
        seen: { type: 'date' },
        since: { type: 'date', format: 'strict_date' },
        tags: { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } },
      },
    });
  });
  it('writes one JSON document per row with ISO UTC timestamps, exact decimals and arrays', async () => {
    const columns = await columnsOf(ROWS);
    await db.run("SET TimeZone = 'Europe/Zurich'");
    const docs = (await db.rows(`SELECT ${docSql(columns)} AS d FROM src ORDER BY id`)).map((r) => JSON.parse(String(r.d)));
    expect(docs[0]).toEqual({ id: 1, name: 'Ann', price: 12.5, seen: '2024-07-01T00:30:00.000000Z', since: '2024-01-31', tags: ['a', 'b'] });
    expect(docs[1]).toEqual({ id: 2, name: 'Bob', price: null, seen: null, since: '2024-02-29', tags: [] });
  });
});

describe('upsert through a work index and _reindex', () => {
  it('stages into a work index with loading settings, then copies by id into the index it creates', async () => {
    const es = new FakeCluster();
    const st = await stage(es, spec());
    const work = [...es.indices.keys()].find((n) => n.startsWith('customers-caudal-stage-'))!;
    expect(work).toMatch(/^customers-caudal-stage-\d{8}t\d{6}-abcdef12-h[0-9a-f]{4}p\d+$/);
    expect(es.indices.get(work)!.settings).toMatchObject({ number_of_replicas: 1, refresh_interval: null });
    expect(es.requests).toContain(`PUT /${work}`);
    expect(es.indices.has('customers')).toBe(false);
    await st.prepare({ twoPhase: false });
    await st.commit();
    expect(es.indices.has(work)).toBe(false);
    const target = es.indices.get('customers')!;
    expect([...target.docs.keys()].sort()).toEqual(['1', '2', '3']);
    expect(target.docs.get('1')).toMatchObject({ name: 'Ann', price: 12.5 });
    expect(target.mappings).toMatchObject({ properties: { price: { type: 'scaled_float' } } });
    // A second load overwrites by id: no duplicates.
    const again = await stage(es, spec(), `SELECT 1 AS id, 'Ann B.' AS name`);
    await again.prepare({ twoPhase: false });
    await again.commit();
    expect(target.docs.size).toBe(3);
    expect(target.docs.get('1')).toEqual({ id: 1, name: 'Ann B.' });
  });

  it('sends bulk requests of about flush size, and retries documents answered 429 until they pass', async () => {
    const es = new FakeCluster();
    es.throttle.set('2', 2);
    const many = `SELECT range AS id, repeat('x', 200) AS name FROM range(1, 2001)`;
    const st = await stage(es, spec({ flushBytes: 50_000 }), many);
    await st.prepare({ twoPhase: false });
    await st.commit();
    expect(es.indices.get('customers')!.docs.size).toBe(2000);
    expect(es.bulkSizes.length).toBeGreaterThan(5);
    // The 429 document came back alone, twice.
    expect(es.bulkSizes.filter((n) => n === 1).length).toBe(2);
  });

  it('a document answered 429 more often than the retries is refused like any other', async () => {
    const es = new FakeCluster();
    es.throttle.set('3', 99);
    await expect(stage(es, spec({ retries: 1 }))).rejects.toThrow(/refused 1 document\(s\).*document 3: too_many_requests: still refused after 1 retries/);
    expect([...es.indices.keys()]).toEqual([]);
  });

  it('refused documents fail the run by default, naming them and the reason; nothing is published', async () => {
    const es = new FakeCluster();
    es.refuse = (d) => (d.name === 'Bob' ? 'failed to parse field [name]' : undefined);
    await expect(stage(es, spec())).rejects.toThrow(/refused 1 document\(s\) for index 'customers' \(document 2: mapper_parsing_exception: failed to parse field \[name\]\)/);
    expect([...es.indices.keys()]).toEqual([]);
  });

  it('with on_error reject, refused rows go to the rejects table with their reason and the rest is published', async () => {
    const es = new FakeCluster();
    es.refuse = (d) => (d.name === 'Bob' ? 'failed to parse field [name]' : undefined);
    const st = await stage(es, spec({ onError: 'reject' }), ROWS, true);
    expect(st.rows).toBe(2);
    expect(await db.rows('SELECT id, name, _error_status, _error_type, _error_reason FROM rejects')).toEqual([
      { id: 2, name: 'Bob', _error_status: 400, _error_type: 'mapper_parsing_exception', _error_reason: 'failed to parse field [name]' },
    ]);
    await st.prepare({ twoPhase: false });
    await st.commit();
    expect([...es.indices.get('customers')!.docs.keys()].sort()).toEqual(['1', '3']);
  });

  it('a rolled-back run deletes its work index and leaves the index as it was', async () => {
    const es = new FakeCluster();
    es.indices.set('customers', { mappings: { properties: { id: { type: 'long' } } }, settings: {}, docs: new Map([['9', { id: 9 }]]), aliases: new Set() });
    const st = await stage(es, spec());
    await st.prepare({ twoPhase: false });
    await st.rollback();
    expect([...es.indices.keys()]).toEqual(['customers']);
    expect([...es.indices.get('customers')!.docs.keys()]).toEqual(['9']);
  });

  it('an id over 512 bytes, or empty, stops the load before anything is sent (Elasticsearch would refuse the whole bulk request)', async () => {
    const es = new FakeCluster();
    await expect(stage(es, spec(), `SELECT repeat('é', 300) AS id, 'a' AS name`)).rejects.toThrow(/document id 'é{60}…' of 600 bytes \(from id\); Elasticsearch takes ids of 1 to 512 bytes/);
    await expect(stage(es, spec(), `SELECT '' AS id, 'a' AS name`)).rejects.toThrow(/an empty document id \(from id\)/);
    expect(es.requests.filter((r) => r.includes('_bulk'))).toEqual([]);
  });

  it('a duplicate id stops the load before anything is sent', async () => {
    const es = new FakeCluster();
    await expect(stage(es, spec(), `SELECT * FROM (VALUES (1, 'a'), (1, 'b')) t(id, name)`)).rejects.toThrow(/document id '1' is produced by 2 rows/);
    expect(es.requests.filter((r) => r.startsWith('PUT') || r.startsWith('POST'))).toEqual([]);
  });
});

describe('replace: a new index behind the alias, swapped in one call', () => {
  const withOld = () => {
    const es = new FakeCluster();
    es.indices.set('products-v1', { mappings: {}, settings: {}, docs: new Map([['old', { id: 'old' }]]), aliases: new Set(['products']) });
    return es;
  };

  it('moves the alias in one _aliases call and deletes the old index only at finalize', async () => {
    const es = withOld();
    const st = await stage(es, spec({ index: 'products', mode: 'replace' }));
    const work = [...es.indices.keys()].find((n) => n.startsWith('products-caudal-load-'))!;
    expect(es.aliasHolders('products')).toEqual(['products-v1']);
    await st.prepare({ twoPhase: true });
    await st.commit();
    expect(es.aliasCalls).toEqual([[{ remove: { index: 'products-v1', alias: 'products' } }, { add: { index: work, alias: 'products', is_write_index: true } }]]);
    expect(es.aliasHolders('products')).toEqual([work]);
    expect(es.indices.has('products-v1')).toBe(true);
    expect(await st.finalize!()).toEqual([]);
    expect([...es.indices.keys()]).toEqual([work]);
    expect(es.resolve('products')!.docs.size).toBe(3);
  });

  it('undo moves the alias back; the rollback then deletes the new index', async () => {
    const es = withOld();
    const st = await stage(es, spec({ index: 'products', mode: 'replace' }));
    await st.prepare({ twoPhase: true });
    await st.commit();
    await st.undo!();
    await st.rollback();
    expect(es.aliasHolders('products')).toEqual(['products-v1']);
    expect([...es.indices.keys()]).toEqual(['products-v1']);
  });

  it('refuses to replace a real index of that name, changing nothing', async () => {
    const es = new FakeCluster();
    es.indices.set('products', { mappings: {}, settings: {}, docs: new Map(), aliases: new Set() });
    const st = await stage(es, spec({ index: 'products', mode: 'replace' }));
    await expect(st.prepare({ twoPhase: false })).rejects.toThrow(/'products' is an index, not an alias/);
    await st.rollback();
    expect([...es.indices.keys()]).toEqual(['products']);
  });

  it('recovery after a kill: rollback moves the alias back, commit removes the old index', async () => {
    const es = withOld();
    const st = await stage(es, spec({ index: 'products', mode: 'replace' }));
    const { recovery } = await st.prepare({ twoPhase: true });
    await st.commit();
    await recoverElasticsearch(es.client(), recovery!, 'rollback');
    expect(es.aliasHolders('products')).toEqual(['products-v1']);
    expect([...es.indices.keys()]).toEqual(['products-v1']);

    const again = await stage(es, spec({ index: 'products', mode: 'replace' }));
    const r2 = await again.prepare({ twoPhase: true });
    await again.commit();
    await recoverElasticsearch(es.client(), r2.recovery!, 'commit');
    expect(es.indices.has('products-v1')).toBe(false);
    expect(es.resolve('products')!.docs.size).toBe(3);
  });
});

describe('cleanup and errors', () => {
  it('work indices of killed runs are deleted by the next load; live ones and aliased ones stay', async () => {
    const es = new FakeCluster();
    const { execFileSync } = await import('node:child_process');
    const dead = Number(execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).toString());
    const host = (await import('../core/src/util/owner.js')).self.host;
    es.indices.set(`customers-caudal-stage-20240101t000000-zz-h${host}p${dead}`, { mappings: {}, settings: {}, docs: new Map(), aliases: new Set() });
    es.indices.set(`customers-caudal-load-20240101t000000-zz-h${host}p${process.pid}`, { mappings: {}, settings: {}, docs: new Map(), aliases: new Set() });
    const st = await stage(es, spec());
    await st.rollback();
    expect([...es.indices.keys()]).toEqual([`customers-caudal-load-20240101t000000-zz-h${host}p${process.pid}`]);
  });

  it('explains authentication, reachability and cluster errors without secrets', () => {
    const ctx = { nodeId: 'es', connection: 'search', secrets: ['t0ps3cret'] };
    const auth = explainEsError(new errors.ResponseError({ body: { error: { type: 'security_exception', reason: 'unable to authenticate t0ps3cret' } }, statusCode: 401, headers: {}, warnings: null, meta: {} as never }), ctx);
    expect(auth.kind).toBe('io');
    expect(auth.message).not.toContain('t0ps3cret');
    expect(auth.hint).toContain('CAUDAL_SECRET_SEARCH_PASSWORD');
    expect(explainEsError(new errors.ConnectionError('connect ECONNREFUSED 127.0.0.1:9200'), ctx).hint).toContain('caudal connections test search');
  });
});

describe('the node in a pipeline (planning needs no cluster)', async () => {
  const { inspect } = await import('../core/src/engine/engine.js');
  const { pipeline } = await import('./support/pipeline.js');
  const resolved = { search: { name: 'search', type: 'elasticsearch', config: { url: 'http://127.0.0.1:1' } } };
  const doc = (sink: Record<string, unknown>) =>
    pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: 'SELECT 1 AS id, 2.5 AS price' } },
        { id: 'es', type: 'sink.elasticsearch', params: { connection: 'search', ...sink } },
        { id: 'bad', type: 'sink.csv', params: { path: 'rejects.csv' } },
      ],
      ['src -> es', 'es:rejects -> bad'],
      { connections: { search: { type: 'elasticsearch' } } },
    );

  it('offers a rejects port with the input columns and the reason', async () => {
    const r = await inspect({ pipeline: doc({ index: 'products', id_columns: ['id'], on_error: 'reject' }), baseDir: '/tmp', connections: resolved });
    expect(r.problems).toEqual([]);
    expect(r.nodes.find((n) => n.nodeId === 'es')!.outputs[0]!.columns.map((c) => c.name)).toEqual(['id', 'price', '_error_status', '_error_type', '_error_reason']);
  });

  it('refuses an upsert without ids, a bad index name and an unknown id column, before anything runs', async () => {
    const noIds = await inspect({ pipeline: doc({ index: 'products' }), baseDir: '/tmp', connections: resolved });
    expect(noIds.problems.map((p) => p.message).join()).toContain('upsert needs id columns');
    const badName = await inspect({ pipeline: doc({ index: 'Products', id_columns: ['id'] }), baseDir: '/tmp', connections: resolved });
    expect(badName.problems.map((p) => p.message).join()).toContain("'Products' is not a valid index name");
    const unknown = await inspect({ pipeline: doc({ index: 'products', id_columns: ['idd'] }), baseDir: '/tmp', connections: resolved });
    expect(unknown.problems.map((p) => p.message).join()).toMatch(/id column 'idd' is not in the input.*did you mean 'id'/);
  });
});
