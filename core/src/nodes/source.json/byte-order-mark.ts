import { open } from 'node:fs/promises';

/**
 * Whether a JSON file starts with a UTF-8 byte-order mark and then a top-level array. Windows tools
 * write the mark (PowerShell, .NET, Notepad); behind it DuckDB's layout detection does not see the
 * array and reads the whole of it as one value in a column `json`, one row, without an error.
 * Such a file is read with the layout stated as `array`, which reads past the mark.
 */
export async function arrayBehindByteOrderMark(file: string | undefined): Promise<boolean> {
  if (file === undefined) return false;
  const head = Buffer.alloc(256);
  const handle = await open(file, 'r').catch(() => undefined);
  if (!handle) return false;
  try {
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const text = head.subarray(0, bytesRead).toString('utf8');
    return /^\uFEFF\s*\[/.test(text);
  } finally {
    await handle.close();
  }
}
