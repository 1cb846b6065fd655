import { ident } from '../../compiler/sql.js';

/**
 * PostgreSQL and DuckDB quote identifiers the same way (double quotes, doubled inside), so the
 * compiler's helper serves both; these names say which side a piece of SQL is for.
 */
export const pgIdent = ident;

export function pgTable(t: { schema: string; name: string }): string {
  return `${pgIdent(t.schema)}.${pgIdent(t.name)}`;
}
