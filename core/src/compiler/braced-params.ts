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
  for (const t of tokens) {
    if (t.kind === 'comment' || t.kind === 'quoted') continue;
    for (const m of t.text.matchAll(/\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}/g)) {
      if (declared.includes(m[1]!)) return { name: m[1]!, quoted: t.kind === 'string' };
    }
  }
  // Outside quotes the lexer cuts `${name}` into `$`, `{name}`…: look at the text between tokens too.
  for (const m of sql.matchAll(/\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}/g)) {
    const inside = tokens.find((t) => t.start <= m.index && m.index < t.start + t.text.length);
    if (inside && (inside.kind === 'comment' || inside.kind === 'quoted' || inside.kind === 'string')) continue;
    if (declared.includes(m[1]!)) return { name: m[1]!, quoted: false };
  }
  return undefined;
}
