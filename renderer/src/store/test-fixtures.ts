/** Node types and documents for the store and form tests (shapes as the host sends them). */
import type { NodeTypeInfo, Pipeline } from '../model/types.js';
import { emptyPipeline } from './doc-ops.js';

function type(t: string, category: NodeTypeInfo['category'], inputs: NodeTypeInfo['inputs'], outputs: NodeTypeInfo['outputs']): NodeTypeInfo {
  return { type: t, version: 1, category, title: t, description: '', aliases: [], inputs, outputs, paramsSchema: {}, example: { params: {}, description: '' }, docs: '' };
}

export const TYPES = new Map<string, NodeTypeInfo>(
  [
    type('source.csv', 'source', [], [{ name: 'out' }, { name: 'rejects' }]),
    type('transform.filter', 'transform', [{ name: 'in' }], [{ name: 'out' }]),
    type('transform.union', 'transform', [{ name: 'in', multiple: true }], [{ name: 'out' }]),
    type('transform.join', 'transform', [{ name: 'left' }, { name: 'right' }], [{ name: 'out' }]),
    type('sink.parquet', 'sink', [{ name: 'in' }], []),
  ].map((t) => [t.type, t]),
);

/** a (csv) → b (filter) → c (filter) → sink (parquet) */
export function chain(): Pipeline {
  return {
    ...emptyPipeline('chain'),
    nodes: [
      { id: 'a', type: 'source.csv', params: { path: 'a.csv' } },
      { id: 'b', type: 'transform.filter', params: { condition: 'x > 1' } },
      { id: 'c', type: 'transform.filter', params: { condition: 'y > 1' } },
      { id: 'sink', type: 'sink.parquet', params: { path: 'out.parquet' } },
    ],
    edges: [
      { from: 'a:out', to: 'b:in' },
      { from: 'b:out', to: 'c:in' },
      { from: 'c:out', to: 'sink:in' },
    ],
    layout: { nodes: { a: { x: 0, y: 0 }, b: { x: 200, y: 0 }, c: { x: 400, y: 0 }, sink: { x: 600, y: 0 } } },
  };
}
