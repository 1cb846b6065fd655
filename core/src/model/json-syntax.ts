import { type ParseError, parse, printParseErrorCode } from 'jsonc-parser';

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
