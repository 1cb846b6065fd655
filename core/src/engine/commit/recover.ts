import { lstat, readdir, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ident, stringLiteral } from '../../compiler/sql.js';
import type { Connector } from '../../connectors/connector.js';
import { getConnector } from '../../connectors/registry.js';
import type { ResolvedConnection } from '../../nodes/define.js';
import { errorMessage } from '../../util/errors.js';
import { writeNodeState } from '../state.js';
import { ownerIsDead, ownerOf, tempFolderPrefix } from '../../util/owner.js';
import type { Db } from '../../compiler/db.js';
import { isLeftOver, type JournalEntry, listJournals, removeJournal, type RunJournal } from './journal.js';
import { removeEmptyFolders } from './participants.js';
import type { ProjectConnections } from './other-projects.js';
import { killedMidPublish, killedMidPublishNote, type KilledMidPublish } from './partial-publish.js';

/**
 * Recovery of runs whose process died (kill -9, power loss, a crash): read each journal whose owner
 * is gone and finish what it describes. Before the commit decision everything the run staged is
 * removed and every destination put back as it was (a replaced file restored from the copy kept
 * aside, staging tables dropped, prepared transactions rolled back); after it, the commit is rolled
 * forward (staged files renamed into place, DuckDB swaps re-applied, prepared transactions
 * committed). What cannot be finished here (a database file locked by another process, a connection
 * this request cannot resolve) stays in the journal for the next attempt or `caudal clean`.
 *
 * Connections are resolved by name in the dead run's own project when the host could resolve them
 * there (`projects`: before a run, and by `caudal clean`), else in the project of whoever recovers,
 * which may not be the dead run's: a journal entry records which server and database its work is
 * on (`recovery.target`), and only a connection that resolves to that same one may finish it. An
 * entry that does not record it (a journal of an older version, a Spark driver's) is finished only
 * from its own pipeline's folder. When any entry cannot be finished from here, nothing of that run
 * is touched: its own project's next run or `caudal clean <pipeline.json>` finishes all of it.
 */
export interface RecoveryContext {
  /** A DuckDB instance to open warehouse files with. */
  db: Db;
  /** The connection of this name with its secrets, when this process can resolve it. */
  connection(name: string): ResolvedConnection | undefined | Promise<ResolvedConnection | undefined>;
  /**
   * The pipeline folder whose project `connection()` resolves names in, when there is one: a
   * journal entry without a recorded server is finished only when it is the dead run's own folder.
   */
  baseDir?: string;
  /** Connections of other projects, resolved by the host for their dead runs (other-projects.ts). */
  projects?: ProjectConnections;
  env?: NodeJS.ProcessEnv;
}

/** The context a dead run is finished in: its own project's connections when the host resolved them. */
function contextFor<C extends Pick<RecoveryContext, 'connection' | 'baseDir' | 'projects'>>(j: RunJournal, ctx: C): C {
  const own = ctx.projects?.[path.resolve(j.baseDir)];
  return own ? { ...ctx, connection: (name: string) => own[name], baseDir: j.baseDir } : ctx;
}

export interface RecoveryOutcome {
  runId: string;
  pipeline: string;
  action: 'rolled back' | 'rolled forward';
  done: string[];
  /** Steps that could not be finished now; the journal is kept for them. */
  pending: string[];
  /** Nothing was done: a destination cannot be finished with the connections at hand (`pending` says why). */
  untouched?: boolean;
  /** The run was not killed: it failed and could not put these destinations back itself. */
  abandoned?: boolean;
  /** States of a committed run that could not be saved now (their folder unwritable): its pipeline's next run would read the same rows again. */
  unsavedStates?: Array<{ nodeId: string; stateDir: string; error: string }>;
  /**
   * Destinations the run was publishing to when it died, which cannot be undone (partial-publish.ts):
   * `partlyPublished` may hold part of its rows (RabbitMQ), `inDoubt` all of them or none (a
   * PostgreSQL, SQL Server or Kafka transaction that was committing), whichever way the rest went.
   */
  partlyPublished?: KilledMidPublish['partlyPublished'];
  inDoubt?: KilledMidPublish['inDoubt'];
}

/** What a recovery did, as the warnings a run prints before it starts (`what`: how it names the run). */
export function recoveryWarnings(r: RecoveryOutcome, what = 'run', how?: string): string[] {
  const partly = killedMidPublishNote(r);
  // Never "rolled back" alone when messages that cannot be taken back may have gone out.
  const said = how ?? (r.abandoned ? 'which failed and could not put everything back' : partly ? `which was ${partly}` : 'which was killed');
  const action = partly ? `${said.includes(partly) ? '' : `${partly}; `}everything else ${r.action}` : r.action;
  if (r.untouched) return [`${what} ${r.runId} of '${r.pipeline}', ${said}, is left as it was: ${r.pending.join('; ')}`];
  return [
    `recovered ${what} ${r.runId} of '${r.pipeline}', ${said}: ${action}${r.done.length ? `; ${r.done.join('; ')}` : ''}`,
    ...r.pending.map((p) => `run ${r.runId} of '${r.pipeline}' left something this run cannot finish: ${p}`),
  ];
}

export async function recoverDeadRuns(ctx: RecoveryContext): Promise<RecoveryOutcome[]> {
  const outcomes: RecoveryOutcome[] = [];
  for (const found of await listJournals(ctx.env)) {
    const j = found.journal;
    if (!j || !isLeftOver(j)) continue;
    outcomes.push(await recoverRun(j, ctx));
  }
  return outcomes;
}

export async function recoverRun(j: RunJournal, given: RecoveryContext): Promise<RecoveryOutcome> {
  const ctx = contextFor(j, given);
  const forward = (await effectiveDecision(j, ctx.db)) === 'commit';
  const out: RecoveryOutcome = {
    runId: j.runId,
    pipeline: j.pipeline,
    action: forward ? 'rolled forward' : 'rolled back',
    done: [],
    pending: [],
    ...(j.abandoned ? { abandoned: true } : {}),
    ...killedMidPublish(j),
  };
  // Every destination is finished from one place, or none: a connection that is not the one the
  // run used leaves the whole run (and its journal) as it is, for its own project.
  const blocked = await blockedEntries(j, ctx);
  if (blocked.length > 0) {
    out.pending.push(...blocked);
    out.untouched = true;
    return out;
  }
  let lostLoads = 0;
  for (const entry of j.sinks) {
    try {
      const step = await recoverEntry(entry, j, forward, ctx);
      if (step.lost) lostLoads++;
      if (step.pending) out.pending.push(step.pending);
      else if (step.done) out.done.push(step.done);
    } catch (e) {
      out.pending.push(`${describe(entry)}: ${errorMessage(e)}`);
    }
  }
  // The commit is complete: so is the incremental sources' progress, or their rows come again.
  // Not when a destination's load died with the process (a transaction that was not prepared), or
  // its prepared transaction was rolled back by someone else: those rows must come again.
  const lost = [...j.sinks.filter((e) => e.kind === 'external' && !e.recovery && !e.committed), ...Array.from({ length: lostLoads })];
  if (forward && lost.length > 0) {
    for (const s of j.states ?? []) out.done.push(`kept the state of node '${s.nodeId}': a load was lost with the process, so the next run reads those rows again`);
  } else if (forward && out.pending.length === 0) {
    for (const s of j.states ?? []) {
      try {
        await writeNodeState(s.stateDir, j.pipeline, s.nodeId, s.state, j.runId, s.key);
        out.done.push(`saved the state of node '${s.nodeId}'`);
      } catch (e) {
        out.pending.push(`the state of node '${s.nodeId}' in ${s.stateDir}: ${errorMessage(e)}`);
        (out.unsavedStates ??= []).push({ nodeId: s.nodeId, stateDir: s.stateDir, error: errorMessage(e) });
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

/** The command that finishes a run's recovery with its own project's connections. */
export function cleanCommandFor(j: RunJournal): string {
  return j.pipelineFile ? `\`caudal clean ${j.pipelineFile}\`` : `\`caudal clean <pipeline.json>\` (the file of pipeline '${j.pipeline}', in ${j.baseDir})`;
}

/** `user@host:port/database` for a PostgreSQL-like target, else its fields. */
export function formatTarget(t: Record<string, string | number>): string {
  if (t.host !== undefined && t.database !== undefined) {
    return `${t.user !== undefined ? `${t.user}@` : ''}${t.host}${t.instance !== undefined ? `\\${t.instance}` : ''}${t.port !== undefined ? `:${t.port}` : ''}/${t.database}`;
  }
  return Object.entries(t).map(([k, v]) => `${k}=${v}`).join(', ');
}

function sameTarget(a: Record<string, string | number>, b: Record<string, string | number>): boolean {
  const norm = (t: Record<string, string | number>) => JSON.stringify(Object.keys(t).sort().map((k) => [k, k === 'host' ? String(t[k]).toLowerCase() : String(t[k])]));
  return norm(a) === norm(b);
}

/**
 * A recovery reference as one readable line: lists are counted (an S3 commit's reference names
 * every object it replaces: hundreds of keys, 19 KB on one line), long texts cut.
 */
export function refSummary(ref: Record<string, unknown>): string {
  const show = (v: unknown): string => {
    if (Array.isArray(v)) return `${v.length} item${v.length === 1 ? '' : 's'}`;
    if (v !== null && typeof v === 'object') return `{${refSummary(v as Record<string, unknown>)}}`;
    const text = typeof v === 'string' ? v : JSON.stringify(v);
    return text.length > 120 ? `${text.slice(0, 120)}…` : text;
  };
  return Object.entries(ref)
    .map(([k, v]) => `${k}: ${show(v)}`)
    .join(', ');
}

type Usable = { config: unknown; recover: NonNullable<Connector['recover']> } | { pending: string };

/** The connection a journal entry's work can be finished with here, or why it cannot. */
async function usableConnection(entry: Extract<JournalEntry, { kind: 'external' }>, j: RunJournal, ctx: RecoveryContext): Promise<Usable> {
  const rec = entry.recovery!;
  const what = `${entry.label}: work left prepared on connection '${rec.connection}'${rec.target ? ` (${formatTarget(rec.target)})` : ''} (${refSummary(rec.ref)})`;
  const resolved = await ctx.connection(rec.connection);
  const connector = resolved ? getConnector(resolved.type) : undefined;
  if (!resolved || !connector?.recover) {
    return { pending: `${what} needs that connection, which this run cannot open; run ${cleanCommandFor(j)} from its project, where the connection is available` };
  }
  const config = connector.fields.parse(resolved.config);
  const here = connector.recoveryTarget?.(config);
  if (rec.target && here) {
    if (!sameTarget(rec.target, here)) {
      return { pending: `${what} is on another server or database than connection '${rec.connection}' here (${formatTarget(here)}); run ${cleanCommandFor(j)} from its project` };
    }
  } else if (ctx.baseDir === undefined || path.resolve(ctx.baseDir) !== path.resolve(j.baseDir)) {
    // Whatever the connector: a connection of the same name elsewhere may be another cluster or store.
    return { pending: `${what}: the journal does not say which server that connection is, and this is not its pipeline's project (${j.baseDir}); run ${cleanCommandFor(j)}` };
  }
  return { config, recover: connector.recover.bind(connector) };
}

/** What of a dead run cannot be finished with the connections of this context (each as a message). */
export async function blockedEntries(j: RunJournal, given: Pick<RecoveryContext, 'connection' | 'baseDir' | 'projects'>): Promise<string[]> {
  const ctx = contextFor(j, given);
  const blocked: string[] = [];
  for (const entry of j.sinks) {
    if (entry.kind !== 'external' || !entry.recovery) continue;
    try {
      const u = await usableConnection(entry, j, ctx as RecoveryContext);
      if ('pending' in u) blocked.push(u.pending);
    } catch (e) {
      blocked.push(`${entry.label}: ${errorMessage(e)}`);
    }
  }
  return blocked;
}

async function recoverEntry(entry: JournalEntry, j: RunJournal, forward: boolean, ctx: RecoveryContext): Promise<{ done?: string; pending?: string; lost?: boolean }> {
  if (entry.kind === 'file') return recoverFile(entry, j, forward);
  if (entry.kind === 'duckdb') return recoverDuckdb(entry, forward, ctx);
  if (!entry.recovery) {
    // Killed half way through an irreversible publish (RabbitMQ): neither undone nor completed.
    if (entry.publishing && !entry.committed && !entry.wholeOrNone) return { done: `${entry.label}: what it published before the process died stays published, the rest was lost with it (run the pipeline again)` };
    // Killed while its transaction committed: the server finished it whole or dropped it whole.
    if (entry.publishing && !entry.committed) return { done: `${entry.label}: its transaction was committing when the process died, so it holds all of the run's rows or none` };
    // Its transaction ended with the dead process's connection: rolled back by the server.
    return forward && !entry.committed ? { done: `${entry.label}: its load was lost with the process and is unchanged (commit window; run the pipeline again)` } : {};
  }
  const usable = await usableConnection(entry, j, ctx);
  if ('pending' in usable) return { pending: usable.pending };
  // Even a committed entry is passed on: a connector may still have staging to remove.
  const result = await usable.recover(usable.config as never, entry.recovery, forward ? 'commit' : 'rollback', { committed: entry.committed });
  if (forward && result && result.lost) return { done: `${entry.label}: ${result.lost}; it is unchanged, and the next run reads those rows again`, lost: true };
  // A Spark run commits the databases that cannot prepare before its decision (SQL Server): such
  // a load stays committed when the rest is undone, the window the user guide describes.
  // What the recovery could not do as asked (keys written again since the load, which it left).
  const note = result?.warning ? ` (${result.warning})` : '';
  if (!forward && entry.committed) return { done: `${entry.label}: committed before the process died, so it keeps the new rows (it cannot be prepared); its staging was removed${note}` };
  return { done: `${entry.label}: ${forward ? 'completed' : 'undone'}${note}` };
}

/** 'a folder' or 'a file' when `target` exists and is not of `like`'s kind; undefined otherwise. */
async function otherKind(target: string, like: string): Promise<string | undefined> {
  const [t, l] = await Promise.all([lstat(target).catch(() => undefined), lstat(like).catch(() => undefined)]);
  if (!t || !l || t.isDirectory() === l.isDirectory()) return undefined;
  return t.isDirectory() ? 'a folder' : 'a file';
}

/** Whether two paths are names of one file (a hard link kept aside). */
async function sameFile(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([lstat(a).catch(() => undefined), lstat(b).catch(() => undefined)]);
  return !!x && !!y && x.isFile() && x.ino === y.ino && x.dev === y.dev;
}

async function recoverFile(e: Extract<JournalEntry, { kind: 'file' }>, j: RunJournal, forward: boolean): Promise<{ done?: string }> {
  if (forward) {
    if (await exists(e.temp)) {
      // A target of another kind than the run's output (a folder made where the run wrote a file,
      // after it was killed) is someone else's: it is neither moved aside nor removed.
      const clash = await otherKind(e.target, e.temp);
      if (clash) {
        await rm(e.temp, { recursive: true, force: true });
        for (const d of e.stagingDirs) await rm(d, { recursive: true, force: true });
        return { done: `${e.target}: not published: it is now ${clash}, left as it is; the run's output was removed` };
      }
      if ((await exists(e.target)) && !(await exists(e.aside))) await rename(e.target, e.aside);
      if (await isDir(e.target)) await rm(e.target, { recursive: true, force: true });
      await rename(e.temp, e.target);
    }
    await rm(e.aside, { recursive: true, force: true });
    for (const d of e.stagingDirs) await rm(d, { recursive: true, force: true });
    return { done: `${e.target}: published` };
  }
  if (await exists(e.aside)) {
    // The new output was moved in: put the previous version back. Killed before that, a single
    // file's aside is a second name of the target itself (a rename onto it would change nothing).
    if (await sameFile(e.aside, e.target)) await rm(e.aside, { force: true });
    else {
      // The target is the run's output only when it is of the previous version's kind: a folder
      // made where a file was (or the other way round) since the kill is left, and so is the aside.
      const clash = await otherKind(e.target, e.aside);
      if (clash) return { done: `${e.target}: not restored: it is now ${clash}; the previous version is kept at ${e.aside}` };
      if (await isDir(e.target)) await rm(e.target, { recursive: true, force: true });
      await rename(e.aside, e.target);
    }
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
    if (forward && !e.committed && !stagePresent) return { done: `${e.file}: committed before the process died` };
    for (const t of e.stageTables) await ctx.db.run(`DROP TABLE IF EXISTS ${ident(alias)}.${ident(t.schema)}.${ident(t.table)}`);
    return { done: `${e.file}: staging tables removed` };
  } finally {
    await ctx.db.run(`DETACH DATABASE IF EXISTS ${ident(alias)}`).catch(() => undefined);
  }
}

/** Which way recovery takes a dead run: its recorded decision, or forward when a DuckDB commit landed before it was recorded. */
export async function effectiveDecision(j: RunJournal, db: Db): Promise<'commit' | undefined> {
  if (j.decision === 'commit') return 'commit';
  return j.phase === 'committing' && !j.abandoned && (await duckdbCommitLanded(j, db)) ? 'commit' : undefined;
}

/** Whether recovery must look into a DuckDB file to tell which way it goes (effectiveDecision). */
export function decisionNeedsDuckdb(j: RunJournal): boolean {
  return j.decision === undefined && j.phase === 'committing' && j.sinks.some((e) => e.kind === 'duckdb' && !e.committed);
}

/**
 * Whether a DuckDB destination's COMMIT went through although the run died before it recorded its
 * decision (recorded right after that commit, the destination dying with the process otherwise):
 * the commit consumes the staging tables (renamed or dropped in the same transaction), so tables
 * staged before the commit and gone now tell that it landed. Undoing the run's other destinations
 * then would leave them and this one from two different runs: the run is rolled forward instead.
 */
async function duckdbCommitLanded(j: RunJournal, db: Db): Promise<boolean> {
  for (const e of j.sinks) {
    if (e.kind !== 'duckdb' || e.committed || e.stageTables.length === 0 || !(await exists(e.file))) continue;
    try {
      await db.run(`ATTACH ${stringLiteral(e.file)} AS ${ident(e.alias)} (READ_ONLY)`);
    } catch {
      continue;
    }
    try {
      if (!(await stageTablesPresent(db, e.alias, e.stageTables))) return true;
    } finally {
      await db.run(`DETACH DATABASE IF EXISTS ${ident(e.alias)}`).catch(() => undefined);
    }
  }
  return false;
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
  if (rows.length === 0) return [];
  // A table a journal names is its killed run's, for its recovery to commit or drop: whether it is
  // still there is how recovery tells a COMMIT that landed (duckdbCommitLanded), so dropping it here
  // would turn a run that never decided into one rolled forward. An unreadable journal could name
  // any: nothing is swept until it is dealt with (caudal doctor reports it).
  const journals = await listJournals();
  if (journals.some((f) => f.unreadable !== undefined)) return [];
  const journaled = new Set(journals.flatMap((f) => f.journal?.sinks.flatMap((e) => (e.kind === 'duckdb' ? e.stageTables.map((t) => `${t.schema}.${t.table}`) : [])) ?? []));
  const dropped: string[] = [];
  for (const r of rows) {
    const name = String(r.table_name);
    const owner = ownerOf(name);
    if (!owner || !ownerIsDead(owner) || journaled.has(`${String(r.schema_name)}.${name}`)) continue;
    await db.run(`DROP TABLE IF EXISTS ${ident(alias)}.${ident(String(r.schema_name))}.${ident(name)}`);
    dropped.push(`${String(r.schema_name)}.${name}`);
  }
  return dropped;
}
