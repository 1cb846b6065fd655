import type { ParamValue } from '../../compiler/validate.js';

/**
 * The param values a job records (job.json `params`), exactly as its SQL and paths got them. SQL
 * gets a number param as an exact decimal literal (`0.1`, `9007199254740993`; Spark reads both as
 * exact DECIMAL or BIGINT values), but a JS number is a double: 2^53 + 1 would be written as
 * 9007199254740992. A number is written as a JSON number when that number's text is its exact
 * value, and otherwise as its exact decimal text (a string), never as a different number.
 */
export function jobParams(values: Record<string, ParamValue>): Record<string, string | number | boolean> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v.type === 'number' ? exactNumber(v.value, v.decimal) : v.value]));
}

function exactNumber(value: number, decimal: string): number | string {
  return JSON.stringify(value) === decimal ? value : decimal;
}
