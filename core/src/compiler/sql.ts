/**
 * The only way SQL text is assembled in Caudal. Identifiers are always double-quoted,
 * values become typed literals with single quotes doubled, and user SQL expressions are
 * tokenized so that pipeline params can be substituted as literals (never pasted as text).
 */

export function ident(name: string): string {
  if (name.includes('\u0000')) throw new Error(`identifier contains a NUL character: ${JSON.stringify(name)}`);
  return '"' + name.replaceAll('"', '""') + '"';
}

/** schema.table or db.schema.table, each part quoted. */
export function qualified(...parts: string[]): string {
  return parts.map(ident).join('.');
}

export function stringLiteral(value: string): string {
  if (value.includes('\u0000')) throw new Error('string literal contains a NUL character');
  return "'" + value.replaceAll("'", "''") + "'";
}

export type SqlValue = string | number | boolean | bigint | null | Date | SqlValue[] | { [k: string]: SqlValue };

/** A typed SQL literal for a JavaScript value. Dates become DATE or TIMESTAMP literals. */
/**
 * A `--` comment line of a script: any line break inside the text (a column, table or file name
 * can hold one) becomes a space, so the text cannot end the comment and run as SQL.
 */
export function commentLine(text: string): string {
  return `-- ${text.replace(/[\r\n\v\f\u0085\u2028\u2029]/g, ' ')}`;
}

/** A script line: a statement with its `;`, or a comment line (starting `--`) made safe by `commentLine`. */
export function scriptLine(line: string): string {
  return line.startsWith('--') ? commentLine(line.slice(2).trimStart()) : `${line};`;
}

export function literal(value: SqlValue): string {
  if (value === null) return 'NULL';
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot use ${value} as a SQL number`);
    return Number.isInteger(value) ? String(value) : value.toPrecision(17).replace(/\.?0+$/, '');
  }
  if (typeof value === 'string') return stringLiteral(value);
  if (value instanceof Date) return `TIMESTAMP ${stringLiteral(value.toISOString().replace('T', ' ').replace('Z', ''))}`;
  if (Array.isArray(value)) return '[' + value.map(literal).join(', ') + ']';
  return '{' + Object.entries(value).map(([k, v]) => `${stringLiteral(k)}: ${literal(v)}`).join(', ') + '}';
}

export function dateLiteral(isoDate: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(isoDate)) throw new Error(`not an ISO date (YYYY-MM-DD): ${isoDate}`);
  return `DATE ${stringLiteral(isoDate)}`;
}

/** Named arguments for a table function: `name := literal`. Undefined values are skipped. */
export function namedArgs(args: Record<string, SqlValue | undefined>): string {
  return Object.entries(args)
    .filter((e): e is [string, SqlValue] => e[1] !== undefined)
    .map(([k, v]) => `${k} := ${literal(v)}`)
    .join(', ');
}

export function identList(names: readonly string[]): string {
  return names.map(ident).join(', ');
}

// ---- tokenizer for user-written SQL expressions -------------------------------------------

export type TokenKind = 'string' | 'ident' | 'quoted' | 'param' | 'number' | 'comment' | 'space' | 'punct' | 'semicolon';
export interface Token {
  kind: TokenKind;
  text: string;
  start: number;
}

/**
 * A lexer good enough to know what is inside strings, quoted identifiers and comments.
 * It does not parse SQL; DuckDB's binder does that when the view is created.
 */
export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, end: number) => {
    tokens.push({ kind, text: sql.slice(i, end), start: i });
    i = end;
  };
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      let j = i + 1;
      for (;;) {
        if (j >= sql.length) throw new SqlSyntaxError(`unterminated ${c === "'" ? 'string' : 'quoted identifier'} starting at character ${i + 1}`);
        if (sql[j] === c) {
          if (sql[j + 1] === c) j += 2;
          else break;
        } else j++;
      }
      push(c === "'" ? 'string' : 'quoted', j + 1);
    } else if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      push('comment', nl === -1 ? sql.length : nl);
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end === -1) throw new SqlSyntaxError(`unterminated comment starting at character ${i + 1}`);
      push('comment', end + 2);
    } else if (/\s/.test(c)) {
      let j = i + 1;
      while (j < sql.length && /\s/.test(sql[j]!)) j++;
      push('space', j);
    } else if (c === '$' && /[A-Za-z_]/.test(sql[i + 1] ?? '')) {
      let j = i + 1;
      while (j < sql.length && /[A-Za-z0-9_]/.test(sql[j]!)) j++;
      push('param', j);
    } else if (/[A-Za-z_\u00C0-\uFFFF]/.test(c)) {
      let j = i + 1;
      while (j < sql.length && /[A-Za-z0-9_$\u00C0-\uFFFF]/.test(sql[j]!)) j++;
      push('ident', j);
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      let j = i + 1;
      while (j < sql.length && /[0-9._eE]/.test(sql[j]!)) j++;
      push('number', j);
    } else if (c === ';') {
      push('semicolon', i + 1);
    } else {
      push('punct', i + 1);
    }
  }
  return tokens;
}

export class SqlSyntaxError extends Error {}

/**
 * Replaces `$name` references with literals from `values`. Unknown names are reported through
 * `onUnknown` and left as they are (DuckDB then reports them), so validation can list them all.
 */
export function substituteParams(
  sql: string,
  values: Record<string, string>,
  onUnknown: (name: string) => void = () => {},
): string {
  return tokenize(sql)
    .map((t) => {
      if (t.kind !== 'param') return t.text;
      const name = t.text.slice(1);
      // Own properties only: a param named constructor or toString is not Object.prototype's.
      const lit = Object.hasOwn(values, name) ? values[name] : undefined;
      if (lit === undefined) {
        onUnknown(name);
        return t.text;
      }
      return lit;
    })
    .join('');
}

/**
 * Checks that text is a single expression that cannot escape the parentheses it is placed in:
 * parentheses balance, no statement separator outside strings. Returns an error text or undefined.
 */
export function checkExpressionShape(sql: string): string | undefined {
  let tokens: Token[];
  try {
    tokens = tokenize(sql);
  } catch (e) {
    return (e as Error).message;
  }
  if (tokens.every((t) => t.kind === 'space' || t.kind === 'comment')) return 'the expression is empty';
  let depth = 0;
  for (const t of tokens) {
    if (t.kind === 'semicolon') return `';' at character ${t.start + 1}: an expression cannot contain several statements`;
    if (t.kind === 'punct' && t.text === '(') depth++;
    if (t.kind === 'punct' && t.text === ')') {
      depth--;
      if (depth < 0) return `unbalanced ')' at character ${t.start + 1}`;
    }
  }
  if (depth > 0) return `${depth} unclosed '(' in the expression`;
  return undefined;
}

/** Checks a full query (transform.sql): one statement, no trailing separators beyond one ';'. */
export function checkQueryShape(sql: string): string | undefined {
  let tokens: Token[];
  try {
    tokens = tokenize(sql);
  } catch (e) {
    return (e as Error).message;
  }
  const meaningful = tokens.filter((t) => t.kind !== 'space' && t.kind !== 'comment');
  if (meaningful.length === 0) return 'the query is empty';
  const semis = meaningful.filter((t) => t.kind === 'semicolon');
  if (semis.length > 1 || (semis.length === 1 && meaningful.at(-1)?.kind !== 'semicolon'))
    return 'the query must be a single SELECT statement (found several statements)';
  return undefined;
}

/** Strips one trailing ';' (and the comments/space around it) from a query. */
export function stripTrailingSemicolon(sql: string): string {
  const tokens = tokenize(sql);
  let end = tokens.length;
  while (end > 0 && (tokens[end - 1]!.kind === 'space' || tokens[end - 1]!.kind === 'comment')) end--;
  if (end > 0 && tokens[end - 1]!.kind === 'semicolon') return tokens.slice(0, end - 1).map((t) => t.text).join('');
  return sql;
}
