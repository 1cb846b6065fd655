/**
 * Message bytes (a key, a header value) as text: their UTF-8 text when they are UTF-8, else `\x`
 * and their hex, as PostgreSQL shows bytea (`00 00 00 FE` is `\x000000fe`). The stream sources
 * write keys and headers this way, so that bytes that are not text are kept apart.
 */
export function utf8Text(b: Buffer): string | undefined {
  const text = b.toString('utf8');
  return Buffer.from(text, 'utf8').equals(b) ? text : undefined;
}

export function hexText(b: Buffer): string {
  return `\\x${b.toString('hex')}`;
}
