import { open } from 'node:fs/promises';

const CHUNK = 1 << 20;

/**
 * The 1-based number of the first line of a file that is empty or holds only spaces and control
 * characters (Java's trim() leaves nothing), or undefined. Spark's CSV reader skips such lines;
 * DuckDB reads each as a row (NULL) when the file has one column. Bytes are looked at, not
 * characters: in the encodings Spark reads here (UTF-8, single-byte, Shift_JIS, GBK, Big5, EUC) no
 * byte at or below 0x20 is part of a multi-byte character.
 */
export async function firstBlankLine(file: string): Promise<number | undefined> {
  const handle = await open(file, 'r');
  try {
    const buf = Buffer.alloc(CHUNK);
    let line = 1;
    let blank = true;
    let empty = true;
    for (;;) {
      const { bytesRead } = await handle.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) break;
      for (let i = 0; i < bytesRead; i++) {
        const b = buf[i]!;
        if (b === 10) {
          if (blank) return line;
          line++;
          blank = true;
          empty = true;
        } else {
          empty = false;
          if (b > 0x20) blank = false;
        }
      }
    }
    // A last line without a line break counts when it holds something (only spaces, say).
    return blank && !empty ? line : undefined;
  } finally {
    await handle.close();
  }
}
