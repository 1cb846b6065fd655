import { describe, expect, it } from 'vitest';
import { History } from './history.js';

describe('History', () => {
  it('undoes and redoes single changes in order', () => {
    const h = new History<number>();
    h.record(0);
    h.record(1); // state went 0 → 1 → 2
    expect(h.undo(2)).toBe(1);
    expect(h.undo(1)).toBe(0);
    expect(h.undo(0)).toBeUndefined();
    expect(h.redo(0)).toBe(1);
    expect(h.redo(1)).toBe(2);
    expect(h.redo(2)).toBeUndefined();
  });

  it('merges changes of one gesture into one step that restores the state from before the gesture', () => {
    const h = new History<string>();
    h.record('start', { gesture: 'drag:1' });
    h.record('moved a bit', { gesture: 'drag:1' });
    h.record('moved more', { gesture: 'drag:1' });
    expect(h.undo('final')).toBe('start');
    expect(h.canUndo).toBe(false);
  });

  it('starts a new step for a different gesture, and after seal() even for the same key', () => {
    const h = new History<string>();
    h.record('s0', { gesture: 'field:a' });
    h.record('s1', { gesture: 'field:b' });
    h.seal();
    h.record('s2', { gesture: 'field:b' });
    expect(h.undo('s3')).toBe('s2');
    expect(h.undo('s2')).toBe('s1');
    expect(h.undo('s1')).toBe('s0');
  });

  it('merges within the time window only', () => {
    const h = new History<number>();
    h.record(0, { gesture: 'type', windowMs: 1000, now: 0 });
    h.record(1, { gesture: 'type', windowMs: 1000, now: 500 });
    h.record(2, { gesture: 'type', windowMs: 1000, now: 5000 });
    expect(h.undo(3)).toBe(2);
    expect(h.undo(2)).toBe(0);
  });

  it('a new change after undo drops the redo stack', () => {
    const h = new History<number>();
    h.record(0);
    expect(h.undo(1)).toBe(0);
    expect(h.canRedo).toBe(true);
    h.record(0);
    expect(h.canRedo).toBe(false);
  });

  it('a gesture does not merge into a step re-created by redo', () => {
    const h = new History<string>();
    h.record('a', { gesture: 'g' });
    h.undo('b');
    h.redo('a');
    h.record('b', { gesture: 'g' });
    expect(h.undo('c')).toBe('b');
    expect(h.undo('b')).toBe('a');
  });
});
