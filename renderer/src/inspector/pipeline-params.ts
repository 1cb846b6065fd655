/**
 * Pipeline params as the inspector edits them: names checked by core's own rule, defaults typed as
 * text and read as the param's type (a number default is a number in the file, not "10").
 */
import { ID_PATTERN, pipelineParamSchema, type PipelineParam, type PipelineParamType } from '../../../core/src/model/schema.js';
import { isNumberText, keepsExactly } from './form-model.js';

export const PARAM_TYPES: PipelineParamType[] = ['string', 'number', 'boolean', 'date'];

/** What is wrong with a new param's name, if anything, in words that say what to write instead. */
export function paramNameProblem(name: string, taken: Iterable<string>): string | undefined {
  if (name === '') return 'Give the param a name, e.g. run_date.';
  if (!ID_PATTERN.test(name)) return 'A param name starts with a letter or _ and has only letters, digits and _ (at most 63 characters), e.g. run_date.';
  for (const t of taken) if (t === name) return `There is already a param named ${name}: choose another name.`;
  return undefined;
}

export type DefaultRead = { value: unknown } | { error: string };

/**
 * A default typed as text, read as the param's type. An empty field is no default; a text param's
 * empty default (`""`) is set with its own button (`EMPTY_TEXT_DEFAULT`), and spaces are a text
 * like any other. Numbers are plain decimals (`10`, `2.5`), never `0x10` or `0b11`; one a JSON
 * number would round (`9007199254740993`, more than 15 significant digits) is saved as the string
 * of its digits, as the pipeline format says, so the run gets the number typed.
 */
export function readDefault(type: PipelineParamType, text: string): DefaultRead {
  if (type === 'string' ? text === '' : text.trim() === '') return { value: undefined };
  let value: unknown = text;
  if (type === 'number') {
    if (!isNumberText(text)) return { error: 'The default must be a number written in decimal, e.g. 10 or 2.5 (not 0x10 or 0b11).' };
    value = keepsExactly(text) ? Number(text) : text.trim();
  }
  if (type === 'boolean') {
    if (text !== 'true' && text !== 'false') return { error: 'The default must be true or false.' };
    value = text === 'true';
  }
  // Core's schema has the last word (a date's form, for one).
  const checked = pipelineParamSchema.safeParse({ type, default: value });
  if (!checked.success) {
    const message = checked.error.issues[0]?.message ?? 'not a valid default';
    return { error: `The default is not valid: ${message}.` };
  }
  return { value };
}

export function showDefault(value: unknown): string {
  return value === undefined ? '' : String(value);
}

/** A param with another type: its description stays, and its default if it reads as the new type. */
export function retype(param: PipelineParam, type: PipelineParamType): PipelineParam {
  const read = readDefault(type, showDefault(param.default));
  const next: Record<string, unknown> = { type };
  if ('value' in read && read.value !== undefined) next.default = read.value;
  if (param.description !== undefined) next.description = param.description;
  return next as PipelineParam;
}

/** The param with a new default (undefined removes it), or with a new description (empty removes it). */
export function withDefault(param: PipelineParam, value: unknown): PipelineParam {
  const { default: _old, ...rest } = param;
  return (value === undefined ? rest : { ...rest, default: value }) as PipelineParam;
}

export function withDescription(param: PipelineParam, description: string): PipelineParam {
  const { description: _old, ...rest } = param;
  return (description.trim() === '' ? rest : { ...rest, description }) as PipelineParam;
}
