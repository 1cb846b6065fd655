import { open } from 'node:fs/promises';

/** How a local JSON file starts: its UTF-8 byte-order mark, if any, and its first character past whitespace. */
export async function jsonStart(file: string | undefined): Promise<{ byteOrderMark: boolean; first: string } | undefined> {
  if (file === undefined) return undefined;
  const handle = await open(file, 'r').catch(() => undefined);
  if (!handle) return undefined;
  try {
    const head = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const text = head.subarray(0, bytesRead).toString('utf8');
    const byteOrderMark = text.startsWith('\uFEFF');
    return { byteOrderMark, first: text.slice(byteOrderMark ? 1 : 0).trimStart().charAt(0) };
  } finally {
    await handle.close();
  }
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
