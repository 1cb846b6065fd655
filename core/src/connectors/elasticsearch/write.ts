import type { Client } from '@elastic/elasticsearch';
import { ident, literal } from '../../compiler/sql.js';
import type { Db } from '../../compiler/db.js';
import type { Column, ExternalRecovery, ExternalStage, HookIo } from '../../nodes/define.js';
import { CaudalError, errorMessage } from '../../util/errors.js';
import { ownerIsDead, ownerOf } from '../../util/owner.js';
import type { WriteContext } from '../connector.js';
import { explainEsError, workIndexName, workIndexPattern } from './client.js';
import { deriveMappings, docSql, type EsProperty, idSql } from './mapping.js';

export interface EsWriteSpec {
  /** The index (upsert) or alias (replace) readers use. */
  index: string;
  mode: 'upsert' | 'replace';
  /** Document id from these columns; empty (replace only): the row's number in the load. */
  idColumns: string[];
  /** Per-field mapping overrides. */
  mappings: Record<string, EsProperty>;
  /** Index settings for an index the sink creates. */
  settings: Record<string, unknown>;
  onError: 'fail' | 'reject';
  createIndex: boolean;
  flushBytes: number;
  concurrency: number;
  /** Retries of documents refused with 429 (too many requests), `retryWaitMs` apart. */
  retries: number;
  retryWaitMs: number;
}

export interface EsWriteSource {
  relation: string;
  columns: Column[];
  /** Quoted temp table for the documents while the run lasts. */
  table: string;
  /** Quoted table that receives rejected rows (input columns + _error_*), when rejects are routed. */
  rejects?: string;
}

type Ctx = Pick<WriteContext, 'nodeId' | 'connection' | 'runId'> & { secrets?: Array<string | undefined> };

interface Dropped {
  id: string;
  status: number;
  type: string;
  reason: string;
}

/**
 * Stages an Elasticsearch load. Both modes first write into a work index of their own, with the
 * client's bulk helper (flush by bytes, bounded concurrency, 429s retried), so a failed or cancelled
 * run never touches what readers use:
 * - replace: the work index becomes the new version; commit moves the alias to it in one
 *   `_aliases` call (undoable until the run is over: the same call backwards); finalize deletes the
 *   indices the alias left.
 * - upsert: commit copies the work index into the target with `_reindex` (documents by id: a rerun
 *   overwrites, never duplicates), then deletes it. This commit cannot be undone and can fail late.
 * Documents Elasticsearch refuses (mapping errors…) fail the run, or go to the rejects port with
 * their reason.
 */
export async function writeElasticsearch(client: Client, spec: EsWriteSpec, source: EsWriteSource, io: HookIo, ctx: Ctx): Promise<ExternalStage> {
  const explain = (e: unknown) => explainEsError(e, { nodeId: ctx.nodeId, connection: ctx.connection, index: spec.index, secrets: ctx.secrets });
  const work = workIndexName(spec.index, ctx.runId, spec.mode === 'replace' ? 'load' : 'stage');
  let created = false;
  try {
    const swept = await sweepDeadWorkIndices(client, spec.index);
    if (swept.length > 0) io.log(`removed work indices that killed runs left: ${swept.join(', ')}`);
    const target = spec.mode === 'upsert' ? await existingMappings(client, spec.index) : undefined;
    if (spec.mode === 'upsert' && !target && !spec.createIndex) {
      throw new CaudalError('validation', `node '${ctx.nodeId}': index '${spec.index}' does not exist`, { nodeId: ctx.nodeId, hint: 'create it first, or set create_index to true' });
    }
    const rows = await encode(io.db, spec, source, ctx);
    const mappings = target ?? deriveMappings(source.columns, spec.mappings);
    // Loading settings: no replicas and no refresh while writing; put back before anyone reads it.
    await client.indices.create({ index: work, mappings: mappings as never, settings: { ...spec.settings, number_of_replicas: 0, refresh_interval: '-1' } });
    created = true;
    const dropped = await bulkIndex(client, spec, source, work, io);
    if (io.isCancelled()) throw new CaudalError('cancelled', 'the load was cancelled');
    if (dropped.length > 0 && (spec.onError === 'fail' || !source.rejects)) throw rejectedError(dropped, ctx, spec);
    if (dropped.length > 0) await routeRejects(io.db, source, dropped);
    await client.indices.putSettings({ index: work, settings: { number_of_replicas: (spec.settings.number_of_replicas as number | undefined) ?? 1, refresh_interval: null } as never });
    await client.indices.refresh({ index: work });
    const { count } = await client.count({ index: work });
    const indexed = rows - dropped.length;
    if (count !== indexed) throw new CaudalError('execution', `node '${ctx.nodeId}': the work index ${work} holds ${count} documents, ${indexed} were indexed`, { nodeId: ctx.nodeId });
    if (dropped.length > 0) io.log(`${dropped.length} row(s) refused by Elasticsearch went to the rejects port`);
    const common = { client, spec, work, indexed, explain, ctx, db: io.db, table: source.table };
    return spec.mode === 'replace' ? aliasSwap(common) : reindexInto(common, target === undefined);
  } catch (e) {
    if (created) await client.indices.delete({ index: work, ignore_unavailable: true }).catch(() => undefined);
    await io.db.run(`DROP TABLE IF EXISTS ${source.table}`).catch(() => undefined);
    if (io.isCancelled()) throw new CaudalError('cancelled', 'the load was cancelled; Elasticsearch is unchanged');
    throw explain(e);
  }
}

/** The documents, once, in a temp table (`_id`, `_doc`, then the input columns for rejects); ids checked. */
async function encode(db: Db, spec: EsWriteSpec, source: EsWriteSource, ctx: Ctx): Promise<number> {
  const id = spec.idColumns.length > 0 ? idSql(spec.idColumns) : 'CAST(row_number() OVER () AS VARCHAR)';
  const rows = await db.count(`CREATE OR REPLACE TEMP TABLE ${source.table} AS SELECT ${id} AS _id, ${docSql(source.columns)} AS _doc, * FROM ${source.relation}`);
  if (spec.idColumns.length === 0) return rows;
  const [nulls] = await db.rows(`SELECT count(*)::BIGINT AS n FROM ${source.table} WHERE _id IS NULL`);
  if (Number(nulls?.n) > 0) {
    throw new CaudalError('execution', `node '${ctx.nodeId}': ${String(nulls!.n)} row(s) have a NULL in an id column (${spec.idColumns.join(', ')})`, {
      nodeId: ctx.nodeId,
      hint: 'filter out or fill rows with missing keys before the sink',
    });
  }
  const [dup] = await db.rows(`SELECT _id, count(*)::BIGINT AS n FROM ${source.table} GROUP BY _id HAVING count(*) > 1 LIMIT 1`);
  if (dup) {
    throw new CaudalError('execution', `node '${ctx.nodeId}': document id '${String(dup._id)}' is produced by ${String(dup.n)} rows; one id holds one document`, {
      nodeId: ctx.nodeId,
      hint: `dedupe on ${spec.idColumns.join(', ')} before the sink, or add a column to the ids`,
    });
  }
  return rows;
}

/** The bulk helper over the temp table; returns the documents Elasticsearch refused for good. */
async function bulkIndex(client: Client, spec: EsWriteSpec, source: EsWriteSource, index: string, io: HookIo): Promise<Dropped[]> {
  const dropped: Dropped[] = [];
  let sent = 0;
  async function* documents() {
    const result = await io.db.conn.stream(`SELECT _id, _doc FROM ${source.table}`);
    for await (const chunk of result.yieldRowsJs()) {
      for (const row of chunk) yield { id: String(row[0]), doc: String(row[1]) };
      sent += chunk.length;
      io.progress(sent);
      if (io.isCancelled()) return;
    }
  }
  const helper = client.helpers.bulk<{ id: string; doc: string }>({
    datasource: documents(),
    onDocument: (d) => [{ index: { _index: index, _id: d.id } }, d.doc as never],
    onDrop: (d) => {
      const action = d.operation as { index?: { _id?: string } };
      dropped.push({ id: String(action.index?._id), status: d.status, type: d.error?.type ?? (d.status === 429 ? 'too_many_requests' : 'error'), reason: d.error?.reason ?? (d.status === 429 ? `still refused after ${spec.retries} retries` : '') });
    },
    flushBytes: spec.flushBytes,
    concurrency: spec.concurrency,
    retries: spec.retries,
    wait: spec.retryWaitMs,
  });
  const cancel = setInterval(() => {
    if (io.isCancelled()) helper.abort();
  }, 100);
  try {
    await helper;
  } finally {
    clearInterval(cancel);
  }
  return dropped;
}

function rejectedError(dropped: Dropped[], ctx: Ctx, spec: EsWriteSpec): CaudalError {
  const first = dropped.slice(0, 3).map((d) => `document ${d.id}: ${d.type}${d.reason ? `: ${d.reason}` : ''}`);
  return new CaudalError('execution', `node '${ctx.nodeId}': Elasticsearch refused ${dropped.length} document(s) for index '${spec.index}' (${first.join('; ')}${dropped.length > 3 ? '; …' : ''}); nothing was published`, {
    nodeId: ctx.nodeId,
    hint: spec.onError === 'fail' ? 'fix the mapping (mappings param) or the data, or set on_error to "reject" and connect the rejects port' : 'connect the rejects port to a sink to keep the refused rows',
  });
}

/** Refused rows with their reason, into the rejects table the node's output reads. */
async function routeRejects(db: Db, source: EsWriteSource, dropped: Dropped[]): Promise<void> {
  const cols = source.columns.map((c) => `t.${ident(c.name)}`).join(', ');
  for (let i = 0; i < dropped.length; i += 1000) {
    const values = dropped.slice(i, i + 1000).map((d) => `(${literal(d.id)}, ${literal(d.status)}, ${literal(d.type)}, ${literal(d.reason)})`);
    await db.run(`INSERT INTO ${source.rejects!} SELECT ${cols}, e.status, e.type, e.reason FROM ${source.table} AS t JOIN (VALUES ${values.join(', ')}) AS e(id, status, type, reason) ON t._id = e.id`);
  }
}

/** The mappings of an existing index (or of an alias' write index), or undefined when there is none. */
async function existingMappings(client: Client, index: string): Promise<{ properties: Record<string, EsProperty> } | undefined> {
  if (!(await client.indices.exists({ index }))) return undefined;
  const r = await client.indices.getMapping({ index });
  const first = Object.values(r)[0] as { mappings?: { properties?: Record<string, EsProperty> } } | undefined;
  return { properties: first?.mappings?.properties ?? {} };
}

/** Indices an alias points at now ([] when it names nothing; an error when a real index has the name). */
async function aliasTargets(client: Client, alias: string, ctx: Ctx): Promise<string[]> {
  if (!(await client.indices.exists({ index: alias }))) return [];
  if (!(await client.indices.existsAlias({ name: alias }))) {
    throw new CaudalError('validation', `node '${ctx.nodeId}': '${alias}' is an index, not an alias; mode "replace" swaps an alias`, {
      nodeId: ctx.nodeId,
      hint: `reindex it under another name and create the alias '${alias}' for it (or remove it), then run again; or use mode "upsert"`,
    });
  }
  return Object.keys(await client.indices.getAlias({ name: alias }));
}

/** Removes work indices of this target whose run was killed (the alias does not point at them). */
async function sweepDeadWorkIndices(client: Client, index: string): Promise<string[]> {
  const found = await client.indices.get({ index: workIndexPattern(index), allow_no_indices: true, ignore_unavailable: true, expand_wildcards: 'all' }).catch(() => ({}));
  const removed: string[] = [];
  for (const [name, info] of Object.entries(found as Record<string, { aliases?: Record<string, unknown> }>)) {
    const owner = ownerOf(name);
    if (!owner || !ownerIsDead(owner) || Object.keys(info.aliases ?? {}).length > 0) continue;
    await client.indices.delete({ index: name, ignore_unavailable: true });
    removed.push(name);
  }
  return removed;
}

interface Common {
  client: Client;
  spec: EsWriteSpec;
  work: string;
  indexed: number;
  explain: (e: unknown) => CaudalError;
  ctx: Ctx;
  db: Db;
  table: string;
}

const dropTable = (c: Common) => c.db.run(`DROP TABLE IF EXISTS ${c.table}`).catch(() => undefined);

function swapActions(alias: string, from: string[], to: string): Array<Record<string, unknown>> {
  return [...from.map((index) => ({ remove: { index, alias } })), { add: { index: to, alias, is_write_index: true } }];
}

function aliasSwap(c: Common): ExternalStage {
  let previous: string[] = [];
  let state: 'staged' | 'swapped' | 'done' = 'staged';
  return {
    rows: c.indexed,
    async prepare() {
      try {
        previous = await aliasTargets(c.client, c.spec.index, c.ctx);
      } catch (e) {
        throw c.explain(e);
      }
      return { twoPhase: false, recovery: { connection: c.ctx.connection, ref: { mode: 'replace', alias: c.spec.index, work: c.work, previous } } };
    },
    async commit() {
      try {
        // One call: readers see the old index or the new one, never none.
        await c.client.indices.updateAliases({ actions: swapActions(c.spec.index, previous, c.work) as never });
      } catch (e) {
        throw c.explain(e);
      }
      state = 'swapped';
    },
    async undo() {
      await c.client.indices.updateAliases({ actions: [{ remove: { index: c.work, alias: c.spec.index } }, ...previous.map((index) => ({ add: { index, alias: c.spec.index } }))] as never });
      state = 'staged';
    },
    async finalize() {
      state = 'done';
      await dropTable(c);
      const warnings: string[] = [];
      for (const index of previous) {
        await c.client.indices.delete({ index, ignore_unavailable: true }).catch((e: unknown) => warnings.push(`could not delete the previous index ${index}: ${errorMessage(e)}`));
      }
      return warnings;
    },
    async rollback() {
      if (state === 'done') return;
      if (state === 'swapped') await this.undo!().catch(() => undefined);
      state = 'done';
      await c.client.indices.delete({ index: c.work, ignore_unavailable: true }).catch(() => undefined);
      await dropTable(c);
    },
  };
}

function reindexInto(c: Common, createTarget: boolean): ExternalStage {
  let done = false;
  return {
    rows: c.indexed,
    async prepare() {
      return { twoPhase: false, recovery: { connection: c.ctx.connection, ref: { mode: 'upsert', index: c.spec.index, work: c.work, create: createTarget } } };
    },
    async commit() {
      done = true;
      try {
        await copyWork(c.client, c.spec.index, c.work, createTarget, c.indexed);
      } catch (e) {
        throw c.explain(e);
      } finally {
        await dropTable(c);
      }
    },
    async rollback() {
      if (done) return;
      done = true;
      await c.client.indices.delete({ index: c.work, ignore_unavailable: true }).catch(() => undefined);
      await dropTable(c);
    },
  };
}

/** Upsert's commit: the work index's documents into the target by id, then the work index goes. */
async function copyWork(client: Client, index: string, work: string, createTarget: boolean, expected?: number): Promise<void> {
  if (createTarget && !(await client.indices.exists({ index }))) {
    const m = await client.indices.getMapping({ index: work });
    const mappings = (Object.values(m)[0] as { mappings?: unknown } | undefined)?.mappings;
    await client.indices.create({ index, mappings: mappings as never });
  }
  const r = await client.reindex({ source: { index: work }, dest: { index, op_type: 'index' }, refresh: true, wait_for_completion: true });
  if ((r.failures ?? []).length > 0) throw new Error(`reindex into ${index} failed for ${r.failures!.length} document(s): ${JSON.stringify(r.failures![0]).slice(0, 300)}`);
  if (expected !== undefined && (r.created ?? 0) + (r.updated ?? 0) !== expected) throw new Error(`reindex into ${index} copied ${(r.created ?? 0) + (r.updated ?? 0)} of ${expected} documents`);
  await client.indices.delete({ index: work, ignore_unavailable: true });
}

/**
 * Recovery of a killed run's load (connector.recover). replace published before the decision:
 * `commit` drops the indices the alias left, `rollback` moves the alias back and drops the work
 * index. upsert: `commit` completes the copy (by id, so repeating it is harmless), `rollback`
 * drops the work index.
 */
export async function recoverElasticsearch(client: Client, recovery: ExternalRecovery, action: 'commit' | 'rollback'): Promise<void> {
  const ref = recovery.ref as { mode: string; alias?: string; index?: string; work: string; previous?: string[]; create?: boolean };
  const exists = (index: string) => client.indices.exists({ index });
  if (ref.mode === 'replace') {
    const alias = ref.alias!;
    const current = (await client.indices.existsAlias({ name: alias })) ? Object.keys(await client.indices.getAlias({ name: alias })) : [];
    if (action === 'rollback') {
      if (current.includes(ref.work)) {
        const back = [];
        for (const index of ref.previous ?? []) if (await exists(index)) back.push({ add: { index, alias } });
        await client.indices.updateAliases({ actions: [{ remove: { index: ref.work, alias } }, ...back] as never });
      }
      await client.indices.delete({ index: ref.work, ignore_unavailable: true });
    } else if (current.includes(ref.work)) {
      for (const index of ref.previous ?? []) await client.indices.delete({ index, ignore_unavailable: true });
    }
    return;
  }
  if (action === 'commit' && (await exists(ref.work))) await copyWork(client, ref.index!, ref.work, ref.create === true);
  else await client.indices.delete({ index: ref.work, ignore_unavailable: true });
}
