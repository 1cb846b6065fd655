import { describe, expect, it } from 'vitest';
import { pipeline } from '../../../test/support/pipeline.js';
import { notConsumed } from './consumed.js';

/** orders → clean → { warehouse, lake }, orders → audit; events → nothing. */
const doc = pipeline(
  [
    { id: 'orders', type: 'transform.sql', params: { query: 'SELECT 1 AS id' } },
    { id: 'events', type: 'transform.sql', params: { query: 'SELECT 1 AS id' } },
    { id: 'clean', type: 'transform.filter', params: { condition: 'id > 0' } },
    { id: 'warehouse', type: 'sink.duckdb', params: { database: 'wh.duckdb', table: 'orders' } },
    { id: 'lake', type: 'sink.parquet', params: { path: 'orders.parquet' } },
    { id: 'audit', type: 'sink.csv', params: { path: 'audit.csv' } },
  ],
  ['orders -> clean', 'clean -> warehouse', 'clean -> lake', 'orders -> audit'],
);

describe('what a run consumed from a source', () => {
  it('everything, when every sink that reads from it ran', () => {
    expect(notConsumed(doc, 'orders', new Set(['warehouse', 'lake', 'audit']))).toBeUndefined();
    expect(notConsumed(doc, 'clean', new Set(['warehouse', 'lake']))).toBeUndefined();
  });

  it('nothing, when a sink that reads from it, even through other nodes, was left out of the run', () => {
    expect(notConsumed(doc, 'orders', new Set(['warehouse', 'audit']))).toEqual({
      why: "sink 'lake' reads from this node but is not part of this run, so it would never receive these rows",
      partly: true,
    });
    expect(notConsumed(doc, 'orders', new Set())).toEqual({
      why: "sinks 'warehouse', 'lake', 'audit' read from this node but are not part of this run, so they would never receive these rows",
      partly: false,
    });
  });

  it('nothing, when no sink reads from it at all', () => {
    expect(notConsumed(doc, 'events', new Set(['warehouse', 'lake', 'audit']))).toEqual({ why: 'no sink reads from this node, so its rows were not written anywhere', partly: false });
  });
});
