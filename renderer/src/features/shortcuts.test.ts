import { describe, expect, it } from 'vitest';
import { isTypingTarget, keepsGraphKeys, type KeyTarget } from './shortcuts.js';

/** A stand-in for a focused element: its tag and the containers it sits in (CSS selectors it matches up the tree). */
function el(tagName: string, inside: string[] = [], isContentEditable = false): KeyTarget {
  return { tagName, isContentEditable, closest: (selector: string) => (selector.split(',').some((s) => inside.includes(s.trim())) ? {} : null) };
}

describe('graph shortcuts (Delete, Ctrl+A, L, F) act on the canvas only', () => {
  it('the canvas, a node on it or nothing focused: the keys work', () => {
    expect(keepsGraphKeys(el('DIV', ['.react-flow']))).toBe(false);
    expect(keepsGraphKeys(el('BODY'))).toBe(false);
    expect(keepsGraphKeys(null)).toBe(false);
  });

  it('a field being typed in keeps them', () => {
    expect(keepsGraphKeys(el('INPUT', ['.inspector']))).toBe(true);
    expect(keepsGraphKeys(el('TEXTAREA'))).toBe(true);
    expect(keepsGraphKeys(el('DIV', ['.cm-editor']))).toBe(true);
    expect(keepsGraphKeys(el('DIV', [], true))).toBe(true);
  });

  it('a focused button, summary or select keeps them: a Yes/No toggle or "More settings" just clicked does not delete the node', () => {
    expect(keepsGraphKeys(el('BUTTON', ['.inspector']))).toBe(true);
    expect(keepsGraphKeys(el('SUMMARY', ['.inspector']))).toBe(true);
    expect(keepsGraphKeys(el('SELECT'))).toBe(true);
    expect(keepsGraphKeys(el('BUTTON', ['.toolbar']))).toBe(true);
  });

  it('anything inside the inspector or the palette keeps them', () => {
    expect(keepsGraphKeys(el('DIV', ['.inspector']))).toBe(true);
    expect(keepsGraphKeys(el('DIV', ['.palette']))).toBe(true);
  });

  it('only text fields count as typing (Escape still clears the selection from a button)', () => {
    expect(isTypingTarget(el('BUTTON', ['.inspector']))).toBe(false);
    expect(isTypingTarget(el('INPUT'))).toBe(true);
  });
});
