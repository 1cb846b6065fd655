import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { previewPipeline, runPipeline } from '../core/src/engine/engine.js';
import type { ResolvedConnection } from '../core/src/nodes/define.js';
import { caudal } from './support/cli.js';
import { startApi, type TestApi } from './services/http-api/server.js';
import { pipeline, tempDir } from './support/pipeline.js';

describe('transform.http_enrich', () => {
  let api: TestApi;
  let dir: string;
  beforeAll(async () => {
    api = await startApi({ records: 10 });
    dir = await tempDir();
  });
  afterAll(() => api.close());
  const conn = (): Record<string, ResolvedConnection> => ({
    geo: { name: 'geo', type: 'rest', config: { base_url: api.url, auth: 'none', api_key_name: 'X-API-Key', api_key_in: 'header', client_auth: 'basic', headers: {}, timeout_s: 5, test_path: '' } },
  });
  // 12 rows, 4 distinct addresses (one NULL); 'nowhere' answers 404, 'broken' 500.
  const addresses = `SELECT range AS id, ['Gran Via 1', 'Rua Augusta 2', 'nowhere', NULL][range % 4 + 1] AS address FROM range(12)`;
  let n = 0;
  const doc = (params: Record<string, unknown>, query = addresses, name = 'enrich') => {
    const out = path.join(dir, `enriched-${++n}.json`);
    const rejects = path.join(dir, `rejects-${n}.json`);
    const d = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query } },
        {
          id: 'geo',
          type: 'transform.http_enrich',
          params: { connection: 'geo', url: '/geocode?q={address}', outputs: [{ name: 'lat', path: 'results[0].lat', type: 'DOUBLE' }, { name: 'formatted', path: '$.results[0].formatted' }], ...params },
        },
        { id: 'dst', type: 'sink.json', params: { path: out, format: 'array', if_exists: 'overwrite' } },
        { id: 'rej', type: 'sink.json', params: { path: rejects, format: 'array', if_exists: 'overwrite' } },
      ],
      ['src -> geo', 'geo:out -> dst', 'geo:rejects -> rej'],
      { connections: { geo: { type: 'rest' } }, name },
    );
    return { d, out, rejects };
  };
  const geocodes = () => api.log.filter((l) => l.path === '/geocode');

  it('calls once per distinct value, joins the answers back to every row, NULL for 404 and NULL keys', async () => {
    const before = geocodes().length;
    const { d, out } = doc({ cache: { enabled: false } });
    const s = await runPipeline({ pipeline: d, baseDir: dir, connections: conn(), stateDir: path.join(dir, 'state') });
    expect(s.error).toBeUndefined();
    expect(geocodes().slice(before).map((l) => l.query.q).sort()).toEqual(['Gran Via 1', 'Rua Augusta 2', 'nowhere']);
    const rows = (JSON.parse(await readFile(out, 'utf8')) as Array<Record<string, unknown>>).sort((a, b) => Number(a.id) - Number(b.id));
    expect(rows).toHaveLength(12);
    expect(rows[0]).toMatchObject({ id: 0, address: 'Gran Via 1', formatted: 'GRAN VIA 1' });
    expect(typeof rows[0]!.lat).toBe('number');
    expect(rows[4]).toEqual({ ...rows[0], id: 4 });
    expect(rows[2]).toMatchObject({ address: 'nowhere', lat: null, formatted: null });
    expect(rows[3]).toMatchObject({ address: null, lat: null });
  });

  it('an answer holding an integer beyond 2^53 stops the run naming the lookup, instead of arriving rounded', async () => {
    api.fault('/geocode', { status: 200, body: '{"results":[{"lat":40.1,"place_id":9007199254740993}]}' });
    const { d } = doc({ cache: { enabled: false }, outputs: [{ name: 'place', path: 'results[0].place_id', type: 'BIGINT' }] }, `SELECT 1 AS id, 'Gran Via 1' AS address`);
    const s = await runPipeline({ pipeline: d, baseDir: dir, connections: conn(), stateDir: path.join(dir, 'state') });
    expect(s.status).toBe('failed');
    expect(s.error!.message).toContain(`node 'geo': the answer for address="Gran Via 1" holds an integer beyond 2^53 at 'results[0].place_id' (read as 9007199254740992)`);
  });

  it('an answer that repeats a key stops the run naming it, instead of taking the last value as JSON.parse does', async () => {
    api.fault('/geocode', { status: 200, body: '{"results":[{"lat":40.1,"formatted":"A","lat":41.2}]}' });
    const { d } = doc({ cache: { enabled: false } }, `SELECT 1 AS id, 'Gran Via 1' AS address`);
    const s = await runPipeline({ pipeline: d, baseDir: dir, connections: conn(), stateDir: path.join(dir, 'state') });
    expect(s.status).toBe('failed');
    expect(s.error!.message).toContain(`node 'geo': the answer for address="Gran Via 1" holds the key "lat" twice in one object, and which value is meant cannot be told`);
  });

  it('an answer in the charset its Content-Type names is decoded with it; one that is not UTF-8 and names none is refused, not read as U+FFFD', async () => {
    const body = '{"results":[{"lat":40.1,"formatted":"Calle Jos\u00e9 Ortega, M\u00e1laga"}]}';
    api.fault('/geocode', { status: 200, body, latin1: true, charset: 'ISO-8859-1' });
    const named = doc({ cache: { enabled: false } }, `SELECT 1 AS id, 'Gran Via 1' AS address`);
    const s = await runPipeline({ pipeline: named.d, baseDir: dir, connections: conn(), stateDir: path.join(dir, 'state') });
    expect(s.error).toBeUndefined();
    expect(JSON.parse(await readFile(named.out, 'utf8'))).toEqual([{ id: 1, address: 'Gran Via 1', lat: 40.1, formatted: 'Calle José Ortega, Málaga' }]);

    api.fault('/geocode', { status: 200, body, latin1: true });
    const unnamed = doc({ cache: { enabled: false } }, `SELECT 1 AS id, 'Gran Via 1' AS address`);
    const f = await runPipeline({ pipeline: unnamed.d, baseDir: dir, connections: conn(), stateDir: path.join(dir, 'state') });
    expect(f.status).toBe('failed');
    expect(f.error!.message).toContain('HTTP 200 but the answer is not UTF-8 text (near ');
    expect(f.error!.message).toContain('Calle Jos\uFFFD Ortega');
  });

  it('an answer that its output type would change stops the run, where DuckDB would truncate 0.87 to 0', async () => {
    api.fault('/geocode', { status: 200, body: '{"results":[{"score":0.87,"since":"2024-03-04T10:00:00+02:00"}]}' });
    const outputs = [{ name: 'score', path: 'results[0].score', type: 'INTEGER' }];
    const { d } = doc({ cache: { enabled: false }, outputs }, `SELECT 1 AS id, 'Gran Via 1' AS address`);
    const s = await runPipeline({ pipeline: d, baseDir: dir, connections: conn(), stateDir: path.join(dir, 'state') });
    expect(s.status).toBe('failed');
    expect(s.error!.message).toContain(`output column "score": the API answered '0.87' is not a whole number of type INTEGER`);

    api.fault('/geocode', { status: 200, body: '{"results":[{"score":1.0,"since":"2024-03-04T10:00:00+02:00"}]}' });
    const typed = doc({ cache: { enabled: false }, outputs: [...outputs, { name: 'since', path: 'results[0].since', type: 'TIMESTAMP' }] }, `SELECT 1 AS id, 'Gran Via 1' AS address`);
    const offset = await runPipeline({ pipeline: typed.d, baseDir: dir, connections: conn(), stateDir: path.join(dir, 'state') });
    expect(offset.error!.message).toContain(`output column "since": the API answered '2024-03-04T10:00:00+02:00' is not a TIMESTAMP without losing its UTC offset +02:00`);
  });

  it('keeps answers in a cache under the state folder: a rerun and a preview make no request; state reset clears it', async () => {
    const stateDir = path.join(dir, 'cached-state');
    const { d } = doc({}, addresses, 'cached');
    await runPipeline({ pipeline: d, baseDir: dir, connections: conn(), stateDir });
    const before = geocodes().length;
    expect((await runPipeline({ pipeline: d, baseDir: dir, connections: conn(), stateDir })).error).toBeUndefined();
    const p = await previewPipeline({ pipeline: d, baseDir: dir, nodeId: 'geo', connections: conn(), stateDir });
    expect(p.rows.length).toBe(12);
    expect(geocodes().length).toBe(before);

    const file = path.join(dir, 'cached.json');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(file, JSON.stringify(d));
    const reset = await caudal(['state', 'reset', file, '--node', 'geo', '--state-dir', stateDir]);
    expect(reset.code, reset.stderr).toBe(0);
    await runPipeline({ pipeline: d, baseDir: dir, connections: conn(), stateDir });
    expect(geocodes().length).toBe(before + 3);
  });

  it("keeps cached answers per account: a connection switched to another API key asks again instead of reading the other account's answers", async () => {
    const stateDir = path.join(dir, 'per-account-state');
    const keyed = (key: string): Record<string, ResolvedConnection> => ({ geo: { ...conn().geo!, config: { ...conn().geo!.config, auth: 'api_key', api_key: key } } });
    const { d } = doc({}, addresses, 'per-account');
    await runPipeline({ pipeline: d, baseDir: dir, connections: keyed('key-of-account-a'), stateDir });
    const afterA = geocodes().length;
    await runPipeline({ pipeline: d, baseDir: dir, connections: keyed('key-of-account-a'), stateDir });
    expect(geocodes().length).toBe(afterA);
    expect((await runPipeline({ pipeline: d, baseDir: dir, connections: keyed('key-of-account-b'), stateDir })).error).toBeUndefined();
    expect(geocodes().length).toBe(afterA + 3);
  });

  it('routes failed lookups to rejects (after retries), or fails naming the row', async () => {
    const failing = `SELECT range AS id, ['Gran Via 1', 'broken'][range % 2 + 1] AS address FROM range(4)`;
    const { d, out, rejects } = doc({ on_error: 'reject', retries: 1, cache: { enabled: false } }, failing);
    const before = geocodes().length;
    const s = await runPipeline({ pipeline: d, baseDir: dir, connections: conn(), stateDir: path.join(dir, 'state') });
    expect(s.error).toBeUndefined();
    expect(geocodes().length - before).toBe(1 + 2);
    expect((JSON.parse(await readFile(out, 'utf8')) as unknown[]).length).toBe(2);
    const rej = JSON.parse(await readFile(rejects, 'utf8')) as Array<Record<string, unknown>>;
    expect(rej).toHaveLength(2);
    expect(rej[0]).toMatchObject({ address: 'broken', http_status: 500 });
    expect(String(rej[0]!.http_error)).toMatch(/HTTP 500/);

    const fail = doc({ retries: 0, cache: { enabled: false } }, failing);
    const f = await runPipeline({ pipeline: fail.d, baseDir: dir, connections: conn(), stateDir: path.join(dir, 'state') });
    expect(f.status).toBe('failed');
    expect(f.error!.message).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/geocode\?q=broken failed: HTTP 500.*the lookup for address="broken"/);
  });

  it('names an unknown column in the template before anything runs', async () => {
    const { d } = doc({ url: '/geocode?q={adress}' });
    const s = await runPipeline({ pipeline: d, baseDir: dir, connections: conn() });
    expect(s.error!.problems?.[0]).toMatchObject({ code: 'unknown_column', message: "node 'geo': the request uses column 'adress', which is not in the input (did you mean 'address'?)" });
  });
});
