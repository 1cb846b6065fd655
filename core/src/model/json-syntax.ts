import { type JSONPath, type ParseError, parse, printParseErrorCode, visit } from 'jsonc-parser';

/** What is wrong with text that JSON.parse refused, as words a person can act on. */
const REASONS: Partial<Record<ReturnType<typeof printParseErrorCode>, string>> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'malformed number',
  PropertyNameExpected: 'expected a property name in double quotes (a trailing comma?)',
  ValueExpected: 'expected a value',
  ColonExpected: "expected ':' after the property name",
  CommaExpected: 'expected a comma',
  CloseBraceExpected: "expected '}'",
  CloseBracketExpected: "expected ']'",
  EndOfFileExpected: 'unexpected text after the end of the JSON value',
  InvalidCommentToken: 'comments are not allowed in JSON',
  UnexpectedEndOfComment: 'comments are not allowed in JSON',
  UnexpectedEndOfString: 'a string is not closed',
  UnexpectedEndOfNumber: 'malformed number',
  InvalidUnicode: 'malformed \\u escape',
  InvalidEscapeCharacter: 'invalid escape in a string',
  InvalidCharacter: 'a control character (tab, newline) inside a string must be escaped',
};

export interface JsonSyntaxError {
  line: number;
  column: number;
  reason: string;
}

/**
 * Where JSON text breaks, by position and kind only. JSON.parse's own message quotes the text
 * around the error ("root:x:0:0"... is not valid JSON), and errors must never echo a file's
 * contents, so the position comes from jsonc-parser's scanner (strict: no comments, no trailing
 * commas) instead.
 */
export function jsonSyntaxError(text: string): JsonSyntaxError | undefined {
  const errors: ParseError[] = [];
  parse(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  if (!first) return undefined;
  const before = text.slice(0, first.offset);
  const line = before.split('\n').length;
  return { line, column: first.offset - before.lastIndexOf('\n'), reason: text.trim() === '' ? 'the file is empty' : (REASONS[printParseErrorCode(first.error)] ?? 'not valid JSON') };
}

/**
 * ` at line L, column C: reason` for text JSON.parse refused, for a message that must not quote
 * the text (JSON.parse's own message does: a secret next to a typo ends up in a log).
 */
export function jsonSyntaxWhere(text: string): string {
  const at = jsonSyntaxError(text.startsWith('\uFEFF') ? text.slice(1) : text);
  return at ? ` at line ${at.line}, column ${at.column}: ${at.reason}` : '';
}

export interface DuplicateKey {
  key: string;
  /** Where the object holding the key sits in the document. */
  objectPath: JSONPath;
  /** 1-based lines of the first and of the repeated key. */
  firstLine: number;
  line: number;
  column: number;
}

/**
 * Keys written twice in one object. JSON.parse keeps the last and drops the first without a word,
 * which is how a merge that kept both sides' lines (`"path": "2024.csv",` and `"path": "2025.csv",`)
 * would quietly change what a file says. Positions only: the values are never quoted.
 */
export function duplicateKeys(text: string): DuplicateKey[] {
  const found: DuplicateKey[] = [];
  const open: Array<Map<string, number>> = [];
  visit(
    text,
    {
      onObjectBegin: () => void open.push(new Map()),
      onObjectEnd: () => void open.pop(),
      onObjectProperty: (key, _offset, _length, line, character, pathSupplier) => {
        const seen = open.at(-1);
        if (!seen) return;
        const first = seen.get(key);
        if (first === undefined) seen.set(key, line + 1);
        else found.push({ key, objectPath: pathSupplier(), firstLine: first, line: line + 1, column: character + 1 });
      },
    },
    { disallowComments: true, allowTrailingComma: false },
  );
  return found;
}

/** "key "path" appears twice in nodes[1].params (lines 11 and 12)" */
export function describeDuplicate(d: DuplicateKey, where: (path: JSONPath) => string): string {
  const inside = d.objectPath.length === 0 ? 'at the top level' : `in ${where(d.objectPath)}`;
  return `key "${d.key}" appears twice ${inside} (lines ${d.firstLine} and ${d.line}): JSON keeps only the last, so the first would be ignored`;
}

/** A number in the text that JSON readers change: an integer past 2^53, or one too large for a double. */
export interface RoundedNumber {
  path: JSONPath;
  written: string;
  read: number;
  line: number;
}

/**
 * Numbers whose value JSON.parse changes: an integer written with more digits than a double holds
 * (9007199254740993 is read as 9007199254740992) and numbers beyond a double's range (1e400 is
 * Infinity). Fractions are not listed: every JSON reader takes 0.1 as the double nearest to it.
 */
export function roundedNumbers(text: string): RoundedNumber[] {
  const found: RoundedNumber[] = [];
  visit(
    text,
    {
      onLiteralValue: (value, offset, length, line, _character, pathSupplier) => {
        if (typeof value !== 'number') return;
        const written = text.slice(offset, offset + length);
        const changed = !Number.isFinite(value) || (/^-?[0-9]+$/.test(written) && BigInt(written) !== BigInt(value));
        if (changed) found.push({ path: pathSupplier(), written, read: value, line: line + 1 });
      },
    },
    { disallowComments: true, allowTrailingComma: false },
  );
  return found;
}
