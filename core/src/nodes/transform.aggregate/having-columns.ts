import { tokenize } from '../../compiler/sql.js';
import { foldName } from '../shared/columns.js';

/**
 * The input columns a `having` condition names that are not output columns of the aggregate.
 * having is evaluated over the grouped rows, so DuckDB reports such a name as unknown, which
 * reads as nonsense beside the input's own column list ("unknown column 'v' (did you mean 'v'?)").
 * A name followed by `(` is a function (sum(v) names v, not sum), one followed by a string a typed
 * literal (DATE '2024-01-01').
 */
export function havingInputColumns(having: string, inputs: string[], outputs: string[]): string[] {
  const out = new Set(outputs.map(foldName));
  const byFolded = new Map(inputs.map((n) => [foldName(n), n]));
  let tokens;
  try {
    tokens = tokenize(having).filter((t) => t.kind !== 'space' && t.kind !== 'comment');
  } catch {
    return []; // the shape check reports unparsable text
  }
  const found: string[] = [];
  tokens.forEach((t, i) => {
    const name = t.kind === 'ident' ? t.text : t.kind === 'quoted' ? t.text.slice(1, -1).replaceAll('""', '"') : undefined;
    const next = tokens[i + 1];
    if (name === undefined || next?.text === '(' || next?.kind === 'string' || tokens[i - 1]?.text === '.') return;
    const input = byFolded.get(foldName(name));
    if (input !== undefined && !out.has(foldName(name)) && !found.includes(input)) found.push(input);
  });
  return found;
}
