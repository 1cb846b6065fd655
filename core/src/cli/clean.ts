import path from 'node:path';
import { cleanUp, type CleanReport } from '../engine/commit/clean.js';
import { loadPipelineFile } from '../model/load.js';
import type { ResolvedConnection } from '../nodes/define.js';
import { CaudalError } from '../util/errors.js';
import { parse } from './args.js';
import { cliConnectionService } from './engine-context.js';
import { EXIT } from './exit-codes.js';

interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export const CLEAN_HELP = `caudal doctor [pipeline.json] [--json]   show runs in progress, runs that were killed and what they left
caudal clean  [pipeline.json] [--json]   finish or undo what killed runs left, remove their temp folders and stale locks

A run that is killed (kill -9, power loss) leaves a commit journal. The next run of any pipeline
finishes or undoes it automatically; these commands do it on demand. Before the commit decision, a
killed run is undone (every destination as it was); after it, its commit is completed. Prepared
PostgreSQL transactions are resolved with the connection they name: pass the pipeline file (or
--project DIR) so that its connections, and their secrets, can be found.

Examples:
  caudal doctor
  caudal clean pipelines/orders.json
  caudal clean --json

Exit codes: 0 nothing left over (doctor) or everything cleaned (clean); 1 something remains.`;

/** `caudal doctor` (fix = false) and `caudal clean` (fix = true). */
export async function cleanCommand(args: string[], io: Io, fix: boolean): Promise<number> {
  const { values, positionals } = parse(args);
  if (values.help) {
    io.stdout.write(CLEAN_HELP + '\n');
    return EXIT.ok;
  }
  const connection = await connectionResolver(positionals[0], values.project);
  const report = await cleanUp({ fix, connection });
  if (values.json) io.stdout.write(JSON.stringify(report) + '\n');
  else io.stdout.write(formatReport(report, fix));
  const remaining = fix ? report.recovered.some((r) => r.pending.length > 0) || report.unreadable.length > 0 : report.dead.length + report.tempFolders.length + report.staleLocks.length > 0;
  return remaining ? EXIT.runFailed : EXIT.ok;
}

/** Connections by name: the pipeline's (project file next to it), else the user's file and stores. */
async function connectionResolver(file: string | undefined, project: string | undefined): Promise<(name: string) => Promise<ResolvedConnection | undefined>> {
  let declared: Record<string, ResolvedConnection> | undefined;
  if (file) {
    const abs = path.resolve(file);
    const loaded = await loadPipelineFile(abs);
    if (!loaded.pipeline) throw new CaudalError('validation', `${file} is not a valid pipeline`, { problems: loaded.problems });
    const service = cliConnectionService(path.resolve(project ?? path.dirname(abs)));
    declared = Object.keys(loaded.pipeline.connections).length > 0 ? await service.resolveFor(loaded.pipeline) : {};
  }
  const service = cliConnectionService(project === undefined ? undefined : path.resolve(project));
  return async (name) => declared?.[name] ?? (await service.resolve(name).catch(() => undefined));
}

function formatReport(r: CleanReport, fix: boolean): string {
  const lines: string[] = [];
  for (const run of r.live) lines.push(`running   ${run.runId}  pipeline '${run.pipeline}'  pid ${run.pid}  since ${run.startedAt}`);
  if (!fix) {
    for (const run of r.dead) {
      const what = run.decision ? 'killed while committing: clean will complete its commit' : 'killed before committing: clean will undo it';
      lines.push(`killed    ${run.runId}  pipeline '${run.pipeline}'  (${what}; ${run.sinks.length} destination(s): ${run.sinks.join(', ') || 'none'})`);
    }
    for (const t of r.tempFolders) lines.push(`leftover  temp folder ${t}`);
    for (const l of r.staleLocks) lines.push(`leftover  lock on ${l}`);
  } else {
    for (const o of r.recovered) {
      lines.push(`${o.action.padEnd(14)} ${o.runId}  pipeline '${o.pipeline}'${o.done.length ? `: ${o.done.join('; ')}` : ''}`);
      for (const p of o.pending) lines.push(`  still pending: ${p}`);
    }
    if (r.tempFolders.length) lines.push(`removed ${r.tempFolders.length} temp folder(s) of killed runs`);
    if (r.staleLocks.length) lines.push(`removed ${r.staleLocks.length} stale lock(s): ${r.staleLocks.join(', ')}`);
  }
  for (const u of r.unreadable) lines.push(`unreadable journal ${u} (left in place)`);
  if (lines.length === 0 || (r.live.length === lines.length && !fix)) lines.push(fix ? 'nothing to clean' : 'nothing left over by killed runs');
  return lines.join('\n') + '\n';
}
