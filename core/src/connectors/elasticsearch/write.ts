import type { Client } from '@elastic/elasticsearch';
import { ident, literal } from '../../compiler/sql.js';
import type { Db } from '../../compiler/db.js';
import type { Column, ExternalRecovery, ExternalStage, HookIo } from '../../nodes/define.js';
import { CaudalError, errorMessage } from '../../util/errors.js';
import type { WriteContext } from '../connector.js';
import { aliasHolders, aliasTargets, putAliasBack, swapActions } from './alias.js';
import { explainEsError, workIndexName } from './client.js';
import { deriveMappings, docSql, type EsProperty, idSql } from './mapping.js';
import { type Dropped, refusedForData, rejectedError } from './refusals.js';
import { alreadyExists, copyStillRunning, copyWork, ReindexPollError } from './reindex.js';
import { bulkIndex } from './bulk.js';
import { loadingSettings } from './settings.js';
import { sweepDeadWorkIndices } from './sweep.js';
import { existingTarget } from './target.js';

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

type Ctx = Pick<WriteContext, 'nodeId' | 'connection' | 'runId'> & {
  secrets?: Array<string | undefined>;
  /** The cluster, as the journal records it (elasticsearchRecoveryTarget): recovery refuses a connection that points elsewhere. */
  target?: Record<string, string | number>;
};

/**
 * Stages an Elasticsearch load. Both modes first write into a work index of their own, with the
 * client's bulk helper (flush by bytes, bounded concurrency, 429s retried), so a failed or cancelled
 * run never touches what readers use:
 * - replace: the work index becomes the new version; commit moves the alias to it in one
 *   `_aliases` call (undoable until the run is over: the same call backwards); finalize deletes the
 *   indices the alias left.
 * - upsert: commit copies the work index into the target with `_reindex` (documents by id: a rerun
 *   overwrites, never duplicates), then deletes it. This commit cannot be undone and can fail late.
 * Documents Elasticsearch refuses for their data (mapping errors…) fail the run, or go to the
 * rejects port with their reason; documents the cluster refuses for its own state always fail it.
 */
export async function writeElasticsearch(client: Client, spec: EsWriteSpec, source: EsWriteSource, io: HookIo, ctx: Ctx): Promise<ExternalStage> {
  const explain = (e: unknown) => explainEsError(e, { nodeId: ctx.nodeId, connection: ctx.connection, index: spec.index, secrets: ctx.secrets });
  const work = workIndexName(spec.index, ctx.runId, spec.mode === 'replace' ? 'load' : 'stage');
  let created = false;
  try {
    const swept = await sweepDeadWorkIndices(client, spec.index);
    if (swept.length > 0) io.log(`removed work indices that killed runs left: ${swept.join(', ')}`);
    const target = spec.mode === 'upsert' ? await existingTarget(client, spec.index) : undefined;
    if (spec.mode === 'upsert' && !target && !spec.createIndex) {
      throw new CaudalError('validation', `node '${ctx.nodeId}': index '${spec.index}' does not exist`, { nodeId: ctx.nodeId, hint: 'create it first, or set create_index to true' });
    }
    const rows = await encode(io.db, spec, source, ctx);
    const mappings = target?.mappings ?? deriveMappings(source.columns, spec.mappings);
    // Loading settings: no replicas and no refresh while writing; put back before anyone reads it.
    const load = loadingSettings(spec.settings);
    // Maybe created from the moment it is sent (an answer lost on the way): deleted on failure then
    // too. The client sends it again after a lost answer, and the name is this run's alone, so
    // "already exists" is the first attempt's index.
    created = true;
    await client.indices.create({ index: work, mappings: mappings as never, settings: { ...load.create, ...target?.settings } }).catch((e: unknown) => {
      if (!alreadyExists(e)) throw e;
    });
    const dropped = await bulkIndex(client, { ...spec, nodeId: ctx.nodeId, secrets: ctx.secrets }, source.table, work, io);
    if (io.isCancelled()) throw new CaudalError('cancelled', 'the load was cancelled');
    if (dropped.length > 0 && (spec.onError === 'fail' || !source.rejects || !dropped.every(refusedForData))) throw rejectedError(dropped, ctx, spec);
    if (dropped.length > 0) await routeRejects(io.db, source, dropped);
    await client.indices.putSettings({ index: work, settings: load.after as never });
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
    await client.close().catch(() => undefined);
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
  // Elasticsearch refuses an id over 512 bytes, or empty, and with it the whole bulk request.
  const [bad] = await db.rows(`SELECT left(_id, 60) AS id, octet_length(encode(_id))::BIGINT AS bytes FROM ${source.table} WHERE _id = '' OR octet_length(encode(_id)) > 512 LIMIT 1`);
  if (bad) {
    const what = Number(bad.bytes) === 0 ? 'an empty document id' : `document id '${String(bad.id)}…' of ${String(bad.bytes)} bytes`;
    throw new CaudalError('execution', `node '${ctx.nodeId}': ${what} (from ${spec.idColumns.join(', ')}); Elasticsearch takes ids of 1 to 512 bytes`, {
      nodeId: ctx.nodeId,
      hint: 'use shorter id columns, or a hash of them (e.g. a derive node with md5(...)) as the id',
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

/** Refused rows with their reason, into the rejects table the node's output reads. */
async function routeRejects(db: Db, source: EsWriteSource, dropped: Dropped[]): Promise<void> {
  const cols = source.columns.map((c) => `t.${ident(c.name)}`).join(', ');
  for (let i = 0; i < dropped.length; i += 1000) {
    const values = dropped.slice(i, i + 1000).map((d) => `(${literal(d.id)}, ${literal(d.status)}, ${literal(d.type)}, ${literal(d.reason)})`);
    await db.run(`INSERT INTO ${source.rejects!} SELECT ${cols}, e.status, e.type, e.reason FROM ${source.table} AS t JOIN (VALUES ${values.join(', ')}) AS e(id, status, type, reason) ON t._id = e.id`);
  }
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

/** The cluster the load is on, for its journal entry. */
const targetOf = (c: Common): { target?: Record<string, string | number> } => (c.ctx.target ? { target: c.ctx.target } : {});

/** When the stage is over (finalized or rolled back): the temp table goes, and the client's sockets are closed. */
async function release(c: Common): Promise<void> {
  await dropTable(c);
  await c.client.close().catch(() => undefined);
}

/**
 * replace's commit moves the alias. An `_aliases` call whose answer is lost (a timeout, a cut
 * connection, or a retry the cluster refuses because the first attempt already moved the alias)
 * may have taken effect: the cluster is asked, and until it has answered the work index may be
 * what readers see, so it is never deleted blindly.
 */
function aliasSwap(c: Common): ExternalStage {
  const alias = c.spec.index;
  let previous: string[] = [];
  // 'unsure': a swap was sent and the cluster has not said whether it took effect.
  let state: 'staged' | 'unsure' | 'swapped' | 'done' = 'staged';
  let keptForRecovery = false;
  return {
    rows: c.indexed,
    async prepare() {
      try {
        previous = await aliasTargets(c.client, alias, c.ctx.nodeId);
      } catch (e) {
        throw c.explain(e);
      }
      return { twoPhase: false, recovery: { connection: c.ctx.connection, ref: { mode: 'replace', alias, work: c.work, previous }, ...targetOf(c) } };
    },
    async commit() {
      state = 'unsure';
      try {
        // One call: readers see the old index or the new one, never none.
        await c.client.indices.updateAliases({ actions: swapActions(alias, previous, c.work) as never });
      } catch (e) {
        const now = await aliasHolders(c.client, alias).catch(() => undefined);
        if (now?.includes(c.work)) {
          state = 'swapped';
          return;
        }
        if (now !== undefined) state = 'staged';
        throw c.explain(e);
      }
      state = 'swapped';
    },
    async undo() {
      await c.client.indices.updateAliases({ actions: [{ remove: { index: c.work, alias } }, ...previous.map((index) => ({ add: { index, alias } }))] as never });
      state = 'staged';
    },
    unrestored: () => keptForRecovery,
    async finalize() {
      state = 'done';
      const warnings: string[] = [];
      for (const index of previous) {
        await c.client.indices.delete({ index, ignore_unavailable: true }).catch((e: unknown) => warnings.push(`could not delete the previous index ${index}: ${errorMessage(e)}`));
      }
      await release(c);
      return warnings;
    },
    async rollback() {
      if (state === 'done') return;
      if (state !== 'staged') {
        try {
          await putAliasBack(c.client, alias, c.work, previous);
        } catch (e) {
          // The work index may be the one readers see: it stays, and recovery puts the alias back.
          state = 'done';
          keptForRecovery = true;
          await release(c);
          throw new CaudalError('io', `node '${c.ctx.nodeId}': the alias '${alias}' may still point at ${c.work}, which is kept (${c.explain(e).message})`, {
            nodeId: c.ctx.nodeId,
            hint: 'once the cluster answers, the next run or `caudal clean` moves the alias back and deletes that index',
          });
        }
      }
      state = 'done';
      await c.client.indices.delete({ index: c.work, ignore_unavailable: true }).catch(() => undefined);
      await release(c);
    },
  };
}

/**
 * upsert's commit copies the work index into the target. A copy whose task could not be followed
 * (ReindexPollError: the cluster stopped answering the polls) may still be running: its work index,
 * the copy's source, is kept, and the journal entry, which now names the task, is left to recovery
 * (`unrestored`): once the task has ended, the next run or `caudal clean` removes the index.
 */
function reindexInto(c: Common, createTarget: boolean): ExternalStage {
  let done = false;
  let keptForRecovery = false;
  const settings = createTarget ? c.spec.settings : undefined;
  // One object, journaled by reference: the task is added to it when the copy cannot be followed.
  const ref: ExternalRecovery['ref'] = { mode: 'upsert', index: c.spec.index, work: c.work, create: createTarget, ...(settings ? { settings: JSON.stringify(settings) } : {}) };
  return {
    rows: c.indexed,
    async prepare() {
      return { twoPhase: false, recovery: { connection: c.ctx.connection, ref, ...targetOf(c) } };
    },
    async commit() {
      done = true;
      try {
        await copyWork(c.client, c.spec.index, c.work, settings, c.indexed);
      } catch (e) {
        if (e instanceof ReindexPollError) {
          keptForRecovery = true;
          ref.task = e.task;
          throw copyNotFollowed(c, e);
        }
        // The copy is not undone (documents already copied stay); a rerun stages a work index of its own.
        await c.client.indices.delete({ index: c.work, ignore_unavailable: true }).catch(() => undefined);
        throw c.explain(e);
      } finally {
        await dropTable(c);
      }
    },
    unrestored: () => keptForRecovery,
    finalize: async () => {
      await release(c);
      return [];
    },
    async rollback() {
      if (!done) await c.client.indices.delete({ index: c.work, ignore_unavailable: true }).catch(() => undefined);
      done = true;
      await release(c);
    },
  };
}

/** The commit's error when the copy could not be followed: what is kept, and what recovery will do. */
function copyNotFollowed(c: Common, e: ReindexPollError): CaudalError {
  const why = c.explain(e);
  return new CaudalError(why.kind, `${why.message}; its work index ${c.work} is kept, since the copy may still be reading it`, {
    nodeId: c.ctx.nodeId,
    hint:
      `the run's journal keeps it: once the copy (task ${e.task}) has ended, the next run of any pipeline or \`caudal clean\` deletes ${c.work} (\`caudal doctor\` lists it until then). ` +
      `Documents already copied stay in ${c.spec.index}; run the pipeline again to load them all (ids make it idempotent)${why.hint ? `; ${why.hint}` : ''}`,
    cause: e,
  });
}

/**
 * Recovery of a killed run's load (connector.recover). replace published before the decision:
 * `commit` drops the indices the alias left, `rollback` moves the alias back and drops the work
 * index. upsert: `commit` completes the copy (by id, so repeating it is harmless), `rollback`
 * drops the work index; either waits (stays pending) while a copy the run could not follow
 * (`ref.task`) is still running.
 */
export async function recoverElasticsearch(client: Client, recovery: ExternalRecovery, action: 'commit' | 'rollback'): Promise<void> {
  const ref = recovery.ref as { mode: string; alias?: string; index?: string; work: string; previous?: string[]; create?: boolean; settings?: string; task?: string };
  if (ref.mode === 'replace') {
    const alias = ref.alias!;
    if (action === 'rollback') {
      await putAliasBack(client, alias, ref.work, ref.previous ?? []);
      await client.indices.delete({ index: ref.work, ignore_unavailable: true });
    } else if ((await aliasHolders(client, alias)).includes(ref.work)) {
      for (const index of ref.previous ?? []) await client.indices.delete({ index, ignore_unavailable: true });
    }
    return;
  }
  // A copy the run could not follow may still be reading the work index: it is left until the task ends.
  if (ref.task && (await copyStillRunning(client, ref.task))) {
    throw new Error(`the copy into ${ref.index} (task ${ref.task}) that the run could not follow is still running in the cluster; its work index ${ref.work} is kept until it ends`);
  }
  if (action === 'commit' && (await client.indices.exists({ index: ref.work }))) await copyWork(client, ref.index!, ref.work, ref.create === true ? (JSON.parse(ref.settings ?? '{}') as Record<string, unknown>) : undefined);
  else await client.indices.delete({ index: ref.work, ignore_unavailable: true });
}
