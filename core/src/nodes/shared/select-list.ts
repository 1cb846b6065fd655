import { ident } from '../../compiler/sql.js';
import { foldName } from './columns.js';

/**
 * The SELECT list of `SELECT * REPLACE (...)`, spelled out column by column. DuckDB binds
 * `* REPLACE` in a time that grows with the number of columns times the size of the replacements:
 * a CSV file of 300 integer columns, each converted with its checks, took 2.5 s to bind, and every
 * view and preview over it binds it again; the same list spelled out binds in a few milliseconds.
 * Names match as in REPLACE (the case of ASCII letters aside, see foldName); replacements keep the column's place.
 */
export function replacingList(names: string[], replace: Array<{ name: string; sql: string }>): string {
  const byName = new Map(replace.map((r) => [foldName(r.name), r.sql]));
  return names.map((n) => (byName.has(foldName(n)) ? `${byName.get(foldName(n))} AS ${ident(n)}` : ident(n))).join(', ');
}
