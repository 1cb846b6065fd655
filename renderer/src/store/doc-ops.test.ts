import { describe, expect, it } from 'vitest';
import { addNode, freshId, removeNodes, setIn, setParam, pickConnection } from './doc-ops.js';
import { upstreamSignature } from './graph.js';
import { chain } from './test-fixtures.js';

describe('document edits', () => {
  it('names new nodes after their type, uniquely', () => {
    const doc = chain();
    expect(freshId(doc, 'transform.aggregate')).toBe('aggregate');
    expect(freshId(doc, 'source.csv')).toBe('csv_source');
    const { doc: d2, id } = addNode(doc, { type: 'transform.filter', title: 'Filter' }, { x: 10.4, y: 20.6 });
    expect(id).toBe('filter');
    expect(d2.layout?.nodes.filter).toEqual({ x: 10, y: 21 });
    expect(freshId(d2, 'transform.filter')).toBe('filter_2');
  });

  it('a new id never differs from an existing one only in letter case (validation refuses that)', () => {
    const doc = { ...chain(), nodes: [...chain().nodes, { id: 'Filter', type: 'transform.filter', params: {} }] };
    expect(freshId(doc, 'transform.filter')).toBe('filter_2');
  });

  it('removing a node removes its edges and layout', () => {
    const doc = removeNodes(chain(), ['b']);
    expect(doc.nodes.map((n) => n.id)).toEqual(['a', 'c', 'sink']);
    expect(doc.edges).toEqual([{ from: 'c:out', to: 'sink:in' }]);
    expect(doc.layout?.nodes.b).toBeUndefined();
  });

  it('sets and unsets nested params without touching other nodes', () => {
    const doc = chain();
    const d2 = setParam(doc, 'b', ['aggs', 1, 'name'], 'total');
    expect(d2.nodes[1]!.params).toEqual({ condition: 'x > 1', aggs: [undefined, { name: 'total' }] });
    expect(d2.nodes[0]).toBe(doc.nodes[0]);
    expect(setParam(d2, 'b', ['condition'], undefined).nodes[1]!.params).not.toHaveProperty('condition');
    expect(setIn({ a: 1 }, [], 5)).toBe(5);
  });

  it('an edit that sets a param to the value it already has changes nothing (no undo step, no re-check)', () => {
    const doc = setParam(chain(), 'b', ['aggs'], [{ name: 'n' }]);
    expect(setParam(doc, 'b', ['condition'], 'x > 1')).toBe(doc);
    expect(setParam(doc, 'b', ['aggs'], [{ name: 'n' }])).toBe(doc);
    expect(setParam(doc, 'b', ['aggs', 0, 'name'], 'm')).not.toBe(doc);
  });

  it('upstream signatures change only with what a node depends on', () => {
    const doc = chain();
    const sig = upstreamSignature(doc, 'b');
    expect(upstreamSignature(setParam(doc, 'c', ['condition'], 'z'), 'b')).toBe(sig);
    expect(upstreamSignature({ ...doc, layout: { nodes: {} } }, 'b')).toBe(sig);
    expect(upstreamSignature(setParam(doc, 'a', ['path'], 'other.csv'), 'b')).not.toBe(sig);
  });

  it('picking a connection declares it in the pipeline once, by name and type only', () => {
    const doc = pickConnection(chain(), 'b', ['connection'], 'crm', 'postgres');
    expect(doc.nodes[1]!.params).toMatchObject({ connection: 'crm' });
    expect(doc.connections).toEqual({ crm: { type: 'postgres' } });
    const again = pickConnection({ ...doc, connections: { crm: { type: 'postgres', description: 'kept' } } }, 'c', ['connection'], 'crm', 'postgres');
    expect(again.connections).toEqual({ crm: { type: 'postgres', description: 'kept' } });
  });
});
