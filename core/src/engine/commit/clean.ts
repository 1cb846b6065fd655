import { readdir } from 'node:fs/promises';
import os from 'node:os';
import type { ResolvedConnection } from '../../nodes/define.js';
import { ownerIsDead, ownerOf } from '../../util/owner.js';
import { Db } from '../../compiler/db.js';
import { isLeftOver, listJournals } from './journal.js';
import { blockedEntries, decisionNeedsDuckdb, effectiveDecision, recoverRun, type RecoveryOutcome, sweepDeadTempFolders } from './recover.js';
import { staleLocks } from './locks.js';
import type { ProjectConnections } from './other-projects.js';

/**
 * `caudal doctor` (look) and `caudal clean` (fix): runs in progress, runs that died and what they
 * left (commit journals, temp folders in the system temp folder, stale locks). Staging files next to
 * outputs and staging tables inside DuckDB files are named after their owner too; the next run into
 * the same destination removes them (nodes/shared/file-sink.ts, commit/stager.ts).
 */
export interface RunInfo {
  runId: string;
  pipeline: string;
  pid: number;
  startedAt: string;
  phase: string;
  decision?: string;
  sinks: string[];
  /** The pipeline file the run was started from, when its journal names it. */
  pipelineFile?: string;
  /** The run failed and could not put these destinations back: clean finishes the undo. */
  abandoned?: boolean;
  /** For a dead run: what the connections of this request cannot finish (clean would leave it pending). */
  blocked?: string[];
}

export interface CleanReport {
  live: RunInfo[];
  dead: RunInfo[];
  recovered: RecoveryOutcome[];
  /** Temp folders of processes that are gone (removed by clean). */
  tempFolders: string[];
  /** Locks whose process is gone (removed by clean). */
  staleLocks: string[];
  /** Journal files that could not be read, with why (never deleted). */
  unreadable: string[];
}

export async function cleanUp(opts: {
  fix: boolean;
  connection(name: string): Promise<ResolvedConnection | undefined>;
  /** The pipeline folder whose project the connections come from, if any (see RecoveryContext). */
  baseDir?: string;
  /** Other projects' connections for their dead runs (other-projects.ts). */
  projects?: ProjectConnections;
  env?: NodeJS.ProcessEnv;
}): Promise<CleanReport> {
  const report: CleanReport = { live: [], dead: [], recovered: [], tempFolders: [], staleLocks: [], unreadable: [] };
  const dead = [];
  // Opened only when a journal's direction depends on a DuckDB file (effectiveDecision).
  let lookup: Db | undefined;
  try {
    for (const found of await listJournals(opts.env)) {
      const j = found.journal;
      if (!j) {
        report.unreadable.push(`${found.file}: ${found.unreadable}`);
        continue;
      }
      const info: RunInfo = {
        runId: j.runId,
        pipeline: j.pipeline,
        pid: j.owner.pid,
        startedAt: j.startedAt,
        phase: j.phase,
        decision: j.decision,
        sinks: j.sinks.map((s) => (s.kind === 'file' ? s.target : s.kind === 'duckdb' ? s.file : s.label)),
        ...(j.pipelineFile ? { pipelineFile: j.pipelineFile } : {}),
        ...(j.abandoned ? { abandoned: true } : {}),
      };
      if (isLeftOver(j)) {
        if (decisionNeedsDuckdb(j)) info.decision = await effectiveDecision(j, (lookup ??= await Db.open({ threads: 1 }))).catch(() => undefined);
        const blocked = await blockedEntries(j, { connection: opts.connection, baseDir: opts.baseDir, projects: opts.projects });
        if (blocked.length > 0) info.blocked = blocked;
        report.dead.push(info);
        dead.push(j);
      } else report.live.push(info);
    }
  } finally {
    lookup?.close();
  }
  if (opts.fix && dead.length > 0) {
    const db = await Db.open({ threads: 1 });
    try {
      for (const j of dead) report.recovered.push(await recoverRun(j, { db, connection: opts.connection, baseDir: opts.baseDir, projects: opts.projects, env: opts.env }));
    } finally {
      db.close();
    }
  }
  report.tempFolders = opts.fix ? await sweepDeadTempFolders() : await deadTempFolders();
  report.staleLocks = await staleLocks({ remove: opts.fix === true, env: opts.env });
  return report;
}

async function deadTempFolders(): Promise<string[]> {
  const names = await readdir(os.tmpdir()).catch(() => [] as string[]);
  return names.filter((n) => {
    const owner = n.startsWith('caudal-run-') ? ownerOf(n) : undefined;
    return owner !== undefined && ownerIsDead(owner);
  });
}
