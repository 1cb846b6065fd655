import { describe, expect, it } from 'vitest';
import { readyPart } from './runs.js';
import { waitingNodes } from '../store/graph.js';
import { chain } from '../store/test-fixtures.js';
import type { Problem } from '../model/types.js';

const p = (nodeId: string, message: string): Problem => ({ code: 'invalid_param', path: 'nodes[0]', nodeId, message });

describe('running the part of a pipeline that is ready', () => {
  it('nodes after a broken one wait for it (they cannot be checked)', () => {
    expect([...waitingNodes(chain(), new Set(['b']))]).toEqual([
      ['c', 'b'],
      ['sink', 'b'],
    ]);
    expect(waitingNodes(chain(), new Set()).size).toBe(0);
  });

  it('a stray unconfigured node is left out; the rest runs', () => {
    const doc = { ...chain(), nodes: [...chain().nodes, { id: 'stray', type: 'transform.filter', params: {} }] };
    const r = readyPart(doc, { stray: [p('stray', "node 'stray' (transform.filter): Invalid input: expected string, received undefined")] });
    expect(r.ready).toEqual(['a', 'b', 'c', 'sink']);
    expect(r.leftOut).toEqual([{ nodeId: 'stray', reason: 'Required.' }]);
  });

  it('a broken node in the middle takes what depends on it out too, saying why', () => {
    const r = readyPart(chain(), { b: [p('b', "unknown column 'x'")] });
    expect(r.ready).toEqual(['a']);
    expect(r.leftOut.map((l) => [l.nodeId, l.reason])).toEqual([
      ['b', "unknown column 'x'"],
      ['c', "needs 'b' fixed first"],
      ['sink', "needs 'b' fixed first"],
    ]);
  });

  it('"run up to here" looks only at the node and its upstream', () => {
    const doc = { ...chain(), nodes: [...chain().nodes, { id: 'stray', type: 'transform.filter', params: {} }] };
    expect(readyPart(doc, { stray: [p('stray', 'x')] }, ['b'])).toEqual({ ready: ['a', 'b'], leftOut: [] });
  });
});
