/**
 * A connection being typed in the Connections dialog: what it stores, and what is wrong with it in
 * words (a required field left empty, a number that is not one), before anything is sent to the host.
 */
import { inexactNumberError, isNumberText, keepsExactly, type FieldModel } from '../inspector/form-model.js';

/** A whole number as people type it: decimal digits only (never `0x1F90`, `1e3` or `8080.5`). */
const INTEGER_TEXT = /^\s*-?\d+\s*$/;

const blank = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

/** What is wrong with the draft, by field key (`''` for the connection's name), in the dialog's words. */
export function draftProblems(name: string, fields: FieldModel[], values: Record<string, unknown>, secretFields: string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  if (name.trim() === '') out[''] = 'Name is required.';
  for (const f of fields) {
    if (secretFields.includes(f.key)) continue;
    const v = values[f.key];
    if (blank(v)) {
      if (f.required) out[f.key] = `${f.label} is required.`;
      continue;
    }
    if (f.kind === 'number' && typeof v === 'string') {
      if (f.integer && !INTEGER_TEXT.test(v)) out[f.key] = `${f.label}: enter a whole number (digits only).`;
      else if (!f.integer && !isNumberText(v)) out[f.key] = `${f.label}: enter a number.`;
      // A number a JSON number would round is stored as another one: refused, never rounded.
      else if (!keepsExactly(v)) out[f.key] = `${f.label}: ${inexactNumberError(v, f)}`;
    }
  }
  return out;
}

/**
 * The draft's fields as the connection stores them: numbers typed as text become numbers (plain
 * decimals a JSON number keeps exactly; anything else stays text, which draftProblems reports), and a key-value field typed
 * as a JSON object becomes that object (left as text when it is not one, so the host's validation
 * names the field).
 */
export function fieldValues(fields: FieldModel[], values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...values };
  for (const f of fields) {
    const v = out[f.key];
    if (typeof v !== 'string') continue;
    if (f.kind === 'number' && (f.integer ? INTEGER_TEXT.test(v) : isNumberText(v)) && keepsExactly(v)) out[f.key] = Number(v);
    if (f.kind === 'key-value') {
      try {
        const parsed: unknown = JSON.parse(v);
        if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) out[f.key] = parsed;
      } catch {
        // Reported by the host's validation of the field.
      }
    }
  }
  return out;
}

/** A host error about one field in the dialog's words: `field 'database': Invalid input: expected string, received undefined` → `Database is required.` */
export function connectionErrorText(message: string, fields: FieldModel[]): string {
  return message.replace(/field '([^']+)': Invalid input: expected \w+, received undefined/g, (all, key: string) => {
    const field = fields.find((f) => f.key === key);
    return field ? `${field.label} is required.` : all;
  });
}
