/**
 * Turns a node's param JSON Schema (with the `.meta()` UI keys inline) into a list of form fields.
 * Pure: the React form only renders what this returns, so the mapping is unit-tested here against
 * every registered node's real schema. Every shape a node declares gets a real widget: lists of
 * objects, unions of objects told apart by a constant key (`kind`), nested objects, key-value maps,
 * values that may be text, a number or a boolean, and optional settings that are detected when unset.
 */
import type { ParamJsonSchema } from '../model/types.js';
import { conditionFromHelp, explicitCondition, type Condition } from './visibility.js';

export type FieldKind =
  | 'text'
  | 'textarea'
  | 'number'
  | 'boolean'
  /** An optional boolean without a default: unset means "detect it" (auto / yes / no). */
  | 'tristate'
  | 'select'
  | 'sql'
  | 'sql-query'
  | 'column'
  | 'columns'
  | 'path'
  | 'key-value'
  | 'string-list'
  | 'rows'
  | 'object'
  | 'connection'
  /** A value that may be text, a number, a boolean or null (what it accepts is in `scalarTypes`). */
  | 'scalar'
  /** A JSON object whose values are themselves objects or any JSON (Elasticsearch mappings), edited as JSON text. */
  | 'json-object'
  /** No better widget: any JSON value, edited as JSON text. */
  | 'json';

export type ScalarType = 'string' | 'number' | 'boolean' | 'null' | 'list';

/** One branch of a union of objects, chosen by the value of its discriminator key. */
export interface Variant {
  value: string;
  label: string;
  fields: FieldModel[];
}

export interface FieldModel {
  key: string;
  label: string;
  help?: string;
  kind: FieldKind;
  group: string;
  required: boolean;
  default?: unknown;
  placeholder?: string;
  /** Select choices as shown. */
  options?: string[];
  /** The param value of each choice (same order as options): enums are text, unions may mix text and booleans. */
  optionValues?: unknown[];
  /** Column pickers: the input port whose columns are offered (default: the node's first input). */
  port?: string;
  integer?: boolean;
  min?: number;
  max?: number;
  /** For `rows`: the fields of one row; for `object`: its fields. */
  itemFields?: FieldModel[];
  /** For `rows` (and `object`) over a union of objects: the key that tells the branches apart, and the branches. */
  discriminator?: string;
  variants?: Variant[];
  /** What one list entry is called ("check", "aggregation"). */
  itemLabel?: string;
  /** For `string-list` and `key-value`: the kind of each value (`column` lists offer columns). */
  itemKind?: FieldKind;
  /** For `scalar` fields and `scalar` list items: the types a value may have. */
  scalarTypes?: ScalarType[];
  /** An optional setting every kind of a union shares (severity, weight…): the form tucks it under "More settings". */
  common?: boolean;
  /** Shown only when another setting has one of some values (or an input is connected); see visibility.ts. */
  visibleWhen?: Condition;
  /**
   * Text fields (and the entries of text lists): the schema accepts an empty text, which means
   * something else than leaving the setting unset (`quote: ""` is "never quoted"), so the form
   * offers a way to enter it.
   */
  allowsEmpty?: boolean;
  /** Values typed against a column (a bound, a pivot value, a lookup default): the sibling column picker that holds it. */
  typedBy?: { key: string; port?: string };
  /** A value that may be one value or a list: a list while this sibling select has one of these values (`op` in / not_in). */
  listWhen?: { key: string; values: string[] };
}

export interface FormGroup {
  name: string;
  fields: FieldModel[];
}

export const DEFAULT_GROUP = 'General';

/** `anyOf: [X, {type: null}]` (nullable) and single-branch unions resolve to X, keeping the outer metadata. */
export function unwrap(schema: ParamJsonSchema): ParamJsonSchema {
  const branches = schema.anyOf ?? schema.oneOf;
  if (!branches) return schema;
  const real = branches.filter((b) => b.type !== 'null');
  if (real.length !== 1) return schema;
  const { anyOf: _a, oneOf: _o, ...outer } = schema;
  return { ...unwrap(real[0]!), ...outer };
}

function typeOf(s: ParamJsonSchema): string | undefined {
  return Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
}

/** A union whose branches are objects that each fix one shared key to a constant: `{ kind: 'not_null', … } | { kind: 'unique', … }`. */
export function objectUnion(s: ParamJsonSchema): { discriminator: string; branches: Array<{ value: string; schema: ParamJsonSchema }> } | undefined {
  const branches = s.oneOf ?? s.anyOf;
  if (!branches || branches.length < 2 || !branches.every((b) => typeOf(b) === 'object' && b.properties)) return undefined;
  const constOf = (b: ParamJsonSchema, k: string) => {
    const p = b.properties?.[k];
    return p?.const !== undefined ? p.const : p?.enum?.length === 1 ? p.enum[0] : undefined;
  };
  const key = Object.keys(branches[0]!.properties!).find((k) => branches.every((b) => typeof constOf(b, k) === 'string'));
  if (!key) return undefined;
  return { discriminator: key, branches: branches.map((b) => ({ value: constOf(b, key) as string, schema: b })) };
}

/** Mixed scalar types (`string | number | boolean | null`, or that or a list of them). */
function scalarTypesOf(s: ParamJsonSchema): ScalarType[] | undefined {
  const branches = s.anyOf ?? s.oneOf;
  const types = new Set<ScalarType>();
  for (const t of Array.isArray(s.type) ? s.type : []) if (['string', 'number', 'integer', 'boolean', 'null'].includes(t)) types.add(t === 'integer' ? 'number' : (t as ScalarType));
  for (const b of branches ?? []) {
    const t = typeOf(b);
    if (t === 'array') types.add('list');
    else if (t === 'integer') types.add('number');
    else if (t === 'string' || t === 'number' || t === 'boolean' || t === 'null') types.add(t);
    else if (Array.isArray(b.type)) for (const x of b.type) types.add(x === 'integer' ? 'number' : (x as ScalarType));
    else return undefined;
  }
  const real = [...types].filter((t) => t !== 'null');
  // Constants and enums are selects; one real type is a plain field of that type, unless null is
  // a meaningful value of it too (`"to": null` maps a value to NULL, a null limit turns a check off).
  if (s.enum || (branches ?? []).some((b) => b.const !== undefined || b.enum)) return undefined;
  if (real.length < 2 && !(real.length === 1 && types.has('null') && (real[0] === 'string' || real[0] === 'number'))) return undefined;
  return [...types];
}

function kindOf(s: ParamJsonSchema): FieldKind {
  const widget = s.widget;
  const t = typeOf(s);
  const items = s.items ? unwrap(s.items) : undefined;
  const objectItems = items && (typeOf(items) === 'object' || objectUnion(items) !== undefined);
  if (widget === 'list') return objectItems ? 'rows' : 'string-list';
  if (widget === 'key-value') return plainValues(s) ? 'key-value' : 'json-object';
  if (widget === 'columns') return 'columns';
  if (widget === 'select' || (widget === undefined && s.enum)) return 'select';
  if (widget === 'boolean' || (widget === undefined && t === 'boolean')) return 'boolean';
  if ((widget === undefined || widget === 'text' || widget === 'number') && scalarTypesOf(s)) return 'scalar';
  if (widget && widget !== 'list') return widget as FieldKind;
  if (t === 'number' || t === 'integer') return 'number';
  if (t === 'string') return 'text';
  if (t === 'array') return objectItems ? 'rows' : 'string-list';
  if (objectUnion(s)) return 'object';
  if (t === 'object' && s.properties) return 'object';
  if (t === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object') return plainValues(s) ? 'key-value' : 'json-object';
  return 'json';
}

/**
 * Whether a map's values are plain text, numbers or booleans, which key/value rows edit. Values
 * that are objects or any JSON (`{"name": {"type": "keyword"}}`) are edited as JSON text instead:
 * typed into a row, they would be saved as text.
 */
function plainValues(s: ParamJsonSchema): boolean {
  const v = typeof s.additionalProperties === 'object' ? unwrap(s.additionalProperties) : undefined;
  const t = v && typeOf(v);
  return t === 'string' || t === 'number' || t === 'integer' || t === 'boolean';
}

/** A text the schema accepts empty: a string without a minimum length (nor a pattern, an enum or a constant). */
function acceptsEmptyText(s: ParamJsonSchema): boolean {
  return typeOf(s) === 'string' && !s.enum && s.const === undefined && s.pattern === undefined && !(typeof s.minLength === 'number' && s.minLength > 0);
}

/** Values of an enum, or of a union of constants and booleans (`'auto' | boolean`). */
function choicesOf(s: ParamJsonSchema): unknown[] {
  if (s.enum) return s.enum;
  const out: unknown[] = [];
  for (const b of s.anyOf ?? s.oneOf ?? []) {
    if (b.const !== undefined) out.push(b.const);
    else if (b.enum) out.push(...b.enum);
    else if (typeOf(b) === 'boolean') out.push(true, false);
  }
  return out;
}

export function humanize(key: string): string {
  const s = key.replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** "Aggregations" → "aggregation", "Match on" → "entry" is not guessed: plain plurals only. */
export function singular(label: string): string {
  const l = label.toLowerCase();
  if (/ies$/.test(l)) return l.replace(/ies$/, 'y');
  if (/[^s]s$/.test(l)) return l.slice(0, -1);
  return l;
}

export function fieldModel(key: string, raw: ParamJsonSchema, required: boolean, inheritedGroup = DEFAULT_GROUP): FieldModel {
  const nullable = (raw.anyOf ?? raw.oneOf ?? []).some((b) => b.type === 'null');
  const s = scalarTypesOf(raw) ? raw : unwrap(raw);
  let kind = kindOf(s);
  if (kind === 'boolean' && !required && s.default === undefined) kind = 'tristate';
  const field: FieldModel = {
    key,
    label: s.label ?? humanize(key),
    kind,
    group: s.group ?? inheritedGroup,
    required,
  };
  if (s.help ?? s.description) field.help = s.help ?? s.description;
  if (s.default !== undefined) field.default = s.default;
  if (s.placeholder) field.placeholder = s.placeholder;
  if (s.port) field.port = s.port;
  const when = explicitCondition(s.visibleWhen ?? raw.visibleWhen);
  if (when) field.visibleWhen = when;
  if (typeOf(s) === 'integer') field.integer = true;
  if (typeof s.minimum === 'number') field.min = s.minimum;
  if (typeof s.maximum === 'number') field.max = s.maximum;
  if (kind === 'select') {
    const values = choicesOf(s);
    field.options = values.map(String);
    field.optionValues = values;
  }
  if (kind === 'scalar') {
    field.scalarTypes = scalarTypesOf(s);
    if (nullable && !field.scalarTypes!.includes('null')) field.scalarTypes!.push('null');
  }
  if (kind === 'rows' && s.items) {
    const items = unwrap(s.items);
    const union = objectUnion(items);
    if (union) Object.assign(field, variantsOf(union, field.group));
    else field.itemFields = objectFields(items, field.group);
    field.itemLabel = singular(field.label);
  }
  if (kind === 'object') {
    const union = objectUnion(s);
    if (union) Object.assign(field, variantsOf(union, field.group));
    else field.itemFields = objectFields(s, field.group);
  }
  if (kind === 'text' && acceptsEmptyText(s)) field.allowsEmpty = true;
  if (kind === 'string-list' && s.items) {
    const item = unwrap(s.items);
    field.itemKind = kindOf(item);
    if (field.itemKind === 'text' && acceptsEmptyText(item)) field.allowsEmpty = true;
    if (field.itemKind === 'scalar') field.scalarTypes = scalarTypesOf(item);
    if (typeOf(item) === 'integer' || typeOf(item) === 'number') field.itemKind = 'number';
    field.itemLabel = singular(field.label);
  }
  if ((kind === 'key-value' || kind === 'json-object') && typeof s.additionalProperties === 'object') field.itemKind = kindOf(unwrap(s.additionalProperties));
  return field;
}

/**
 * The branches of a union of objects. Within a branch, what makes the kind comes first: required
 * settings every kind has (a name), then the kind's own settings (its column, its bounds), then
 * the optional settings every kind shares (severity, weight…), marked `common` for the form.
 */
function variantsOf(union: NonNullable<ReturnType<typeof objectUnion>>, group: string): Pick<FieldModel, 'discriminator' | 'variants'> {
  const keysOf = (b: { schema: ParamJsonSchema }) => Object.keys(b.schema.properties ?? {});
  const shared = new Set(keysOf(union.branches[0]!).filter((k) => union.branches.every((b) => keysOf(b).includes(k))));
  return {
    discriminator: union.discriminator,
    variants: union.branches.map((b) => {
      const fields = objectFields(b.schema, group).filter((f) => f.key !== union.discriminator);
      const rank = (f: FieldModel) => (shared.has(f.key) ? (f.required ? 0 : 2) : 1);
      const ordered = [...fields].sort((x, y) => rank(x) - rank(y));
      for (const f of ordered) if (rank(f) === 2) f.common = true;
      return { value: b.value, label: (b.schema.label as string | undefined) ?? humanize(b.value), fields: ordered };
    }),
  };
}

function objectFields(schema: ParamJsonSchema, group: string): FieldModel[] {
  const required = new Set(schema.required ?? []);
  const fields = Object.entries(schema.properties ?? {}).map(([k, v]) => fieldModel(k, v, required.has(k), group));
  for (const f of fields) {
    const others = fields.filter((o) => o !== f);
    const when = !f.visibleWhen && f.help ? conditionFromHelp(f.help, others, f) : undefined;
    if (when) f.visibleWhen = when;
    const typedBy = typingColumn(f, others);
    if (typedBy) f.typedBy = typedBy;
    const listWhen = listOperator(f, others);
    if (listWhen) f.listWhen = listWhen;
  }
  return fields;
}

const takesValues = (f: FieldModel) => f.kind === 'scalar' || (f.kind === 'string-list' && f.itemKind === 'scalar');

/**
 * The column a value is typed against: the sibling picker named `column`, else the first column
 * picker of the object. Definitions name the column whose values are typed first (a pivot's
 * `pivot_column` comes before its `value_column`), and the picker's port says which input it lists
 * (a lookup default follows the `reference` column it defaults, not the main input).
 */
function typingColumn(f: FieldModel, siblings: FieldModel[]): FieldModel['typedBy'] {
  if (!takesValues(f)) return undefined;
  const pickers = siblings.filter((s) => s.kind === 'column');
  const col = pickers.find((s) => s.key === 'column') ?? pickers[0];
  return col ? { key: col.key, ...(col.port ? { port: col.port } : {}) } : undefined;
}

/** Operators that compare with a list of values (SQL's IN and NOT IN), as filter `op` selects spell them. */
const LIST_OPERATORS = ['in', 'not_in'];

/** A value that may be a list is one while a sibling operator select says `in` / `not_in`. */
function listOperator(f: FieldModel, siblings: FieldModel[]): FieldModel['listWhen'] {
  if (f.kind !== 'scalar' || !f.scalarTypes?.includes('list')) return undefined;
  for (const s of siblings) {
    const values = (s.kind === 'select' ? (s.optionValues ?? []) : []).filter((v): v is string => typeof v === 'string' && LIST_OPERATORS.includes(v));
    if (values.length) return { key: s.key, values };
  }
  return undefined;
}

/** Fields grouped by their `group` meta, groups in order of first appearance (ungrouped fields first). */
export function formModel(schema: ParamJsonSchema): FormGroup[] {
  const groups = new Map<string, FieldModel[]>();
  for (const f of objectFields(unwrap(schema), DEFAULT_GROUP)) {
    const list = groups.get(f.group) ?? [];
    list.push(f);
    groups.set(f.group, list);
  }
  return [...groups.entries()].map(([name, fields]) => ({ name, fields }));
}

/** The JSON a `json-object` field takes: an object, whose values must be objects too when the schema says so. */
export function jsonShapeOf(field: Pick<FieldModel, 'kind' | 'itemKind'>): 'any' | 'object' | 'object-of-objects' {
  if (field.kind !== 'json-object') return 'any';
  return field.itemKind === 'json-object' || field.itemKind === 'key-value' || field.itemKind === 'object' ? 'object-of-objects' : 'object';
}

/** A plain decimal number (`12`, `-0.5`, `.5`, `1e3`): never hexadecimal, binary or octal (`0x10`, `0b11`), which `Number()` would read. */
export const NUMBER_TEXT = /^\s*-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

/** Whether a typed text is a plain decimal number, as the engine reads numbers. */
export function isNumberText(text: string): boolean {
  return NUMBER_TEXT.test(text) && Number.isFinite(Number(text));
}

/** A typed value as the param takes it, or why it cannot be taken (the field shows the reason and keeps the text). */
export type Parsed = { value: unknown } | { error: string };

/**
 * The decimal a number text stands for, spelled one way: `0.50`, `5e-1` and `.5` are all
 * `0.5e0`, and every zero is `0`. The exponent is a BigInt, so `1e-400` is compared, not lost.
 */
function canonicalDecimal(text: string): string {
  const m = /^\s*(-?)(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?\s*$/.exec(text);
  if (!m) return text;
  const all = (m[2] ?? '') + (m[3] ?? '');
  const significant = all.replace(/^0+/, '');
  if (significant === '') return '0';
  // 0.<digits> × 10^exponent: the point sits after the integer digits, less the leading zeros.
  const exponent = BigInt(m[4] ?? '0') + BigInt((m[2] ?? '').length - (all.length - significant.length));
  return `${m[1]}0.${significant.replace(/0+$/, '')}e${exponent}`;
}

/**
 * Whether a JSON number keeps the number typed. A double holds about 15 significant digits, and
 * whole numbers only up to 2^53 - 1: `9007199254740993` would be saved as …992 and
 * `99999999999999999999` as 1e20. 2^53 itself survives, but no reader can tell it from 2^53 + 1,
 * which is why core refuses such a bound. `0.1` is kept: every reader takes it as the same double.
 */
export function keepsExactly(text: string): boolean {
  if (!isNumberText(text)) return false;
  const n = Number(text);
  if (Number.isInteger(n) && !Number.isSafeInteger(n)) return false;
  return canonicalDecimal(text) === canonicalDecimal(String(n));
}

/** The numbers a field can keep, in words: "a whole number from 0 to 100". */
function numberRange(field: Pick<FieldModel, 'integer' | 'min' | 'max'>): string {
  if (field.integer) return `a whole number from ${field.min ?? -Number.MAX_SAFE_INTEGER} to ${field.max ?? Number.MAX_SAFE_INTEGER}`;
  const { min, max } = field;
  const bounds = min !== undefined && max !== undefined ? ` from ${min} to ${max}` : min !== undefined ? ` of at least ${min}` : max !== undefined ? ` of at most ${max}` : '';
  return `a number${bounds} with at most 15 significant digits`;
}

/** Why a typed number cannot be saved as it is (and what it would become), and what can be, in the form's words. */
export function inexactNumberError(text: string, field: Pick<FieldModel, 'integer' | 'min' | 'max'> = {}): string {
  const typed = text.trim();
  const read = Number(typed);
  const becomes = !Number.isFinite(read) ? '; it is beyond the range of a JSON number' : String(read) !== typed ? `; it would be saved as ${String(read)}` : '';
  return `${typed} cannot be kept exactly: a JSON number keeps about 15 significant digits, and whole numbers only up to ${Number.MAX_SAFE_INTEGER}${becomes}. Enter ${numberRange(field)}.`;
}

/**
 * What a user typed into a number field: empty means unset, plain decimal numbers parse, anything
 * else (`abc`, `0x10`) stays text so validation says it is not a number. A number a JSON number
 * would round is refused here: these fields take no text, and a rounded number would be saved
 * without a word and check another value.
 */
export function readNumber(field: Pick<FieldModel, 'integer' | 'min' | 'max'>, text: string): Parsed {
  if (text === '') return { value: undefined };
  if (!isNumberText(text)) return { value: text };
  return keepsExactly(text) ? { value: Number(text) } : { error: inexactNumberError(text, field) };
}

/** Turns what a user typed into the param value (see `readNumber`); a number that cannot be kept stays the text typed, never a rounded number. */
export function parseInput(field: Pick<FieldModel, 'kind' | 'integer' | 'min' | 'max'>, text: string): unknown {
  if (text === '') return undefined;
  if (field.kind !== 'number') return text;
  const read = readNumber(field, text);
  return 'value' in read ? read.value : text;
}
const NUMERIC_TYPE = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|REAL|DECIMAL|NUMERIC|INT)/i;

/**
 * What a typed value means for a field that accepts several types. `"…"` always means text;
 * `true`/`false` and `null` are those values; a number is a number unless the column it is compared
 * with is text (then `10` stays the text "10", as the user sees it in the data). A number a JSON
 * number would round (`9007199254740993`) is kept as the text of its digits where the field takes
 * text, which nodes convert exactly (what `caudal validate` asks of a file); where the field takes
 * no text it cannot be kept, and the error says what can.
 */
export function readScalar(text: string, types: ScalarType[], columnType?: string): Parsed {
  if (text === '') return { value: undefined };
  const quoted = /^"(.*)"$/s.exec(text);
  if (quoted && types.includes('string')) return { value: quoted[1] };
  if (text === 'null' && types.includes('null')) return { value: null };
  const textColumn = columnType !== undefined && !NUMERIC_TYPE.test(columnType) && !/^BOOL/i.test(columnType);
  if ((text === 'true' || text === 'false') && types.includes('boolean') && !(textColumn && types.includes('string'))) return { value: text === 'true' };
  if (NUMBER_TEXT.test(text) && types.includes('number') && !(textColumn && types.includes('string'))) {
    if (keepsExactly(text)) return { value: Number(text) };
    return types.includes('string') ? { value: text.trim() } : { error: inexactNumberError(text) };
  }
  return { value: text };
}

/** readScalar's value; a number that cannot be kept stays the text typed, never a rounded number. */
export function parseScalar(text: string, types: ScalarType[], columnType?: string): unknown {
  const read = readScalar(text, types, columnType);
  return 'value' in read ? read.value : text;
}

/** The text that parses back to `value` (text that would read as a number or a boolean gets quotes). */
export function formatScalar(value: unknown, types: ScalarType[], columnType?: string): string {
  if (value === undefined) return '';
  if (value === null) return 'null';
  if (typeof value !== 'string') return String(value);
  return parseScalar(value, types, columnType) === value ? value : `"${value}"`;
}

/** Problem `field` paths (`aggregations[0].column`) → the key of the form field they belong to. */
export function fieldPathKey(path: Array<string | number>): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** The fields of one list entry: the branch its discriminator picks, or the plain item fields. */
export function entryFields(field: FieldModel, entry: unknown): FieldModel[] {
  if (!field.variants) return field.itemFields ?? [];
  const value = entry && typeof entry === 'object' ? (entry as Record<string, unknown>)[field.discriminator!] : undefined;
  return field.variants.find((v) => v.value === value)?.fields ?? [];
}
