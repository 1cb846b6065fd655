import { processAlive } from '../util/owner.js';
import { Controls } from './controls.js';
import { CronSchedule } from './cron.js';
import { endedRun } from './history.js';
import type { Project } from './project.js';
import { runningScheduler, type SchedulerHolder } from './scheduler-lock.js';
import { type LastRun, StateStore } from './state.js';

export interface JobOverview {
  name: string;
  pipeline: string;
  description?: string;
  schedule: string | null;
  timezone: string;
  dependsOn: string[];
  paused: boolean;
  /** The next slot (cron jobs), null for jobs that run after others or on demand. */
  nextRunAt: string | null;
  running: { runId: string; startedAt: string; attempt: number; pid: number | null } | null;
  retryAt: string | null;
  queued: boolean;
  lastRun: LastRun | null;
}

/**
 * What `caudal jobs list` and the studio's Schedules view show: the project's jobs with their
 * next run, what runs now and the last outcome, from the scheduler's state and pause file. Works
 * whether a scheduler runs or not.
 */
export async function projectOverview(project: Project, now = Date.now()): Promise<{ scheduler: SchedulerHolder | null; jobs: JobOverview[] }> {
  const [state, paused, scheduler] = await Promise.all([new StateStore(project).load(), new Controls(project).paused(), runningScheduler(project)]);
  // Runs that ended while no scheduler ran are in their own records only, until one starts again.
  const ended = new Map<string, LastRun>();
  if (scheduler === null)
    for (const [name, s] of Object.entries(state.jobs)) {
      const last = s.running ? await endedRun(s.running) : null;
      if (last) ended.set(name, last);
    }
  const jobs = project.jobs.map((job): JobOverview => {
    const s = state.jobs[job.name];
    let nextRunAt: string | null = null;
    if (job.schedule) {
      const from = Math.max(now, s?.lastSlot ? Date.parse(s.lastSlot) : now);
      const next = new CronSchedule(job.schedule, job.timezone).next(from);
      nextRunAt = next === null ? null : new Date(next).toISOString();
    }
    const r = s?.running;
    // A run recorded by a scheduler that is gone is running only while its process is.
    const live = r && !ended.has(job.name) && (scheduler !== null || (r.pid !== null && processAlive(r.pid)));
    return {
      name: job.name,
      pipeline: job.pipeline,
      description: job.description,
      schedule: job.schedule,
      timezone: job.timezone,
      dependsOn: job.dependsOn,
      paused: job.paused || job.name in paused,
      nextRunAt,
      running: live ? { runId: r.runId, startedAt: r.startedAt, attempt: r.attempt, pid: r.pid } : null,
      retryAt: s?.retry?.at ?? null,
      queued: s?.queued != null,
      lastRun: ended.get(job.name) ?? s?.lastRun ?? null,
    };
  });
  return { scheduler, jobs };
}
