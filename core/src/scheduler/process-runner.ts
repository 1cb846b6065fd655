import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readRun, type StoredRun, writeRun } from '../host/run-history.js';
import { packageRoot } from '../util/package-root.js';
import { ownerIsDead, processAlive, self } from '../util/owner.js';
import type { JobRunner, JobRunRequest, RunningJob, RunOutcome } from './runner.js';

/** The log of a run's process (its stderr: progress is off, errors and hints land here). */
export const OUTPUT_FILE = 'output.log';
const POLL_MS = 500;
/** How long a restarted scheduler waits for a run it may have just started to write its record. */
const START_GRACE_MS = 10_000;
/** A run writes its final record just before its process exits: how long that exit is waited for. */
const EXIT_GRACE_MS = 3_000;

/**
 * Runs each job as its own `caudal run` process (one job = one `caudal run`, exactly what a user or
 * Airflow runs). Why a process and not an engine call inside the scheduler: a crash, a runaway
 * memory use or a native fault in one run cannot take the scheduler or other runs down; a timeout
 * can always end it (SIGTERM cancels, SIGKILL after a grace); the run keeps its own locks and
 * commit journal under its own pid; and the scheduler stays small (it never loads DuckDB). The
 * child is detached (its own process group, output to a file, not a pipe), so a scheduler that is
 * killed leaves it running, and the next scheduler follows it by pid.
 */
export class ProcessRunner implements JobRunner {
  constructor(
    private readonly opts: {
      /** The command that runs `caudal`: default this package's bin with this Node. */
      command?: string[];
      env?: NodeJS.ProcessEnv;
    } = {},
  ) {}

  start(req: JobRunRequest): RunningJob {
    // Its folder gone (moved, deleted since the scheduler read the project): a failed run, without
    // making the folder again for the run's own (debris where the user removed everything).
    if (!existsSync(path.dirname(req.job.pipeline))) {
      const message = `the pipeline file ${req.job.pipeline} no longer exists (its folder was moved or deleted after the scheduler started)`;
      return handleFor(null, Promise.resolve({ status: 'failed', exitCode: null, rows: null, qualityScore: null, error: { kind: 'validation', message, hint: 'put it back, or change the project file and restart `caudal schedule`' } }));
    }
    mkdirSync(req.dir, { recursive: true });
    const out = openSync(path.join(req.dir, OUTPUT_FILE), 'a');
    const [cmd, ...pre] = this.opts.command ?? [process.execPath, path.join(packageRoot(), 'bin', 'caudal.js')];
    let child;
    try {
      // Inside Electron, execPath is the app: ELECTRON_RUN_AS_NODE makes it a plain Node for the CLI.
      const env = { ...(this.opts.env ?? process.env), ...(process.versions.electron && !this.opts.command ? { ELECTRON_RUN_AS_NODE: '1' } : {}) };
      child = spawn(cmd!, [...pre, ...runArgs(req)], { cwd: path.dirname(req.job.pipeline), detached: true, stdio: ['ignore', out, out], env });
    } finally {
      closeSync(out);
    }
    const pid = child.pid ?? null;
    const done = new Promise<RunOutcome>((resolve) => {
      child.once('error', (e) => resolve({ status: 'failed', exitCode: null, rows: null, qualityScore: null, error: { kind: 'execution', message: `could not start caudal: ${e.message}` } }));
      child.once('exit', (code, signal) => void outcomeOf(req.dir, code, signal, req).then(resolve));
    });
    return handleFor(pid, done);
  }

  async noteOutcome(dir: string, error: { kind: string; message: string }, timing?: { startedAt: string; elapsedMs: number }): Promise<void> {
    const record = await readRun(dir);
    // The scheduler's timing (from the spawn, as the timeout counts), so that `jobs history` never
    // shows a timed-out run as shorter than its timeout.
    if (record && record.status !== 'running') await writeRun({ ...record, ...(timing ?? {}), error: { kind: error.kind, message: error.message } });
  }

  async reattach(run: { runId: string; dir: string; pid: number | null; pidStarted?: string }, req?: JobRunRequest): Promise<RunningJob | { outcome: RunOutcome } | { notStarted: true }> {
    let pid = run.pid;
    if (pid === null) {
      // The scheduler stopped right after starting it, before noting the pid: the run's record has it.
      const deadline = Date.now() + START_GRACE_MS;
      let record = await readRun(run.dir);
      while (!record && Date.now() < deadline) {
        await sleep(POLL_MS);
        record = await readRun(run.dir);
      }
      if (!record) return { notStarted: true };
      pid = record.owner?.pid ?? null;
    }
    const record = await readRun(run.dir);
    if (record && record.status !== 'running') {
      // It ended: its record says how. A process still found by its pid is the run exiting, or,
      // after a while, a stranger that was given the pid since (pids are reused): never followed.
      const until = Date.now() + EXIT_GRACE_MS;
      while (pid !== null && processAlive(pid) && Date.now() < until) await sleep(100);
      return { outcome: await outcomeOf(run.dir, null, null, req) };
    }
    // Same process only if the record names it, started when the record says (a pid may have been
    // reused since: a stranger is never followed, nor signalled at the job's timeout).
    const same = pid !== null && (record?.owner ? record.owner.pid === pid && !ownerIsDead(record.owner) : !ownerIsDead({ host: self.host, pid, started: run.pid === pid ? run.pidStarted : undefined }));
    if (pid !== null && same && processAlive(pid)) {
      const livePid = pid;
      const done = (async () => {
        while (processAlive(livePid)) await sleep(POLL_MS);
        return outcomeOf(run.dir, null, null, req);
      })();
      return handleFor(livePid, done);
    }
    return { outcome: await outcomeOf(run.dir, null, null, req) };
  }
}

function handleFor(pid: number | null, done: Promise<RunOutcome>): RunningJob {
  const signal = (s: NodeJS.Signals, group: boolean) => {
    if (pid === null) return;
    try {
      process.kill(group ? -pid : pid, s);
    } catch {
      // already gone
    }
  };
  // SIGTERM to the run process only: `caudal run` cancels (destinations untouched) and exits 143.
  return { pid, done, terminate: () => signal('SIGTERM', false), kill: () => signal('SIGKILL', true) };
}

/** The `caudal run` arguments of a job run. */
export function runArgs(req: JobRunRequest): string[] {
  const args = ['run', req.job.pipeline, '--quiet', '--run-id', req.runId, '--artifacts-dir', req.dir, '--job', req.job.name, '--trigger', req.trigger, '--attempt', String(req.attempt)];
  if (req.slot) args.push('--slot', req.slot);
  for (const [k, v] of Object.entries(req.params)) args.push('--param', `${k}=${v}`);
  if (req.job.threads !== undefined) args.push('--threads', String(req.job.threads));
  if (req.job.memoryLimit !== undefined) args.push('--memory-limit', req.job.memoryLimit);
  return args;
}

const EXIT_BUSY = 75;

/**
 * What a finished run process did, from its record. A record still "running" means the process died
 * without finishing (killed, out of memory): it is marked failed, and the engine's next run of the
 * pipeline recovers what it left (commit journal). No record at all: it failed before recording
 * (e.g. the pipeline file is invalid); one is written from its output so the history shows it.
 */
async function outcomeOf(dir: string, code: number | null, signal: NodeJS.Signals | null, req?: JobRunRequest): Promise<RunOutcome> {
  const record = await readRun(dir);
  if (!record) {
    const message = (await lastLines(path.join(dir, OUTPUT_FILE))) || `caudal run exited with ${signal ?? `code ${code}`} before it started`;
    // No exit code: killed before it could record anything.
    const error = { kind: code === 2 ? 'validation' : code === null ? 'interrupted' : 'execution', message };
    if (req) await writeRun(failedRecord(req, error)).catch(() => undefined);
    // No exit code: killed before it could record anything.
    return { status: code === EXIT_BUSY ? 'busy' : code === null ? 'interrupted' : 'failed', exitCode: code, rows: null, qualityScore: null, error };
  }
  if (record.status === 'running') {
    const how = signal ? `was stopped by ${signal}` : code !== null ? `exited with code ${code}` : 'ended';
    // kind 'interrupted': `caudal jobs history` shows the status the scheduler gives it.
    const error = { kind: 'interrupted', message: `the run's process ${how} before the run finished; the next run of the pipeline recovers what it left` };
    const fixed: StoredRun = { ...record, status: 'failed', elapsedMs: Date.now() - Date.parse(record.startedAt), error };
    await writeRun(fixed).catch(() => undefined);
    return { status: 'interrupted', exitCode: code, rows: null, qualityScore: null, error };
  }
  const error = record.error ? { kind: record.error.kind, message: record.error.message, hint: record.error.hint } : undefined;
  const status = record.status === 'succeeded' ? 'succeeded' : record.status === 'cancelled' ? 'cancelled' : error?.kind === 'busy' ? 'busy' : 'failed';
  return { status, exitCode: code, rows: record.rows, qualityScore: record.qualityScore, error, ...(typeof record.elapsedMs === 'number' ? { elapsedMs: record.elapsedMs } : {}) };
}

function failedRecord(req: JobRunRequest, error: { kind: string; message: string }): StoredRun {
  return {
    runId: req.runId,
    pipeline: path.basename(req.job.pipeline),
    pipelinePath: req.job.pipeline,
    status: 'failed',
    startedAt: new Date().toISOString(),
    elapsedMs: 0,
    rows: null,
    qualityScore: null,
    targets: [],
    params: req.params,
    dir: req.dir,
    error,
    job: req.job.name,
    trigger: req.trigger,
    attempt: req.attempt,
    slot: req.slot,
    summary: null,
  };
}

async function lastLines(file: string): Promise<string> {
  try {
    const text = (await readFile(file, 'utf8')).trim();
    return text.split('\n').slice(-3).join(' ').slice(0, 1000);
  } catch {
    return '';
  }
}

