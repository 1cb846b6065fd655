import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Db } from '../core/src/compiler/db.js';
import { redisFields } from '../core/src/connections/redis/redis.connection.js';
import { REGISTRY_KEY, UNDOABLE_KEY } from '../core/src/connectors/redis/names.js';
import { redisConnector } from '../core/src/connectors/redis/redis.connector.js';
import { parseKeyTemplate } from '../core/src/connectors/redis/template.js';
import { type RedisWriteSpec, writeRedis } from '../core/src/connectors/redis/write.js';
import { cleanUp } from '../core/src/engine/commit/clean.js';
import { listJournals } from '../core/src/engine/commit/journal.js';
import { runPipeline } from '../core/src/engine/engine.js';
import type { HookIo, ResolvedConnection } from '../core/src/nodes/define.js';
import { pipeline, tempDir } from './support/pipeline.js';
import { cuttingProxy, privateRedis } from './support/redis-private.js';

/**
 * An upsert's undo may come late: the connection is lost in the middle of the commit, and the undo
 * is finished by `caudal clean` or the next run, after other runs and applications wrote some of the
 * same keys. It must put back only the keys that still hold what the load wrote: a key written
 * since keeps its later value (even the same value, when a later run wrote it), a key the load
 * created and nobody wrote since goes, every other key gets its old value back.
 *
 * On a private redis-server (support/redis-private.ts): the set of undoable loads is per server,
 * and another file's loads must not take part.
 */
const dir = await tempDir('caudal-redis-late-undo-');
const { port, client } = await privateRedis(dir);
let db: Db;
beforeAll(async () => {
  db = await Db.open({ threads: 1 });
});
afterAll(() => db.close());

const config = (p: number) => ({ host: '127.0.0.1', port: p, database: 0, tls: 'disable', connect_timeout_s: 10 });
const connection = (p: number): Record<string, ResolvedConnection> => ({ cache: { name: 'cache', type: 'redis', config: config(p) } });

const load = (sql: string, sink: Record<string, unknown>) =>
  pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query: sql } },
      { id: 'dst', type: 'sink.redis', params: { connection: 'cache', ...sink } },
    ],
    ['src -> dst'],
    { connections: { cache: { type: 'redis' } } },
  );

async function keys(pattern: string): Promise<string[]> {
  const out: string[] = [];
  for await (const page of client.scanIterator({ MATCH: pattern, COUNT: 1000 })) out.push(...page.map(String));
  return out.sort();
}

/** Everything the sink keeps for its own work, the sets every run shares included. */
const bookkeeping = () => keys('caudal:*');

const ids = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/** The sink driven step by step on the private server (as the run's commit protocol drives it). */
async function staged(spec: Partial<RedisWriteSpec> & Pick<RedisWriteSpec, 'keyText'>, sql: string, id: string, warnings: string[] = []) {
  await db.run(`CREATE OR REPLACE TEMP VIEW src_${id} AS ${sql}`);
  const io: HookIo = { db, isCancelled: () => false, log: () => undefined, warn: (m) => void warnings.push(m), progress: () => undefined };
  const full: RedisWriteSpec = { key: parseKeyTemplate(spec.keyText), format: 'hash', columns: [{ name: 'v', type: 'VARCHAR' }], ttlMs: 0, mode: 'upsert', oldTtlMs: 0, ...spec };
  return writeRedis(redisFields.parse(config(port)), full, { relation: `src_${id}`, table: `"_stage_${id}"` }, io, { nodeId: id, connection: 'cache', runId: `20260101T000000-${id}` });
}

describe('sink.redis upsert: an undo finished late leaves what was written since', () => {
  it('the connection lost mid-commit, keys written since by an application and by a later run: caudal clean puts back only the untouched ones', async () => {
    // 2,000 keys, odd ids existing before the load; the load writes all of them (string values).
    const n = 2000;
    for (const i of ids(n)) if (i % 2 === 1) await client.set(`s:${i}`, `old ${i}`);
    const sink = { key: 's:{id}', value: 'string', value_column: 'v' };
    const rows = `SELECT range AS id, 'A ' || range AS v FROM range(1, ${n + 1})`;

    // MOVE_ROWS_IN's text: the second (last) batch runs on the server, its reply never comes back,
    // and the server stays out of reach: the run cannot undo and leaves its journal.
    const lost = { refuseAfterCut: true };
    const proxy = await cuttingProxy(port, 'is gone before the commit', 2, lost);
    let runId = '';
    try {
      const a = await runPipeline({ pipeline: load(rows, sink), baseDir: dir, connections: connection(proxy.port) });
      expect(proxy.cut()).toBe(true);
      expect(a.status).toBe('failed');
      expect(a.error?.message).toMatch(/could not be put back as it was/);
      runId = a.runId;
      expect(await client.get('s:1')).toBe('A 1');
      expect(await client.get('s:2')).toBe('A 2');

      // Meanwhile an application rewrites some keys that existed (…1) and some the load created
      // (…2), and deletes some (…3).
      for (const i of ids(n)) {
        if (i % 10 === 1 || i % 10 === 2) await client.set(`s:${i}`, `app ${i}`);
        if (i % 10 === 3) await client.del(`s:${i}`);
      }
      // And a later run through another connection (the server directly) writes keys of both kinds
      // (…5 existed, …6 new) with the very values the failed load wrote: it succeeds.
      const b = await runPipeline({ pipeline: load(`SELECT * FROM (${rows}) WHERE id % 10 IN (5, 6)`, sink), baseDir: dir, connections: connection(port) });
      expect(b.status, JSON.stringify(b.error)).toBe('succeeded');

      // The server is back: caudal clean finishes the undo.
      lost.refuseAfterCut = false;
      const report = await cleanUp({ fix: true, connection: async (name) => connection(proxy.port)[name], baseDir: dir });
      expect(report.recovered.filter((r) => r.runId === runId)).toEqual([expect.objectContaining({ action: 'rolled back', pending: [] })]);
      // …and says which keys it left to their later writers.
      expect(report.recovered.find((r) => r.runId === runId)?.done.join('\n')).toMatch(/undone \(1000 key\(s\) had been written again since the load/);
    } finally {
      proxy.close();
    }

    const expected = ids(n).map((i) => {
      if (i % 10 === 1 || i % 10 === 2) return `app ${i}`;
      if (i % 10 === 3) return null;
      if (i % 10 === 5 || i % 10 === 6) return `A ${i}`;
      return i % 2 === 1 ? `old ${i}` : null;
    });
    expect(await client.mGet(ids(n).map((i) => `s:${i}`))).toEqual(expected);
    expect(await bookkeeping()).toEqual([]);
    expect((await listJournals()).filter((f) => f.journal?.runId === runId)).toEqual([]);
  }, 120_000);

  it('hashes: keys only read since (one stored as a hash table) go back, keys rewritten since stay, and the undo warns how many it left', async () => {
    const long = 'x'.repeat(100);
    // h:1 … h:6; odd ones exist. A value over 64 bytes makes the server store the hash as a table.
    for (const i of [1, 3, 5]) await client.hSet(`h:${i}`, { v: `old ${i}` });
    const warnings: string[] = [];
    const stage = await staged(
      { keyText: 'h:{id}', columns: ['v', 'w', 'x', 'y', 'z'].map((name) => ({ name, type: 'VARCHAR' })) },
      `SELECT range AS id, 'new ' || range AS v, '${long}' AS w, 'b' AS x, NULL::VARCHAR AS y, 'a' AS z FROM range(1, 7)`,
      'hashes',
      warnings,
    );
    await stage.prepare({ twoPhase: false });
    await stage.commit();
    expect(await client.objectEncoding('h:1')).toBe('hashtable');
    // Read by readers: field by field and whole.
    for (const i of ids(6)) {
      await client.hGetAll(`h:${i}`);
      for (const f of ['z', 'x', 'v', 'w']) await client.hGet(`h:${i}`, f);
    }
    // Written by an application: one field of a replaced key, one field removed from a new key; and
    // a new key rewritten with the same fields and values in another order, which no digest can
    // tell from untouched.
    await client.hSet('h:1', { v: 'app 1' });
    await client.hDel('h:2', 'x');
    await client.del('h:4');
    await client.hSet('h:4', { z: 'a', x: 'b', w: long, v: 'new 4' });

    await stage.undo!();
    await stage.rollback();
    expect(warnings).toEqual([
      "node 'hashes': undoing the Redis load: 2 key(s) had been written again since the load (by another run or an application), or its record of them was lost, and were left as they are now; the keys that still held the load's values were put back or removed",
    ]);
    expect(await client.hGetAll('h:1')).toEqual({ v: 'app 1', w: long, x: 'b', z: 'a' });
    expect(await client.hGetAll('h:2')).toEqual({ v: 'new 2', w: long, z: 'a' });
    expect(await client.hGetAll('h:3')).toEqual({ v: 'old 3' });
    expect(await client.hGetAll('h:5')).toEqual({ v: 'old 5' });
    expect(await keys('h:*')).toEqual(['h:1', 'h:2', 'h:3', 'h:5']);
    expect(await bookkeeping()).toEqual([]);
  });

  it("recovery's undo (the path of caudal clean and the next run) returns the warning to report", async () => {
    await client.set('r:1', 'old 1');
    const stage = await staged({ keyText: 'r:{id}', format: 'string', columns: [], valueColumn: { name: 'v', type: 'VARCHAR' } }, `SELECT range AS id, 'new ' || range AS v FROM range(1, 4)`, 'recovered');
    const { recovery } = await stage.prepare({ twoPhase: false });
    await stage.commit();
    await client.set('r:3', 'app 3');
    const result = await redisConnector.recover!(redisFields.parse(config(port)), recovery!, 'rollback');
    expect(result).toEqual({ warning: expect.stringMatching(/^1 key\(s\) had been written again since the load/) });
    expect(await client.mGet(['r:1', 'r:2', 'r:3'])).toEqual(['old 1', null, 'app 3']);
    await stage.rollback();
    expect(await bookkeeping()).toEqual([]);
  });

  it('a row that fails in the middle of a batch is put back by the commit script itself; the rows before it are undone by the rollback', async () => {
    for (const i of [1, 2]) await client.set(`f:${i}`, `old ${i}`);
    const stage = await staged({ keyText: 'f:{id}', format: 'string', columns: [], valueColumn: { name: 'b', type: 'BLOB' } }, `SELECT range AS id, from_hex('0a0b') AS b FROM range(1, 4)`, 'failing');
    await stage.prepare({ twoPhase: false });
    // The staged batch with bytes that are not hex in its second row: the script fails there.
    const [batch] = await keys('caudal:stage:*:failing:*');
    const rows = JSON.parse((await client.get(batch!))!) as string[];
    const [first, second] = [rows[0]!, rows[2]!];
    rows[3] = 'zz';
    await client.set(batch!, JSON.stringify(rows));
    await expect(stage.commit()).rejects.toThrow(/writing row 2 of the batch/);
    expect(await client.get(first)).toBe('\n\u000b');
    expect(await client.get(second)).toBe(second === 'f:3' ? null : `old ${second.slice(2)}`);
    expect(await keys('caudal:aside:*')).toEqual(first === 'f:3' ? [] : [expect.stringMatching(new RegExp(`:${first}$`))]);
    await stage.rollback();
    expect(await client.mGet(['f:1', 'f:2', 'f:3'])).toEqual(['old 1', 'old 2', null]);
    expect(await bookkeeping()).toEqual([]);
  });

  it('with its record lost (evicted), an undo puts old values back only onto keys that no longer exist, and removes no key', async () => {
    for (const i of [1, 2]) await client.set(`g:${i}`, `old ${i}`);
    const warnings: string[] = [];
    const stage = await staged({ keyText: 'g:{id}', format: 'string', columns: [], valueColumn: { name: 'v', type: 'VARCHAR' } }, `SELECT range AS id, 'new ' || range AS v FROM range(1, 4)`, 'evicted', warnings);
    await stage.prepare({ twoPhase: false });
    await stage.commit();
    const record = await keys('caudal:wrote:*:evicted:*');
    expect(record).toHaveLength(1);
    await client.del(record);
    await client.del('g:2');
    await stage.undo!();
    await stage.rollback();
    expect(await client.mGet(['g:1', 'g:2', 'g:3'])).toEqual(['new 1', 'old 2', 'new 3']);
    expect(warnings.join('\n')).toMatch(/2 key\(s\) had been written again since the load/);
    expect(await bookkeeping()).toEqual([]);
  });

  describe('a later load that took keys over from a load still to be undone', () => {
    /** Loads A then B of the same keys c:1 … c:4 (c:1, c:2 existed), both committed, neither over. */
    async function twoLoads(name: string) {
      for (const i of [1, 2]) await client.set(`${name}:${i}`, `old ${i}`);
      const sql = (v: string) => `SELECT range AS id, '${v} ' || range AS v FROM range(1, 5)`;
      const spec = { keyText: `${name}:{id}`, format: 'string' as const, columns: [], valueColumn: { name: 'v', type: 'VARCHAR' } };
      const a = await staged(spec, sql('A'), `${name}a`);
      const { recovery } = await a.prepare({ twoPhase: false });
      await a.commit();
      // B writes the same values as A on c:1 and c:3, other ones on c:2 and c:4.
      const b = await staged(spec, `SELECT id, CASE WHEN id % 2 = 1 THEN 'A ' ELSE 'B ' END || id AS v FROM (${sql('')})`, `${name}b`);
      await b.prepare({ twoPhase: false });
      await b.commit();
      const undoA = () => redisConnector.recover!(redisFields.parse(config(port)), recovery!, 'rollback');
      const all = () => client.mGet([1, 2, 3, 4].map((i) => `${name}:${i}`));
      return { a, b, undoA, all };
    }

    it('when the later load succeeds, the late undo leaves its keys, the same values included', async () => {
      const { a, b, undoA, all } = await twoLoads('c');
      expect(await b.finalize!()).toEqual([]);
      expect(await undoA()).toEqual({ warning: expect.stringMatching(/^4 key\(s\) had been written again/) });
      await a.rollback();
      expect(await all()).toEqual(['A 1', 'B 2', 'A 3', 'B 4']);
      expect(await bookkeeping()).toEqual([]);
    });

    it('when the later load is undone first, it gives the keys back: the late undo then puts back what was there before both', async () => {
      const { a, b, undoA, all } = await twoLoads('d');
      await b.undo!();
      await b.rollback();
      expect(await all()).toEqual(['A 1', 'A 2', 'A 3', 'A 4']);
      expect(await undoA()).toBeUndefined();
      await a.rollback();
      expect(await all()).toEqual(['old 1', 'old 2', null, null]);
      expect(await bookkeeping()).toEqual([]);
    });

    it('when the earlier load is undone first, it hands the later one what the keys held before: undoing that one puts it back', async () => {
      const { a, b, undoA, all } = await twoLoads('e');
      expect(await undoA()).toEqual({ warning: expect.stringMatching(/^4 key\(s\) had been written again/) });
      await a.rollback();
      expect(await all()).toEqual(['A 1', 'B 2', 'A 3', 'B 4']);
      await b.undo!();
      await b.rollback();
      expect(await all()).toEqual(['old 1', 'old 2', null, null]);
      expect(await bookkeeping()).toEqual([]);
    });
  });

  it('a successful upsert leaves no record of what it wrote and no entry among the undoable loads', async () => {
    await client.set('ok:1', 'old');
    const s = await runPipeline({ pipeline: load(`SELECT range AS id, 'new' AS v FROM range(1, 2501)`, { key: 'ok:{id}', value: 'string', value_column: 'v' }), baseDir: dir, connections: connection(port) });
    expect(s.status, JSON.stringify(s.error)).toBe('succeeded');
    expect(await client.get('ok:1')).toBe('new');
    expect(await keys('caudal:wrote:*')).toEqual([]);
    expect(await client.exists(UNDOABLE_KEY)).toBe(0);
    expect(await client.exists(REGISTRY_KEY)).toBe(0);
    expect(await bookkeeping()).toEqual([]);
  });
});
