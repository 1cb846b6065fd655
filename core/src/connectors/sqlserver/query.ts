import type { ReadFilter, ReadSpec } from '../connector.js';
import { tsqlIdent, tsqlTable } from './sql.js';
import { asSubquery } from '../query-text.js';

/** A T-SQL statement with named placeholders (@name) and the values bound to them. */
export interface BoundTsql {
  text: string;
  params: Array<{ name: string; value: unknown }>;
}

const COMPARE = new Set(['=', '!=', '<', '<=', '>', '>=', 'like']);

/**
 * The remote statement for a read: the table with its columns and filters, or the user's query
 * (whose own parameters are @p1, @p2, …) as a derived table, so the watermark and the row limit
 * apply to it too. Every value is a bind parameter (@caudal_1, …): the server plans it all.
 */
export function buildReadQuery(spec: ReadSpec): BoundTsql {
  const params: BoundTsql['params'] = [];
  const bind = (value: unknown) => {
    const name = `caudal_${params.length + 1}`;
    params.push({ name, value });
    return `@${name}`;
  };
  (spec.queryParams ?? []).forEach((value, i) => params.push({ name: `p${i + 1}`, value }));
  let from: string;
  let select = '*';
  const where: string[] = [];
  if (spec.table) {
    from = tsqlTable(spec.table);
    if (spec.columns && spec.columns.length > 0) select = spec.columns.map(tsqlIdent).join(', ');
    for (const f of spec.filters ?? []) where.push(filterSql(f, bind));
  } else {
    from = `${asSubquery(spec.query ?? '')} AS _caudal_query`;
  }
  if (spec.watermark?.after !== undefined) where.push(`${tsqlIdent(spec.watermark.column)} > ${bind(spec.watermark.after)}`);
  const top = spec.limit !== undefined ? `TOP (${bind(spec.limit)}) ` : '';
  let text = `SELECT ${top}${select} FROM ${from}`;
  if (where.length > 0) text += ` WHERE ${where.join(' AND ')}`;
  return { text, params };
}

function filterSql(f: ReadFilter, bind: (v: unknown) => string): string {
  const col = tsqlIdent(f.column);
  switch (f.op) {
    case 'is_null':
      return `${col} IS NULL`;
    case 'not_null':
      return `${col} IS NOT NULL`;
    case 'in':
    case 'not_in': {
      const values = Array.isArray(f.value) ? f.value : [f.value];
      // IN () is a syntax error in T-SQL: an empty list matches nothing (or everything, for not_in).
      if (values.length === 0) return f.op === 'in' ? '1 = 0' : '1 = 1';
      return `${col} ${f.op === 'in' ? 'IN' : 'NOT IN'} (${values.map(bind).join(', ')})`;
    }
    default:
      if (!COMPARE.has(f.op)) throw new Error(`unknown filter operator ${String(f.op)}`);
      return `${col} ${f.op === '!=' ? '<>' : f.op.toUpperCase()} ${bind(f.value)}`;
  }
}

/**
 * The declaration sp_describe_first_result_set and sp_executesql need for the parameters, from
 * the JavaScript values: whole numbers bigint, other numbers float, booleans bit, the rest text.
 */
export function paramDeclarations(params: BoundTsql['params']): string {
  return params.map((p) => `@${p.name} ${paramType(p.value)}`).join(', ');
}

export function paramType(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? 'bigint' : 'float';
  if (typeof value === 'bigint') return 'bigint';
  if (typeof value === 'boolean') return 'bit';
  return 'nvarchar(4000)';
}
