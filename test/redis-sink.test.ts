import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RESP_TYPES } from 'redis';
import { describe, expect, it } from 'vitest';
import { runPipeline } from '../core/src/engine/engine.js';
import { Db } from '../core/src/compiler/db.js';
import { redisFields } from '../core/src/connections/redis/redis.connection.js';
import { parseKeyTemplate } from '../core/src/connectors/redis/template.js';
import { type RedisWriteSpec, writeRedis } from '../core/src/connectors/redis/write.js';
import { REGISTRY_KEY } from '../core/src/connectors/redis/names.js';
import type { HookIo } from '../core/src/nodes/define.js';
import { caudal } from './support/cli.js';
import { pipeline, tempDir } from './support/pipeline.js';
import { redisConfig, redisConnection, redisSandbox } from './support/redis.js';

/**
 * sink.redis against the real Redis on loopback: every key it writes lives under this file's
 * prefix, and its staging keys carry node ids with this file's tag (both removed afterwards).
 */
// A database of its own: the crash tests below leave a killed run's registry entry for `caudal
// doctor` to find, which another file's Redis load in database 0 would sweep first.
const DB = 7;
const { client, prefix, tag, keys } = await redisSandbox(DB);
const dir = await tempDir('caudal-redis-');
const node = (name: string) => `${name}_${tag}`;

const rows = (sql: string) => ({ id: 'src', type: 'transform.sql', params: { query: sql } });
const load = (sql: string, sink: Record<string, unknown>, id = node('dst')) =>
  pipeline([rows(sql), { id, type: 'sink.redis', params: { connection: 'cache', ...sink } }], [`src -> ${id}`], { connections: { cache: { type: 'redis' } } });
const run = (doc: ReturnType<typeof load>) => runPipeline({ pipeline: doc, baseDir: dir, connections: redisConnection('cache', DB) });

/** What a run may leave behind in Redis for this file's nodes. */
async function debris(): Promise<string[]> {
  const staging = ((await client.sMembers(REGISTRY_KEY)) as string[]).filter((m) => m.includes(tag));
  return [...(await keys(`caudal:*${tag}*`)), ...staging.map((m) => `registry ${m}`)];
}

const CUSTOMERS = `SELECT * FROM (VALUES
  (1, 'Ann', 1.5::DECIMAL(5,2), DATE '2024-01-31', true, [1, 2], NULL::VARCHAR),
  (2, 'Bob', NULL, DATE '2024-02-29', false, [], 'vip')
) AS t(customer_id, name, balance, since, active, tags, note)`;

describe('sink.redis: key templates (no server needed)', () => {
  it('splits text and {column} references; {{ and }} are literal braces', () => {
    expect(parseKeyTemplate('customer:{customer_id}')).toEqual([{ text: 'customer:' }, { column: 'customer_id' }]);
    expect(parseKeyTemplate('{{x}}:{a}:{b}')).toEqual([{ text: '{x}:' }, { column: 'a' }, { text: ':' }, { column: 'b' }]);
  });
  it('says where a template is broken', () => {
    expect(() => parseKeyTemplate('customer:{id')).toThrow(/unclosed '\{' at position 10/);
    expect(() => parseKeyTemplate('customer:{}')).toThrow(/empty/);
    expect(() => parseKeyTemplate('customer')).toThrow(/names no column/);
    expect(() => parseKeyTemplate('a}b{c}')).toThrow(/'}' without '\{' at position 2/);
  });
});

describe('sink.redis (real Redis)', () => {
  it('upsert writes one hash per row: NULL fields left out, values as text, nested values as JSON', async () => {
    const s = await run(load(CUSTOMERS, { key: `${prefix}customer:{customer_id}` }));
    expect(s.status, JSON.stringify(s.error)).toBe('succeeded');
    expect(s.outputs[0]!.rows).toBe(2);
    expect(await client.hGetAll(`${prefix}customer:1`)).toEqual({ customer_id: '1', name: 'Ann', balance: '1.50', since: '2024-01-31', active: 'true', tags: '[1,2]' });
    expect(await client.hGetAll(`${prefix}customer:2`)).toEqual({ customer_id: '2', name: 'Bob', since: '2024-02-29', active: 'false', tags: '[]', note: 'vip' });
    expect(await client.pTTL(`${prefix}customer:1`)).toBe(-1);
    expect(await debris()).toEqual([]);
  });

  it('a second upsert replaces the keys of its rows whole and leaves other keys alone', async () => {
    const key = `${prefix}up:{id}`;
    await client.hSet(`${prefix}up:9`, { untouched: 'yes' });
    await client.hSet(`${prefix}up:1`, { old_field: 'gone after the upsert' });
    expect((await run(load(`SELECT range AS id, 'v' || range AS name FROM range(1, 4)`, { key }))).status).toBe('succeeded');
    expect(await client.hGetAll(`${prefix}up:1`)).toEqual({ id: '1', name: 'v1' });
    expect((await run(load(`SELECT 2 AS id, 'changed' AS name`, { key }))).status).toBe('succeeded');
    expect(await client.hGetAll(`${prefix}up:2`)).toEqual({ id: '2', name: 'changed' });
    expect(await client.hGetAll(`${prefix}up:3`)).toEqual({ id: '3', name: 'v3' });
    expect(await client.hGetAll(`${prefix}up:9`)).toEqual({ untouched: 'yes' });
    expect(await debris()).toEqual([]);
  });

  it('json and string values, with a TTL', async () => {
    const j = await run(load(CUSTOMERS, { key: `${prefix}j:{customer_id}`, value: 'json', columns: ['name', 'balance', 'note'], ttl_s: 600 }, node('json')));
    expect(j.status, JSON.stringify(j.error)).toBe('succeeded');
    expect(JSON.parse((await client.get(`${prefix}j:1`))!)).toEqual({ name: 'Ann', balance: 1.5, note: null });
    const ttl = await client.pTTL(`${prefix}j:1`);
    expect(ttl).toBeGreaterThan(590_000);
    expect(ttl).toBeLessThanOrEqual(600_000);
    const s = await run(load(CUSTOMERS, { key: `${prefix}s:{name}`, value: 'string', value_column: 'since' }, node('str')));
    expect(s.status, JSON.stringify(s.error)).toBe('succeeded');
    expect([await client.get(`${prefix}s:Ann`), await client.get(`${prefix}s:Bob`)]).toEqual(['2024-01-31', '2024-02-29']);
  });

  it('a JSON value with NaN or Infinity, which JSON cannot hold, stops the run naming the column; nothing is written', async () => {
    const sql = `SELECT range AS id, CASE WHEN range = 3 THEN 1 / 0.0 ELSE range / 4 END AS ratio, [range / 0.0] AS spread FROM range(5)`;
    const flat = await run(load(sql, { key: `${prefix}nan:{id}`, value: 'json', columns: ['ratio'] }, node('nanjson')));
    expect(flat.status).toBe('failed');
    expect(flat.error!.message).toContain('column "ratio" holds inf, which JSON cannot represent');
    // A hash field holding a list is written as JSON too.
    const nested = await run(load(sql, { key: `${prefix}nan:{id}`, columns: ['spread'] }, node('nanhash')));
    expect(nested.error!.message).toContain('column "spread" holds [nan], which JSON cannot represent');
    expect(await keys(`${prefix}nan:*`)).toEqual([]);
    expect(await debris()).toEqual([]);
  });

  it('replace_namespace writes a new version, switches the pointer, and lets the previous version expire', async () => {
    const ns = `${prefix}cust`;
    const sink = { key: 'c:{id}', mode: 'replace_namespace', namespace: ns, old_ttl_s: 30 };
    expect((await run(load(`SELECT range AS id, 'first' AS v FROM range(1, 4)`, sink))).status).toBe('succeeded');
    const v1 = (await client.get(`${ns}:current`))!;
    expect(v1).toMatch(/^\d{8}T\d{6}-\w+-h[0-9a-f]{4}p\d+$/);
    expect(await client.hGetAll(`${ns}:${v1}:c:3`)).toEqual({ id: '3', v: 'first' });
    expect(await client.pTTL(`${ns}:${v1}:c:3`)).toBe(-1);

    expect((await run(load(`SELECT range AS id, 'second' AS v FROM range(1, 3)`, sink))).status).toBe('succeeded');
    const v2 = (await client.get(`${ns}:current`))!;
    expect(v2).not.toBe(v1);
    expect(await keys(`${ns}:${v2}:*`)).toEqual([`${ns}:${v2}:c:1`, `${ns}:${v2}:c:2`]);
    // The old version stays readable for a while, then expires.
    expect(await client.hGetAll(`${ns}:${v1}:c:3`)).toEqual({ id: '3', v: 'first' });
    const ttl = await client.pTTL(`${ns}:${v1}:c:3`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(30_000);

    expect((await run(load(`SELECT 7 AS id, 'third' AS v`, { ...sink, old_ttl_s: 0 }))).status).toBe('succeeded');
    const v3 = (await client.get(`${ns}:current`))!;
    expect(await keys(`${ns}:${v2}:*`)).toEqual([]);
    expect(await keys(`${ns}:${v3}:*`)).toEqual([`${ns}:${v3}:c:7`]);
    expect(await debris()).toEqual([]);
  });

  it('a NULL or duplicate key stops the run before anything is written, naming it', async () => {
    await client.hSet(`${prefix}bad:1`, { v: 'before' });
    const nul = await run(load(`SELECT * FROM (VALUES (1, 'x'), (NULL, 'y')) t(id, v)`, { key: `${prefix}bad:{id}` }));
    expect(nul.status).toBe('failed');
    expect(nul.error!.message).toMatch(/1 row\(s\) have no key: 'id' is NULL/);
    const dup = await run(load(`SELECT * FROM (VALUES (1, 'x'), (1, 'y')) t(id, v)`, { key: `${prefix}bad:{id}` }));
    expect(dup.status).toBe('failed');
    expect(dup.error!.message).toContain(`key '${prefix}bad:1' is produced by 2 rows`);
    expect(dup.error!.hint).toMatch(/dedupe/);
    expect(await client.hGetAll(`${prefix}bad:1`)).toEqual({ v: 'before' });
    expect(await debris()).toEqual([]);
  });

  it('text with quotes, backslashes, control characters and emoji, and bytes, arrive exactly as they were', async () => {
    const text = `'say "hi"\\n' || chr(10) || 'tab' || chr(9) || 'é ☃ 🦆 \\u0041'`;
    const sql = `SELECT 1 AS id, ${text} AS t, from_hex('00ff7f0d0a22') AS b`;
    const h = await run(load(sql, { key: `${prefix}txt:{id}` }, node('txt')));
    expect(h.status, JSON.stringify(h.error)).toBe('succeeded');
    const expected = 'say "hi"\\n\ntab\té ☃ 🦆 \\u0041';
    expect(await client.hGet(`${prefix}txt:1`, 't')).toBe(expected);
    const binary = client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
    expect((await binary.hGet(`${prefix}txt:1`, 'b'))?.toString('hex')).toBe('00ff7f0d0a22');
    const s = await run(load(sql, { key: `${prefix}bin:{id}`, value: 'string', value_column: 'b' }, node('bin')));
    expect(s.status, JSON.stringify(s.error)).toBe('succeeded');
    expect((await binary.get(`${prefix}bin:1`))?.toString('hex')).toBe('00ff7f0d0a22');
    const j = await run(load(sql, { key: `${prefix}tj:{id}`, value: 'json', columns: ['t'] }, node('tj')));
    expect(j.status, JSON.stringify(j.error)).toBe('succeeded');
    expect(JSON.parse((await client.get(`${prefix}tj:1`))!)).toEqual({ t: expected });
  });

  it('a row of 5,000 columns becomes one hash with every field; an empty input writes nothing', async () => {
    const cols = Array.from({ length: 5000 }, (_, i) => `'v${i}' AS c${i}`).join(', ');
    const wide = await run(load(`SELECT 1 AS id, ${cols}`, { key: `${prefix}wide:{id}` }, node('wide')));
    expect(wide.status, JSON.stringify(wide.error)).toBe('succeeded');
    expect(await client.hLen(`${prefix}wide:1`)).toBe(5001);
    expect(await client.hGet(`${prefix}wide:1`, 'c4999')).toBe('v4999');
    const none = await run(load(`SELECT 1 AS id, 'x' AS v WHERE false`, { key: `${prefix}none:{id}` }, node('none')));
    expect(none.status, JSON.stringify(none.error)).toBe('succeeded');
    expect(none.outputs[0]!.rows).toBe(0);
    expect(await keys(`${prefix}none:*`)).toEqual([]);
    expect(await debris()).toEqual([]);
  });

  it('a row with nothing to store (a NULL value, or a hash with every column NULL) stops the run, naming its key', async () => {
    const str = await run(load(`SELECT * FROM (VALUES (1, 'x'), (2, NULL), (3, NULL)) t(id, v)`, { key: `${prefix}nv:{id}`, value: 'string', value_column: 'v' }, node('nv')));
    expect(str.status).toBe('failed');
    expect(str.error!.message).toMatch(new RegExp(`2 row\\(s\\), the first with key '${prefix}nv:[23]', have a NULL value \\('v'\\); Redis cannot store a NULL`));
    const hash = await run(load(`SELECT * FROM (VALUES (1, 'x', 1), (2, NULL, NULL)) t(id, a, b)`, { key: `${prefix}nh:{id}`, columns: ['a', 'b'] }, node('nh')));
    expect(hash.status).toBe('failed');
    expect(hash.error!.message).toContain(`1 row(s), the first with key '${prefix}nh:2', have no value in any column`);
    expect(await keys(`${prefix}n[vh]:*`)).toEqual([]);
    expect(await debris()).toEqual([]);
  });

  it('an unknown column in the key template is refused before anything is read', async () => {
    const s = await run(load(`SELECT 1 AS customer_id`, { key: `${prefix}x:{custmer_id}` }));
    expect(s.status).toBe('failed');
    expect(s.error!.message).toMatch(/column 'custmer_id' is not in the input.*did you mean 'customer_id'/);
  });

  it('a run that fails after the Redis sink staged (another sink fails) leaves Redis as it was', async () => {
    await client.hSet(`${prefix}other:1`, { v: 'before' });
    const doc = pipeline(
      [
        rows(`SELECT 1 AS id, 'after' AS v`),
        { id: node('cache'), type: 'sink.redis', params: { connection: 'cache', key: `${prefix}other:{id}` } },
        { id: 'bad', type: 'sink.csv', params: { path: 'out/x.csv', if_exists: 'fail' } },
      ],
      [`src -> ${node('cache')}`, 'src -> bad'],
      { connections: { cache: { type: 'redis' } } },
    );
    await mkdir(path.join(dir, 'out'), { recursive: true });
    await writeFile(path.join(dir, 'out/x.csv'), 'exists\n');
    const s = await run(doc);
    expect(s.status).toBe('failed');
    expect(await client.hGetAll(`${prefix}other:1`)).toEqual({ v: 'before' });
    expect(await debris()).toEqual([]);
  });
});

describe('sink.redis commit steps (real Redis, the stage driven directly)', () => {
  async function staged(spec: Partial<RedisWriteSpec>, sql: string, id: string) {
    const db = await Db.open({ threads: 1 });
    await db.run(`CREATE TEMP VIEW src AS ${sql}`);
    const io: HookIo = { db, isCancelled: () => false, log: () => undefined, progress: () => undefined };
    const full: RedisWriteSpec = { key: parseKeyTemplate(`${prefix}k:{id}`), keyText: `${prefix}k:{id}`, format: 'hash', columns: [{ name: 'v', type: 'VARCHAR' }], ttlMs: 0, mode: 'upsert', oldTtlMs: 0, ...spec };
    const stage = await writeRedis(redisFields.parse(redisConfig(DB)), full, { relation: 'src', table: '"_redis_stage"' }, io, { nodeId: node(id), connection: 'cache', runId: `20250101-${tag}` });
    return { stage, db };
  }

  it('upsert: commit then undo puts every old value back and removes the new keys', async () => {
    await client.hSet(`${prefix}k:1`, { v: 'old 1' });
    await client.expire(`${prefix}k:1`, 1000);
    const { stage, db } = await staged({}, `SELECT * FROM (VALUES (1, 'new 1'), (2, 'new 2')) t(id, v)`, 'undo');
    try {
      expect(await client.hGetAll(`${prefix}k:1`)).toEqual({ v: 'old 1' });
      await stage.prepare({ twoPhase: true });
      await stage.commit();
      expect([await client.hGet(`${prefix}k:1`, 'v'), await client.hGet(`${prefix}k:2`, 'v')]).toEqual(['new 1', 'new 2']);
      await stage.undo!();
      await stage.rollback();
      expect(await client.hGetAll(`${prefix}k:1`)).toEqual({ v: 'old 1' });
      expect(await client.ttl(`${prefix}k:1`)).toBeGreaterThan(900);
      expect(await client.exists(`${prefix}k:2`)).toBe(0);
      expect(await debris()).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('upsert: a staged batch that vanished before the commit (evicted) fails the commit, and the part already written is undone', async () => {
    await client.hSet(`${prefix}k:11`, { v: 'old 11' });
    // One row per batch: the first batch is written, the second is gone.
    const { stage, db } = await staged({ batchRows: 1 }, `SELECT * FROM (VALUES (11, 'new 11'), (12, 'new 12')) t(id, v)`, 'evict');
    try {
      await stage.prepare({ twoPhase: false });
      const batches = await keys(`caudal:stage:*${tag}*:${node('evict')}:*`);
      expect(batches).toHaveLength(2);
      const second = batches.find((k) => k.endsWith(':1'))!;
      expect(await client.get(second)).toContain('new 12');
      await client.del(second);
      await expect(stage.commit()).rejects.toThrow(/staged batch .* is gone before the commit/);
      expect(await client.hGetAll(`${prefix}k:11`)).toEqual({ v: 'new 11' });
      await stage.rollback();
      expect(await client.hGetAll(`${prefix}k:11`)).toEqual({ v: 'old 11' });
      expect(await client.exists(`${prefix}k:12`)).toBe(0);
      expect(await debris()).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('upsert in many batches: every row lands, old values are replaced whole, undo restores them all', async () => {
    for (const i of [2, 5, 9]) await client.hSet(`${prefix}m:${i}`, { old: `was ${i}` });
    const { stage, db } = await staged({ key: parseKeyTemplate(`${prefix}m:{id}`), keyText: `${prefix}m:{id}`, batchRows: 3, ttlMs: 60_000 }, `SELECT range AS id, 'v' || range AS v FROM range(1, 11)`, 'many');
    try {
      await stage.prepare({ twoPhase: false });
      expect(await keys(`caudal:stage:*${tag}*:${node('many')}:*`)).toHaveLength(4);
      await stage.commit();
      for (let i = 1; i <= 10; i++) expect(await client.hGetAll(`${prefix}m:${i}`)).toEqual({ v: `v${i}` });
      expect(await client.pTTL(`${prefix}m:7`)).toBeGreaterThan(50_000);
      await stage.undo!();
      await stage.rollback();
      for (const i of [2, 5, 9]) expect(await client.hGetAll(`${prefix}m:${i}`)).toEqual({ old: `was ${i}` });
      expect(await client.exists([1, 3, 4, 6, 7, 8, 10].map((i) => `${prefix}m:${i}`))).toBe(0);
      expect(await debris()).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('replace_namespace: keys gone before the commit (a TTL shorter than the load) fail the prepare; the pointer stays', async () => {
    const ns = `${prefix}short`;
    const { stage, db } = await staged({ mode: 'replace_namespace', namespace: ns, ttlMs: 30 }, `SELECT range AS id, 'x' AS v FROM range(3)`, 'short');
    try {
      await new Promise((r) => setTimeout(r, 100));
      await expect(stage.prepare({ twoPhase: false })).rejects.toThrow(/3 of 3 keys written to Redis are gone before the commit/);
      await stage.rollback();
      expect(await client.exists(`${ns}:current`)).toBe(0);
      expect(await debris()).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('replace_namespace: a pointer moved by someone else after prepare fails the commit and changes nothing', async () => {
    const ns = `${prefix}race`;
    const { stage, db } = await staged({ mode: 'replace_namespace', namespace: ns }, `SELECT 1 AS id, 'x' AS v`, 'race');
    try {
      await stage.prepare({ twoPhase: false });
      await client.set(`${ns}:current`, 'someone-else');
      await expect(stage.commit()).rejects.toThrow(/switched to someone-else by someone else/);
      await stage.rollback();
      expect(await client.get(`${ns}:current`)).toBe('someone-else');
      expect(await keys(`${ns}:2*`)).toEqual([]);
      expect(await debris()).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('what a killed run left while staging is removed by the next load on the server', async () => {
    // A process that is gone: its pid is free once it has exited.
    const dead = Number(execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).toString());
    const hostTag = (await import('../core/src/util/owner.js')).self.host;
    const stagePrefix = `caudal:stage:dead${tag}-h${hostTag}p${dead}:n:`;
    await client.hSet(`${stagePrefix}${prefix}k:5`, { v: 'orphan' });
    await client.sAdd(REGISTRY_KEY, JSON.stringify({ kind: 'upsert', stage: stagePrefix }));
    expect((await run(load(`SELECT 6 AS id, 'x' AS v`, { key: `${prefix}k:{id}` }, node('sweep')))).status).toBe('succeeded');
    expect(await client.exists(`${stagePrefix}${prefix}k:5`)).toBe(0);
    expect(await debris()).toEqual([]);
  });
});

describe('sink.redis crash recovery (caudal CLI, kill -9 at a commit step)', () => {
  async function project(name: string) {
    const p = path.join(dir, name);
    await mkdir(p, { recursive: true });
    const u = redisConfig(DB);
    await writeFile(path.join(p, 'caudal.connections.json'), JSON.stringify({ format: 'caudal.connections/1', connections: { cache: { type: 'redis', host: u.host, port: u.port, database: u.database } } }));
    // A DuckDB table beside the Redis keys: an irreversible destination, so the run has a commit decision.
    const id = node(name.replace(/-/g, '_'));
    const doc = pipeline(
      [
        rows(`SELECT range AS id, 'new' AS v FROM range(1, 4)`),
        { id, type: 'sink.redis', params: { connection: 'cache', key: `${prefix}${name}:{id}` } },
        { id: 'wh', type: 'sink.duckdb', params: { database: 'warehouse.duckdb', table: 't' } },
      ],
      [`src -> ${id}`, 'src -> wh'],
      { connections: { cache: { type: 'redis' } } },
    );
    await writeFile(path.join(p, 'pipeline.json'), JSON.stringify(doc));
    const env = { CAUDAL_RUNTIME_DIR: path.join(p, 'runtime'), CAUDAL_CONFIG_DIR: path.join(p, 'config') };
    return { dir: p, env, run: (more: NodeJS.ProcessEnv = {}) => caudal(['run', 'pipeline.json', '-q'], { cwd: p, env: { ...env, ...more } }) };
  }

  for (const c of [
    { at: 'after-reversible', values: ['old', null, null], action: 'rolled back' },
    { at: 'after-decision', values: ['new', 'new', 'new'], action: 'rolled forward' },
  ] as const) {
    it(`killed ${c.at.replace(/-/g, ' ')}: caudal clean ${c.action === 'rolled back' ? 'puts the old values back' : 'keeps the new values'} and leaves nothing`, async () => {
      const name = `crash-${c.at}`;
      const p = await project(name);
      await client.hSet(`${prefix}${name}:1`, { v: 'old' });
      const killed = await p.run({ CAUDAL_FAILPOINT: c.at });
      expect(killed.signal, killed.stderr).toBe('SIGKILL');
      const clean = await caudal(['clean', 'pipeline.json'], { cwd: p.dir, env: p.env });
      expect(clean.code, clean.stdout + clean.stderr).toBe(0);
      expect(clean.stdout).toContain(c.action);
      const values = await Promise.all([1, 2, 3].map((i) => client.hGet(`${prefix}${name}:${i}`, 'v')));
      expect(values).toEqual(c.values);
      expect(await debris()).toEqual([]);
    });
  }

  it('killed while staging (before any journal names the staged batches): caudal doctor lists them, caudal clean removes them', async () => {
    const name = 'crash-after-stage';
    const p = await project(name);
    const killed = await p.run({ CAUDAL_FAILPOINT: 'after-stage' });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    expect((await debris()).some((d) => d.startsWith('caudal:stage:'))).toBe(true);
    const doctor = await caudal(['doctor', 'pipeline.json'], { cwd: p.dir, env: p.env });
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(/leftover {2}staged by a killed run: redis \(node '\S+'\): staged keys under caudal:stage:/);
    const clean = await caudal(['clean', 'pipeline.json'], { cwd: p.dir, env: p.env });
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);
    expect(clean.stdout).toContain('removed   staged by a killed run: redis');
    expect(await debris()).toEqual([]);
    const again = await caudal(['doctor', 'pipeline.json'], { cwd: p.dir, env: p.env });
    expect(again.code, again.stdout).toBe(0);
  });
});
