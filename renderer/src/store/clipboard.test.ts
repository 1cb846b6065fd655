import { describe, expect, it } from 'vitest';
import { copyNodes, parseClip, pasteClip } from './clipboard.js';
import { emptyPipeline } from './doc-ops.js';
import { chain } from './test-fixtures.js';

describe('copy and paste', () => {
  it('copies the selected nodes with the edges between them only', () => {
    const clip = copyNodes(chain(), ['b', 'c'])!;
    expect(clip.nodes.map((n) => n.id)).toEqual(['b', 'c']);
    expect(clip.edges).toEqual([{ from: 'b:out', to: 'c:in' }]);
    expect(clip.positions).toEqual({ b: { x: 200, y: 0 }, c: { x: 400, y: 0 } });
  });

  it('pastes into the same pipeline under fresh ids, edges re-pointed, positions shifted', () => {
    const doc = chain();
    const clip = copyNodes(doc, ['b', 'c'])!;
    const { doc: after, ids } = pasteClip(doc, clip, { x: 40, y: 40 });
    expect(ids).toEqual(['filter', 'filter_2']);
    expect(after.nodes).toHaveLength(6);
    expect(after.edges).toContainEqual({ from: 'filter:out', to: 'filter_2:in' });
    expect(after.edges).toHaveLength(4);
    expect(after.layout?.nodes.filter).toEqual({ x: 240, y: 40 });
    expect(after.nodes.find((n) => n.id === 'filter')!.params).toEqual({ condition: 'x > 1' });
  });

  it('a pasted id that differs from an existing one only in letter case gets a fresh id', () => {
    const clip = copyNodes(chain(), ['a'])!;
    const target = { ...emptyPipeline(), nodes: [{ id: 'A', type: 'transform.sql', params: {} }] };
    const { ids } = pasteClip(target, clip, { x: 0, y: 0 });
    expect(ids).not.toContain('a');
    expect(ids[0]!.toLowerCase()).not.toBe('a');
  });

  it('pastes into another pipeline keeping ids that are free there', () => {
    const clip = parseClip(JSON.stringify(copyNodes(chain(), ['a', 'b'])))!;
    const { doc, ids } = pasteClip(emptyPipeline(), clip, { x: 0, y: 0 });
    expect(ids).toEqual(['a', 'b']);
    expect(doc.edges).toEqual([{ from: 'a:out', to: 'b:in' }]);
  });

  it('does not share objects between the clip and the documents', () => {
    const doc = chain();
    const clip = copyNodes(doc, ['b'])!;
    const { doc: after } = pasteClip(doc, clip, { x: 0, y: 0 });
    (after.nodes[4]!.params as Record<string, unknown>).condition = 'changed';
    expect(doc.nodes[1]!.params).toEqual({ condition: 'x > 1' });
    expect(clip.nodes[0]!.params).toEqual({ condition: 'x > 1' });
  });

  it('rejects text that is not a clip', () => {
    expect(parseClip('hello')).toBeNull();
    expect(parseClip('{"format":"other"}')).toBeNull();
    expect(copyNodes(chain(), [])).toBeNull();
  });
});

describe('pasting a source with the SQL node that reads it', () => {
  const doc = {
    ...emptyPipeline(),
    nodes: [
      { id: 'orders', type: 'source.csv', params: { path: 'orders.csv' } },
      { id: 'q', type: 'transform.sql', params: { query: "SELECT * FROM orders WHERE note <> 'orders'" } },
    ],
    edges: [{ from: 'orders:out', to: 'q:in' }],
  } as Parameters<typeof copyNodes>[0];

  it('the pasted query reads the pasted source under its new id', () => {
    const { doc: after, ids } = pasteClip(doc, copyNodes(doc, ['orders', 'q'])!, { x: 40, y: 40 });
    const [src, sql] = ids.map((id) => after.nodes.find((n) => n.id === id)!);
    expect(src!.id).not.toBe('orders');
    expect(sql!.params.query).toBe(`SELECT * FROM ${src!.id} WHERE note <> 'orders'`);
    // The original is untouched.
    expect(after.nodes.find((n) => n.id === 'q')!.params.query).toBe("SELECT * FROM orders WHERE note <> 'orders'");
  });

  it('a query pasted without its source keeps naming the relation it had', () => {
    const { doc: after, ids } = pasteClip(doc, copyNodes(doc, ['q'])!, { x: 40, y: 40 });
    expect(after.nodes.find((n) => n.id === ids[0])!.params.query).toBe("SELECT * FROM orders WHERE note <> 'orders'");
  });

  it('an ambiguous query is left as it is (the check then names the relation it reads)', () => {
    const odd = { ...doc, nodes: [doc.nodes[0]!, { ...doc.nodes[1]!, params: { query: 'SELECT orders FROM orders' } }] };
    const { doc: after, ids } = pasteClip(odd, copyNodes(odd, ['orders', 'q'])!, { x: 40, y: 40 });
    expect(after.nodes.find((n) => n.id === ids[1])!.params.query).toBe('SELECT orders FROM orders');
  });
});
