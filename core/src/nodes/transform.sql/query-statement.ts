import { tokenize, type Token } from '../../compiler/sql.js';

/**
 * The words a query DuckDB accepts inside `SELECT * FROM (…)` may start with. Anything else
 * (PRAGMA, SET, ATTACH, COPY, INSTALL, LOAD, CREATE, INSERT, CALL, EXPLAIN, …) is a statement that
 * changes the session or reaches outside the pipeline; DuckDB's parser refused it only as
 * "syntax error at or near ')'" once wrapped, which did not say what was wrong.
 */
const QUERY_STARTS = new Set(['select', 'with', 'from', 'values', 'table', 'pivot', 'unpivot', 'pivot_wider', 'pivot_longer', 'describe', 'show', 'summarize']);

export interface QueryProblem {
  message: string;
  hint?: string;
}

const meaningful = (tokens: Token[]) => tokens.filter((t) => t.kind !== 'space' && t.kind !== 'comment');

/** The first word of a statement that is not a query, after comments and opening parentheses. */
function statementWord(tokens: Token[]): string | undefined {
  const first = tokens.find((t) => !(t.kind === 'punct' && t.text === '('));
  if (first?.kind !== 'ident' || QUERY_STARTS.has(first.text.toLowerCase())) return undefined;
  return first.text.toUpperCase();
}

/**
 * Parentheses must balance: the node places the query inside its own `SELECT * FROM (…)`, which a
 * stray ')' would close early (and an unclosed '(' would take the wrapper's ')' for its own).
 */
function unbalanced(tokens: Token[]): string | undefined {
  let depth = 0;
  for (const t of tokens) {
    if (t.kind !== 'punct') continue;
    if (t.text === '(') depth++;
    if (t.text === ')' && --depth < 0) return `unbalanced ')' at character ${t.start + 1} of the query`;
  }
  return depth > 0 ? `${depth} unclosed '(' in the query` : undefined;
}

/** What makes `sql` something other than one query the node can wrap; undefined when it is one. */
export function queryStatementProblem(sql: string): QueryProblem | undefined {
  let tokens: Token[];
  try {
    tokens = meaningful(tokenize(sql));
  } catch {
    return undefined; // the shape check (ctx.query) reports text that does not tokenize
  }
  const word = statementWord(tokens);
  if (word !== undefined)
    return {
      message: `the query starts with ${word}; a SQL node runs one query (SELECT, WITH … SELECT, FROM, VALUES, PIVOT or UNPIVOT) and nothing else`,
      hint: "settings, attached databases, files written and extensions are not a SQL node's to change: read data with a source node, write it with a sink node, and keep only the SELECT here",
    };
  const paren = unbalanced(tokens);
  return paren === undefined ? undefined : { message: paren, hint: 'check the parentheses of the query: each ( needs its )' };
}
