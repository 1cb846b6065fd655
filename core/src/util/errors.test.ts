import { describe, expect, it } from 'vitest';
import { type Problem, validationError } from './errors.js';

describe('validationError: problems found before a run, as the run error', () => {
  const problem = (n: number): Problem => ({ path: `nodes[${n}].params.slot`, code: 'invalid_document', message: `problem ${n}`, hint: `fix ${n}`, nodeId: `n${n}` });

  it('one problem: its message, node and hint are the error\'s (API clients read error.hint, not the list)', () => {
    const e = validationError([problem(1)]);
    expect(e).toMatchObject({ kind: 'validation', message: 'problem 1', nodeId: 'n1', hint: 'fix 1' });
  });

  it('several: the message lists each with its hint, and the error has no single hint', () => {
    const e = validationError([problem(1), problem(2)]);
    expect(e.message).toContain('nodes[1].params.slot: problem 1 (hint: fix 1)');
    expect(e.message).toContain('nodes[2].params.slot: problem 2 (hint: fix 2)');
    expect(e.hint).toBeUndefined();
  });
});
