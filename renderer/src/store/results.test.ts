import { beforeEach, describe, expect, it } from 'vitest';
import { useResults } from './results.js';
import type { HostRunEvent } from '../model/types.js';

const summary = (status: 'succeeded' | 'failed' | 'cancelled') => ({
  runId: 'r1',
  pipeline: 'p',
  status,
  startedAt: '',
  elapsedMs: 120,
  nodes: [{ nodeId: 'a', nodeType: 'source.csv', status: 'ok' as const, rowsIn: null, rowsOut: 10, elapsedMs: 5, materialized: true }],
  outputs: [],
});

describe('run results on the canvas', () => {
  beforeEach(() => useResults.getState().startRun('r1', [], ['a', 'q', 'sink']));
  const apply = (e: unknown) => useResults.getState().applyRunEvent(e as HostRunEvent);

  it('follows node progress and counts, ignoring other runs', () => {
    apply({ type: 'node_started', runId: 'r1', nodeId: 'a', nodeType: 'source.csv', at: '' });
    apply({ type: 'node_progress', runId: 'r1', nodeId: 'a', percent: 40, rowsProcessed: 4 });
    apply({ type: 'node_progress', runId: 'other', nodeId: 'a', percent: 90, rowsProcessed: 9 });
    expect(useResults.getState().run!.nodes.a).toMatchObject({ status: 'running', percent: 40, rowsOut: 4 });
    apply({ type: 'node_finished', runId: 'r1', nodeId: 'a', nodeType: 'source.csv', status: 'ok', rowsIn: null, rowsOut: 10, elapsedMs: 5, materialized: true });
    expect(useResults.getState().run!.nodes.a).toMatchObject({ status: 'ok', rowsOut: 10 });
  });

  it('keeps quality results through the end of the run', () => {
    apply({ type: 'quality_result', runId: 'r1', nodeId: 'q', result: { nodeId: 'q', score: 75, rows: 4, checks: [{ name: 'a', kind: 'k', severity: 'warn', passed: false }, { name: 'b', kind: 'k', severity: 'error', passed: true }] } });
    apply({ type: 'run_finished', runId: 'r1', summary: summary('succeeded') });
    const run = useResults.getState().run!;
    expect(run.nodes.q!.quality).toEqual({ score: 75, failed: 1, checks: 2 });
    expect(run.status).toBe('succeeded');
  });

  it('marks nodes that never finished as cancelled or skipped when the run ends', () => {
    apply({ type: 'node_started', runId: 'r1', nodeId: 'sink', nodeType: 'sink.csv', at: '' });
    apply({ type: 'run_finished', runId: 'r1', summary: summary('cancelled') });
    expect(useResults.getState().run!.nodes.sink!.status).toBe('cancelled');
    useResults.getState().startRun('r1', [], ['a', 'sink']);
    apply({ type: 'run_finished', runId: 'r1', summary: { ...summary('failed'), error: { kind: 'execution', message: 'boom', nodeId: 'a' } } });
    expect(useResults.getState().run).toMatchObject({ status: 'failed', error: 'boom' });
    expect(useResults.getState().run!.nodes.a).toMatchObject({ status: 'failed', error: 'boom' });
    expect(useResults.getState().run!.nodes.sink!.status).toBe('skipped');
  });
});
