import type { Utf16Encoding } from '../../util/transcode.js';

/** UTF-16 text, by its byte-order mark or its characters; `nul-bytes`: NULs between bytes that do not read as UTF-16 text either. */
export type Utf16Found = Utf16Encoding | 'nul-bytes';

/**
 * UTF-16 by its byte-order mark; without one, by its NUL bytes (every other byte of Latin text),
 * when the bytes then read as UTF-16 text: mostly printable characters, the NULs on one side.
 */
export function utf16Of(head: Buffer): Utf16Found | undefined {
  if (head.length >= 2 && head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head.length >= 2 && head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  const n = Math.min(head.length, 4096);
  const probe = head.subarray(0, n - (n % 2));
  let [even, odd] = [0, 0];
  for (let i = 0; i < probe.length; i++) {
    if (probe[i] !== 0) continue;
    if (i % 2 === 0) even++;
    else odd++;
  }
  if (even + odd <= probe.length / 4) return undefined;
  const encoding: Utf16Encoding = odd > even ? 'utf-16le' : 'utf-16be';
  const text = new TextDecoder(encoding).decode(probe);
  const unprintable = [...text].filter((c) => c === '\uFFFD' || (c < ' ' && c !== '\t' && c !== '\n' && c !== '\r')).length;
  return unprintable <= text.length / 100 ? encoding : 'nul-bytes';
}
