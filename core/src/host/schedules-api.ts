import path from 'node:path';
import type { MethodOutput } from '../host-api/contract.js';
import { newRunId } from './run-recorder.js';
import { Controls } from '../scheduler/controls.js';
import { jobRuns, projectRuns } from '../scheduler/history.js';
import type { StoredRun } from './run-history.js';
import { findProjectFile, loadProject } from '../scheduler/load-project.js';
import { projectOverview } from '../scheduler/overview.js';
import { expandParams } from '../scheduler/params.js';
import { ProcessRunner } from '../scheduler/process-runner.js';
import type { Job, Project } from '../scheduler/project.js';
import { runningScheduler } from '../scheduler/scheduler-lock.js';
import { defaultArtifactsDir } from '../engine/run-dirs.js';
import { CaudalError } from '../util/errors.js';
import { didYouMean } from '../util/suggest.js';

/**
 * The studio's Schedules view over a project file: the same overview, history and controls as
 * `caudal jobs`. It never writes the scheduler's state: pauses and "run now" go through the
 * control files a running scheduler watches; without a scheduler, "run now" starts the job's
 * `caudal run` process itself.
 */
export class SchedulesApi {
  constructor(private readonly workspaceDir: string) {}

  async open(file: string | undefined, near: string | undefined): Promise<MethodOutput<'schedules.open'>> {
    const project = await loadProject(findProjectFile(file, near ?? this.workspaceDir));
    const o = await projectOverview(project);
    // Runs started outside the scheduler (run now without one, `caudal jobs run`) are only in the
    // run folders: the newest recorded run of a job wins over the scheduler's last one.
    const newest = new Map<string, StoredRun>();
    for (const r of await projectRuns(project)) if (r.job && !newest.has(r.job)) newest.set(r.job, r);
    const jobs = o.jobs.map((j) => {
      const r = newest.get(j.name);
      if (!r || (j.lastRun && j.lastRun.startedAt >= r.startedAt) || j.running) return j;
      if (r.status === 'running') return { ...j, running: { runId: r.runId, startedAt: r.startedAt, attempt: r.attempt ?? 1, pid: r.owner?.pid ?? null } };
      const finishedAt = new Date(Date.parse(r.startedAt) + (r.elapsedMs ?? 0)).toISOString();
      const error = r.error ? { kind: r.error.kind, message: r.error.message, hint: r.error.hint } : undefined;
      return { ...j, lastRun: { runId: r.runId, status: r.status, startedAt: r.startedAt, finishedAt, elapsedMs: r.elapsedMs ?? 0, attempt: r.attempt ?? 1, trigger: r.trigger ?? 'manual', slot: r.slot ?? null, rows: r.rows, qualityScore: r.qualityScore, error } };
    });
    return { path: project.file, name: project.name, scheduler: o.scheduler ? { pid: o.scheduler.owner.pid, since: o.scheduler.since } : null, jobs };
  }

  async history(file: string, jobName: string | undefined, limit: number): Promise<MethodOutput<'schedules.history'>> {
    const project = await loadProject(file);
    const jobs = jobName ? [job(project, jobName)] : project.jobs;
    const runs = (await Promise.all(jobs.map((j) => jobRuns(project, j, limit)))).flat().sort((a, b) => b.startedAt.localeCompare(a.startedAt)).slice(0, limit);
    return { runs: runs.map(({ summary: _summary, ...r }) => r) };
  }

  async runNow(file: string, jobName: string): Promise<MethodOutput<'schedules.runNow'>> {
    const project = await loadProject(file);
    const j = job(project, jobName);
    if (await runningScheduler(project)) {
      await new Controls(project).requestRun(j.name);
      return { via: 'scheduler', runId: null };
    }
    const runId = newRunId();
    const handle = new ProcessRunner().start({ job: j, runId, dir: defaultArtifactsDir(path.dirname(j.pipeline), runId), params: expandParams(j.params, Date.now(), j.timezone), trigger: 'manual', attempt: 1, slot: null });
    // The run records itself; nothing waits for it here.
    void handle.done.catch(() => undefined);
    return { via: 'studio', runId };
  }

  async pause(file: string, jobName: string, paused: boolean): Promise<MethodOutput<'schedules.pause'>> {
    const project = await loadProject(file);
    await new Controls(project).setPaused(job(project, jobName).name, paused);
    return { paused };
  }
}

function job(project: Project, name: string): Job {
  const found = project.jobs.find((j) => j.name === name);
  if (!found) throw new CaudalError('usage', `no job '${name}' in ${project.file}${didYouMean(name, project.jobs.map((j) => j.name))}`);
  return found;
}
