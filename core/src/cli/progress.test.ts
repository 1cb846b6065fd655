import { describe, expect, it } from 'vitest';
import { printedLines } from '../../../test/support/progress.js';


const node = (nodeId: string, nodeType: string, rowsOut: number | null) =>
  ({ type: 'node_finished', runId: 'r', nodeId, nodeType, status: 'ok', rowsIn: null, rowsOut, elapsedMs: 5, materialized: false }) as const;

describe('caudal run progress', () => {
  it("says a sink's rows are staged, not written: a run that then fails wrote nothing", () => {
    const lines = printedLines([
      node('orders', 'source.csv', 3),
      node('out', 'sink.csv', 3),
      { type: 'run_finished', runId: 'r', summary: { status: 'failed', elapsedMs: 9, outputs: [], error: { kind: 'execution', message: "node 'check' failed" } } as never },
    ]);
    expect(lines[0]).toMatch(/^ {2}✓ orders +source\.csv +3 rows 5 ms$/);
    expect(lines[1]).toMatch(/^ {2}✓ out +sink\.csv +3 rows staged 5 ms$/);
    expect(lines[2]).toBe("✘ failed after 9 ms: node 'check' failed");
  });
});
