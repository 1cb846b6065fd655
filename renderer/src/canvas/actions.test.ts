import { describe, expect, it } from 'vitest';
import { freeSpot, pasteOffset, placeUnplaced } from './actions.js';
import { chain } from '../store/test-fixtures.js';
import type { Pipeline } from '../model/types.js';
import { CLIP_FORMAT, type Clip } from '../store/clipboard.js';

const clip = (positions: Record<string, { x: number; y: number }>): Clip => ({ format: CLIP_FORMAT, nodes: [], edges: [], positions });

describe('where new and pasted nodes land', () => {
  it('a new node takes the spot asked for, or the nearest free one below it', () => {
    expect(freeSpot([], { x: 10, y: 10 })).toEqual({ x: 10, y: 10 });
    expect(freeSpot([{ x: 0, y: 0 }], { x: 10, y: 10 })).toEqual({ x: 10, y: 120 });
    expect(freeSpot([{ x: 0, y: 0 }, { x: 0, y: 110 }], { x: 10, y: 10 })).toEqual({ x: 10, y: 230 });
  });

  it('a paste lands at the pointer, keeping the copied nodes\' arrangement', () => {
    expect(pasteOffset(clip({ a: { x: 100, y: 50 }, b: { x: 360, y: 80 } }), [], { x: 500, y: 400 })).toEqual({ x: 400, y: 350 });
  });

  it('a paste never lands exactly on top of the originals', () => {
    const c = clip({ a: { x: 100, y: 50 } });
    expect(pasteOffset(c, [{ x: 100, y: 50 }], null)).toEqual({ x: 40, y: 40 });
    expect(pasteOffset(c, [{ x: 100, y: 50 }], { x: 100, y: 50 })).toEqual({ x: 40, y: 40 });
    expect(pasteOffset(c, [{ x: 100, y: 50 }, { x: 140, y: 90 }], { x: 100, y: 50 })).toEqual({ x: 80, y: 80 });
  });
});

describe('a file that gives its nodes no place opens with every card in view', () => {
  /** a → b → c → sink, as a file with these places (none: no layout block at all). */
  const doc = (layout?: Record<string, { x: number; y: number }>): Pipeline => {
    const { layout: _none, ...bare } = chain();
    return layout ? { ...bare, layout: { nodes: layout } } : bare;
  };
  /** Two cards overlap when their boxes (200 × 96, as the canvas draws them) meet. */
  const overlapping = (places: Array<{ x: number; y: number }>) => places.some((p, i) => places.some((q, j) => i < j && Math.abs(p.x - q.x) < 200 && Math.abs(p.y - q.y) < 96));

  it('without a layout, the nodes are arranged as auto-layout (L) arranges them: left to right along the edges', async () => {
    expect(doc().layout).toBeUndefined();
    const at = (await placeUnplaced(doc())).layout!.nodes;
    expect(Object.keys(at).sort()).toEqual(['a', 'b', 'c', 'sink']);
    expect(overlapping(Object.values(at))).toBe(false);
    expect(at.a!.x).toBeLessThan(at.b!.x);
    expect(at.b!.x).toBeLessThan(at.c!.x);
    expect(at.c!.x).toBeLessThan(at.sink!.x);
  });

  it('with every node placed, the document is the one opened (nothing changes, nothing to save)', async () => {
    const opened = doc({ a: { x: 0, y: 0 }, b: { x: 300, y: 0 }, c: { x: 600, y: 0 }, sink: { x: 900, y: 0 } });
    expect(await placeUnplaced(opened)).toBe(opened);
  });

  it('placed nodes keep their places; the others go below them, clear of every card', async () => {
    const opened = doc({ a: { x: 500, y: 200 }, c: { x: 500, y: 300 } });
    const at = (await placeUnplaced(opened)).layout!.nodes;
    expect(at.a).toEqual({ x: 500, y: 200 });
    expect(at.c).toEqual({ x: 500, y: 300 });
    expect(at.b!.y).toBeGreaterThanOrEqual(300 + 96);
    expect(overlapping(Object.values(at))).toBe(false);
  });

  it('two entries with one id (a file edited by hand) do not stop the others from getting places', async () => {
    const opened: Pipeline = { ...doc(), nodes: [...chain().nodes, { id: 'b', type: 'transform.filter', params: {} }] };
    const at = (await placeUnplaced(opened)).layout!.nodes;
    expect(Object.keys(at).sort()).toEqual(['a', 'b', 'c', 'sink']);
  });
});
