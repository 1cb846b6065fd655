import type { ReadFilter, ReadSpec } from '../connector.js';
import { pgIdent, pgTable } from './sql.js';
import { asSubquery } from '../query-text.js';

/** A statement with `$n` placeholders and the values bound to them. */
export interface BoundSql {
  text: string;
  values: unknown[];
}

const COMPARE = new Set(['=', '!=', '<', '<=', '>', '>=', 'like']);

/**
 * The remote statement for a read: the table with its columns and filters (each value a bind
 * parameter), or the user's query with its own `$n` params, wrapped so the watermark and the row
 * limit apply to it too. The server plans it all: that is the pushdown. `watermarkAsText`: compare
 * the watermark column's text in byte order (see ordersAsItsBytes in read.ts).
 */
export function buildReadQuery(spec: ReadSpec, options: { watermarkAsText?: boolean } = {}): BoundSql {
  const values: unknown[] = [];
  const bind = (v: unknown) => {
    values.push(v);
    return `$${values.length}`;
  };
  let from: string;
  let select = '*';
  const where: string[] = [];
  if (spec.table) {
    from = pgTable(spec.table);
    if (spec.columns && spec.columns.length > 0) select = spec.columns.map(pgIdent).join(', ');
    for (const f of spec.filters ?? []) where.push(filterSql(f, bind));
  } else {
    values.push(...(spec.queryParams ?? []));
    from = `${asSubquery(spec.query ?? '')} AS _caudal_query`;
  }
  if (spec.watermark?.after !== undefined) {
    // A column DuckDB reads as text has its next watermark taken in DuckDB's order, its text's bytes:
    // the server compares the same way, or rows between its maximum and DuckDB's are read twice.
    const column = options.watermarkAsText ? `${pgIdent(spec.watermark.column)}::text COLLATE "C"` : pgIdent(spec.watermark.column);
    where.push(`${column} > ${bind(spec.watermark.after)}`);
  }
  let text = `SELECT ${select} FROM ${from}`;
  if (where.length > 0) text += ` WHERE ${where.join(' AND ')}`;
  if (spec.limit !== undefined) text += ` LIMIT ${bind(spec.limit)}`;
  return { text, values };
}

function filterSql(f: ReadFilter, bind: (v: unknown) => string): string {
  const col = pgIdent(f.column);
  switch (f.op) {
    case 'is_null':
      return `${col} IS NULL`;
    case 'not_null':
      return `${col} IS NOT NULL`;
    case 'in':
      return `${col} = ANY(${bind(f.value)})`;
    case 'not_in':
      return `NOT (${col} = ANY(${bind(f.value)}))`;
    default:
      if (!COMPARE.has(f.op)) throw new Error(`unknown filter operator ${String(f.op)}`);
      return `${col} ${f.op === '!=' ? '<>' : f.op.toUpperCase()} ${bind(f.value)}`;
  }
}
