import { describe, expect, it } from 'vitest';
import { logLines, runFinishedText } from './LogsTab.js';
import type { HostRunEvent } from '../model/types.js';

type Summary = Extract<HostRunEvent, { type: 'run_finished' }>['summary'];
const summary = (over: Partial<Summary>): Summary => ({
  runId: 'r1',
  pipeline: 'p',
  status: 'succeeded',
  startedAt: '2025-01-01T00:00:00Z',
  elapsedMs: 112,
  nodes: [],
  outputs: [
    { nodeId: 'good', target: '/out/good.csv', rows: 3 },
    { nodeId: 'rej', target: '/out/rej.csv', rows: 1 },
  ] as Summary['outputs'],
  ...over,
});

describe("the log's headline of a finished run", () => {
  it('a run that succeeded says what it wrote where', () => {
    expect(runFinishedText(summary({}))).toBe('Run succeeded in 112 ms; wrote 3 rows to /out/good.csv, 1 rows to /out/rej.csv');
  });

  it('a failed run claims no writes: it says nothing was written, then why it failed', () => {
    const text = runFinishedText(summary({ status: 'failed', error: { message: "node 'tonum' failed" } as Summary['error'] }));
    expect(text).not.toMatch(/wrote|rows to/);
    expect(text).toContain('nothing was written');
    expect(text).toMatch(/: node 'tonum' failed$/);
  });

  it('a cancelled run claims no writes either', () => {
    const [line] = logLines([{ type: 'run_finished', summary: summary({ status: 'cancelled' }) } as HostRunEvent]);
    expect(line).toMatchObject({ level: 'error' });
    expect(line!.text).not.toContain('wrote');
    expect(line!.text).toContain('nothing was written');
  });

  it('a continuous run keeps what its committed batches wrote', () => {
    const text = runFinishedText(summary({ status: 'failed', batches: { committed: 4, rowsIn: 10 } }));
    expect(text).toContain('4 batches committed, wrote 3 rows to /out/good.csv');
  });
});
