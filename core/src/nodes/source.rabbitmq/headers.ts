import type { MessageProperties } from 'amqplib';
import { hexText, utf8Text } from '../shared/bytes-text.js';

/**
 * AMQP message headers as the text of the `_headers` column, and the headers that cannot be said
 * as sent. amqplib decodes a header table into JS values: byte arrays (type 'x', e.g. a Java
 * client's byte[]) as Buffers, timestamps ('T') and decimals ('D') as `{"!": type, value}`
 * wrappers, and 64-bit integers ('l') as JS numbers, which hold whole numbers exactly only up to
 * 2^53: beyond that the digits are already lost when the message reaches the node.
 */

/** Bytes as text: their UTF-8 text when they are UTF-8, else `\x` and hex (as PostgreSQL shows bytea). */
function bytesText(b: Buffer): string {
  return utf8Text(b) ?? hexText(b);
}

/** An AMQP decimal (unscaled digits, decimal places) as its decimal text: 12345 with 2 places is `123.45`. */
function decimalText(d: { places: number; digits: number }): string {
  const s = String(d.digits).padStart(d.places + 1, '0');
  return d.places === 0 ? s : `${s.slice(0, -d.places)}.${s.slice(-d.places)}`;
}

/** amqplib's wrapper of a typed value (`{"!": "timestamp", value: 5}`) as a plain value, or undefined when `v` is not one. */
function unwrapped(v: unknown): { value: unknown } | undefined {
  if (v === null || typeof v !== 'object' || !Object.hasOwn(v, '!')) return undefined;
  const w = v as { '!': unknown; value: unknown };
  if (w['!'] === 'timestamp') return { value: w.value };
  // Decimal digits are at most 10 (an unsigned 32-bit number): the JSON number prints them as sent.
  if (w['!'] === 'decimal') return { value: Number(decimalText(w.value as { places: number; digits: number })) };
  return undefined;
}

/** A header value as text: strings as they are, byte arrays as their text, the rest as JSON. */
export function headerText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return bytesText(v);
  const w = v as { '!'?: unknown; value?: unknown };
  if (unwrapped(v) && w['!'] === 'decimal') return decimalText(w.value as { places: number; digits: number });
  return JSON.stringify(v, (_k, x: unknown) => {
    const plain = unwrapped(x);
    if (plain) return plain.value;
    // JSON.stringify has already turned a nested Buffer into {"type":"Buffer","data":[...]}.
    const b = x as { type?: unknown; data?: unknown };
    return b !== null && typeof b === 'object' && b.type === 'Buffer' && Array.isArray(b.data) && Object.keys(b).length === 2 ? bytesText(Buffer.from(b.data as number[])) : x;
  });
}

/** Only a 64-bit integer ('l', or a 'T' timestamp) can be a whole number in this range: a double past 2^63 is said as it is. */
const MAX_INT64 = 2 ** 63;

/** A whole number a 64-bit integer header may have held but a JS number cannot hold exactly. */
const rounded = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v) && Math.abs(v) <= MAX_INT64;

/** The first rounded number at any depth of a header value (tables, arrays, timestamp wrappers). */
function firstRounded(v: unknown): number | undefined {
  if (rounded(v)) return v;
  if (v === null || typeof v !== 'object' || Buffer.isBuffer(v)) return undefined;
  for (const x of Object.values(v)) {
    const hit = firstRounded(x);
    if (hit !== undefined) return hit;
  }
  return undefined;
}

const BEYOND = 'an integer beyond 2^53, which the AMQP client (amqplib) reads as a JS number that keeps whole numbers exactly only up to 2^53 (9007199254740992)';

/** Why the headers or the timestamp of a message cannot be output as sent, or undefined. */
export function headersProblem(properties: Pick<MessageProperties, 'headers' | 'timestamp'>): string | undefined {
  for (const [k, v] of Object.entries(properties.headers ?? {})) {
    const hit = firstRounded(v);
    if (hit !== undefined) return `header '${k}' holds ${BEYOND}: it reads ${String(BigInt(hit))}, which may not be the number sent; send it as a string header (or turn off Message metadata)`;
  }
  const ts: unknown = properties.timestamp;
  if (rounded(ts)) return `the timestamp property holds ${BEYOND}: it reads ${String(BigInt(ts))}, which may not be the number sent (AMQP timestamps are seconds since the epoch)`;
  return undefined;
}
