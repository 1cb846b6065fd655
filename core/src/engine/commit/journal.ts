import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { type Owner, ownerIsDead, self } from '../../util/owner.js';
import { journalsDir } from './runtime-dir.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { errorMessage } from '../../util/errors.js';

/**
 * The commit journal: one small JSON file per run in progress (runtime-dir.ts), rewritten at each
 * step of the run's commit protocol (protocol.ts). It names every temporary thing the run made (its
 * temp folder, staged files, staging tables, prepared transactions) and how far the commit got, so
 * that when the process dies (kill -9, power loss) the next run, `caudal clean` or `caudal doctor`
 * can finish or undo exactly what it left (recover.ts). It never holds data or secrets.
 */

const owner = z.object({ host: z.string(), pid: z.number().int(), started: z.string().optional() });

const fileSink = z.object({
  kind: z.literal('file'),
  nodeId: z.string(),
  target: z.string(),
  temp: z.string(),
  aside: z.string(),
  replace: z.boolean(),
  /** Whether the target existed when the run prepared (recovery removes a target the run created). */
  existed: z.boolean().optional(),
  createdFolders: z.array(z.string()).default([]),
  /** Folders staged in besides `temp` (a Spark single-file sink's write folder): removed either way. */
  stagingDirs: z.array(z.string()).default([]),
});

const duckdbSink = z.object({
  kind: z.literal('duckdb'),
  nodeIds: z.array(z.string()),
  file: z.string(),
  /** The name the run attached the file under, which `apply` refers to. */
  alias: z.string(),
  /** Statements that publish the staged tables (re-run by a recovery that rolls forward). */
  apply: z.array(z.string()),
  /** Staging tables, `database alias`-free: schema and table name inside the file. */
  stageTables: z.array(z.object({ schema: z.string(), table: z.string() })),
  createdFile: z.boolean(),
  createdFolders: z.array(z.string()).default([]),
  committed: z.boolean().default(false),
});

const externalSink = z.object({
  kind: z.literal('external'),
  nodeId: z.string(),
  label: z.string(),
  /**
   * What the connector needs to complete or undo it after a crash: the connection's name, its
   * reference (a prepared transaction's id), and which server and database it is on (`target`: host,
   * port, database, user; never a secret), so that recovery never acts through another project's
   * connection of the same name.
   */
  recovery: z
    .object({
      connection: z.string(),
      ref: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.array(z.string())])),
      target: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
    })
    .optional(),
  committed: z.boolean().default(false),
  /**
   * Its irreversible publish has started and not finished (a RabbitMQ sink sending its messages):
   * killed now, part of it may be published, which no recovery can take back (protocol.ts).
   */
  publishing: z.boolean().optional(),
  /** Its publish is one transaction (ExternalStage.wholeOrNone): killed during it, all of it landed or none. */
  wholeOrNone: z.boolean().optional(),
});

export const journalEntry = z.discriminatedUnion('kind', [fileSink, duckdbSink, externalSink]);
export type JournalEntry = z.infer<typeof journalEntry>;

/**
 * An incremental source's next state (its watermark, say), saved once every destination committed.
 * Journaled with the commit so that a run that dies after its decision has its state saved by the
 * recovery that completes its commit: data committed without its state would be read again.
 */
export const pendingState = z.object({
  stateDir: z.string(),
  nodeId: z.string(),
  state: z.record(z.string(), z.unknown()),
  key: z.object({ key: z.string(), source: z.string() }).optional(),
});
export type PendingState = z.infer<typeof pendingState>;

export const runJournal = z.object({
  format: z.literal('caudal.journal/1'),
  runId: z.string(),
  owner,
  startedAt: z.string(),
  pipeline: z.string(),
  /** The pipeline file the run was started from, when known (`caudal clean <file>` names it). */
  pipelineFile: z.string().optional(),
  /** The pipeline's folder: connections of the same name are the same ones only in its project. */
  baseDir: z.string(),
  /** The run's private temp folder (spill files, extracts). */
  tempDir: z.string().optional(),
  /**
   * running: staging (nothing published; recovery discards everything).
   * committing: publishing; until `decision` is set, recovery undoes what was published.
   */
  phase: z.enum(['running', 'committing']),
  /** Set just before the first step that cannot be undone: from then on recovery rolls forward. */
  decision: z.literal('commit').optional(),
  sinks: z.array(journalEntry),
  /** States to save when the commit completes (by the run itself, or by recovery rolling forward). */
  states: z.array(pendingState).optional(),
  /**
   * The run ended without putting these destinations back (an undo failed): recovered like a killed
   * run's journal, though its process may still live (a studio, a watch).
   */
  abandoned: z.boolean().optional(),
});
export type RunJournal = z.infer<typeof runJournal>;

export function journalPath(runId: string, env?: NodeJS.ProcessEnv): string {
  return path.join(journalsDir(env), `${runId.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`);
}

/** Written through a temp name and a rename: a reader sees the old step or the new one. */
export async function writeJournal(journal: RunJournal, env?: NodeJS.ProcessEnv): Promise<void> {
  await writeFileAtomic(journalPath(journal.runId, env), JSON.stringify(journal, null, 2) + '\n');
}

export async function removeJournal(runId: string, env?: NodeJS.ProcessEnv): Promise<void> {
  await rm(journalPath(runId, env), { force: true });
}

export interface FoundJournal {
  file: string;
  journal?: RunJournal;
  /** Why the file could not be read as a journal. */
  unreadable?: string;
}

/** A journal's text, or why it is not one: torn JSON, or the first field that is missing or wrong (never Zod's JSON dump). */
function parseJournal(text: string): RunJournal {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`not valid JSON (${errorMessage(e).split('\n')[0]})`, { cause: e });
  }
  const r = runJournal.safeParse(json);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw new Error(`not a run journal: ${issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''}${issue.message}`);
}

/** Every journal in the runtime folder (a torn or foreign file is reported, never deleted). */
export async function listJournals(env?: NodeJS.ProcessEnv): Promise<FoundJournal[]> {
  const dir = journalsDir(env);
  const names = await readdir(dir).catch(() => [] as string[]);
  const out: FoundJournal[] = [];
  for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
    const file = path.join(dir, name);
    try {
      out.push({ file, journal: parseJournal(await readFile(file, 'utf8')) });
    } catch (e) {
      out.push({ file, unreadable: errorMessage(e) });
    }
  }
  return out;
}

/**
 * The journal a run id already has, if any. A run must not start over it: the earlier run's record
 * of what is left to finish (a killed run whose recovery is pending, a failed undo) would be lost.
 */
export async function existingJournal(runId: string, env?: NodeJS.ProcessEnv): Promise<FoundJournal | undefined> {
  const file = journalPath(runId, env);
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    return { file, journal: parseJournal(text) };
  } catch (e) {
    return { file, unreadable: errorMessage(e) };
  }
}

/** A journal whose run is over: its own (kill -9, power loss) or given up by it after a failed undo. */
export function isLeftOver(j: RunJournal): boolean {
  return j.abandoned === true || ownerIsDead(j.owner);
}

export function newJournal(runId: string, pipeline: string, baseDir: string, tempDir: string | undefined, who: Owner = self, pipelineFile?: string): RunJournal {
  return { format: 'caudal.journal/1', runId, owner: who, startedAt: new Date().toISOString(), pipeline, pipelineFile, baseDir, tempDir, phase: 'running', sinks: [] };
}
