import { tokenize } from './sql.js';

/**
 * `${name}` fills a param into text params (paths, URLs, table names); in SQL a param is `$name`,
 * a typed value. Written in SQL, `${name}` is either a syntax error DuckDB reports at `{` or, inside
 * quotes, text compared as written (`status = '${wanted}'` matches no row): both found here, for
 * declared params only, with what to write instead.
 */
export function bracedParamInSql(sql: string, declared: readonly string[]): { name: string; quoted: boolean } | undefined {
  let tokens;
  try {
    tokens = tokenize(sql);
  } catch {
    // Text that does not tokenize is reported by the shape check.
    return undefined;
  }
  // The lexer cuts `${name}` outside quotes into `$`, `{`, …: each match is placed by the token it starts in.
  for (const m of sql.matchAll(/\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}/g)) {
    const inside = tokens.find((t) => t.start <= m.index && m.index < t.start + t.text.length);
    if (inside?.kind === 'comment' || inside?.kind === 'quoted' || !declared.includes(m[1]!)) continue;
    return { name: m[1]!, quoted: inside?.kind === 'string' };
  }
  return undefined;
}
