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
