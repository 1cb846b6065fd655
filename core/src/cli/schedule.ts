import { watch } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { makeNotifier } from '../scheduler/alerts/notify.js';
import { Controls } from '../scheduler/controls.js';
import { findProjectFile, loadProject } from '../scheduler/load-project.js';
import { jsonLine, type LogEntry, RotatingFile, textLine } from '../scheduler/log.js';
import { ProcessRunner } from '../scheduler/process-runner.js';
import { pruneHistory } from '../scheduler/retention.js';
import { adoptLegacyState } from '../scheduler/legacy-state.js';
import { acquireSchedulerLock } from '../scheduler/scheduler-lock.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { schedulerDir } from '../scheduler/state.js';
import { EnvSecretStore } from '../secrets/env-store.js';
import { KeychainSecretStore } from '../secrets/keychain-store.js';
import { CaudalError, errorMessage } from '../util/errors.js';
import { parse } from './args.js';
import { EXIT } from './exit-codes.js';
import { exitCleanlyOnLateSignals } from './late-signals.js';
import type { Io } from './io.js';
import { checkPipelineFile } from './pipeline-file.js';

/** Retention runs at start and after runs, at most this often. */
const PRUNE_EVERY_MS = 10 * 60_000;

/**
 * `caudal schedule [caudal.project.json]`: the scheduler in the foreground, for a terminal, systemd
 * or launchd. Logs go to stdout (text, or JSON lines with --json) and to the rotated JSON log
 * `.caudal/scheduler/logs/scheduler.log`. SIGTERM / Ctrl-C: no new runs, exit once the running
 * ones finish (0); a second signal cancels them (destinations stay as they were).
 */
export async function scheduleCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, { positionals: 1, only: ['file', 'json', 'quiet'], command: 'schedule', takes: 'one project file' });
  if (values.file !== undefined && positionals[0] !== undefined)
    throw new CaudalError('usage', `two project files: -f ${values.file} and ${positionals[0]}`, { hint: 'give the project file once, as -f FILE or as the argument' });
  const given = values.file ?? positionals[0];
  const project = await loadProject(given === undefined ? findProjectFile(undefined) : await checkPipelineFile(given, 'project'));
  const lock = await acquireSchedulerLock(project);
  let adopted: string[];
  try {
    adopted = await adoptLegacyState(project);
  } catch (e) {
    await lock.release();
    throw e;
  }
  const file = new RotatingFile(path.join(schedulerDir(project), 'logs', 'scheduler.log'), project.logs.max_file_mb * 1024 * 1024, project.logs.keep_files);
  const log = (e: LogEntry) => {
    try {
      file.write(jsonLine(e));
    } catch {
      // a full disk must not stop the scheduler; stdout still has the line
    }
    if (!values.quiet || e.level !== 'info') io.stdout.write(values.json ? jsonLine(e) : textLine(e));
  };
  let lastPrune = 0;
  const prune = async () => {
    if (Date.now() - lastPrune < PRUNE_EVERY_MS) return;
    lastPrune = Date.now();
    const r = await pruneHistory(project);
    if (r.removed.length > 0)
      log({ at: new Date().toISOString(), level: 'info', event: 'history_pruned', message: `history: removed ${r.removed.length} old run folder(s), ${r.keptRuns} kept (${Math.round(r.keptBytes / 1024 / 1024)} MB)`, removed: r.removed.length });
  };
  if (adopted.length > 0)
    log({ at: new Date().toISOString(), level: 'info', event: 'state_adopted', message: `took over ${adopted.join(', ')} from ${schedulerDir(project.dir)}, which earlier versions shared between the project files of this folder; ${path.basename(project.file)} now keeps its own in ${schedulerDir(project)}` });
  const scheduler = new Scheduler({
    project,
    runner: new ProcessRunner(),
    log,
    notify: makeNotifier(project.alerts, [new EnvSecretStore(), new KeychainSecretStore()], log),
    afterRun: prune,
  });
  const controls = new Controls(project);
  await mkdir(controls.requestsDir, { recursive: true });
  // Pause files and run requests (studio, `caudal jobs`) take effect at once, not at the next wake.
  // Only those two: the scheduler's own writes (state.json, logs) in the same folder must not wake it.
  let poke: NodeJS.Timeout | undefined;
  const wake = () => {
    clearTimeout(poke);
    poke = setTimeout(() => void scheduler.poke(), 100);
  };
  const pausedName = path.basename(controls.pausedFile);
  const watchers = [watch(controls.dir, (_e, name) => name === pausedName && wake()), watch(controls.requestsDir, (_e, name) => typeof name === 'string' && !name.startsWith('.') && wake())];
  for (const w of watchers) w.on('error', () => undefined);
  try {
    await scheduler.start();
    await prune().catch((e: unknown) => log({ at: new Date().toISOString(), level: 'warn', event: 'retention_failed', message: `history retention failed: ${errorMessage(e)}` }));
    await new Promise<void>((resolve) => {
      let signals = 0;
      const onSignal = (signal: NodeJS.Signals) => {
        signals++;
        if (signals === 1) {
          const n = scheduler.runningCount;
          log({ at: new Date().toISOString(), level: 'info', event: 'scheduler_stopping', message: `${signal}: no new runs; ${n === 0 ? 'stopping' : `waiting for ${n} running job${n === 1 ? '' : 's'} to finish (signal again to cancel ${n === 1 ? 'it' : 'them'})`}` });
          void scheduler.stop().then(resolve);
        } else if (signals === 2) scheduler.cancelRuns();
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
    });
  } finally {
    for (const w of watchers) w.close();
    clearTimeout(poke);
    await lock.release();
  }
  // Only a signal ends the scheduler, and its cleanup is done.
  exitCleanlyOnLateSignals(EXIT.ok);
  return EXIT.ok;
}
