import { ident, stringLiteral } from '../../compiler/sql.js';
import type { RedisConfig } from '../../connections/redis/redis.connection.js';
import type { Db } from '../../compiler/db.js';
import type { Column, ExternalStage, HookIo } from '../../nodes/define.js';
import { CaudalError, errorMessage } from '../../util/errors.js';
import type { WriteContext } from '../connector.js';
import { closeRedis, connectRedis, type RedisClient, redisRecoveryTarget, unlinkPrefix } from './client.js';
import { keptWarning, notUndoable, type RedisRef, sweepDeadRuns, undoUpsert, type UpsertUndo, undoVersion, unregister, expireVersion } from './cleanup.js';
import { explainRedisError } from './errors.js';
import { pointerKey, REGISTRY_KEY, RESERVED_KEYS, RESERVED_PREFIXES, registryMember, type RegistryEntry, UNDOABLE_KEY, upsertNames, versionName, versionPrefix } from './names.js';
import { MOVE_ROWS_IN, SWITCH_POINTER, WRITE_ROWS } from './scripts.js';
import { jsonSql, keySql, type TemplatePart, templateColumns, type ValueFormat, valueSql } from './template.js';

export interface RedisWriteSpec {
  key: TemplatePart[];
  /** The template as the user wrote it, for messages. */
  keyText: string;
  format: ValueFormat;
  /** hash and json: the columns stored. */
  columns: Column[];
  /** string: the column whose value is stored. */
  valueColumn?: Column;
  /** TTL of every key written, in ms; 0: none. */
  ttlMs: number;
  mode: 'upsert' | 'replace_namespace';
  namespace?: string;
  /** replace_namespace: how long the previous version's keys live after the switch (0: removed at once). */
  oldTtlMs: number;
  /** Rows per batch (one staged value, one script call); tests make it small. */
  batchRows?: number;
}

export interface RedisWriteSource {
  /** Quoted DuckDB relation with the rows. */
  relation: string;
  /** Quoted name for the temp table that holds the keys and encoded values while the run lasts. */
  table: string;
}

/** Keys per EXISTS / UNLINK batch. */
const KEY_BATCH = 1000;

/** Rows per batch: one script call runs ~5 ms on the server, short enough not to hold up readers. */
const BATCH_ROWS = 1000;

type Ctx = Pick<WriteContext, 'nodeId' | 'connection' | 'runId'>;

/**
 * Stages a Redis load; the run's commit protocol publishes it with the files (its commit can be
 * undone until the run is over).
 *
 * The rows are encoded once in DuckDB (key from the template, values as text) into a temp table and
 * checked (no NULL or duplicate key, no row without a value), then turned into batches of rows, one
 * JSON array each, that a Lua script (scripts.ts) unpacks into keys on the server: a client sending
 * one command per row spends more time encoding commands than the server takes to run them.
 * - upsert: each batch is staged as one value under `caudal:stage:…:<n>`; commit runs one script
 *   per batch that keeps each key's old value aside (or notes the key as new), writes the new value,
 *   and keeps the batch (`caudal:wrote:…:<n>`) as the record of what it wrote, so undo puts back
 *   only the keys that still hold it (an undo finished late must not clobber what was written
 *   since); finalize drops what was kept.
 * - replace_namespace: the batches are written straight under a new version prefix
 *   `<namespace>:<version>:`; commit switches the pointer `<namespace>:current` in one script (only
 *   if nobody moved it meanwhile); undo switches it back; finalize lets the previous version's keys
 *   expire.
 * replace_namespace's prepare verifies that every key written is there (EXISTS, in batches); an
 * upsert's commit fails by itself on a missing staged batch.
 */
export async function writeRedis(config: RedisConfig, spec: RedisWriteSpec, source: RedisWriteSource, io: HookIo, ctx: Ctx): Promise<ExternalStage> {
  const explain = (e: unknown) => explainRedisError(e, { nodeId: ctx.nodeId, connection: ctx.connection, password: config.password });
  const client = await connectRedis(config, (m) => io.log(m)).catch((e: unknown) => {
    throw explain(e);
  });
  const upsert = spec.mode === 'upsert' ? upsertNames(ctx.runId, ctx.nodeId) : undefined;
  const version = spec.mode === 'replace_namespace' ? versionName(ctx.runId) : undefined;
  const ns = spec.namespace ?? '';
  const prefix = upsert ? upsert.stage : versionPrefix(ns, version!);
  const entry: RegistryEntry = upsert ? { kind: 'upsert', stage: upsert.stage } : { kind: 'version', pointer: pointerKey(ns), prefix, version: version! };
  let registered = false;
  try {
    const swept = await sweepDeadRuns(client);
    if (swept.length > 0) io.log(`removed what killed runs left: ${swept.join('; ')}`);
    // Maybe registered from the moment it is sent: an answer lost on the way leaves the entry in.
    registered = true;
    await client.sendCommand(['SADD', REGISTRY_KEY, registryMember(entry)]);
    const rows = await encode(io.db, spec, source, ctx);
    const evictions = await evictedKeys(client);
    const { rows: sent, batches } = await send(client, io, source.table, spec, prefix, upsert !== undefined);
    if (io.isCancelled()) throw new CaudalError('cancelled', 'the load was cancelled');
    if (sent !== rows) throw new CaudalError('execution', `node '${ctx.nodeId}': ${sent} of ${rows} rows reached Redis; the load is rolled back`, { nodeId: ctx.nodeId });
    const common: Common = { client, config, io, source, spec, rows, prefix, entry, explain, ctx, evictions };
    return upsert ? upsertStage(common, upsert, batches) : namespaceStage(common, version!);
  } catch (e) {
    // Nothing is published yet: remove what was staged (on a new connection when this one was lost).
    // A kill here is swept by a later run (registry).
    const cleaner = client.isReady ? client : await connectRedis(config).catch(() => client);
    await unlinkPrefix(cleaner, prefix).catch(() => undefined);
    if (registered) await unregister(cleaner, entry).catch(() => undefined);
    await io.db.run(`DROP TABLE IF EXISTS ${source.table}`).catch(() => undefined);
    closeRedis(client);
    closeRedis(cleaner);
    if (io.isCancelled()) throw new CaudalError('cancelled', 'the load was cancelled; Redis is unchanged');
    throw explain(e);
  }
}

/** Encodes every row into the temp table (`k`, `v0`, `v1`, …) and checks the keys. Returns the row count. */
async function encode(db: Db, spec: RedisWriteSpec, source: RedisWriteSource, ctx: Ctx): Promise<number> {
  const values =
    spec.format === 'hash' ? spec.columns.map((c, i) => `${valueSql(c)} AS v${i}`) : spec.format === 'json' ? [`${jsonSql(spec.columns)} AS v0`] : [`${valueSql(spec.valueColumn!)} AS v0`];
  const rows = await db.count(`CREATE OR REPLACE TEMP TABLE ${source.table} AS SELECT ${keySql(spec.key)} AS k, ${values.join(', ')} FROM ${source.relation}`);
  const [nulls] = await db.rows(`SELECT count(*)::BIGINT AS n FROM ${source.table} WHERE k IS NULL`);
  if (Number(nulls?.n) > 0) {
    const cols = templateColumns(spec.key);
    const [row] = await db.rows(`SELECT ${cols.map((c) => ident(c)).join(', ')} FROM ${source.relation} WHERE (${keySql(spec.key)}) IS NULL LIMIT 1`);
    const empty = cols.filter((c) => row?.[c] === null || row?.[c] === undefined);
    throw new CaudalError('execution', `node '${ctx.nodeId}': ${String(nulls!.n)} row(s) have no key: ${empty.map((c) => `'${c}'`).join(', ') || 'a key column'} is NULL (key template ${stringLiteral(spec.keyText)})`, {
      nodeId: ctx.nodeId,
      column: empty[0],
      hint: 'filter out or fill rows with missing key columns before the sink',
    });
  }
  const [dup] = await db.rows(`SELECT k, count(*)::BIGINT AS n FROM ${source.table} GROUP BY k HAVING count(*) > 1 LIMIT 1`);
  if (dup) {
    throw new CaudalError('execution', `node '${ctx.nodeId}': key '${String(dup.k)}' is produced by ${String(dup.n)} rows; one key holds one row`, {
      nodeId: ctx.nodeId,
      hint: `dedupe on the key columns (${templateColumns(spec.key).join(', ')}) before the sink, or add a column to the key template`,
    });
  }
  if (spec.mode === 'upsert') await checkReserved(db, source.table, ctx);
  await checkValues(db, spec, source.table, ctx);
  return rows;
}

/**
 * Keys the sink keeps its own work under (names.ts): a row written there would clobber the sets
 * every Caudal run on the server uses, or another run's staged, kept-aside or recorded values.
 */
async function checkReserved(db: Db, table: string, ctx: Ctx): Promise<void> {
  const reserved = [...RESERVED_KEYS.map((k) => `k = ${stringLiteral(k)}`), ...RESERVED_PREFIXES.map((p) => `starts_with(k, ${stringLiteral(p)})`)].join(' OR ');
  const [row] = await db.rows(`SELECT k, count(*) OVER ()::BIGINT AS n FROM ${table} WHERE ${reserved} LIMIT 1`);
  if (!row) return;
  throw new CaudalError('execution', `node '${ctx.nodeId}': ${String(row.n)} row(s), the first with key '${String(row.k)}', would write a key reserved for Caudal's own work (${[...RESERVED_KEYS, ...RESERVED_PREFIXES.map((p) => `${p}…`)].join(', ')})`, {
    nodeId: ctx.nodeId,
    hint: 'give the key template a prefix of your own, e.g. customer:{customer_id}',
  });
}

/** Redis has no NULL value and no empty hash: such rows are reported with their key. */
async function checkValues(db: Db, spec: RedisWriteSpec, table: string, ctx: Ctx): Promise<void> {
  const hash = spec.format === 'hash';
  const empty = hash ? spec.columns.map((_, i) => `v${i} IS NULL`).join(' AND ') : 'v0 IS NULL';
  const [row] = await db.rows(`SELECT k, count(*) OVER ()::BIGINT AS n FROM ${table} WHERE ${empty} LIMIT 1`);
  if (!row) return;
  const which = `${String(row.n)} row(s), the first with key '${String(row.k)}',`;
  if (hash) {
    throw new CaudalError('execution', `node '${ctx.nodeId}': ${which} have no value in any column; a Redis hash cannot be empty`, {
      nodeId: ctx.nodeId,
      hint: 'filter out such rows before the sink, or fill a column',
    });
  }
  const column = spec.format === 'string' ? spec.valueColumn?.name : undefined;
  throw new CaudalError('execution', `node '${ctx.nodeId}': ${which} have a NULL value${column ? ` ('${column}')` : ''}; Redis cannot store a NULL`, {
    nodeId: ctx.nodeId,
    column,
    hint: 'filter out or fill rows with a missing value before the sink',
  });
}

/** Per value column: whether its values are bytes (sent as hex, decoded by the script). */
function byteColumns(spec: RedisWriteSpec): boolean[] {
  const cols = spec.format === 'hash' ? spec.columns : spec.format === 'string' ? [spec.valueColumn!] : [];
  const flags = cols.map((c) => c.type.toUpperCase() === 'BLOB');
  return flags.length > 0 ? flags : [false];
}

/** ARGV from 3 on of the row scripts (scripts.ts PUT_ROW). */
function rowArgs(spec: RedisWriteSpec, ttlMs: number): string[] {
  const hex = byteColumns(spec).map((b) => (b ? '1' : '0')).join('');
  const names = spec.format === 'hash' ? spec.columns.map((c) => c.name) : [];
  return [spec.format === 'hash' ? 'hash' : 'value', hex, String(ttlMs), ...names];
}

/** The query turning the temp table into batches: one flat JSON array `[key, v0, v1, …, key, …]` per batch. */
function batchSql(spec: RedisWriteSpec, table: string): string {
  const values = byteColumns(spec).map((bytes, i) => (bytes ? `hex(v${i})` : `v${i}`));
  const per = Math.max(1, spec.batchRows ?? BATCH_ROWS);
  return `SELECT count(*)::BIGINT AS n, '[' || string_agg(CAST(json_array(k, ${values.join(', ')}) AS VARCHAR)[2:-2], ',') || ']' AS j FROM ${table} GROUP BY rowid // ${per}`;
}

/**
 * Streams the batches to Redis, a few in flight: staged as one value each under `prefix` (upsert)
 * or written as keys under the version prefix (replace_namespace). Returns the rows acknowledged
 * and the number of batches.
 */
async function send(client: RedisClient, io: HookIo, table: string, spec: RedisWriteSpec, prefix: string, staged: boolean): Promise<{ rows: number; batches: number }> {
  const args = rowArgs(spec, spec.mode === 'replace_namespace' ? spec.ttlMs : 0);
  let acked = 0;
  let batches = 0;
  await inFlight(staged ? 4 : 2, async (send) => {
    for await (const chunk of io.db.stream(batchSql(spec, table), 'js')) {
      for (const [n, json] of chunk) {
        if (io.isCancelled()) break;
        const at = batches++;
        await send(async () => {
          await (staged ? client.sendCommand(['SET', prefix + String(at), String(json)]) : client.sendCommand(['EVAL', WRITE_ROWS, '0', prefix, String(json), ...args]));
          acked += Number(n);
          io.progress(acked);
        });
      }
      if (io.isCancelled()) break;
    }
  });
  return { rows: acked, batches };
}

/**
 * Keeps up to `size` requests in flight (the server runs them one after another; the round trips
 * overlap). `send` waits for the oldest before it starts another; a failure surfaces when its turn
 * comes, and the requests still in flight are waited out before it is thrown.
 */
async function inFlight(size: number, body: (send: (request: () => Promise<void>) => Promise<void>) => Promise<void>): Promise<void> {
  const pending: Array<Promise<void>> = [];
  try {
    await body(async (request) => {
      if (pending.length >= size) await pending.shift();
      const p = request();
      // Until its turn, a failure must not count as unhandled.
      p.catch(() => undefined);
      pending.push(p);
    });
    await Promise.all(pending);
  } catch (e) {
    await Promise.allSettled(pending);
    throw e;
  }
}

/** Calls `fn` with the keys of the temp table, KEY_BATCH at a time, each with `prefix` in front. */
async function forKeys(db: Db, table: string, prefix: string, fn: (keys: string[]) => Promise<void>): Promise<void> {
  let batch: string[] = [];
  for await (const chunk of db.stream(`SELECT k FROM ${table}`, 'js')) {
    for (const row of chunk) {
      batch.push(prefix + String(row[0]));
      if (batch.length >= KEY_BATCH) {
        await fn(batch);
        batch = [];
      }
    }
  }
  if (batch.length > 0) await fn(batch);
}

interface Common {
  /** The run's connection; replaced by `live` when it was lost. */
  client: RedisClient;
  config: RedisConfig;
  io: HookIo;
  source: RedisWriteSource;
  spec: RedisWriteSpec;
  rows: number;
  prefix: string;
  entry: RegistryEntry;
  explain: (e: unknown) => CaudalError;
  ctx: Ctx;
  /** The server's eviction counter and the time before the first key was written (undefined: INFO refused). */
  evictions: { count: number; at: number } | undefined;
}

/**
 * The run's client, connected again when its connection was lost (the client never reconnects by
 * itself). The commit steps run long after staging (other sinks of the run stage meanwhile, a
 * server's idle `timeout` may close the connection) and, above all, a rollback after a connection
 * lost in the middle of a commit must still reach the server to undo what was published.
 */
async function live(c: Common): Promise<RedisClient> {
  if (c.client.isReady) return c.client;
  closeRedis(c.client);
  c.client = await connectRedis(c.config, (m) => c.io.log(m));
  return c.client;
}

/** The server's count of keys evicted since it started (INFO stats), with the time it was read. */
async function evictedKeys(client: RedisClient): Promise<{ count: number; at: number } | undefined> {
  const at = Date.now();
  const info = await client.sendCommand(['INFO', 'stats']).catch(() => undefined);
  const m = /evicted_keys:(\d+)/.exec(String(info ?? ''));
  return m ? { count: Number(m[1]), at } : undefined;
}

/**
 * Whether a key of the load can have disappeared since it was written: the server evicted keys
 * meanwhile, or the keys' TTL is shorter than the load took. When neither, checking each key
 * (a pass over all of them) is skipped.
 */
async function mayHaveLost(c: Common): Promise<boolean> {
  if (!c.evictions) return true;
  if (c.spec.ttlMs > 0 && c.spec.ttlMs <= Date.now() - c.evictions.at) return true;
  const now = await evictedKeys(c.client);
  return !now || now.count !== c.evictions.count;
}

/** Every key written is still there (a server with an eviction policy may have dropped some). */
async function verify(c: Common): Promise<void> {
  if (!(await mayHaveLost(c))) return;
  let found = 0;
  await forKeys(c.io.db, c.source.table, c.prefix, async (keys) => {
    found += Number(await c.client.sendCommand(['EXISTS', ...keys]));
  });
  if (found !== c.rows) {
    throw new CaudalError('execution', `node '${c.ctx.nodeId}': ${c.rows - found} of ${c.rows} keys written to Redis are gone before the commit (evicted or expired)`, {
      nodeId: c.ctx.nodeId,
      hint: 'the server evicts keys under memory pressure (maxmemory-policy): give it room for the load, or use noeviction',
    });
  }
}

/** Removes the keys the run wrote under `prefix` (by the keys it knows; by SCAN if DuckDB cannot list them). */
async function unlinkKeys(c: Common, prefix: string): Promise<void> {
  try {
    await forKeys(c.io.db, c.source.table, prefix, async (keys) => void (await c.client.sendCommand(['UNLINK', ...keys])));
  } catch {
    await unlinkPrefix(c.client, prefix).catch(() => undefined);
  }
}

/** Removes the staged batches `<stage>0` … `<stage><batches - 1>` (those the commit wrote are gone already). */
async function unlinkBatches(c: Common, stage: string, batches: number): Promise<void> {
  for (let i = 0; i < batches; i += KEY_BATCH) {
    const keys = Array.from({ length: Math.min(KEY_BATCH, batches - i) }, (_, j) => stage + String(i + j));
    await c.client.sendCommand(['UNLINK', ...keys]);
  }
}

/** A rollback that could not reach the server: said, not swallowed, since Redis may be left changed. */
function couldNotUndo(c: Common, e: unknown, what: string): CaudalError {
  return new CaudalError('execution', `node '${c.ctx.nodeId}': could not undo the Redis load (${errorMessage(e)}); ${what}`, {
    nodeId: c.ctx.nodeId,
    hint: 'once the server answers again, the next run of any pipeline or `caudal clean` finishes the undo (the run\'s journal keeps what to do)',
  });
}

/** Releases the run's resources; returns warnings. */
async function release(c: Common): Promise<string[]> {
  const warnings: string[] = [];
  await unregister(c.client, c.entry).catch((e: unknown) => warnings.push(`could not remove the registry entry in ${REGISTRY_KEY}: ${errorMessage(e)}`));
  await c.io.db.run(`DROP TABLE IF EXISTS ${c.source.table}`).catch(() => undefined);
  closeRedis(c.client);
  return warnings;
}

/** An undo that left keys written since the load says so (a warning naming the node). */
function reportKept(c: Common, done: UpsertUndo): void {
  const warning = keptWarning(done);
  if (warning) (c.io.warn ?? c.io.log)(`node '${c.ctx.nodeId}': undoing the Redis load: ${warning}`);
}

function upsertStage(c: Common, names: ReturnType<typeof upsertNames>, batches: number): ExternalStage {
  let state: 'staged' | 'touched' | 'done' = 'staged';
  /** Published keys could not be put back: recovery finishes it from the journal. */
  let unrestored = false;
  let replaced = 0;
  const row = rowArgs(c.spec, c.spec.ttlMs);
  const load = { ...names, row };
  const ref: RedisRef = { mode: 'upsert', ...load };
  return {
    rows: c.rows,
    // No separate check of the staged keys: a missing one makes the commit fail, and a failed
    // commit of this (reversible) load is undone with the rest of the run.
    async prepare() {
      return { twoPhase: false, recovery: { connection: c.ctx.connection, ref, target: redisRecoveryTarget(c.config) } };
    },
    async commit() {
      let written = 0;
      try {
        await live(c);
        state = 'touched';
        // Before the first key: from then on, later loads on the server take over the keys they write.
        await c.client.sendCommand(['SADD', UNDOABLE_KEY, names.id]);
        await inFlight(2, async (send) => {
          for (let i = 0; i < batches; i++) {
            await send(async () => {
              const keys = [names.stage + String(i), names.wrote + String(i), UNDOABLE_KEY];
              const [w, r] = (await c.client.sendCommand(['EVAL', MOVE_ROWS_IN, '3', ...keys, names.aside, names.newSet, ...row])) as [number, number];
              written += Number(w);
              replaced += Number(r);
            });
          }
        });
      } catch (e) {
        throw c.explain(e);
      }
      if (written !== c.rows) throw new CaudalError('execution', `node '${c.ctx.nodeId}': only ${written} of ${c.rows} staged rows could be written into place`, { nodeId: c.ctx.nodeId });
    },
    async undo() {
      reportKept(c, await undoUpsert(await live(c), load));
      state = 'staged';
    },
    async finalize() {
      const warnings: string[] = [];
      try {
        await live(c);
        await notUndoable(c.client, names.id);
        // (Another load's undo hands over kept values only for keys this one replaced.)
        if (replaced > 0) await forKeys(c.io.db, c.source.table, names.aside, async (keys) => void (await c.client.sendCommand(['UNLINK', ...keys])));
        await c.client.sendCommand(['UNLINK', names.newSet, names.claims]);
        await unlinkBatches(c, names.wrote, batches);
      } catch (e) {
        warnings.push(`could not remove the previous values kept under ${names.aside} and the record under ${names.wrote}: ${errorMessage(e)}`);
      }
      state = 'done';
      return [...warnings, ...(await release(c))];
    },
    async rollback() {
      if (state === 'done') return;
      let failure: unknown;
      try {
        await live(c);
        // A commit that failed half-way is undone key by key (the old values are aside).
        if (state === 'touched') reportKept(c, await undoUpsert(c.client, load));
      } catch (e) {
        failure = e;
      }
      await unlinkBatches(c, names.stage, batches).catch(() => unlinkPrefix(c.client, names.stage).catch(() => undefined));
      unrestored = failure !== undefined && state === 'touched';
      state = 'done';
      await release(c);
      if (failure !== undefined) throw couldNotUndo(c, failure, `the previous values are kept under ${names.aside}`);
    },
    unrestored: () => unrestored,
  };
}

function namespaceStage(c: Common, version: string): ExternalStage {
  const pointer = pointerKey(c.spec.namespace!);
  let previous = '';
  // switching: the switch was sent and its answer did not come back; it may have happened.
  let state: 'staged' | 'switching' | 'switched' | 'done' = 'staged';
  let unrestored = false;
  const ref = (): RedisRef => ({
    mode: 'replace_namespace',
    pointer,
    prefix: c.prefix,
    version,
    previous,
    previous_prefix: previous ? versionPrefix(c.spec.namespace!, previous) : '',
    old_ttl_ms: c.spec.oldTtlMs,
  });
  return {
    rows: c.rows,
    async prepare() {
      try {
        await live(c);
        await verify(c);
        const cur = await c.client.sendCommand(['GET', pointer]);
        previous = cur === null || cur === undefined ? '' : String(cur);
      } catch (e) {
        throw c.explain(e);
      }
      return { twoPhase: false, recovery: { connection: c.ctx.connection, ref: ref(), target: redisRecoveryTarget(c.config) } };
    },
    async commit() {
      try {
        await live(c);
        state = 'switching';
        await c.client.sendCommand(['EVAL', SWITCH_POINTER, '1', pointer, previous, version]);
      } catch (e) {
        throw c.explain(e);
      }
      state = 'switched';
    },
    async undo() {
      await undoVersion(await live(c), { pointer, prefix: c.prefix, version, previous });
      state = 'staged';
    },
    async finalize() {
      const warnings: string[] = [];
      if (previous && previous !== version) {
        try {
          await expireVersion(await live(c), versionPrefix(c.spec.namespace!, previous), c.spec.oldTtlMs);
        } catch (e) {
          warnings.push(`could not expire the previous version's keys (${versionPrefix(c.spec.namespace!, previous)}*): ${errorMessage(e)}`);
        }
      }
      state = 'done';
      return [...warnings, ...(await release(c))];
    },
    async rollback() {
      if (state === 'done') return;
      let failure: unknown;
      try {
        await live(c);
        // Switched, or maybe switched: back only if the pointer names this version, which then goes.
        if (state !== 'staged') await undoVersion(c.client, { pointer, prefix: c.prefix, version, previous });
        else await unlinkKeys(c, c.prefix);
      } catch (e) {
        failure = e;
      }
      unrestored = failure !== undefined && state !== 'staged';
      state = 'done';
      await release(c);
      if (failure !== undefined) throw couldNotUndo(c, failure, `check that ${pointer} names ${previous || 'nothing'}`);
    },
    unrestored: () => unrestored,
  };
}
