/**
 * T-SQL quoting. SQL Server quotes identifiers in brackets (a `]` inside is doubled) and Unicode
 * strings as N'…' (a `'` inside is doubled). Values travel as bind parameters (@name) wherever
 * T-SQL takes them; these helpers are for names, and for the few statements that take none.
 */
export function tsqlIdent(name: string): string {
  if (name.includes('\u0000')) throw new Error(`identifier contains a NUL character: ${JSON.stringify(name)}`);
  if (name.length > 128) throw new Error(`SQL Server names are at most 128 characters: ${JSON.stringify(name.slice(0, 40))}…`);
  return '[' + name.replaceAll(']', ']]') + ']';
}

export function tsqlTable(t: { schema: string; name: string }): string {
  return `${tsqlIdent(t.schema)}.${tsqlIdent(t.name)}`;
}

export function tsqlString(value: string): string {
  if (value.includes('\u0000')) throw new Error('string literal contains a NUL character');
  return "N'" + value.replaceAll("'", "''") + "'";
}
