/**
 * Problems in the form's own words. The host reports problems with JSON paths and, for params, the
 * validator's wording ("Invalid input: expected array, received undefined"); the studio shows
 * "Add at least one aggregation." beside the field, and "Aggregations 2 › Function" instead of
 * `nodes[5].params.aggregations[1].function` in lists.
 */
import type { Pipeline, Problem } from '../model/types.js';
import { entryFields, singular, type FieldModel } from './form-model.js';

/** `aggregations[1].function` → ['aggregations', 1, 'function']. */
export function splitFieldPath(path: string): Array<string | number> {
  const out: Array<string | number> = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  return out;
}

/** The field a param path ends at (through list entries and union branches), with the labels on the way. */
export function fieldAtPath(fields: FieldModel[], path: string, params: unknown): { field?: FieldModel; labels: string[] } {
  const labels: string[] = [];
  let level = fields;
  let value: unknown = params;
  let field: FieldModel | undefined;
  const parts = splitFieldPath(path);
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (typeof part === 'number') {
      value = Array.isArray(value) ? value[part] : undefined;
      if (field) {
        const item = field.itemLabel ? field.itemLabel.charAt(0).toUpperCase() + field.itemLabel.slice(1) : field.label;
        labels[labels.length - 1] = `${item} ${part + 1}`;
        if (field.kind === 'rows') level = entryFields(field, value);
      }
      continue;
    }
    const next = level.find((f) => f.key === part);
    value = value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
    if (!next) {
      labels.push(part);
      field = undefined;
      continue;
    }
    field = next;
    labels.push(next.label);
    if (next.kind === 'object') level = next.variants ? entryFields(next, value) : (next.itemFields ?? []);
  }
  return { field, labels };
}

const NODE_PREFIX = /^node '[^']*' \([^)]*\):\s*/;

function requiredText(field: FieldModel | undefined): string {
  switch (field?.kind) {
    case 'rows':
    case 'string-list':
    case 'columns':
      return `Add at least one ${field.itemLabel ?? singular(field.label)}.`;
    case 'sql':
    case 'sql-query':
      return 'Required: write an expression.';
    case 'path':
      return 'Required: choose a file.';
    case 'column':
      return 'Required: choose a column.';
    case 'select':
    case 'connection':
      return `Required: choose ${field.kind === 'connection' ? 'a connection' : 'one'}.`;
    case 'number':
      return 'Required: enter a number.';
    default:
      return 'Required.';
  }
}

// zod v4 names a whole number `int` (z.int(), .int()); `Infinity` and `NaN` are what it says of a number JSON cannot hold.
const TYPE_WORDS: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'text',
  boolean: 'yes or no',
  array: 'a list',
  object: 'a set of fields',
  Infinity: 'a number too large to keep',
  '-Infinity': 'a number too large to keep',
  NaN: 'not a number',
};

/**
 * zod v4's size wordings, "Too big: expected string to have <=200 characters",
 * "Too small: expected array to have >=1 items", with `<`/`>` for exclusive bounds and `exactly `
 * for a fixed size. Lengths are whole, so an exclusive bound is said as the inclusive one next to it.
 */
const SIZE = /^Too (small|big): expected (string|array|set|map) to have (exactly |<=|<|>=|>)(\d+) (?:characters|items|entries)$/;
const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

function sizeText(m: RegExpExecArray, field: FieldModel | undefined): string {
  const [, which, origin, bound, count] = m;
  const exact = bound === 'exactly ';
  const n = bound === '>' ? Number(count) + 1 : bound === '<' ? Number(count) - 1 : Number(count);
  if (origin === 'string') {
    if (which === 'small' && !exact && n <= 1) return requiredText(field);
    return `${exact ? 'Exactly' : which === 'small' ? 'At least' : 'At most'} ${plural(n, 'character', 'characters')}.`;
  }
  if (exact) return `Exactly ${plural(n, 'entry', 'entries')}.`;
  if (which === 'big') return `At most ${plural(n, 'entry', 'entries')}.`;
  const item = field?.itemLabel ?? (field ? singular(field.label) : 'entry');
  return n <= 1 ? `Add at least one ${item}.` : `Add at least ${n} entries.`;
}

/** The message for one problem, worded for the field it is about. */
export function friendlyMessage(p: Pick<Problem, 'message' | 'hint'>, field?: FieldModel): string {
  const msg = p.message.replace(NODE_PREFIX, '');
  let m: RegExpExecArray | null;
  if (/^Invalid input: expected (\w+), received undefined$/.test(msg)) return requiredText(field);
  if ((m = SIZE.exec(msg))) return sizeText(m, field);
  if ((m = /^Too (?:small|big): expected (?:number|int|bigint) to be (exactly |>=|>|<=|<)(\S+)$/.exec(msg))) {
    if (m[1] === 'exactly ') return `Enter ${m[2]}.`;
    const words: Record<string, string> = { '>=': 'at least', '>': 'more than', '<=': 'at most', '<': 'less than' };
    return `Enter a number ${words[m[1]!]} ${m[2]}.`;
  }
  // A fraction where only whole numbers go (Sample failing rows = 1.5).
  if (/^Invalid input: expected int, received number$/.test(msg)) return 'Enter a whole number.';
  if ((m = /^Invalid input: expected (\w+), received (-?\w+)$/.exec(msg))) {
    if (m[1] === 'object' && field?.kind === 'rows') return `This entry is not a ${field.itemLabel ?? 'valid entry'}: remove it and add it again.`;
    return `Enter ${TYPE_WORDS[m[1]!] ?? m[1]} here (this is ${TYPE_WORDS[m[2]!] ?? m[2]}).`;
  }
  if ((m = /^Invalid option: expected one of (.*)$/.exec(msg))) return `Choose one of: ${m[1]!.replace(/"/g, '').split('|').join(', ')}.`;
  if (/^Invalid discriminator value/.test(msg)) return `Choose what kind of ${field?.itemLabel ?? 'entry'} this is.`;
  if ((m = /has nothing connected to its input '([^']+)'/.exec(msg))) return `Nothing is connected to its input '${m[1]}' yet: drag from another node's right-hand port to this node's left-hand port.`;
  if ((m = /^Unrecognized keys?: (.*)$/.exec(msg))) return `Not a setting of this node: ${m[1]} (select the node and press Remove beside it).`;
  const hint = p.hint && p.hint !== 'this field is required' ? ` (${p.hint})` : '';
  return `${msg}${hint}`;
}

/**
 * Keys the node does not know (a typo such as `conditon`), from an "Unrecognized keys" problem:
 * where they sit in the params (`[]` for the params themselves, `['aggregations', 0]` in an entry)
 * and their names, so the inspector can offer to remove them.
 */
export function unknownKeys(p: Pick<Problem, 'message' | 'path' | 'field'>): { at: Array<string | number>; keys: string[] } | undefined {
  const m = /^Unrecognized keys?: (.*)$/.exec(p.message.replace(NODE_PREFIX, ''));
  if (!m) return undefined;
  const keys = [...m[1]!.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((k) => JSON.parse(`"${k[1]!}"`) as string);
  if (keys.length === 0) return undefined;
  const field = p.field ?? /^nodes\[\d+\]\.params\.?(.*)$/.exec(p.path)?.[1] ?? '';
  return { at: splitFieldPath(field), keys };
}

/** "Aggregations 2 › Function: Required: choose one." for lists that name the field. */
export function problemText(p: Problem, fields: FieldModel[] | undefined, params: unknown): { where: string | null; text: string } {
  if (!p.field || !fields) return { where: null, text: friendlyMessage(p) };
  const { field, labels } = fieldAtPath(fields, p.field, params);
  return { where: labels.join(' › '), text: friendlyMessage(p, field) };
}

/** A node as the canvas shows it, for messages: its kind and its name (or id): "Filter 'Keep big orders'". */
function nodeWords(doc: Pipeline, index: number, titleOf: (type: string) => string | undefined): string | undefined {
  const n = doc.nodes[index];
  return n && `${titleOf(n.type) ?? n.type} '${n.name ?? n.id}'`;
}

/**
 * A problem about the pipeline's structure in the studio's words: the host names other nodes by
 * their place in the file (`nodes[0]`), the studio by their kind and name, as the canvas shows
 * them. A repeated node id says which node has it (and with it the connections and the place on
 * the canvas) and what to do about the other.
 */
export function inStudioWords(p: Problem, doc: Pipeline, titleOf: (type: string) => string | undefined): Problem {
  const repeated = /^duplicate node id '(.*)' \(also used by nodes\[(\d+)\]\)$/.exec(p.message);
  if (repeated) {
    const { hint: _hint, ...rest } = p;
    const first = doc.nodes[Number(repeated[2])];
    const kind = first && (titleOf(first.type) ?? first.type);
    const other = !first ? 'Another node' : first.name ? `Another node, ${kind} '${first.name}',` : `Another node, a ${kind},`;
    return { ...rest, message: `${other} has the id '${repeated[1]}' too: its connections and its place on the canvas are that node's. Give this node an id of its own, or delete it.` };
  }
  const words = (text: string) => text.replace(/\bnodes\[(\d+)\](?:\.[A-Za-z_]\w*|\[\d+\])*/g, (all, i: string) => nodeWords(doc, Number(i), titleOf) ?? all);
  const message = words(p.message);
  const hint = p.hint === undefined ? undefined : words(p.hint);
  return message === p.message && hint === p.hint ? p : { ...p, message, ...(hint !== undefined ? { hint } : {}) };
}
