import { ident } from '../../compiler/sql.js';

/**
 * The SELECT list of `SELECT * REPLACE (...)`, spelled out column by column. DuckDB binds
 * `* REPLACE` in a time that grows with the number of columns times the size of the replacements:
 * a CSV file of 300 integer columns, each converted with its checks, took 2.5 s to bind, and every
 * view and preview over it binds it again; the same list spelled out binds in a few milliseconds.
 * Names match without regard to case, as in REPLACE; replacements keep the column's place.
 */
export function replacingList(names: string[], replace: Array<{ name: string; sql: string }>): string {
  const byName = new Map(replace.map((r) => [r.name.toLowerCase(), r.sql]));
  return names.map((n) => (byName.has(n.toLowerCase()) ? `${byName.get(n.toLowerCase())} AS ${ident(n)}` : ident(n))).join(', ');
}
