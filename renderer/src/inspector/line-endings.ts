/**
 * Line breaks as the file holds them. A text with line breaks is edited in a multi-line box (a
 * one-line input would drop them), and an edit keeps the text's own line endings: a file written
 * on Windows keeps its CRLF, even inside a SQL string literal where it is part of a value.
 */

/** Whether a text holds a line break (which a one-line input cannot show or keep). */
export function hasLineBreak(text: unknown): boolean {
  return typeof text === 'string' && /[\r\n]/.test(text);
}

/** Whether every line break of the text is CRLF (and there is at least one). */
function crlfOnly(text: string): boolean {
  return text.includes('\r\n') && !/\r(?!\n)|(?<!\r)\n/.test(text);
}

/**
 * The line separator an editor should use for `text`: CRLF when the text uses CRLF throughout (new
 * lines then get CRLF too), else LF. With LF, a CR that the text holds stays in it as a character,
 * so a text with mixed line endings comes back exactly as it was.
 */
export function lineSeparatorOf(text: string): '\r\n' | '\n' {
  return crlfOnly(text) ? '\r\n' : '\n';
}

/**
 * What a browser text box gives back, with the line endings of the text it was showing: a textarea
 * reports every line break as LF, so a CRLF text would otherwise lose its CRs on the first keystroke.
 */
export function keepLineEndings(before: unknown, after: string): string {
  if (typeof before !== 'string' || !crlfOnly(before)) return after;
  return after.replace(/\r?\n/g, '\r\n');
}
