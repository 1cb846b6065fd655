import { ident, stringLiteral } from '../../compiler/sql.js';
import type { RedisConfig } from '../../connections/redis/redis.connection.js';
import type { Db } from '../../engine/db.js';
import type { Column, ExternalStage, HookIo } from '../../nodes/define.js';
import { CaudalError, errorMessage } from '../../util/errors.js';
import type { WriteContext } from '../connector.js';
import { closeRedis, connectRedis, type RedisClient, unlinkPrefix } from './client.js';
import { type RedisRef, sweepDeadRuns, undoUpsert, undoVersion, unregister, expireVersion } from './cleanup.js';
import { explainRedisError } from './errors.js';
import { pointerKey, REGISTRY_KEY, registryMember, type RegistryEntry, upsertNames, versionName, versionPrefix } from './names.js';
import { MOVE_IN, SWITCH_POINTER } from './scripts.js';
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
}

export interface RedisWriteSource {
  /** Quoted DuckDB relation with the rows. */
  relation: string;
  /** Quoted name for the temp table that holds the keys and encoded values while the run lasts. */
  table: string;
}

/** Keys per EVAL / EXISTS / UNLINK batch. */
const KEY_BATCH = 1000;

type Ctx = Pick<WriteContext, 'nodeId' | 'connection' | 'runId'>;

/**
 * Stages a Redis load; the run's commit protocol publishes it with the files (its commit can be
 * undone until the run is over).
 *
 * The rows are encoded once in DuckDB (key from the template, values as text) into a temp table,
 * checked (no NULL or duplicate key), then sent in pipelined batches of one DuckDB chunk (2,048 rows):
 * - upsert: under a staging prefix; commit moves each staged value onto its key with a Lua script
 *   (RENAME, atomic per key) and keeps the old value aside, so undo puts it back; finalize drops
 *   what was kept aside.
 * - replace_namespace: under a new version prefix `<namespace>:<version>:`; commit switches the
 *   pointer `<namespace>:current` in one script (only if nobody moved it meanwhile); undo switches
 *   it back; finalize lets the previous version's keys expire.
 * replace_namespace's prepare verifies that every key written is there (EXISTS, in batches); an
 * upsert's commit fails by itself on a missing staged key.
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
    await client.sendCommand(['SADD', REGISTRY_KEY, registryMember(entry)]);
    registered = true;
    const rows = await encode(io.db, spec, source, ctx);
    const sent = await send(client, io, source.table, spec, prefix, rows, ctx);
    if (io.isCancelled()) throw new CaudalError('cancelled', 'the load was cancelled');
    if (sent !== rows) throw new CaudalError('execution', `node '${ctx.nodeId}': ${sent} of ${rows} rows reached Redis; the load is rolled back`, { nodeId: ctx.nodeId });
    const common = { client, io, source, spec, rows, prefix, entry, explain, ctx };
    return upsert ? upsertStage(common, upsert) : namespaceStage(common, version!);
  } catch (e) {
    // Nothing is published yet: remove what was staged. A kill here is swept by a later run (registry).
    await unlinkPrefix(client, prefix).catch(() => undefined);
    if (registered) await unregister(client, entry).catch(() => undefined);
    await io.db.run(`DROP TABLE IF EXISTS ${source.table}`).catch(() => undefined);
    closeRedis(client);
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
  return rows;
}

type Arg = string | Buffer;

function arg(v: unknown): Arg {
  return v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : String(v);
}

/** The commands writing one row under `prefix`. */
function rowCommands(row: unknown[], spec: RedisWriteSpec, prefix: string, ctx: Ctx): Arg[][] {
  const key = prefix + String(row[0]);
  const ttl = spec.mode === 'replace_namespace' && spec.ttlMs > 0 ? String(spec.ttlMs) : undefined;
  if (spec.format === 'hash') {
    const cmd: Arg[] = ['HSET', key];
    for (let i = 1; i < row.length; i++) if (row[i] !== null && row[i] !== undefined) cmd.push(spec.columns[i - 1]!.name, arg(row[i]));
    if (cmd.length === 2) {
      throw new CaudalError('execution', `node '${ctx.nodeId}': the row for key '${String(row[0])}' has no value in any column; a Redis hash cannot be empty`, {
        nodeId: ctx.nodeId,
        hint: 'filter out such rows before the sink, or fill a column',
      });
    }
    return ttl ? [cmd, ['PEXPIRE', key, ttl]] : [cmd];
  }
  const v = row[1];
  if (v === null || v === undefined) {
    throw new CaudalError('execution', `node '${ctx.nodeId}': the value for key '${String(row[0])}' is NULL ('${spec.valueColumn?.name}'); Redis cannot store a NULL`, {
      nodeId: ctx.nodeId,
      column: spec.valueColumn?.name,
      hint: 'filter out or fill rows with a missing value before the sink',
    });
  }
  return [ttl ? ['SET', key, arg(v), 'PX', ttl] : ['SET', key, arg(v)]];
}

/**
 * Streams the temp table to Redis, one pipeline per DuckDB chunk, with one chunk in flight while
 * the next is encoded. Returns the rows acknowledged.
 */
async function send(client: RedisClient, io: HookIo, table: string, spec: RedisWriteSpec, prefix: string, expected: number, ctx: Ctx): Promise<number> {
  const result = await io.db.conn.stream(`SELECT * FROM ${table}`);
  let acked = 0;
  let inFlight: Promise<number> | undefined;
  for await (const chunk of result.yieldRowsJs()) {
    if (io.isCancelled()) break;
    const multi = client.multi();
    for (const row of chunk) for (const cmd of rowCommands(row, spec, prefix, ctx)) multi.addCommand(cmd);
    const n = chunk.length;
    if (inFlight) acked += await inFlight;
    inFlight = multi.execAsPipeline().then(() => n);
    io.progress(acked);
  }
  if (inFlight) acked += await inFlight;
  io.progress(acked);
  return Math.min(acked, expected);
}

/** Calls `fn` with the keys of the temp table, KEY_BATCH at a time, each with `prefix` in front. */
async function forKeys(db: Db, table: string, prefix: string, fn: (keys: string[]) => Promise<void>): Promise<void> {
  const result = await db.conn.stream(`SELECT k FROM ${table}`);
  let batch: string[] = [];
  for await (const chunk of result.yieldRowsJs()) {
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
  client: RedisClient;
  io: HookIo;
  source: RedisWriteSource;
  spec: RedisWriteSpec;
  rows: number;
  prefix: string;
  entry: RegistryEntry;
  explain: (e: unknown) => CaudalError;
  ctx: Ctx;
}

/** Every key written is still there (a server with an eviction policy may have dropped some). */
async function verify(c: Common): Promise<void> {
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

/** Releases the run's resources; returns warnings. */
async function release(c: Common): Promise<string[]> {
  const warnings: string[] = [];
  await unregister(c.client, c.entry).catch((e: unknown) => warnings.push(`could not remove the registry entry in ${REGISTRY_KEY}: ${errorMessage(e)}`));
  await c.io.db.run(`DROP TABLE IF EXISTS ${c.source.table}`).catch(() => undefined);
  closeRedis(c.client);
  return warnings;
}

function upsertStage(c: Common, names: ReturnType<typeof upsertNames>): ExternalStage {
  let state: 'staged' | 'touched' | 'done' = 'staged';
  let replaced = 0;
  const ref: RedisRef = { mode: 'upsert', ...names };
  return {
    rows: c.rows,
    // No separate check of the staged keys: a missing one makes the commit fail, and a failed
    // commit of this (reversible) load is undone with the rest of the run.
    async prepare() {
      return { twoPhase: false, recovery: { connection: c.ctx.connection, ref } };
    },
    async commit() {
      state = 'touched';
      let moved = 0;
      const inFlight: Array<Promise<void>> = [];
      try {
        await forKeys(c.io.db, c.source.table, '', async (keys) => {
          // A few batches in flight: the server runs them one after another, the round trips overlap.
          if (inFlight.length >= 4) await inFlight.shift();
          const batch = c.client.sendCommand(['EVAL', MOVE_IN, String(keys.length), ...keys, names.stage, names.aside, names.newSet, String(c.spec.ttlMs)]) as Promise<[number, number]>;
          inFlight.push(
            batch.then(([m, r]) => {
              moved += Number(m);
              replaced += Number(r);
            }),
          );
        });
        await Promise.all(inFlight);
      } catch (e) {
        await Promise.allSettled(inFlight);
        throw c.explain(e);
      }
      if (moved !== c.rows) throw new CaudalError('execution', `node '${c.ctx.nodeId}': only ${moved} of ${c.rows} staged values could be moved into place`, { nodeId: c.ctx.nodeId });
    },
    async undo() {
      await undoUpsert(c.client, names);
      state = 'staged';
    },
    async finalize() {
      const warnings: string[] = [];
      try {
        if (replaced > 0) await forKeys(c.io.db, c.source.table, names.aside, async (keys) => void (await c.client.sendCommand(['UNLINK', ...keys])));
        await c.client.sendCommand(['UNLINK', names.newSet]);
      } catch (e) {
        warnings.push(`could not remove the previous values kept under ${names.aside}: ${errorMessage(e)}`);
      }
      state = 'done';
      return [...warnings, ...(await release(c))];
    },
    async rollback() {
      if (state === 'done') return;
      // A commit that failed half-way is undone key by key (the old values are aside).
      if (state === 'touched') await undoUpsert(c.client, names).catch(() => undefined);
      await unlinkKeys(c, names.stage);
      state = 'done';
      await release(c);
    },
  };
}

function namespaceStage(c: Common, version: string): ExternalStage {
  const pointer = pointerKey(c.spec.namespace!);
  let previous = '';
  let state: 'staged' | 'switched' | 'done' = 'staged';
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
        await verify(c);
        const cur = await c.client.sendCommand(['GET', pointer]);
        previous = cur === null || cur === undefined ? '' : String(cur);
      } catch (e) {
        throw c.explain(e);
      }
      return { twoPhase: false, recovery: { connection: c.ctx.connection, ref: ref() } };
    },
    async commit() {
      try {
        await c.client.sendCommand(['EVAL', SWITCH_POINTER, '1', pointer, previous, version]);
      } catch (e) {
        throw c.explain(e);
      }
      state = 'switched';
    },
    async undo() {
      await undoVersion(c.client, { pointer, prefix: c.prefix, version, previous });
      state = 'staged';
    },
    async finalize() {
      const warnings: string[] = [];
      if (previous && previous !== version) {
        try {
          await expireVersion(c.client, versionPrefix(c.spec.namespace!, previous), c.spec.oldTtlMs);
        } catch (e) {
          warnings.push(`could not expire the previous version's keys (${versionPrefix(c.spec.namespace!, previous)}*): ${errorMessage(e)}`);
        }
      }
      state = 'done';
      return [...warnings, ...(await release(c))];
    },
    async rollback() {
      if (state === 'done') return;
      if (state === 'switched') await undoVersion(c.client, { pointer, prefix: c.prefix, version, previous }).catch(() => undefined);
      else await unlinkKeys(c, c.prefix);
      state = 'done';
      await release(c);
    },
  };
}
