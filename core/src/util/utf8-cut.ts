/** `text` cut to at most `max` UTF-8 bytes, never inside a character (for file names, which hold 255 bytes). */
export function cutUtf8(text: string, max: number): string {
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > max) break;
    out += ch;
    bytes += n;
  }
  return out;
}
