import { stripTrailingSemicolon, tokenize, type Token } from '../compiler/sql.js';

/**
 * A user's source query as the inside of `(…) AS alias`: a query pasted with its closing `;` failed
 * with "syntax error at or near ;", and one ending in a `-- comment` swallowed the closing
 * parenthesis. Text the lexer cannot read (an unterminated string) is left for the server to refuse.
 */
export function asSubquery(query: string): string {
  let body = query;
  try {
    body = stripTrailingSemicolon(query);
  } catch {
    // the server says what is wrong with it
  }
  return `(${body}\n)`;
}

/**
 * The clause that limits a query's rows at its top level (`LIMIT`, `OFFSET`, `FETCH FIRST|NEXT`, and
 * SQL Server's `TOP`), outside parentheses, strings and comments; undefined when there is none or
 * the text cannot be read (the server then says what is wrong). An incremental read filters the
 * query's result by its watermark, so such a clause picks its rows before the watermark does.
 */
export function topLevelRowLimit(query: string, dialect: 'postgres' | 'sqlserver'): string | undefined {
  let tokens: Token[];
  try {
    tokens = tokenize(query).filter((t) => t.kind !== 'space' && t.kind !== 'comment');
  } catch {
    return undefined;
  }
  let depth = 0;
  for (const [i, t] of tokens.entries()) {
    if (t.kind === 'punct' && t.text === '(') depth++;
    else if (t.kind === 'punct' && t.text === ')') depth--;
    // SQL Server's [bracketed] names: `[limit]` is a column, not a clause.
    if (depth !== 0 || t.kind !== 'ident' || tokens[i - 1]?.text === '[') continue;
    const word = t.text.toUpperCase();
    const next = tokens[i + 1]?.text.toUpperCase();
    if (word === 'LIMIT' || word === 'OFFSET') return word;
    if (word === 'FETCH' && (next === 'FIRST' || next === 'NEXT')) return `FETCH ${next}`;
    if (dialect === 'sqlserver' && word === 'TOP') return 'TOP';
  }
  return undefined;
}

/** The problem of an incremental read whose query limits its rows (see topLevelRowLimit). */
export function incrementalRowLimitProblem(clause: string): { path: string; message: string; hint: string } {
  return {
    path: 'query',
    message: `the query has ${clause} at its top level, but an incremental read filters the query's result by its watermark: ${clause} would pick its rows before the watermark does, so after the first run it would pick rows already read and nothing new would ever be read`,
    hint: `remove ${clause} from the query: each run then reads every row above the watermark (to read less per run, filter the rows in the query, e.g. on a date)`,
  };
}
