import type { SparkForm } from '../define.js';
import { ident, identList } from '../../compiler/sql.js';
import { sameName } from '../shared/columns.js';

type Params = { keys: string[]; keep: 'any' | 'first' | 'last'; order_by: Array<{ column: string; direction: 'asc' | 'desc' }> };

const find = (columns: Array<{ name: string }>, name: string) => columns.find((c) => c.name === name)?.name ?? columns.find((c) => sameName(c.name, name))?.name ?? name;

/**
 * Spark: the row the DuckDB form keeps per key, chosen by the same ranking (the order columns, then
 * every other column ascending, NULLs last), written with row_number in a subquery: DuckDB's form
 * uses QUALIFY, which Spark SQL does not have. Without keys: SELECT DISTINCT, as on DuckDB.
 */
export const dedupeSpark: SparkForm<Params> = {
  kind: 'custom',
  compile(ctx) {
    const p = ctx.params;
    const input = ctx.input();
    const columns = input.columns;
    const keys = p.keys.map((k) => find(columns, k));
    const order = p.order_by.map((o) => ({ name: find(columns, o.column), desc: (o.direction === 'desc') !== (p.keep === 'last') }));
    const used = new Set([...keys, ...order.map((o) => o.name)]);
    const rest = columns.filter((c) => !used.has(c.name));
    const list = columns.map((c) => ident(c.name)).join(', ');
    let out: string;
    if (keys.length === 0 || (order.length === 0 && rest.length === 0)) out = `SELECT DISTINCT ${list}\nFROM ${input.ref}`;
    else {
      const ranking = [...order.map((o) => `${ident(o.name)} ${o.desc ? 'DESC' : 'ASC'} NULLS LAST`), ...rest.map((c) => `${ident(c.name)} ASC NULLS LAST`)];
      const rn = ident('__caudal_rn');
      out = `SELECT ${list} FROM (\n  SELECT *, row_number() OVER (PARTITION BY ${identList(keys)}${ranking.length > 0 ? ` ORDER BY ${ranking.join(', ')}` : ''}) AS ${rn}\n  FROM ${input.ref}\n) AS ranked\nWHERE ${rn} = 1`;
    }
    return { outputs: { out, removed: `SELECT ${list} FROM ${input.ref}\nEXCEPT ALL\nSELECT ${list} FROM (\n${out}\n) AS kept` } };
  },
};
