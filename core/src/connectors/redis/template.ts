import { ident, stringLiteral } from '../../compiler/sql.js';
import type { Column } from '../../nodes/define.js';
import { finiteForJson } from '../../nodes/shared/json-out.js';

/** A key template split into literal text and column references: `customer:{customer_id}`. */
export type TemplatePart = { text: string } | { column: string };

/**
 * Parses `{column}` references; `{{` and `}}` stand for literal braces. Throws with the position of
 * an unclosed or empty reference.
 */
export function parseKeyTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let text = '';
  for (let i = 0; i < template.length; i++) {
    const ch = template[i]!;
    if ((ch === '{' || ch === '}') && template[i + 1] === ch) {
      text += ch;
      i++;
    } else if (ch === '{') {
      const end = template.indexOf('}', i);
      const name = end < 0 ? '' : template.slice(i + 1, end).trim();
      if (end < 0) throw new Error(`the key template has an unclosed '{' at position ${i + 1}`);
      if (!name) throw new Error(`the key template has an empty '{}' at position ${i + 1}`);
      if (text) parts.push({ text });
      text = '';
      parts.push({ column: name });
      i = end;
    } else if (ch === '}') {
      throw new Error(`the key template has a '}' without '{' at position ${i + 1} (write '}}' for a literal brace)`);
    } else {
      text += ch;
    }
  }
  if (text) parts.push({ text });
  if (!parts.some((p) => 'column' in p)) throw new Error('the key template names no column: one key per row needs at least one {column}');
  return parts;
}

export function templateColumns(parts: TemplatePart[]): string[] {
  return parts.flatMap((p) => ('column' in p ? [p.column] : []));
}

/** The literal text before the first column: what every key of the sink starts with. */
export function templatePrefix(parts: TemplatePart[]): string {
  const first = parts[0];
  return first && 'text' in first ? first.text : '';
}

/**
 * DuckDB expression producing the key. `||` propagates NULL, so a row with a NULL key column gets a
 * NULL key, which the sink reports instead of writing `customer:`.
 */
export function keySql(parts: TemplatePart[]): string {
  return parts.map((p) => ('text' in p ? stringLiteral(p.text) : `CAST(${ident(p.column)} AS VARCHAR)`)).join(' || ');
}

export type ValueFormat = 'hash' | 'json' | 'string';

const NESTED = /^(STRUCT|MAP|UNION|JSON)\b|\[\d*\]$/i;

/**
 * How one column becomes a Redis value (a hash field or a plain value): text as it is, bytes as
 * bytes, nested values (structs, lists, maps) as JSON, everything else as DuckDB prints it
 * (numbers, `true`/`false`, ISO dates and timestamps).
 */
export function valueSql(column: Column): string {
  const c = ident(column.name);
  const t = column.type.toUpperCase();
  if (t === 'VARCHAR' || t === 'BLOB') return c;
  if (NESTED.test(t)) return `CAST(to_json(${finiteForJson(c, column)}) AS VARCHAR)`;
  return `CAST(${c} AS VARCHAR)`;
}

/** One JSON object per row with the given columns (NULL stays null; the value is never NULL). */
export function jsonSql(columns: Column[]): string {
  // JSON has no NaN or Infinity: such values are refused, naming the column (nodes/shared/json-out.ts).
  return `CAST(json_object(${columns.map((c) => `${stringLiteral(c.name)}, ${finiteForJson(ident(c.name), c)}`).join(', ')}) AS VARCHAR)`;
}
