import { tokenize } from '../../compiler/sql.js';
import type { Column } from '../define.js';
import { foldName } from '../shared/columns.js';

/**
 * The query with the inputs' CTEs put in front, as one statement DESCRIBE accepts: the node's own
 * `SELECT * FROM (…)` would rename duplicate output names before anyone sees them. A query with its
 * own WITH gets the inputs' CTEs first in that list.
 */
export function describableQuery(query: string, ctes: string[]): string {
  if (ctes.length === 0) return query;
  const tokens = tokenize(query).filter((t) => t.kind !== 'space' && t.kind !== 'comment');
  if (tokens[0]?.kind !== 'ident' || tokens[0].text.toLowerCase() !== 'with') return `WITH ${ctes.join(',\n')}\n${query}`;
  const recursive = tokens[1]?.kind === 'ident' && tokens[1].text.toLowerCase() === 'recursive' ? tokens[1] : undefined;
  const after = recursive ?? tokens[0];
  const rest = query.slice(after.start + after.text.length);
  return `WITH ${recursive ? 'RECURSIVE ' : ''}${ctes.join(',\n')},\n${rest}`;
}

const listed = (positions: number[]) => (positions.length === 2 ? `${positions[0]} and ${positions[1]}` : `${positions.slice(0, -1).join(', ')} and ${positions.at(-1)}`);

/** Output names DuckDB would rename (x, X → x, X_1), compared as DuckDB compares them (see foldName). */
export function duplicateOutputName(columns: Column[]): { message: string; hint: string } | undefined {
  const byName = new Map<string, number[]>();
  columns.forEach((c, i) => byName.set(foldName(c.name), [...(byName.get(foldName(c.name)) ?? []), i + 1]));
  for (const positions of byName.values()) {
    if (positions.length < 2) continue;
    const name = columns[positions[0]! - 1]!.name;
    return {
      message: `the query's output has more than one column named '${name}' (columns ${listed(positions)}); DuckDB would rename the later ones (${name}_1) without a word`,
      hint: `give each output column its own name (AS), or leave one out (USING, or c.* EXCLUDE (${name}))`,
    };
  }
  return undefined;
}
