import { lstat, readdir, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ident, stringLiteral } from '../../compiler/sql.js';
import { getConnector } from '../../connectors/registry.js';
import type { ResolvedConnection } from '../../nodes/define.js';
import { errorMessage } from '../../util/errors.js';
import { writeNodeState } from '../state.js';
import { ownerIsDead, ownerOf, tempFolderPrefix } from '../../util/owner.js';
import type { Db } from '../../compiler/db.js';
import { type JournalEntry, listJournals, removeJournal, type RunJournal } from './journal.js';
import { removeEmptyFolders } from './participants.js';

/**
 * Recovery of runs whose process died (kill -9, power loss, a crash): read each journal whose owner
 * is gone and finish what it describes. Before the commit decision everything the run staged is
 * removed and every destination put back as it was (a replaced file restored from the copy kept
 * aside, staging tables dropped, prepared transactions rolled back); after it, the commit is rolled
 * forward (staged files renamed into place, DuckDB swaps re-applied, prepared transactions
 * committed). What cannot be finished here (a database file locked by another process, a connection
 * this request cannot resolve) stays in the journal for the next attempt or `caudal clean`.
 */
export interface RecoveryContext {
  /** A DuckDB instance to open warehouse files with. */
  db: Db;
  /** The connection of this name with its secrets, when this process can resolve it. */
  connection(name: string): ResolvedConnection | undefined | Promise<ResolvedConnection | undefined>;
  env?: NodeJS.ProcessEnv;
}

export interface RecoveryOutcome {
  runId: string;
  pipeline: string;
  action: 'rolled back' | 'rolled forward';
  done: string[];
  /** Steps that could not be finished now; the journal is kept for them. */
  pending: string[];
}

/** What a recovery did, as the warnings a run prints before it starts (`what`: how it names the run). */
export function recoveryWarnings(r: RecoveryOutcome, what = 'run'): string[] {
  return [
    `recovered ${what} ${r.runId} of '${r.pipeline}', which was killed: ${r.action}${r.done.length ? `; ${r.done.join('; ')}` : ''}`,
    ...r.pending.map((p) => `run ${r.runId} of '${r.pipeline}' left something this run cannot finish: ${p}`),
  ];
}

export async function recoverDeadRuns(ctx: RecoveryContext): Promise<RecoveryOutcome[]> {
  const outcomes: RecoveryOutcome[] = [];
  for (const found of await listJournals(ctx.env)) {
    const j = found.journal;
    if (!j || !ownerIsDead(j.owner)) continue;
    outcomes.push(await recoverRun(j, ctx));
  }
  return outcomes;
}

export async function recoverRun(j: RunJournal, ctx: RecoveryContext): Promise<RecoveryOutcome> {
  const forward = j.decision === 'commit';
  const out: RecoveryOutcome = { runId: j.runId, pipeline: j.pipeline, action: forward ? 'rolled forward' : 'rolled back', done: [], pending: [] };
  for (const entry of j.sinks) {
    try {
      const step = await recoverEntry(entry, j, forward, ctx);
      if (step.pending) out.pending.push(step.pending);
      else if (step.done) out.done.push(step.done);
    } catch (e) {
      out.pending.push(`${describe(entry)}: ${errorMessage(e)}`);
    }
  }
  // The commit is complete: so is the incremental sources' progress, or their rows come again.
  // Not when a destination's load died with the process (a transaction that was not prepared):
  // those rows must come again.
  const lost = j.sinks.filter((e) => e.kind === 'external' && !e.recovery && !e.committed);
  if (forward && lost.length > 0) {
    for (const s of j.states ?? []) out.done.push(`kept the state of node '${s.nodeId}': a load was lost with the process, so the next run reads those rows again`);
  } else if (forward && out.pending.length === 0) {
    for (const s of j.states ?? []) {
      try {
        await writeNodeState(s.stateDir, j.pipeline, s.nodeId, s.state, j.runId, s.key);
        out.done.push(`saved the state of node '${s.nodeId}'`);
      } catch (e) {
        out.pending.push(`the state of node '${s.nodeId}' in ${s.stateDir}: ${errorMessage(e)}`);
      }
    }
  }
  if (j.tempDir) {
    await rm(j.tempDir, { recursive: true, force: true });
    out.done.push(`removed its temp folder ${j.tempDir}`);
  }
  if (out.pending.length === 0) await removeJournal(j.runId, ctx.env);
  return out;
}

function describe(e: JournalEntry): string {
  return e.kind === 'file' ? e.target : e.kind === 'duckdb' ? e.file : e.label;
}

const exists = async (p: string) => (await lstat(p).catch(() => undefined)) !== undefined;
const isDir = async (p: string) => (await lstat(p).catch(() => undefined))?.isDirectory() ?? false;

async function recoverEntry(entry: JournalEntry, j: RunJournal, forward: boolean, ctx: RecoveryContext): Promise<{ done?: string; pending?: string }> {
  if (entry.kind === 'file') return recoverFile(entry, j, forward);
  if (entry.kind === 'duckdb') return recoverDuckdb(entry, forward, ctx);
  if (!entry.recovery) {
    // Its transaction ended with the dead process's connection: rolled back by the server.
    return forward && !entry.committed ? { done: `${entry.label}: its load was lost with the process and is unchanged (commit window; run the pipeline again)` } : {};
  }
  const resolved = await ctx.connection(entry.recovery.connection);
  const connector = resolved ? getConnector(resolved.type) : undefined;
  if (!resolved || !connector?.recover) {
    return { pending: `${entry.label}: work left prepared on connection '${entry.recovery.connection}' (${JSON.stringify(entry.recovery.ref)}) needs that connection, which this run cannot open; run \`caudal clean\` with it available` };
  }
  // Even a committed entry is passed on: a connector may still have staging to remove.
  await connector.recover(connector.fields.parse(resolved.config), entry.recovery, forward ? 'commit' : 'rollback');
  // A Spark run commits the databases that cannot prepare before its decision (SQL Server): such
  // a load stays committed when the rest is undone, the window the user guide describes.
  if (!forward && entry.committed) return { done: `${entry.label}: committed before the process died, so it keeps the new rows (it cannot be prepared); its staging was removed` };
  return { done: `${entry.label}: ${forward ? 'completed' : 'undone'}` };
}

async function recoverFile(e: Extract<JournalEntry, { kind: 'file' }>, j: RunJournal, forward: boolean): Promise<{ done?: string }> {
  if (forward) {
    if (await exists(e.temp)) {
      if ((await exists(e.target)) && !(await exists(e.aside))) await rename(e.target, e.aside);
      if (await isDir(e.target)) await rm(e.target, { recursive: true, force: true });
      await rename(e.temp, e.target);
    }
    await rm(e.aside, { recursive: true, force: true });
    for (const d of e.stagingDirs) await rm(d, { recursive: true, force: true });
    return { done: `${e.target}: published` };
  }
  if (await exists(e.aside)) {
    // The new output was moved in: put the previous version back.
    if (await isDir(e.target)) await rm(e.target, { recursive: true, force: true });
    await rename(e.aside, e.target);
  } else if (j.phase === 'committing' && e.existed === false && !(await exists(e.temp)) && (await exists(e.target))) {
    await rm(e.target, { recursive: true, force: true });
  }
  await rm(e.temp, { recursive: true, force: true });
  for (const d of e.stagingDirs) await rm(d, { recursive: true, force: true });
  await removeEmptyFolders(e.createdFolders);
  return { done: `${e.target}: left as it was` };
}

async function recoverDuckdb(e: Extract<JournalEntry, { kind: 'duckdb' }>, forward: boolean, ctx: RecoveryContext): Promise<{ done?: string; pending?: string }> {
  if (!(await exists(e.file))) return {};
  // The run's own name for the file: the journaled statements refer to it.
  const alias = e.alias;
  try {
    await ctx.db.run(`ATTACH ${stringLiteral(e.file)} AS ${ident(alias)}`);
  } catch (err) {
    return { pending: `${e.file}: cannot open it now (${errorMessage(err).split('\n')[0]}); its staging tables stay until the next run or \`caudal clean\`` };
  }
  try {
    const stagePresent = await stageTablesPresent(ctx.db, alias, e.stageTables);
    if (forward && !e.committed && stagePresent) {
      await ctx.db.run('BEGIN TRANSACTION');
      try {
        for (const sql of e.apply) await ctx.db.run(sql);
        await ctx.db.run('COMMIT');
      } catch (err) {
        await ctx.db.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
      return { done: `${e.file}: published` };
    }
    for (const t of e.stageTables) await ctx.db.run(`DROP TABLE IF EXISTS ${ident(alias)}.${ident(t.schema)}.${ident(t.table)}`);
    return { done: `${e.file}: staging tables removed` };
  } finally {
    await ctx.db.run(`DETACH DATABASE IF EXISTS ${ident(alias)}`).catch(() => undefined);
  }
}

async function stageTablesPresent(db: Db, alias: string, tables: Array<{ schema: string; table: string }>): Promise<boolean> {
  for (const t of tables) {
    const rows = await db.rows('SELECT 1 FROM duckdb_tables() WHERE database_name = ? AND schema_name = ? AND table_name = ?', [alias, t.schema, t.table]);
    if (rows.length === 0) return false;
  }
  return tables.length > 0;
}

/** The name of a run's private temp folder: it carries its owner, so leftovers are recognized. */
export { tempFolderPrefix };

/** Removes temp folders (`caudal-run-<owner>-…` in the system temp folder) of processes that are gone. */
export async function sweepDeadTempFolders(): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(os.tmpdir()).catch(() => [] as string[])) {
    if (!name.startsWith('caudal-run-')) continue;
    const owner = ownerOf(name);
    if (!owner || !ownerIsDead(owner)) continue;
    await rm(path.join(os.tmpdir(), name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/** Drops staging tables of dead runs in a database file the run just attached (as `alias`). */
export async function sweepDeadStageTables(db: Db, alias: string, prefix: string): Promise<string[]> {
  const rows = await db.rows(`SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ? AND starts_with(table_name, ?)`, [alias, prefix]);
  const dropped: string[] = [];
  for (const r of rows) {
    const name = String(r.table_name);
    const owner = ownerOf(name);
    if (!owner || !ownerIsDead(owner)) continue;
    await db.run(`DROP TABLE IF EXISTS ${ident(alias)}.${ident(String(r.schema_name))}.${ident(name)}`);
    dropped.push(`${String(r.schema_name)}.${name}`);
  }
  return dropped;
}
