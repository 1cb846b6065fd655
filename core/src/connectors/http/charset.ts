import { isUtf8 } from 'node:buffer';
import { TextDecoder } from 'node:util';
import { decodeAll, nearUndecodable } from '../../util/transcode.js';

/** The charset a Content-Type header names (`application/json; charset=ISO-8859-1`), lower-cased, if any. */
export function charsetOf(contentType: string | undefined): string | undefined {
  const m = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '');
  return m ? m[1]!.toLowerCase() : undefined;
}

/**
 * A JSON answer as UTF-8 bytes, which is what everything after reads. JSON is UTF-8 (RFC 8259), but
 * legacy APIs send other charsets and say so (`application/json; charset=ISO-8859-1`): such an
 * answer is decoded with the charset it names, as a browser does. Bytes that are not text in that
 * charset (UTF-8 when none is named) are refused, naming where: read leniently they became U+FFFD
 * (`José` arrived as `Jos�`) without a word.
 */
export function jsonBodyAsUtf8(body: Buffer, contentType: string | undefined): { body: Buffer } | { problem: string; hint: string } {
  const charset = charsetOf(contentType);
  if (charset === undefined || charset === 'utf-8' || charset === 'utf8') {
    if (isUtf8(body)) return { body };
    return { problem: `the answer is not UTF-8 text${nearUndecodable(body.toString('utf8'))}, and its Content-Type names no other charset`, hint: 'JSON answers are UTF-8 (RFC 8259): ask the API for UTF-8, or to name its charset in the Content-Type header' };
  }
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(charset, { fatal: true });
  } catch {
    return { problem: `the answer's Content-Type names the charset "${charset}", which is not one Caudal reads`, hint: 'ask the API for UTF-8' };
  }
  try {
    return { body: Buffer.from(decodeAll(decoder, body), 'utf8') };
  } catch {
    const lenient = decodeAll(new TextDecoder(charset), body);
    return { problem: `the answer is not ${charset} text, the charset its Content-Type names${nearUndecodable(lenient)}`, hint: 'ask the API for UTF-8, or to name the charset it sends' };
  }
}
