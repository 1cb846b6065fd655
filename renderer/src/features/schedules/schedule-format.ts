/** Pure helpers of the Schedules view: labels, and the bars of the history chart. */
import type { RunRecord, ScheduledJob } from '../../../../core/src/host-api/contract.js';

export function durationText(ms: number | null): string {
  if (ms === null) return '–';
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 90) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return m < 90 ? `${m} min ${Math.round(s % 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** "in 5 min", "3 h ago": a short distance from now. */
export function relativeTime(iso: string | null, now: number): string {
  if (!iso) return '–';
  const diff = Date.parse(iso) - now;
  const abs = Math.abs(diff);
  const text = abs < 60_000 ? `${Math.round(abs / 1000)} s` : abs < 5_400_000 ? `${Math.round(abs / 60_000)} min` : abs < 172_800_000 ? `${Math.round(abs / 3_600_000)} h` : `${Math.round(abs / 86_400_000)} d`;
  return diff >= 0 ? `in ${text}` : `${text} ago`;
}

/** When the job runs, in words. */
export function whenText(job: ScheduledJob): string {
  if (job.schedule) return `${job.schedule} (${job.timezone})`;
  if (job.dependsOn.length > 0) return `after ${job.dependsOn.join(', ')}`;
  return 'on demand';
}

/** The job's state now: running, retry pending, queued, paused, or its last outcome. */
export function statusOf(job: ScheduledJob): { label: string; tone: 'ok' | 'running' | 'failed' | 'muted' } {
  if (job.running) return { label: job.running.attempt > 1 ? `running (attempt ${job.running.attempt})` : 'running', tone: 'running' };
  if (job.retryAt) return { label: 'retry pending', tone: 'failed' };
  if (job.queued) return { label: 'queued', tone: 'running' };
  const last = job.lastRun?.status;
  if (!last) return { label: job.paused ? 'paused' : 'never run', tone: 'muted' };
  return { label: last.replace('_', ' '), tone: last === 'succeeded' ? 'ok' : last === 'busy' || last === 'cancelled' ? 'muted' : 'failed' };
}

export interface Bar {
  runId: string;
  /** 0..1 of the chart's height. */
  duration: number;
  rows: number;
  status: RunRecord['status'];
  label: string;
}

/** Oldest run first, each bar's height relative to the longest run (durations) and the most rows. */
export function chartBars(runs: RunRecord[]): { bars: Bar[]; maxMs: number; maxRows: number } {
  const done = runs.filter((r) => r.elapsedMs !== null).slice().reverse();
  const maxMs = Math.max(1, ...done.map((r) => r.elapsedMs!));
  const maxRows = Math.max(1, ...done.map((r) => r.rows ?? 0));
  return {
    maxMs,
    maxRows,
    bars: done.map((r) => ({
      runId: r.runId,
      duration: r.elapsedMs! / maxMs,
      rows: (r.rows ?? 0) / maxRows,
      status: r.status,
      label: `${r.startedAt.replace('T', ' ').slice(0, 19)} · ${r.status} · ${durationText(r.elapsedMs)} · ${r.rows === null ? '–' : r.rows.toLocaleString('en-US')} rows${r.qualityScore === null ? '' : ` · quality ${r.qualityScore}`}`,
    })),
  };
}
