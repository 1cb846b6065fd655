/**
 * DuckDB's file patterns, for the places that match paths or keys without DuckDB: S3 listings
 * (connectors/s3/location.ts) and the planner's check that a source does not read its own sink's
 * output (compiler/read-own-output.ts).
 */

const GLOB_CHAR = /[*?[]/;

/** True when the path is a pattern for DuckDB's glob (`*`, `?`, `[…]`, `**`). */
export const isGlob = (p: string): boolean => GLOB_CHAR.test(p);

/** The index of the first glob character, or -1: what precedes it is a literal prefix. */
export const firstGlobChar = (p: string): number => p.search(GLOB_CHAR);

/** Text that matches only itself in a pattern: each glob character as a one-character class (`*` → `[*]`). */
export const escapeGlob = (text: string): string => text.replace(/[*?[]/g, (c) => `[${c}]`);

/**
 * DuckDB's glob as a regular expression over a whole path: `*` and `?` stay within one folder
 * level, `**` crosses levels (followed by a slash, it also matches no folder at all), `[abc]` /
 * `[!abc]` are one-character classes.
 */
export function globToRegExp(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        const slash = pattern[i + 2] === '/';
        out += slash ? '(?:.*/)?' : '.*';
        i += slash ? 2 : 1;
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) out += '\\[';
      else {
        let body = pattern.slice(i + 1, end);
        const negated = body.startsWith('!') || body.startsWith('^');
        if (negated) body = body.slice(1);
        out += `[${negated ? '^' : ''}${body.replace(/[\\\]^]/g, (m) => `\\${m}`)}]`;
        i = end;
      }
    } else out += c.replace(/[.+^${}()|\\/]/g, (m) => `\\${m}`);
  }
  return new RegExp(`^${out}$`);
}
