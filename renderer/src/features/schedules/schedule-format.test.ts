import { describe, expect, it } from 'vitest';
import type { RunRecord, ScheduledJob } from '../../../../core/src/host-api/contract.js';
import { chartBars, durationText, relativeTime, statusOf, whenText } from './schedule-format.js';

const job = (over: Partial<ScheduledJob>): ScheduledJob => ({ name: 'j', pipeline: '/p.json', schedule: '0 6 * * *', timezone: 'Europe/Madrid', dependsOn: [], paused: false, nextRunAt: null, running: null, retryAt: null, queued: false, lastRun: null, ...over });
const run = (id: string, startedAt: string, elapsedMs: number | null, rows: number | null, status: RunRecord['status'] = 'succeeded'): RunRecord => ({ runId: id, pipeline: 'p', pipelinePath: '/p.json', status, startedAt, elapsedMs, rows, qualityScore: null, targets: [], params: {}, dir: '/x' });

describe('Schedules view helpers', () => {
  it('durations and relative times read naturally', () => {
    expect([durationText(null), durationText(450), durationText(12_340), durationText(600_000), durationText(7_320_000)]).toEqual(['–', '450 ms', '12.3 s', '10 min 0 s', '2 h 2 min']);
    const now = Date.parse('2026-05-01T10:00:00Z');
    expect(relativeTime('2026-05-01T10:05:00Z', now)).toBe('in 5 min');
    expect(relativeTime('2026-05-01T07:00:00Z', now)).toBe('3 h ago');
    expect(relativeTime('2026-05-04T10:00:00Z', now)).toBe('in 3 d');
  });

  it('a job says when it runs and what it is doing', () => {
    expect(whenText(job({}))).toBe('0 6 * * * (Europe/Madrid)');
    expect(whenText(job({ schedule: null, dependsOn: ['a', 'b'] }))).toBe('after a, b');
    expect(statusOf(job({ running: { runId: 'r', startedAt: 'x', attempt: 2, pid: 1 } }))).toEqual({ label: 'running (attempt 2)', tone: 'running' });
    expect(statusOf(job({ retryAt: 'x' })).label).toBe('retry pending');
    expect(statusOf(job({ paused: true })).label).toBe('paused');
    const last = { runId: 'r', startedAt: 'a', finishedAt: 'b', elapsedMs: 1, attempt: 1, trigger: 'schedule', slot: null, rows: 1, qualityScore: null };
    expect(statusOf(job({ lastRun: { ...last, status: 'timed_out' } }))).toEqual({ label: 'timed out', tone: 'failed' });
    expect(statusOf(job({ lastRun: { ...last, status: 'succeeded' } })).tone).toBe('ok');
  });

  it('chart bars: oldest first, scaled to the longest run and the most rows; running runs left out', () => {
    const { bars, maxMs, maxRows } = chartBars([run('c', '2026-05-03T06:00:00Z', null, null, 'running'), run('b', '2026-05-02T06:00:00Z', 2000, 50), run('a', '2026-05-01T06:00:00Z', 1000, 100, 'failed')]);
    expect(maxMs).toBe(2000);
    expect(maxRows).toBe(100);
    expect(bars.map((b) => [b.runId, b.duration, b.rows, b.status])).toEqual([
      ['a', 0.5, 1, 'failed'],
      ['b', 1, 0.5, 'succeeded'],
    ]);
    expect(bars[0]!.label).toBe('2026-05-01 06:00:00 · failed · 1.0 s · 100 rows');
  });
});
