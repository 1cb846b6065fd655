import type { Column } from '../define.js';
import { ident } from '../../compiler/sql.js';
import { CaudalError } from '../../util/errors.js';
import { foldName } from './columns.js';

export interface StructField {
  name: string;
  type: string;
}

/**
 * Splits `STRUCT(a BIGINT, "b c" STRUCT(x VARCHAR), d VARCHAR[])` into its fields, or returns
 * undefined when the type is not a plain struct (a list of structs, a map, a scalar...).
 * Names are double-quoted by DuckDB when needed (`""` escapes a quote); types may contain
 * parentheses, quoted names and single-quoted ENUM values, all skipped as units.
 */
export function structFields(type: string): StructField[] | undefined {
  if (!type.startsWith('STRUCT(') || closingParen(type, 'STRUCT'.length) !== type.length - 1) return undefined;
  const body = type.slice('STRUCT('.length, -1);
  const fields: StructField[] = [];
  for (const part of splitTopLevel(body)) {
    const field = splitField(part.trim());
    if (!field) return undefined;
    fields.push(field);
  }
  return fields.length > 0 ? fields : undefined;
}

/** The key and value types of `MAP(K, V)`, or undefined when the type is not a map. */
export function mapTypes(type: string): { key: string; value: string } | undefined {
  if (!type.startsWith('MAP(') || closingParen(type, 'MAP'.length) !== type.length - 1) return undefined;
  const parts = splitTopLevel(type.slice('MAP('.length, -1));
  return parts.length === 2 ? { key: parts[0]!.trim(), value: parts[1]!.trim() } : undefined;
}

/** Index of the `)` matching the `(` at `open`, or -1. */
function closingParen(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"' || c === "'") i = skipQuoted(s, i);
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  return -1;
}

/** Index of the closing quote of the quoted run starting at `i` (doubled quotes are escapes). */
function skipQuoted(s: string, i: number): number {
  const q = s[i]!;
  let j = i + 1;
  while (j < s.length) {
    if (s[j] === q) {
      if (s[j + 1] === q) j += 2;
      else return j;
    } else j++;
  }
  return s.length;
}

function splitTopLevel(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '"' || c === "'") i = skipQuoted(body, i);
    else if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(body.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(body.slice(start));
  return parts;
}

function splitField(part: string): StructField | undefined {
  if (part.startsWith('"')) {
    const end = skipQuoted(part, 0);
    const name = part.slice(1, end).replaceAll('""', '"');
    const type = part.slice(end + 1).trim();
    return name && type ? { name, type } : undefined;
  }
  // An unnamed field (a JSON key "") prints as just its type: no space before the first '('.
  const space = part.indexOf(' ');
  if (space <= 0 || /[([]/.test(part.slice(0, space))) return undefined;
  return { name: part.slice(0, space), type: part.slice(space + 1).trim() };
}

export interface FlatColumn {
  /** The output column name, e.g. `customer_address_city`. */
  name: string;
  /** Path from the top-level column down to the field. */
  path: string[];
  type: string;
}

/**
 * Struct fields become top-level columns, recursively, named by joining the path with
 * `separator`. Lists (even of structs), maps and scalars stay as they are. A struct whose
 * field names cannot be read from its type (an empty JSON key) is kept whole.
 */
export function flattenColumns(columns: Column[], separator: string): FlatColumn[] {
  const out: FlatColumn[] = [];
  const visit = (path: string[], type: string) => {
    const fields = structFields(type);
    if (!fields) out.push({ name: path.join(separator), path, type });
    else for (const f of fields) visit([...path, f.name], f.type);
  };
  for (const c of columns) visit([c.name], c.type);
  return out;
}

/** Output names that occur more than once (DuckDB compares names ignoring the case of ASCII letters: foldName). */
export function findClashes(flat: FlatColumn[]): Array<{ name: string; paths: string[][] }> {
  const groups = new Map<string, FlatColumn[]>();
  for (const c of flat) {
    const key = foldName(c.name);
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  return [...groups.values()].filter((g) => g.length > 1).map((g) => ({ name: g[0]!.name, paths: g.map((c) => c.path) }));
}

/**
 * One projection per flat column. Nested fields are qualified with the relation alias so a
 * top-level key that happens to equal the alias cannot be mistaken for the table.
 */
export function projection(flat: FlatColumn[], alias: string): string[] {
  return flat.map((c) =>
    c.path.length === 1 ? ident(c.path[0]!) : `${[alias, ...c.path].map(ident).join('.')} AS ${ident(c.name)}`,
  );
}

/** `customer.address.city` for messages. */
export function dotted(path: string[]): string {
  return path.join('.');
}

/** Alias of the raw read when flattening; nested fields are qualified with it. */
const RAW = '_json';

/**
 * `SELECT <every field as a top-level column> FROM <from>`, or a validation error naming the
 * paths that would get the same column name (source.json, source.rest, source.s3 share it).
 */
export function flattenedSelect(nodeId: string, columns: Column[], separator: string, from: string): string {
  const flat = flattenColumns(columns, separator);
  const clashes = findClashes(flat);
  if (clashes.length > 0) {
    const list = clashes.map((c) => `'${c.name}' (from ${c.paths.map((x) => `'${dotted(x)}'`).join(' and ')})`).join('; ');
    const message = `node '${nodeId}': flattening gives several columns the same name: ${list}`;
    const hint = 'set flatten_separator to something that does not occur in the keys (e.g. "__"), rename the file name column, or turn flatten off and pick the fields in a later step';
    throw new CaudalError('validation', message, {
      nodeId,
      column: clashes[0]!.name,
      hint,
      problems: [{ code: 'invalid_param', path: 'params.flatten', message, hint, column: clashes[0]!.name }],
    });
  }
  return `SELECT\n  ${projection(flat, RAW).join(',\n  ')}\nFROM ${from} AS ${ident(RAW)}`;
}
