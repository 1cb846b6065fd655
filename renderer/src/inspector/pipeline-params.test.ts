import { describe, expect, it } from 'vitest';
import { paramNameProblem, readDefault, retype, showDefault, withDefault, withDescription } from './pipeline-params.js';
import { setPipelineParam } from '../store/doc-ops.js';
import { chain } from '../store/test-fixtures.js';

describe('pipeline params in the inspector', () => {
  it('a new param needs a name core accepts, not taken yet', () => {
    expect(paramNameProblem('run_date', ['since'])).toBeUndefined();
    expect(paramNameProblem('_x1', [])).toBeUndefined();
    expect(paramNameProblem('', [])).toMatch(/Give the param a name/);
    expect(paramNameProblem('run-date', [])).toMatch(/starts with a letter or _ and has only letters, digits and _/);
    expect(paramNameProblem('1st', [])).toMatch(/starts with a letter/);
    expect(paramNameProblem('a'.repeat(64), [])).toMatch(/at most 63 characters/);
    expect(paramNameProblem('since', ['since'])).toBe('There is already a param named since: choose another name.');
  });

  it('a default is typed as text and saved as the param type', () => {
    expect(readDefault('number', '10')).toEqual({ value: 10 });
    expect(readDefault('number', '2.5')).toEqual({ value: 2.5 });
    expect(readDefault('string', '10')).toEqual({ value: '10' });
    expect(readDefault('boolean', 'false')).toEqual({ value: false });
    expect(readDefault('date', '2025-01-31')).toEqual({ value: '2025-01-31' });
    expect(readDefault('date', '')).toEqual({ value: undefined });
  });

  it('a default that is not of the type says what to write, and is not saved', () => {
    expect(readDefault('number', 'ten')).toEqual({ error: 'The default must be a number written in decimal, e.g. 10 or 2.5 (not 0x10 or 0b11).' });
    expect(readDefault('date', '31/01/2025')).toEqual({ error: expect.stringContaining('YYYY-MM-DD') });
    expect(readDefault('boolean', 'yes')).toEqual({ error: 'The default must be true or false.' });
  });

  it('changing the type keeps the description, and the default when it reads as the new type', () => {
    expect(retype({ type: 'string', default: '10', description: 'Smallest sale' }, 'number')).toEqual({ type: 'number', default: 10, description: 'Smallest sale' });
    expect(retype({ type: 'string', default: 'ten' }, 'number')).toEqual({ type: 'number' });
    expect(retype({ type: 'number', default: 10 }, 'string')).toEqual({ type: 'string', default: '10' });
  });

  it('an emptied default or description is removed from the param', () => {
    expect(withDefault({ type: 'number', default: 10 }, undefined)).toEqual({ type: 'number' });
    expect(withDescription({ type: 'number', description: 'x' }, ' ')).toEqual({ type: 'number' });
  });

  it('params are added last, replaced in place and removed', () => {
    const doc = { ...chain(), params: { since: { type: 'date' as const } } };
    const added = setPipelineParam(doc, 'min_amount', { type: 'number', default: 10 });
    expect(added.params).toEqual({ since: { type: 'date' }, min_amount: { type: 'number', default: 10 } });
    expect(Object.keys(setPipelineParam(added, 'since', { type: 'date', default: '2025-01-01' }).params)).toEqual(['since', 'min_amount']);
    expect(setPipelineParam(added, 'since', undefined).params).toEqual({ min_amount: { type: 'number', default: 10 } });
    expect(setPipelineParam(doc, 'nope', undefined)).toBe(doc);
  });
});

describe('param defaults are what the user typed, nothing else', () => {
  it('a number default is written in decimal: hexadecimal, binary and octal are refused with a message', () => {
    expect(readDefault('number', '16')).toEqual({ value: 16 });
    expect(readDefault('number', '-2.5')).toEqual({ value: -2.5 });
    for (const text of ['0x10', '0b11', '0o7', 'abc', 'Infinity']) expect(readDefault('number', text), text).toEqual({ error: expect.stringMatching(/must be a number written in decimal/) });
  });

  it('a text default may be spaces; an empty field is no default (the "" button sets the empty text)', () => {
    expect(readDefault('string', '')).toEqual({ value: undefined });
    expect(readDefault('string', '  ')).toEqual({ value: '  ' });
    expect(readDefault('number', '  ')).toEqual({ value: undefined });
  });
});

describe('a number default a JSON number would round', () => {
  it('is saved as the string of its digits, as the pipeline format asks, never as the rounded number', () => {
    expect(readDefault('number', '9007199254740993')).toEqual({ value: '9007199254740993' });
    expect(readDefault('number', ' 12345678901234567890123 ')).toEqual({ value: '12345678901234567890123' });
    expect(readDefault('number', '0.12345678901234567890')).toEqual({ value: '0.12345678901234567890' });
    expect(readDefault('number', '9007199254740991')).toEqual({ value: 9007199254740991 });
  });

  it('shows as typed and keeps its digits through a change of type and back', () => {
    expect(showDefault('9007199254740993')).toBe('9007199254740993');
    expect(retype({ type: 'number', default: '9007199254740993' }, 'string')).toEqual({ type: 'string', default: '9007199254740993' });
    expect(retype({ type: 'string', default: '9007199254740993' }, 'number')).toEqual({ type: 'number', default: '9007199254740993' });
  });
});
