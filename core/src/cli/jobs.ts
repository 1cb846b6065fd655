import path from 'node:path';
import { Controls } from '../scheduler/controls.js';
import { jobRunStatus, jobRuns } from '../scheduler/history.js';
import { findProjectFile, loadProject } from '../scheduler/load-project.js';
import { projectOverview } from '../scheduler/overview.js';
import { expandParams } from '../scheduler/params.js';
import type { Job, Project } from '../scheduler/project.js';
import { pruneHistory } from '../scheduler/retention.js';
import { runThroughScheduler } from '../scheduler/run-request.js';
import { runningScheduler } from '../scheduler/scheduler-lock.js';
import { CaudalError } from '../util/errors.js';
import { didYouMean } from '../util/suggest.js';
import { parse, parseParams, type OptionName } from './args.js';
import { EXIT } from './exit-codes.js';
import type { Io } from './io.js';
import { checkPipelineFile } from './pipeline-file.js';
import { formatCount, formatMs } from './format.js';

type RunCli = (argv: string[], io: Io) => Promise<number>;

/** What each subcommand reads (every one reads -f): `jobs run` hands --json, -q and --wait on to `caudal run`. */
const SUBCOMMANDS = {
  list: { positionals: 0, only: ['file', 'json', 'quiet'], takes: 'no job name (it lists them all)' },
  run: { positionals: 1, only: ['file', 'param', 'wait', 'json', 'quiet'], takes: 'one job name; run it once per job' },
  history: { positionals: 1, only: ['file', 'limit', 'json', 'quiet'], takes: 'one job name (or none, for every job)' },
  pause: { positionals: 1, only: ['file', 'quiet'], takes: 'one job name' },
  resume: { positionals: 1, only: ['file', 'quiet'], takes: 'one job name' },
  prune: { positionals: 0, only: ['file', 'json', 'quiet'], takes: 'no job name (retention is the project\'s)' },
} as const satisfies Record<string, { positionals: number; only: readonly OptionName[]; takes: string }>;

const isSubcommand = (sub: string | undefined): sub is keyof typeof SUBCOMMANDS => sub !== undefined && Object.hasOwn(SUBCOMMANDS, sub);

/** `caudal jobs list | run | history | pause | resume | prune` over a project file (-f, or caudal.project.json found upward). */
export async function jobsCommand(args: string[], io: Io, runCli: RunCli): Promise<number> {
  const [sub, ...rest] = args;
  if (!isSubcommand(sub)) throw new CaudalError('usage', sub ? `unknown jobs command '${sub}'` : 'jobs needs a command', { hint: 'jobs list | run <job> | history [job] | pause <job> | resume <job> | prune' });
  const { values, positionals } = parse(rest, { ...SUBCOMMANDS[sub], command: `jobs ${sub}` });
  const project = await loadProject(values.file === undefined ? findProjectFile(undefined) : await checkPipelineFile(values.file, 'project'));
  const jobNamed = (name: string | undefined): Job => {
    if (!name) throw new CaudalError('usage', `jobs ${sub} needs a job name`, { hint: `jobs: ${project.jobs.map((j) => j.name).join(', ')}` });
    const job = project.jobs.find((j) => j.name === name);
    if (!job) throw new CaudalError('usage', `no job '${name}' in ${project.file}${didYouMean(name, project.jobs.map((j) => j.name))}`, { hint: `jobs: ${project.jobs.map((j) => j.name).join(', ')}` });
    return job;
  };
  switch (sub) {
    case 'list':
      return list(project, io, !!values.json);
    case 'run': {
      const job = jobNamed(positionals[0]);
      // A scheduler runs the project: the run goes through it (as the studio's Run now), so it
      // never collides with the job's own slots, which would then fail as busy.
      const live = await runningScheduler(project);
      if (live) return runViaScheduler(project, job, parseParams(values.param), live.owner.pid, io, { json: !!values.json, quiet: !!values.quiet, wait: !!values.wait });
      // One run in the foreground, exactly as the scheduler starts it: `caudal run` with the job's params.
      const params = { ...expandParams(job.params, Date.now(), job.timezone), ...parseParams(values.param) };
      const argv = ['run', job.pipeline, '--job', job.name, '--trigger', 'manual', ...Object.entries(params).flatMap(([k, v]) => ['--param', `${k}=${v}`])];
      if (job.threads !== undefined) argv.push('--threads', String(job.threads));
      if (job.memoryLimit !== undefined) argv.push('--memory-limit', job.memoryLimit);
      for (const flag of ['json', 'quiet', 'wait'] as const) if (values[flag]) argv.push(`--${flag}`);
      return runCli(argv, io);
    }
    case 'history': {
      const limit = values.limit === undefined ? 20 : Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new CaudalError('usage', `--limit expects a positive whole number, got "${values.limit}"`);
      const jobs = positionals[0] ? [jobNamed(positionals[0])] : project.jobs;
      const runs = (await Promise.all(jobs.map((j) => jobRuns(project, j, limit)))).flat().sort((a, b) => b.startedAt.localeCompare(a.startedAt)).slice(0, limit);
      if (values.json) {
        io.stdout.write(JSON.stringify(runs.map(({ summary: _s, ...r }) => ({ ...r, status: jobRunStatus({ ...r, summary: null }) }))) + '\n');
        return EXIT.ok;
      }
      if (runs.length === 0) io.stdout.write('no runs recorded yet\n');
      for (const r of runs) {
        const how = `${r.trigger ?? 'manual'}${(r.attempt ?? 1) > 1 ? ` #${r.attempt}` : ''}`;
        const quality = r.qualityScore === null ? '' : `  quality ${r.qualityScore}`;
        io.stdout.write(`${r.startedAt.slice(0, 19).replace('T', ' ')}  ${(r.job ?? '').padEnd(16)} ${jobRunStatus(r).replace('_', ' ').padEnd(11)} ${(r.elapsedMs === null ? '–' : formatMs(r.elapsedMs)).padStart(9)} ${formatCount(r.rows).padStart(10)} rows  ${how.padEnd(12)} ${r.runId}${quality}\n`);
        if (r.error) io.stdout.write(`    ${oneLine(r.error.message)}\n`);
      }
      return EXIT.ok;
    }
    case 'pause':
    case 'resume': {
      const job = jobNamed(positionals[0]);
      await new Controls(project).setPaused(job.name, sub === 'pause');
      const live = await runningScheduler(project);
      if (!values.quiet)
        io.stderr.write(`✔ ${job.name} ${sub === 'pause' ? 'paused: its scheduled runs are skipped until resumed' : 'resumed'}${live ? ` (the scheduler, pid ${live.owner.pid}, applies it now)` : ''}\n`);
      if (job.paused && sub === 'resume') io.stderr.write(`! ${job.name} is also paused in ${path.basename(project.file)} ("paused": true)\n`);
      return EXIT.ok;
    }
    case 'prune': {
      const r = await pruneHistory(project);
      if (values.json) io.stdout.write(JSON.stringify(r) + '\n');
      else io.stdout.write(`removed ${r.removed.length} run folder(s) (${r.removed.filter((x) => x.reason === 'age').length} by age, ${r.removed.filter((x) => x.reason === 'size').length} by size); kept ${r.keptRuns} (${(r.keptBytes / 1024 / 1024).toFixed(1)} MB)\n`);
      return EXIT.ok;
    }
  }
}

/** How long a run's error may be in `jobs history`, which gives each run one line under it. */
const HISTORY_ERROR_CHARS = 400;

/**
 * A run's error on one line: a message of several lines (a quality failure is a head, then one
 * `  - ` line per failing check) has its lines joined, so the checks that failed are named, and a
 * long one is cut at HISTORY_ERROR_CHARS (`caudal jobs history --json` and the run's record hold it whole).
 */
export function oneLine(message: string): string {
  const lines = message
    .split(/\r?\n/)
    .map((l) => l.trim().replace(/^- /, ''))
    .filter((l) => l !== '');
  const joined = lines.reduce((text, l) => (text === '' ? l : `${text}${/[:;]$/.test(text) ? ' ' : '; '}${l}`), '');
  const chars = [...joined];
  return chars.length <= HISTORY_ERROR_CHARS ? joined : `${chars.slice(0, HISTORY_ERROR_CHARS - 1).join('')}…`;
}

async function list(project: Project, io: Io, json: boolean): Promise<number> {
  const o = await projectOverview(project);
  if (json) {
    io.stdout.write(JSON.stringify(o) + '\n');
    return EXIT.ok;
  }
  io.stdout.write(`${project.name}: ${o.scheduler ? `scheduler running (pid ${o.scheduler.owner.pid}, since ${o.scheduler.since})` : 'no scheduler running (start one with `caudal schedule`)'}\n`);
  for (const j of o.jobs) {
    const when = j.schedule ? `${j.schedule} (${j.timezone})` : j.dependsOn.length > 0 ? `after ${j.dependsOn.join(', ')}` : 'on demand';
    const next = j.paused ? 'paused' : j.nextRunAt ? `next ${j.nextRunAt}` : '';
    const now = j.running ? `running ${j.running.runId}` : j.retryAt ? `retry at ${j.retryAt}` : j.queued ? 'queued' : '';
    const last = j.lastRun ? `last ${j.lastRun.status} ${j.lastRun.finishedAt}` : 'never run';
    io.stdout.write(`  ${j.name.padEnd(18)} ${when.padEnd(34)} ${next.padEnd(30)} ${[now, last].filter(Boolean).join('; ')}\n`);
  }
  return EXIT.ok;
}

/** `jobs run` while `caudal schedule` runs the project: a request it carries out; waits for the run's end. */
async function runViaScheduler(project: Project, job: Job, params: Record<string, string>, pid: number, io: Io, o: { json: boolean; quiet: boolean; wait: boolean }): Promise<number> {
  if (!o.quiet && !o.json) io.stderr.write(`→ a scheduler runs this project (pid ${pid}): the run of ${job.name} goes through it\n`);
  const r = await runThroughScheduler(project, job, params, {
    onStarted: (run) => {
      if (!o.quiet && !o.json) io.stderr.write(`▶ ${job.name}: run ${run.runId} started (folder ${run.dir})\n`);
    },
    ...(o.wait
      ? {
          waitWhenSkipped: (message: string) => {
            if (!o.quiet && !o.json) io.stderr.write(`… ${job.name}: ${message}; waiting to ask again once it has started (--wait)\n`);
          },
        }
      : {}),
  });
  if (r.kind === 'skipped') {
    if (o.json) io.stdout.write(JSON.stringify({ status: 'skipped', job: job.name, message: r.message }) + '\n');
    io.stderr.write(`! ${job.name}: ${r.message}\n`);
    return EXIT.busy;
  }
  if (r.kind === 'scheduler_stopped') {
    const message = r.runId ? `the scheduler stopped while run ${r.runId} was going; see \`caudal jobs history ${job.name}\`` : 'the scheduler stopped before it started the run';
    if (o.json) io.stdout.write(JSON.stringify({ status: 'unknown', job: job.name, runId: r.runId, message }) + '\n');
    io.stderr.write(`! ${job.name}: ${message}\n`);
    return EXIT.busy;
  }
  const last = r.lastRun;
  if (o.json) io.stdout.write(JSON.stringify({ job: job.name, dir: r.dir, ...last }) + '\n');
  else if (last.status === 'succeeded') {
    if (!o.quiet) io.stderr.write(`✔ ${job.name}: succeeded in ${formatMs(last.elapsedMs)}, ${formatCount(last.rows)} rows (run ${last.runId})\n`);
  } else io.stderr.write(`✘ ${job.name}: ${last.status.replace('_', ' ')} after ${formatMs(last.elapsedMs)}${last.error ? `: ${last.error.message}` : ''} (run ${last.runId})\n`);
  return last.status === 'succeeded' ? EXIT.ok : last.status === 'busy' ? EXIT.busy : last.status === 'cancelled' ? EXIT.cancelled : EXIT.runFailed;
}
