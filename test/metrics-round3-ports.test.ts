import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { NodeSummary } from '../core/src/engine/protocol.js';
import { pipeline, run, tempDir } from './support/pipeline.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-metrics-round3-');
  // 1,000 orders, amounts 0..999; every 100th line is malformed (a text amount).
  const lines = ['id,amount,cust'];
  for (let i = 0; i < 1000; i++) lines.push(`${i},${i % 100 === 7 ? 'oops' : i},${i % 5}`);
  await writeFile(path.join(dir, 'orders.csv'), `${lines.join('\n')}\n`);
  await writeFile(path.join(dir, 'cust.csv'), 'cust,name\n0,a\n1,b\n2,c\n3,d\n4,e\n');
});

/** orders → split (<300 | >=450 | else); out_1 joined with customers; out_2 and else into a union. */
const doc = () =>
  pipeline(
    [
      { id: 'orders', type: 'source.csv', params: { path: 'orders.csv', on_error: 'reject', columns: [{ name: 'id', type: 'BIGINT' }, { name: 'amount', type: 'BIGINT' }, { name: 'cust', type: 'BIGINT' }] } },
      { id: 'cust', type: 'source.csv', params: { path: 'cust.csv', columns: [{ name: 'cust', type: 'BIGINT' }, { name: 'name', type: 'VARCHAR' }] } },
      { id: 'sp', type: 'transform.split', params: { routes: [{ when: 'amount < 300' }, { when: 'amount >= 450' }] } },
      { id: 'j', type: 'transform.join', params: { kind: 'inner', on: [{ left: 'cust' }] } },
      { id: 'u', type: 'transform.union', params: {} },
      { id: 's1', type: 'sink.csv', params: { path: 'out/j.csv', if_exists: 'overwrite' } },
      { id: 's2', type: 'sink.csv', params: { path: 'out/u.csv', if_exists: 'overwrite' } },
      { id: 's3', type: 'sink.csv', params: { path: 'out/rej.csv', if_exists: 'overwrite' } },
    ],
    ['orders -> sp', 'sp:out_1 -> j:left', 'cust -> j:right', 'j -> s1', 'sp:out_2 -> u', 'sp:else -> u', 'u -> s2', 'orders:rejects -> s3'],
  );
const node = (nodes: NodeSummary[], id: string) => nodes.find((n) => n.nodeId === id)!;

// Good rows: 990 (10 malformed). Routed: amount < 300 → 297, >= 450 → 545, else (300..449) → 148.
const GOOD = 990;
const [OUT_1, OUT_2, ELSE] = [297, 545, 148];

describe('run metrics count every connected output port', () => {
  it('--metrics exact: a split reports every row it routed, per port too, and each reader finds its input count', async () => {
    const { summary } = await run(doc(), dir, { metrics: 'exact' });
    expect(summary.status, JSON.stringify(summary.error)).toBe("succeeded");
    const sp = node(summary.nodes, 'sp');
    expect(sp.rowsIn).toBe(GOOD);
    expect(sp.rowsOut).toBe(GOOD);
    expect(sp.metrics).toMatchObject({ 'rows.out_1': OUT_1, 'rows.out_2': OUT_2, 'rows.else': ELSE });
    // The union reads out_2 and else: counted, not null.
    expect(node(summary.nodes, 'u')).toMatchObject({ rowsIn: OUT_2 + ELSE, rowsOut: OUT_2 + ELSE });
    // A join's rows in are its left and right inputs together.
    expect(node(summary.nodes, 'j')).toMatchObject({ rowsIn: OUT_1 + 5, rowsOut: OUT_1 });
  });

  it('a CSV source with its rejects connected reports good rows and rejects per port; its rows out stay the good rows', async () => {
    const { summary } = await run(doc(), dir);
    expect(summary.status, JSON.stringify(summary.error)).toBe("succeeded");
    const orders = node(summary.nodes, 'orders');
    expect(orders.metrics).toMatchObject({ 'rows.out': GOOD, 'rows.rejects': 10 });
    expect(orders.rowsOut).toBe(GOOD);
    expect(node(summary.nodes, 's3')).toMatchObject({ rowsIn: 10, rowsOut: 10 });
  });

  it('--metrics fast never passes one port of a split off as all its rows: uncounted ports leave the total unknown', async () => {
    // out_1 read twice: the split is computed once into a table, so out_1 alone is counted.
    const d = doc();
    d.nodes.push({ id: 's5', type: 'sink.csv', params: { path: 'out/one.csv', if_exists: 'overwrite' } } as (typeof d.nodes)[number]);
    d.edges.push({ from: 'sp:out_1', to: 's5:in' } as (typeof d.edges)[number]);
    const { summary } = await run(d, dir);
    expect(summary.status, JSON.stringify(summary.error)).toBe('succeeded');
    const sp = node(summary.nodes, 'sp');
    expect(sp.materialized).toBe(true);
    expect(sp.metrics).toMatchObject({ 'rows.out_1': OUT_1 });
    expect(sp.rowsOut).toBeNull();
    const u = node(summary.nodes, 'u');
    expect(u.rowsIn === null || u.rowsIn === OUT_2 + ELSE).toBe(true);
  });
});
