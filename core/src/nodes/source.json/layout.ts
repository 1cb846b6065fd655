import { readHead } from '../source.csv/scan-lines.js';

/** How a local JSON file starts: its UTF-8 byte-order mark, if any, and its first character past whitespace. */
export async function jsonStart(file: string | undefined): Promise<{ byteOrderMark: boolean; first: string } | undefined> {
  const head = file === undefined ? undefined : await readHead(file, 4096).catch(() => undefined);
  if (!head) return undefined;
  const text = head.toString('utf8');
  const byteOrderMark = text.startsWith('\uFEFF');
  return { byteOrderMark, first: text.slice(byteOrderMark ? 1 : 0).trimStart().charAt(0) };
}

/**
 * Whether a JSON file starts with a UTF-8 byte-order mark and then a top-level array. Windows tools
 * write the mark (PowerShell, .NET, Notepad); behind it DuckDB's layout detection does not see the
 * array and reads the whole of it as one value in a column `json`, one row, without an error.
 * Such a file is read with the layout stated as `array`, which reads past the mark.
 */
export async function arrayBehindByteOrderMark(file: string | undefined): Promise<boolean> {
  const start = await jsonStart(file);
  return start !== undefined && start.byteOrderMark && start.first === '[';
}
