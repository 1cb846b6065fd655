import { describe, expect, it } from 'vitest';
import type { PlannedNode } from '../compiler/plan.js';
import { fileReaderOf } from './execute.js';

/** A sink's statement that ran a fused file read fails on a file: the source is the node to blame. */
const node = (id: string, type: string, runSql: string, upstream: PlannedNode[] = []) => ({ id, type, outputs: [{ runSql }], upstreamNodes: upstream, materialize: false }) as unknown as PlannedNode;

describe('an IO error in a fused file read', () => {
  const orders = node('orders', 'source.csv', `SELECT * FROM read_csv('/data/orders/*.csv')`);
  const countries = node('countries', 'source.csv', `SELECT * FROM read_csv('/ref/countries.csv')`);
  const joined = node('joined', 'transform.join', 'SELECT …', [orders, countries]);
  const sink = node('out', 'sink.parquet', '', [joined]);

  it('is the source whose files are in that folder (a file of its glob deleted or cut while read)', () => {
    expect(fileReaderOf('IO Error: Cannot open file "/data/orders/p29.csv": No such file or directory', sink)?.id).toBe('orders');
    expect(fileReaderOf('IO Error: No files found that match the pattern "/ref/countries.csv"', sink)?.id).toBe('countries');
  });

  it('is nobody for an error about another file (the sink writing its own), or another kind of error', () => {
    expect(fileReaderOf('IO Error: Could not write file "/out/x.parquet": No space left on device', sink)).toBeUndefined();
    expect(fileReaderOf('Binder Error: column "x" not found', sink)).toBeUndefined();
    const alone = node('out', 'sink.parquet', '', [orders]);
    expect(fileReaderOf('IO Error: Could not write file "/out/x.parquet": No space left on device', alone)).toBeUndefined();
    expect(fileReaderOf('IO Error: Cannot open file "/elsewhere/p1.csv": No such file or directory', alone)?.id).toBe('orders');
  });
});
