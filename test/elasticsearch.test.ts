import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Client } from '@elastic/elasticsearch';
import { describe, expect, it } from 'vitest';
import { runPipeline } from '../core/src/engine/engine.js';
import { pipeline, tempDir } from './support/pipeline.js';
import { afterFile } from './support/cleanup.js';

/**
 * sink.elasticsearch against a real cluster, when CAUDAL_TEST_ES_URL names one
 * (`http://127.0.0.1:9200`, the official image with security off). None can run on the project's
 * machines; test/elasticsearch-sink.test.ts covers the same steps against the client mock.
 */
const ES_URL = process.env.CAUDAL_TEST_ES_URL;
const suite = ES_URL ? describe : describe.skip;
const connections = { search: { type: 'elasticsearch' } };

suite(`sink.elasticsearch (${ES_URL ? 'CAUDAL_TEST_ES_URL' : 'skipped: set CAUDAL_TEST_ES_URL to run against a real cluster'})`, async () => {
  const client = new Client({ node: ES_URL ?? 'http://127.0.0.1:9200' });
  const tag = `caudal-test-${randomUUID().slice(0, 8)}`;
  // Nothing is made for a skipped suite: its cleanup would not run.
  const dir = ES_URL ? await tempDir('caudal-es-') : '';
  afterFile(async () => {
    await client.indices.delete({ index: `${tag}*`, ignore_unavailable: true, allow_no_indices: true }).catch(() => undefined);
    await client.close();
  });
  const resolved = { search: { name: 'search', type: 'elasticsearch', config: { url: ES_URL, auth: 'none', tls_verify: true, request_timeout_s: 60 } } };
  const run = (doc: ReturnType<typeof pipeline>) => runPipeline({ pipeline: doc, baseDir: dir, connections: resolved });
  const load = (sql: string, sink: Record<string, unknown>, more: Parameters<typeof pipeline>[0] = [], edges: string[] = []) =>
    pipeline([{ id: 'src', type: 'transform.sql', params: { query: sql } }, { id: 'es', type: 'sink.elasticsearch', params: { connection: 'search', ...sink } }, ...more], ['src -> es', ...edges], { connections });
  const ids = async (index: string) => (await client.search({ index, size: 100, sort: ['_doc'] })).hits.hits.map((h) => h._id).sort();

  it('upsert indexes by id: a rerun overwrites, never duplicates', async () => {
    const index = `${tag}-up`;
    expect((await run(load(`SELECT range AS id, 'v' || range AS name FROM range(1, 4)`, { index, id_columns: ['id'] }))).status).toBe('succeeded');
    expect((await run(load(`SELECT 2 AS id, 'changed' AS name`, { index, id_columns: ['id'] }))).status).toBe('succeeded');
    await client.indices.refresh({ index });
    expect(await ids(index)).toEqual(['1', '2', '3']);
    expect((await client.get<{ name: string }>({ index, id: '2' }))._source!.name).toBe('changed');
    expect(Object.keys(await client.indices.get({ index: `${index}-caudal-*`, allow_no_indices: true }))).toEqual([]);
  });

  it('replace swaps the alias to a new index and deletes the old one', async () => {
    const alias = `${tag}-products`;
    expect((await run(load(`SELECT range AS id FROM range(1, 3)`, { index: alias, mode: 'replace', id_columns: ['id'] }))).status).toBe('succeeded');
    const first = Object.keys(await client.indices.getAlias({ name: alias }));
    expect((await run(load(`SELECT 7 AS id`, { index: alias, mode: 'replace', id_columns: ['id'] }))).status).toBe('succeeded');
    const second = Object.keys(await client.indices.getAlias({ name: alias }));
    expect(second).not.toEqual(first);
    expect(await client.indices.exists({ index: first[0]! })).toBe(false);
    expect(await ids(alias)).toEqual(['7']);
  });

  it('documents the mapping refuses go to the rejects port with the reason', async () => {
    const index = `${tag}-rej`;
    await client.indices.create({ index, mappings: { properties: { n: { type: 'integer' } } } });
    const doc = load(`SELECT * FROM (VALUES (1, '5'), (2, 'five')) t(id, n)`, { index, id_columns: ['id'], on_error: 'reject' }, [{ id: 'bad', type: 'sink.csv', params: { path: 'rejects.csv' } }], ['es:rejects -> bad']);
    const s = await run(doc);
    expect(s.status, JSON.stringify(s.error)).toBe('succeeded');
    await client.indices.refresh({ index });
    expect(await ids(index)).toEqual(['1']);
    expect(await readFile(path.join(dir, 'rejects.csv'), 'utf8')).toMatch(/^id,n,_error_status,_error_type,_error_reason\n2,five,400,document_parsing_exception|mapper_parsing_exception/);
  });
});
