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

  it('lists the rows a batch wrote only when it reached its destinations: a failed batch that did not wrote nothing', () => {
    const batch = (n: number, status: string, extra: object = {}) =>
      ({ type: 'batch_finished', runId: 'r', summary: { batch: n, status, rowsIn: 4, outputs: [{ nodeId: 'out', target: 'out.parquet', rows: 4 }], latencyMs: 7, ...extra } }) as never;
    const lines = printedLines([
      batch(1, 'succeeded'),
      batch(2, 'failed', { error: { kind: 'execution', message: 'disk full' } }),
      batch(3, 'failed', { error: { kind: 'execution', message: 'could not acknowledge' }, reachedDestinations: true }),
      batch(4, 'cancelled'),
    ]);
    expect(lines[0]).toBe('  ✓ batch 1: 4 rows read, 4 → out in 7 ms');
    expect(lines[1]).toBe('  ✗ batch 2: 4 rows read, nothing written in 7 ms');
    expect(lines[3]).toBe('  ✗ batch 3: 4 rows read, 4 → out in 7 ms');
    expect(lines[5]).toBe('  ■ batch 4: 4 rows read, nothing written in 7 ms');
  });

  it('says a server it could not reach while planning is not a problem of the pipeline file', () => {
    const problem = (code: string, path: string) => ({ code, path, message: `node 'ev' (connection 'bus'): cannot reach the Kafka brokers` });
    const failed = (problems: object[]) =>
      ({ type: 'run_finished', runId: 'r', summary: { status: 'failed', elapsedMs: 9, outputs: [], error: { kind: 'io', message: 'x', problems } } }) as never;
    expect(printedLines([failed([problem('unavailable', 'connections.bus')])])[0]).toBe('✘ failed after 9 ms: could not reach a server the pipeline reads while planning');
    expect(printedLines([failed([problem('unknown_column', 'nodes[0].params')])])[0]).toBe('✘ failed after 9 ms: 1 problem in the pipeline');
    // A DuckDB database another process holds open is a file, not a server.
    expect(printedLines([failed([problem('unavailable', 'nodes[0].params.database')])])[0]).toBe('✘ failed after 9 ms: could not open a database file the pipeline reads while planning');
    expect(printedLines([failed([problem('unavailable', 'connections.bus'), problem('unavailable', 'nodes[1].params.database')])])[0]).toBe(
      '✘ failed after 9 ms: could not reach servers or open database files the pipeline reads while planning',
    );
  });
});
