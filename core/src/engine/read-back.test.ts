import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/pipeline.js';
import { Db } from '../compiler/db.js';
import type { PlannedNode } from '../compiler/plan.js';
import { stringLiteral } from '../compiler/sql.js';
import { readBackFromSink } from './read-back.js';

/**
 * A node computed by its Parquet sink's statement is read back from the staged file by its other
 * readers, but only when the file gives back its columns exactly; otherwise it falls back to a temp
 * table (the planner's type list is the first guard, this check the second).
 */

let db: Db;
let file: string;
beforeAll(async () => {
  db = await Db.open();
  file = path.join(await tempDir('caudal-read-back-'), 'staged.parquet');
  // What the sink wrote: a HUGEINT column comes back from Parquet as DOUBLE.
  await db.run(`COPY (SELECT 7::HUGEINT AS big, 'x' AS label) TO ${stringLiteral(file)} (FORMAT parquet)`);
  await db.run(`CREATE TEMP VIEW node_out AS SELECT 7::HUGEINT AS big, 'computed again' AS label`);
});
afterAll(() => db.close());

function planned(columns: Array<{ name: string; type: string }>): { node: PlannedNode; sink: PlannedNode } {
  const node = { id: 'q', materialize: false, outputs: [{ port: 'out', ref: 'node_out', columns }] } as unknown as PlannedNode;
  const sink = { id: 'out', sink: { readBack: `SELECT * FROM read_parquet(${stringLiteral(file)})` } } as unknown as PlannedNode;
  return { node, sink };
}

describe('reading a node back from the file its sink staged', () => {
  it('falls back to a temp table when a column comes back with another type, and says which', async () => {
    const { node, sink } = planned([
      { name: 'big', type: 'HUGEINT' },
      { name: 'label', type: 'VARCHAR' },
    ]);
    const logs: string[] = [];
    expect(await readBackFromSink(db, node, sink, 1, (m) => logs.push(m))).toBeNull();
    expect(node.materialize).toBe(true);
    expect(logs.join('\n')).toMatch(/'out' does not give back the columns as they are \(big HUGEINT comes back as big DOUBLE\)/);
    // The node's view still computes it (the executor's temp table reads that).
    expect(await db.rows('SELECT label FROM node_out')).toEqual([{ label: 'computed again' }]);
  });

  it('points the node at the file when every column comes back as it was', async () => {
    const { node, sink } = planned([
      { name: 'big', type: 'DOUBLE' },
      { name: 'label', type: 'VARCHAR' },
    ]);
    expect(await readBackFromSink(db, node, sink, 1, () => undefined)).toBe(1);
    expect(node.materialize).toBe(false);
    expect(await db.rows('SELECT big, label FROM node_out')).toEqual([{ big: 7, label: 'x' }]);
  });
});
