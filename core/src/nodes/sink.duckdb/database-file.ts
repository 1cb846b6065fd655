import { open } from 'node:fs/promises';

/** DuckDB's database files carry these bytes at offset 8 (after the checksum of the first block). */
const MAGIC = Buffer.from('DUCK');
const MAGIC_AT = 8;

/**
 * Why an existing regular file is not a DuckDB database (undefined when it is one, or cannot be
 * read here: DuckDB's own error says why then). DuckDB finds out only when the file is attached,
 * after every upstream node ran; this reads 12 bytes before anything else does.
 */
export async function notADuckdbDatabase(file: string): Promise<string | undefined> {
  const handle = await open(file, 'r').catch(() => undefined);
  if (!handle) return undefined;
  try {
    const head = Buffer.alloc(MAGIC_AT + MAGIC.length);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    if (bytesRead === 0) return 'it is empty';
    if (bytesRead < head.length || !head.subarray(MAGIC_AT).equals(MAGIC)) return "it does not start with DuckDB's header";
    return undefined;
  } finally {
    await handle.close();
  }
}
