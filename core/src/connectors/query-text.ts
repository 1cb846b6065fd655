import { stripTrailingSemicolon } from '../compiler/sql.js';

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
