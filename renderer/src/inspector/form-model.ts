/**
 * Turns a node's param JSON Schema (with the `.meta()` UI keys inline) into a list of form fields.
 * Pure: the React form only renders what this returns, so the mapping is unit-tested here.
 */
import type { ParamJsonSchema } from '../model/types.js';

export type FieldKind =
  | 'text'
  | 'textarea'
  | 'number'
  | 'boolean'
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
  | 'json';

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
  /** For `string-list` and `key-value`: the kind of each value (`column` lists offer columns). */
  itemKind?: FieldKind;
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

function kindOf(s: ParamJsonSchema): FieldKind {
  const widget = s.widget;
  const t = typeOf(s);
  const items = s.items ? unwrap(s.items) : undefined;
  if (widget === 'list') return items && typeOf(items) === 'object' ? 'rows' : 'string-list';
  if (widget === 'key-value') return 'key-value';
  if (widget === 'columns') return 'columns';
  if (widget === 'select' || (widget === undefined && s.enum)) return 'select';
  if (widget && widget !== 'list') return widget as FieldKind;
  if (t === 'boolean') return 'boolean';
  if (t === 'number' || t === 'integer') return 'number';
  if (t === 'string') return 'text';
  if (t === 'array') return items && typeOf(items) === 'object' ? 'rows' : 'string-list';
  if (t === 'object' && s.properties) return 'object';
  if (t === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object') return 'key-value';
  return 'json';
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

function humanize(key: string): string {
  const s = key.replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function fieldModel(key: string, raw: ParamJsonSchema, required: boolean, inheritedGroup = DEFAULT_GROUP): FieldModel {
  const s = unwrap(raw);
  const kind = kindOf(s);
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
  if (typeOf(s) === 'integer') field.integer = true;
  if (typeof s.minimum === 'number') field.min = s.minimum;
  if (typeof s.maximum === 'number') field.max = s.maximum;
  if (kind === 'select') {
    const values = choicesOf(s);
    field.options = values.map(String);
    field.optionValues = values;
  }
  if (kind === 'rows' && s.items) field.itemFields = objectFields(unwrap(s.items), field.group);
  if (kind === 'object') field.itemFields = objectFields(s, field.group);
  if (kind === 'string-list' && s.items) field.itemKind = kindOf(unwrap(s.items));
  if (kind === 'key-value' && typeof s.additionalProperties === 'object') field.itemKind = kindOf(unwrap(s.additionalProperties));
  return field;
}

function objectFields(schema: ParamJsonSchema, group: string): FieldModel[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([k, v]) => fieldModel(k, v, required.has(k), group));
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

/** Turns what a user typed into the param value: empty means unset, numbers parse, invalid numbers stay text so validation can say why. */
export function parseInput(field: Pick<FieldModel, 'kind' | 'integer'>, text: string): unknown {
  if (text === '') return undefined;
  if (field.kind === 'number') {
    const n = Number(text);
    return Number.isFinite(n) && text.trim() !== '' ? n : text;
  }
  return text;
}

/** Problem `field` paths (`aggregations[0].column`) → the key of the form field they belong to. */
export function fieldPathKey(path: Array<string | number>): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}
