import { describe, expect, it } from 'vitest';
import { freeSpot, pasteOffset } from './actions.js';
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
