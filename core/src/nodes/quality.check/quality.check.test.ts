import { beforeAll, describe, expect, it } from 'vitest';
import { inspect, pipeline, preview, tempDir } from '../../../../test/support/pipeline.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-quality-node-');
});

const SRC = "SELECT * FROM (VALUES (1, 'a', 5), (2, NULL, 50), (2, 'c', NULL)) t(id, \"Full Name\", qty)";
const doc = (checks: unknown[]) =>
  pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query: SRC } },
      { id: 'q', type: 'quality.check', params: { checks } },
    ],
    ['src -> q'],
  );

describe('quality.check SQL', () => {
  it('passes the input through unchanged when no check quarantines', async () => {
    const r = await inspect({ pipeline: doc([{ name: 'n', kind: 'not_null', column: 'Full Name', severity: 'warn' }]), baseDir: dir });
    const q = r.nodes.find((n) => n.nodeId === 'q')!;
    // Nothing is materialized by the node; the checks' aggregate reads its output once it exists.
    expect(q.setup).toHaveLength(0);
    expect(q.after).toHaveLength(1);
    expect(q.after[0]).toMatchSnapshot();
    expect(q.outputs.map((o) => [o.port, o.sql])).toMatchSnapshot();
    expect(q.outputs.find((o) => o.port === 'rejected')!.columns.at(-1)).toEqual({ name: '_caudal_reasons', type: 'VARCHAR[]' });
  });

  it('materializes one flag per row check when a check quarantines (quoted names, literals)', async () => {
    const r = await inspect({
      pipeline: doc([
        { name: "it's unique", kind: 'unique', columns: ['id'], severity: 'quarantine' },
        { name: 'range', kind: 'between', column: 'qty', min: 1, max: 10, severity: 'warn' },
      ]),
      baseDir: dir,
    });
    const q = r.nodes.find((n) => n.nodeId === 'q')!;
    expect({ setup: q.setup, outputs: q.outputs.map((o) => [o.port, o.sql]), after: q.after }).toMatchSnapshot();
  });

  it('previews quarantined rows with their reasons', async () => {
    const d = doc([
      { name: 'unique id', kind: 'unique', columns: ['id'], severity: 'quarantine' },
      { name: 'qty small', kind: 'between', column: 'qty', max: 10, severity: 'warn' },
    ]);
    const rejected = await preview(d, dir, 'q', { port: 'rejected' });
    // The window may reorder rows: compare as a set.
    expect(rejected.rows).toHaveLength(2);
    expect(rejected.rows).toEqual(
      expect.arrayContaining([
        { id: 2, 'Full Name': null, qty: 50, _caudal_reasons: ['unique id', 'qty small'] },
        { id: 2, 'Full Name': 'c', qty: null, _caudal_reasons: ['unique id'] },
      ]),
    );
    expect((await preview(d, dir, 'q')).rows).toEqual([{ id: 1, 'Full Name': 'a', qty: 5 }]);
  });
});
