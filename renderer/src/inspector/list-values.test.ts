import { describe, expect, it } from 'vitest';
import { canUnsetEmptyList, emptyListValue, listToSave, wantsList, withSetting } from './list-values.js';
import type { FieldModel } from './form-model.js';

const optionalWithEmptyDefault = { required: false, default: [] };
const optionalWithoutDefault = { required: false, default: undefined };
const required = { required: true, default: undefined };

describe('lists of plain values', () => {
  it('blank entries (new, or cleared while retyped) are left out of what is saved, never saved as null', () => {
    expect(listToSave(['NA', undefined, '-'], optionalWithoutDefault)).toEqual(['NA', '-']);
    // An empty text and NULL are values, not blanks.
    expect(listToSave(['', null, 0, false], optionalWithoutDefault)).toEqual(['', null, 0, false]);
  });

  it('a list left empty is removed when its default is the empty list', () => {
    expect(listToSave([], optionalWithEmptyDefault)).toBeUndefined();
    expect(listToSave([undefined], optionalWithEmptyDefault)).toBeUndefined();
  });

  it('a list left empty is saved empty where that means something of its own, or for validation to ask for entries', () => {
    // source.csv null_strings: [] is "nothing is NULL", unset is "empty fields are NULL".
    expect(emptyListValue(optionalWithoutDefault)).toEqual([]);
    expect(emptyListValue(required)).toEqual([]);
  });

  it('an empty list that differs from leaving the setting out can be unset', () => {
    expect(canUnsetEmptyList(optionalWithoutDefault, [])).toBe(true);
    expect(canUnsetEmptyList(optionalWithoutDefault, undefined)).toBe(false);
    expect(canUnsetEmptyList(optionalWithoutDefault, ['NA'])).toBe(false);
    expect(canUnsetEmptyList(required, [])).toBe(false);
    expect(canUnsetEmptyList(optionalWithEmptyDefault, [])).toBe(false);
  });
});

describe('a filter value that is a list for in / not_in', () => {
  const value: FieldModel = { key: 'value', label: 'Value', kind: 'scalar', group: 'g', required: false, scalarTypes: ['string', 'number', 'boolean', 'null', 'list'], listWhen: { key: 'op', values: ['in', 'not_in'] } };
  const op: FieldModel = { key: 'op', label: 'Op', kind: 'select', group: 'g', required: true };
  const column: FieldModel = { key: 'column', label: 'Column', kind: 'text', group: 'g', required: true };

  it('is edited as a list while the operator is in or not_in, or when it already is one', () => {
    expect(wantsList(value, undefined, { op: 'in' })).toBe(true);
    expect(wantsList(value, 'a', { op: 'not_in' })).toBe(true);
    expect(wantsList(value, 'a', { op: '=' })).toBe(false);
    expect(wantsList(value, ['a', 'b'], { op: '=' })).toBe(true);
  });

  it('switching the operator to in makes the value a one-entry list, in one change', () => {
    expect(withSetting({ column: 'status', op: '=', value: 'shipped' }, [column, op, value], 'op', 'in')).toEqual({ column: 'status', op: 'in', value: ['shipped'] });
    expect(withSetting({ column: 'id', op: '=', value: 7 }, [column, op, value], 'op', 'not_in')).toEqual({ column: 'id', op: 'not_in', value: [7] });
    expect(withSetting({ column: 'id', op: '=' }, [column, op, value], 'op', 'in')).toEqual({ column: 'id', op: 'in' });
  });

  it('switching back to a one-value operator takes the single entry; a longer list is kept for the user to choose', () => {
    expect(withSetting({ column: 'id', op: 'in', value: [7] }, [column, op, value], 'op', '=')).toEqual({ column: 'id', op: '=', value: 7 });
    expect(withSetting({ column: 'id', op: 'in', value: [] }, [column, op, value], 'op', '=')).toEqual({ column: 'id', op: '=' });
    expect(withSetting({ column: 'id', op: 'in', value: [1, 2] }, [column, op, value], 'op', '=')).toEqual({ column: 'id', op: '=', value: [1, 2] });
  });
});
