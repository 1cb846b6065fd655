import path from 'node:path';
import { cleanUp, type CleanReport } from '../engine/commit/clean.js';
import { sweepStagedDestinations } from '../engine/commit/destination-sweep.js';
import { listJournals } from '../engine/commit/journal.js';
import { killedMidPublish, killedMidPublishNote, type KilledMidPublish } from '../engine/commit/partial-publish.js';
import type { Pipeline } from '../model/schema.js';
import type { ResolvedConnection } from '../nodes/define.js';
import { CaudalError } from '../util/errors.js';
import { parse } from './args.js';
import { cliConnectionService } from './connection-service.js';
import { EXIT } from './exit-codes.js';
import { otherProjectsContext } from './engine-context.js';
import { loadPipelineArg } from './pipeline-file.js';

import type { Io } from './io.js';

export const doctorCommand = (args: string[], io: Io) => cleanUpCommand(args, io, false);
export const cleanCommand = (args: string[], io: Io) => cleanUpCommand(args, io, true);

/** `caudal doctor` (fix = false) and `caudal clean` (fix = true). */
async function cleanUpCommand(args: string[], io: Io, fix: boolean): Promise<number> {
  // No -q: the report is what these commands are for, and clean's is the record of what it changed.
  const { values, positionals } = parse(args, { positionals: 1, only: ['project', 'json'], command: fix ? 'clean' : 'doctor' });
  const { connection, pipeline } = await connectionResolver(positionals[0], values.project);
  // Journal entries that do not record their server are finished only from their pipeline's folder.
  const baseDir = positionals[0] !== undefined ? path.dirname(path.resolve(positionals[0])) : values.project !== undefined ? path.resolve(values.project) : undefined;
  // Dead runs of other projects are finished with their own project's connections.
  const { recoveryConnections: projects } = await otherProjectsContext(baseDir);
  // Read before clean removes them: which killed runs were publishing to a destination that
  // cannot be undone (doctor says so, not "clean will undo it").
  const midPublish = new Map((await listJournals()).flatMap((f) => (f.journal ? [[f.journal.runId, killedMidPublish(f.journal)] as const] : [])));
  const report: StagedReport = await cleanUp({ fix, connection, baseDir, projects });
  for (const run of report.dead as DeadRun[]) {
    Object.assign(run, midPublish.get(run.runId));
  }
  // Staged loads in the pipeline's Redis servers and S3 buckets (after the journals: recovery first).
  const staged = pipeline ? await sweepStagedDestinations(pipeline, connection, fix) : { found: [], problems: [] };
  report.staged = staged.found;
  report.stagedProblems = staged.problems;
  if (values.json) io.stdout.write(JSON.stringify(report) + '\n');
  else io.stdout.write(formatReport(report, fix));
  const remaining = fix
    ? report.recovered.some((r) => r.pending.length > 0) || report.unreadable.length > 0 || staged.problems.length > 0
    : report.dead.length + report.tempFolders.length + report.staleLocks.length + staged.found.length + report.unreadable.length > 0;
  return remaining ? EXIT.runFailed : EXIT.ok;
}

type StagedReport = CleanReport & { staged?: string[]; stagedProblems?: string[] };
/** A killed run as doctor lists it: with the destinations it was publishing to when it died, which clean cannot undo. */
type DeadRun = CleanReport['dead'][number] & KilledMidPublish;

/** Connections by name: the pipeline's (project file next to it), else the user's file and stores. */
async function connectionResolver(
  file: string | undefined,
  project: string | undefined,
): Promise<{ connection: (name: string) => Promise<ResolvedConnection | undefined>; pipeline?: Pipeline }> {
  let declared: Record<string, ResolvedConnection> | undefined;
  let pipeline: Pipeline | undefined;
  if (file) {
    const loaded = await loadPipelineArg(file);
    const abs = loaded.abs;
    if (!loaded.pipeline) throw new CaudalError('validation', `${file} is not a valid pipeline`, { problems: loaded.problems });
    const service = cliConnectionService(path.resolve(project ?? path.dirname(abs)));
    declared = Object.keys(loaded.pipeline.connections).length > 0 ? await service.resolveFor(loaded.pipeline) : {};
    pipeline = loaded.pipeline;
  }
  const service = cliConnectionService(project === undefined ? undefined : path.resolve(project));
  return { connection: async (name) => declared?.[name] ?? (await service.resolve(name).catch(() => undefined)), pipeline };
}

function formatReport(r: StagedReport, fix: boolean): string {
  const lines: string[] = [];
  for (const run of r.live) lines.push(`running   ${run.runId}  pipeline '${run.pipeline}'  pid ${run.pid}  since ${run.startedAt}`);
  if (!fix) {
    for (const run of r.dead as DeadRun[]) {
      const partly = killedMidPublishNote(run);
      const what = run.abandoned
        ? 'failed, and could not put these back: clean will finish its undo'
        : partly
          ? `${partly}; clean will ${run.decision ? 'complete the rest of its commit' : 'undo the rest'}`
          : run.decision
            ? 'killed while committing: clean will complete its commit'
            : 'killed before committing: clean will undo it';
      lines.push(`${run.abandoned ? 'failed ' : 'killed '}   ${run.runId}  pipeline '${run.pipeline}'  (${what}; ${run.sinks.length} destination(s): ${run.sinks.join(', ') || 'none'})`);
      for (const b of run.blocked ?? []) lines.push(`  pending: ${b}`);
    }
    for (const t of r.tempFolders) lines.push(`leftover  temp folder ${t}`);
    for (const l of r.staleLocks) lines.push(`leftover  lock on ${l}`);
    for (const s of r.staged ?? []) lines.push(`leftover  staged by a killed run: ${s}`);
  } else {
    for (const o of r.recovered) {
      const partly = killedMidPublishNote(o);
      const action = o.untouched ? 'left as it was' : o.partlyPublished?.length ? 'partly published' : o.inDoubt?.length ? 'in doubt' : o.action;
      // What cannot be undone comes first: "rolled back" alone would hide messages left published.
      const said = [...(partly ? [`${partly}; everything else ${o.action}`] : []), ...o.done];
      lines.push(`${action.padEnd(14)} ${o.runId}  pipeline '${o.pipeline}'${said.length ? `: ${said.join('; ')}` : ''}`);
      for (const p of o.pending) lines.push(`  still pending: ${p}`);
    }
    if (r.tempFolders.length) lines.push(`removed ${r.tempFolders.length} temp folder(s) of killed runs`);
    if (r.staleLocks.length) lines.push(`removed ${r.staleLocks.length} stale lock(s): ${r.staleLocks.join(', ')}`);
    for (const s of r.staged ?? []) lines.push(`removed   staged by a killed run: ${s}`);
  }
  for (const p of r.stagedProblems ?? []) lines.push(`not checked: ${p}`);
  for (const u of r.unreadable) lines.push(`unreadable journal ${u} (left in place)`);
  if (lines.length === 0 || (r.live.length === lines.length && !fix)) lines.push(fix ? 'nothing to clean' : 'nothing left over by killed runs');
  return lines.join('\n') + '\n';
}
