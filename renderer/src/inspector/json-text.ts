/**
 * JSON typed into a field (Elasticsearch mappings and settings): the value it means, or what to fix.
 * A field never saves text that is not the JSON it asks for; the error is shown at the field instead.
 */
import { jsonSyntaxError, roundedNumbers } from '../../../core/src/model/json-syntax.js';
import { inputShapeProblem } from '../../../core/src/util/input-shape.js';

export type JsonShape =
  /** Any JSON value. */
  | 'any'
  /** An object: `{"number_of_shards": 3}`. */
  | 'object'
  /** An object whose values are objects: `{"name": {"type": "keyword"}}`. */
  | 'object-of-objects';

export type JsonRead = { value: unknown } | { error: string };

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Reads JSON text as the shape a field asks for. Empty text is no value (the setting is removed). Errors say what to fix. */
export function readJson(text: string, shape: JsonShape): JsonRead {
  if (text.trim() === '') return { value: undefined };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const at = jsonSyntaxError(text);
    return { error: `Not valid JSON${at ? ` at line ${at.line}, column ${at.column}: ${at.reason}` : ''}.` };
  }
  // A number JSON.parse has already changed (9007199254740993 read as …992) would be saved changed.
  const rounded = roundedNumbers(text)[0];
  if (rounded) {
    const read = Number.isFinite(rounded.read) ? `it would be saved as ${BigInt(rounded.read)}` : 'it is beyond the range of a JSON number';
    return { error: `${rounded.written} (line ${rounded.line}) cannot be kept exactly: ${read}. Write it as a string ("${rounded.written}") to keep every digit.` };
  }
  // A key the host refuses (`__proto__`) is named here rather than failing every check and save.
  const refused = inputShapeProblem(value);
  if (refused) return { error: `${refused.path.length ? `"${refused.path.join('.')}"` : 'The JSON'} ${refused.message}.` };
  if (shape === 'any') return { value };
  if (!isObject(value)) return { error: 'Write a JSON object: {"key": value, …}.' };
  if (shape === 'object-of-objects') {
    const bad = Object.entries(value).find(([, v]) => !isObject(v));
    if (bad) return { error: `The value of "${bad[0]}" must be a JSON object: {"${bad[0]}": {…}}.` };
  }
  return { value };
}

/** How a stored value is shown for editing. */
export function showJson(value: unknown): string {
  return value === undefined ? '' : JSON.stringify(value, null, 2);
}
