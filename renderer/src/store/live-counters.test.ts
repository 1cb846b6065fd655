import { describe, expect, it } from 'vitest';
import { countBatchEvent, emptyCounters, rowsWritten, type LiveCounters } from './live-counters.js';
import { LIVE_EVENTS_KEPT, newRun, recordStatusLabel, reduceRun, runStatusLabel } from './run-state.js';
import type { HostRunEvent } from '../model/types.js';

const started = (batch: number): HostRunEvent => ({ type: 'batch_started', runId: 'r', batch, at: '' });
const read = (nodeId: string, rows: number, lag?: number): HostRunEvent => ({ type: 'stream_read', runId: 'r', nodeId, rows, waitedMs: 5, ...(lag !== undefined ? { lag } : {}) });
const finished = (batch: number, rowsIn: number, extra: Partial<Extract<HostRunEvent, { type: 'batch_finished' }>['summary']> = {}): HostRunEvent => ({
  type: 'batch_finished',
  runId: 'r',
  summary: { batch, status: 'succeeded', rowsIn, outputs: [{ nodeId: 'load', target: 'wh.duckdb:events', rows: rowsIn }], latencyMs: 40 + batch, ...extra },
});
const fold = (events: HostRunEvent[], from: LiveCounters = emptyCounters(), now = 1000) => events.reduce((c, e) => countBatchEvent(c, e, now), from);

describe('live counters of a continuous run', () => {
  it('count committed batches, rows read per source and written per sink, latency, lag and the last commit', () => {
    const c = fold([started(1), read('mq', 30, 70), finished(1, 30, { lag: 70 }), started(2), read('mq', 20), finished(2, 20, { lag: 0 })], emptyCounters(), 5000);
    expect(c).toMatchObject({ batch: 2, inBatch: false, committed: 2, failed: 0, rowsRead: 50, readByNode: { mq: 50 }, lastLatencyMs: 42, lag: 0, lastCommitAt: 5000 });
    expect(c.writtenBySink).toEqual({ load: { target: 'wh.duckdb:events', rows: 50 } });
    expect(rowsWritten(c)).toBe(50);
  });

  it('a batch in progress counts nothing until it commits', () => {
    const c = fold([started(1), read('mq', 30)]);
    expect(c).toMatchObject({ batch: 1, inBatch: true, committed: 0, rowsRead: 0, readByNode: {}, pendingRead: { mq: 30 } });
    expect(c.lastCommitAt).toBeUndefined();
  });

  it('a batch that failed after its sinks committed (its source could not acknowledge it) counts as failed and its rows as written', () => {
    const c = fold([
      started(1),
      read('ev', 10),
      finished(1, 10),
      started(2),
      read('ev', 3),
      finished(2, 3, { status: 'failed', reachedDestinations: true, error: { kind: 'io', message: "batch 2 was written to every destination (3 rows → load), but node 'ev' (source.kafka) could not acknowledge what it read", nodeId: 'ev' } }),
    ]);
    expect(c).toMatchObject({ committed: 2, failed: 1, rowsRead: 13, readByNode: { ev: 13 }, writtenBySink: { load: { rows: 13 } } });
    expect(c.failures.map((f) => f.batch)).toEqual([2]);
  });

  it('a failed batch is counted with its error, and its rows are not (they will be read again)', () => {
    const c = fold([
      started(1),
      read('mq', 10),
      finished(1, 10),
      started(2),
      read('mq', 5),
      finished(2, 5, { status: 'failed', outputs: [], error: { kind: 'io', message: "node 'mq' (source.rabbitmq): connect ECONNREFUSED 127.0.0.1:1", hint: 'is the broker running?', nodeId: 'mq' } }),
    ]);
    expect(c).toMatchObject({ committed: 1, failed: 1, rowsRead: 10, readByNode: { mq: 10 }, writtenBySink: { load: { rows: 10 } } });
    expect(c.failures).toEqual([{ batch: 2, message: "node 'mq' (source.rabbitmq): connect ECONNREFUSED 127.0.0.1:1", hint: 'is the broker running?', nodeId: 'mq' }]);
  });

  it('a batch ended by Stop before it read anything commits nothing and changes no totals', () => {
    const before = fold([started(1), read('mq', 3), finished(1, 3)]);
    const after = fold([started(2), finished(2, 0, { status: 'cancelled', outputs: [] })], before);
    expect(after).toMatchObject({ committed: 1, rowsRead: 3, failed: 0, inBatch: false });
  });

  it('ignores events that are not about batches (same object, so nothing re-renders)', () => {
    const c = emptyCounters();
    expect(countBatchEvent(c, { type: 'log', runId: 'r', level: 'info', message: 'x' }, 0)).toBe(c);
    expect(countBatchEvent(c, { type: 'node_started', runId: 'r', nodeId: 'a', nodeType: 't', at: '' }, 0)).toBe(c);
  });

  it('keeps the latest 20 failures only', () => {
    let c = emptyCounters();
    for (let b = 1; b <= 25; b++) c = fold([started(b), finished(b, 0, { status: 'failed', outputs: [], error: { kind: 'io', message: `boom ${b}` } })], c);
    expect(c.failed).toBe(25);
    expect(c.failures).toHaveLength(20);
    expect(c.failures.at(-1)!.message).toBe('boom 25');
  });
});

describe('a continuous run in the studio', () => {
  const apply = (events: HostRunEvent[], run = newRun('r', [], ['mq', 'load'], true)) => events.reduce((r, e) => reduceRun(r, e, 1000), run);

  it('puts the totals on the canvas cards: rows read at the source, rows written at the sink', () => {
    const run = apply([started(1), read('mq', 7), finished(1, 7)]);
    expect(run.nodes.mq!.liveRows).toEqual({ rows: 7, verb: 'read' });
    expect(run.nodes.load!.liveRows).toEqual({ rows: 7, verb: 'written' });
    expect(run.live!.committed).toBe(1);
  });

  it('is "live" while it runs and "stopped" once Stop ended it', () => {
    const run = apply([started(1)]);
    expect(runStatusLabel(run)).toBe('live');
    expect(runStatusLabel({ ...run, stopping: true })).toBe('stopping');
    expect(runStatusLabel({ ...run, status: 'cancelled', stopping: true })).toBe('stopped');
    expect(runStatusLabel({ ...run, status: 'cancelled' })).toBe('cancelled');
    expect(runStatusLabel({ status: 'running' })).toBe('running');
  });

  it('history says "stopped" for a continuous run that Stop ended, "cancelled" for one rolled back', () => {
    const error = (how: string) => ({ kind: 'cancelled', message: `stopped after 3 committed batches; every committed batch is in the destinations, the batch in progress was ${how}` });
    expect(recordStatusLabel({ status: 'cancelled', error: error('finished') })).toBe('stopped');
    expect(recordStatusLabel({ status: 'cancelled', error: error('rolled back') })).toBe('cancelled');
    // Stopped while it waited for data: no batch was in progress.
    expect(recordStatusLabel({ status: 'cancelled', error: { kind: 'cancelled', message: 'stopped after 2 committed batches; every committed batch is in the destinations, and no batch was in progress (it was waiting for new data)' } })).toBe('stopped');
    expect(recordStatusLabel({ status: 'failed', error: { kind: 'io', message: 'x' } })).toBe('failed');
  });

  it('keeps only the latest events of a long run, but every event of a plain one', () => {
    const many = Array.from({ length: LIVE_EVENTS_KEPT + 50 }, (_, i): HostRunEvent => ({ type: 'log', runId: 'r', level: 'info', message: `m${i}` }));
    const live = apply(many);
    expect(live.events).toHaveLength(LIVE_EVENTS_KEPT);
    expect(live.events.at(-1)).toMatchObject({ message: `m${LIVE_EVENTS_KEPT + 49}` });
    expect(apply(many, newRun('r', [], ['mq'])).events).toHaveLength(LIVE_EVENTS_KEPT + 50);
  });

  it('ignores the events of other runs', () => {
    const run = newRun('r', [], ['mq'], true);
    expect(reduceRun(run, { ...started(1), runId: 'other' }, 0)).toBe(run);
  });
});
