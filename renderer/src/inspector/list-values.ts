/**
 * What a list of plain values saves as. The form keeps the entries as the user sees them, blank
 * ones included (a new entry, an entry being retyped); the file gets only the entries that hold a
 * value, never a `null` where a blank entry was.
 */
import type { FieldModel } from './form-model.js';

/** A blank entry: nothing typed or chosen yet. `null` and `""` are values (NULL, the empty text). */
export const isBlank = (v: unknown): boolean => v === undefined;

/** The value a list param saves as: its entries without the blank ones, or `emptyListValue` when none is left. */
export function listToSave(entries: unknown[], field: Pick<FieldModel, 'default' | 'required'>): unknown[] | undefined {
  const kept = entries.filter((v) => !isBlank(v));
  return kept.length > 0 ? kept : emptyListValue(field);
}

/**
 * A list left with no entry. When the default is an empty list, the setting is removed (the file
 * says nothing, which means the same). Otherwise the empty list is saved: for a required list it is
 * what validation then asks to fill, and for an optional one without a default it means something
 * of its own (`null_strings: []` is "nothing is NULL", unset is the usual empty field).
 */
export function emptyListValue(field: Pick<FieldModel, 'default' | 'required'>): unknown[] | undefined {
  return Array.isArray(field.default) && field.default.length === 0 ? undefined : [];
}

/** Whether a saved empty list can be removed to mean something else: an optional list whose default is not `[]`. */
export function canUnsetEmptyList(field: Pick<FieldModel, 'default' | 'required'>, value: unknown): boolean {
  return !field.required && Array.isArray(value) && value.length === 0 && emptyListValue(field) !== undefined;
}

/** Whether a value that may be one value or a list is edited as a list (it is one, or the operator next to it wants one). */
export function wantsList(field: Pick<FieldModel, 'listWhen'>, value: unknown, siblings: Record<string, unknown> | undefined): boolean {
  if (Array.isArray(value)) return true;
  const when = field.listWhen;
  const op = when ? siblings?.[when.key] : undefined;
  return typeof op === 'string' && when!.values.includes(op);
}

/**
 * An object after one of its settings changed, with the values that follow that setting reshaped:
 * switching a filter's operator from `=` to `in` turns its value `"a"` into `["a"]`, and back to `=`
 * a one-entry list becomes its entry again (a longer list is kept, for the user to choose from).
 */
export function withSetting(obj: Record<string, unknown>, fields: FieldModel[], key: string, value: unknown): Record<string, unknown> {
  const next: Record<string, unknown> = { ...obj };
  if (value === undefined) delete next[key];
  else next[key] = value;
  for (const f of fields) {
    if (f.listWhen?.key !== key) continue;
    const current = next[f.key];
    const list = typeof value === 'string' && f.listWhen.values.includes(value);
    if (list && current !== undefined && current !== null && !Array.isArray(current)) next[f.key] = [current];
    if (!list && Array.isArray(current) && current.length <= 1) {
      if (current.length === 1) next[f.key] = current[0];
      else delete next[f.key];
    }
  }
  return next;
}
