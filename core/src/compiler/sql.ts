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
    // The shortest text that reads back as this number (0.1, not 0.10000000000000001): DuckDB reads a
    // plain decimal as an exact DECIMAL, so 17 digits would make 0.1 compare above a DECIMAL 0.10.
    return String(value);
  }
  if (typeof value === 'string') return stringLiteral(value);
  if (value instanceof Date) return `TIMESTAMP ${stringLiteral(value.toISOString().replace('T', ' ').replace('Z', ''))}`;
  if (Array.isArray(value)) return '[' + value.map(literal).join(', ') + ']';
  return '{' + Object.entries(value).map(([k, v]) => `${stringLiteral(k)}: ${literal(v)}`).join(', ') + '}';
}

/**
 * An exact decimal number as DuckDB keeps it: an integer literal (up to HUGEINT) or a DECIMAL
 * literal, never a DOUBLE. The text must already be canonical (`-12.5`, see `exactDecimal` in
 * validate.ts); a negative number is parenthesized so `x-$n` cannot become a `--` comment.
 */
export function decimalLiteral(text: string): string {
  if (!/^-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?$/.test(text)) throw new Error(`not a canonical decimal number: ${JSON.stringify(text)}`);
  return text.startsWith('-') ? `(${text})` : text;
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

/*
 * Character classes of DuckDB's lexer (PostgreSQL's scan.l): any non-ASCII character is an
 * identifier character, except the Unicode spaces DuckDB turns into plain spaces before lexing.
 * Which of those DuckDB replaces depends on its own pre-scan (it does not know nested comments or
 * E'' strings), so substituteParams writes them as plain spaces: DuckDB then reads what we read.
 * \v is not a space for DuckDB (it refuses the query), so it stays a punctuation token.
 */
const UNICODE_SPACE = /[\u00A0\u2000-\u200B\u202F\u205F\u2060\u3000\uFEFF]/;
const SPACE = /[ \t\n\r\f\u00A0\u2000-\u200B\u202F\u205F\u2060\u3000\uFEFF]/;
const isSpace = (c: string | undefined) => c !== undefined && SPACE.test(c);
const isIdentStart = (c: string | undefined) => c !== undefined && (/[A-Za-z_]/.test(c) || (c >= '\u0080' && !SPACE.test(c)));
const isIdentCont = (c: string | undefined) => c !== undefined && (isIdentStart(c) || /[0-9$]/.test(c));
/** A dollar-quote tag: `$$` or `$tag$` (the tag an identifier without `$`), at `i`; undefined if there is none. */
function dollarTag(sql: string, i: number): string | undefined {
  if (sql[i] !== '$') return undefined;
  let j = i + 1;
  if (isIdentStart(sql[j])) {
    j++;
    while (isIdentCont(sql[j]) && sql[j] !== '$') j++;
  }
  return sql[j] === '$' ? sql.slice(i, j + 1) : undefined;
}

/**
 * A lexer that splits SQL exactly where DuckDB's does for everything that can hide text: strings
 * ('…' with '' inside, E'…' with backslash escapes, $$…$$ and $tag$…$tag$), quoted identifiers,
 * -- comments (ending at \n or \r) and nested block comments. It does not parse SQL; DuckDB's
 * binder does that when the view is created. `$name` is a param only outside all of these.
 */
export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, end: number) => {
    tokens.push({ kind, text: sql.slice(i, end), start: i });
    i = end;
  };
  /** The end (exclusive) of a '…' string or "…" identifier whose opening quote is at `open`. */
  const quoted = (open: number, q: string, backslash: boolean): number => {
    let j = open + 1;
    for (;;) {
      if (j >= sql.length) throw new SqlSyntaxError(`unterminated ${q === "'" ? 'string' : 'quoted identifier'} starting at character ${i + 1}`);
      if (backslash && sql[j] === '\\') j += 2;
      else if (sql[j] === q) {
        if (sql[j + 1] === q) j += 2;
        else return j + 1;
      } else j++;
    }
  };
  while (i < sql.length) {
    const c = sql[i]!;
    const tag = c === '$' ? dollarTag(sql, i) : undefined;
    if (c === "'" || c === '"') {
      push(c === "'" ? 'string' : 'quoted', quoted(i, c, false));
    } else if ((c === 'e' || c === 'E') && sql[i + 1] === "'") {
      // E'…': backslash escapes (E'it\'s'). Only a lone E: in abcE'x' the E ends an identifier.
      push('string', quoted(i + 1, "'", true));
    } else if (tag !== undefined) {
      const close = sql.indexOf(tag, i + tag.length);
      if (close === -1) {
        const hint = tag.length > 2 ? ` (${tag} starts a dollar-quoted string; to use a param there, put a space after $${tag.slice(1, -1)})` : '';
        throw new SqlSyntaxError(`unterminated dollar-quoted string starting at character ${i + 1}${hint}`);
      }
      push('string', close + tag.length);
    } else if (c === '-' && sql[i + 1] === '-') {
      let j = i + 2;
      while (j < sql.length && sql[j] !== '\n' && sql[j] !== '\r') j++;
      push('comment', j);
    } else if (c === '/' && sql[i + 1] === '*') {
      // Block comments nest in DuckDB: /* a /* b */ c */ is one comment.
      let depth = 1;
      let nested = false;
      let j = i + 2;
      while (depth > 0) {
        if (j >= sql.length) throw new SqlSyntaxError(`unterminated comment starting at character ${i + 1}${nested ? ' (block comments nest: each /* inside needs its own */)' : ''}`);
        if (sql[j] === '/' && sql[j + 1] === '*') {
          depth++;
          nested = true;
          j += 2;
        } else if (sql[j] === '*' && sql[j + 1] === '/') {
          depth--;
          j += 2;
        } else j++;
      }
      push('comment', j);
    } else if (isSpace(c)) {
      let j = i + 1;
      while (isSpace(sql[j])) j++;
      push('space', j);
    } else if (c === '$' && isIdentStart(sql[i + 1])) {
      let j = i + 2;
      while (isIdentCont(sql[j]) && sql[j] !== '$') j++;
      push('param', j);
    } else if (isIdentStart(c)) {
      let j = i + 1;
      while (isIdentCont(sql[j])) j++;
      push('ident', j);
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      // An exponent only with its digits: in 1E'x' DuckDB reads 1, then the string E'x'.
      const m = /^(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)(?:[eE][+-]?[0-9]+)?/.exec(sql.slice(i))!;
      push('number', i + m[0].length);
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
      if (t.kind === 'space') return t.text.replace(new RegExp(UNICODE_SPACE.source, 'g'), ' ');
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
  // DuckDB parses the expression inside parentheses of ours: `amount > 0 AND` was refused "at or
  // near ")"", a character nobody typed.
  const last = tokens.filter((t) => t.kind !== 'space' && t.kind !== 'comment').at(-1);
  if (last && ((last.kind === 'punct' && OPERATOR_CHARS.has(last.text)) || (last.kind === 'ident' && EXPECTS_OPERAND.has(last.text.toUpperCase())))) {
    return `the expression ends early, after '${last.text}' (character ${last.start + 1}): what follows it is missing`;
  }
  return undefined;
}

/** A punctuation character after which an expression cannot end (an operator waiting for its right side). */
const OPERATOR_CHARS = new Set(['+', '-', '*', '/', '%', '=', '<', '>', '|', '&', '^', ',', '!', '~', ':', '.']);
/** Keywords after which an expression cannot end. */
const EXPECTS_OPERAND = new Set(['AND', 'OR', 'NOT', 'IS', 'IN', 'LIKE', 'ILIKE', 'GLOB', 'SIMILAR', 'BETWEEN', 'CASE', 'WHEN', 'THEN', 'ELSE', 'ESCAPE', 'DISTINCT', 'CAST', 'AS']);

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
