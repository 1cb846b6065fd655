import type { KafkaRecord } from '../../connectors/kafka/consume.js';
import type { StreamMessage } from '../shared/stream-spool.js';
import { hexText, utf8Text } from '../shared/bytes-text.js';

/** DuckDB types of the metadata columns, in output order. */
export const KAFKA_METADATA: Array<[string, string]> = [
  ['_topic', 'VARCHAR'],
  ['_partition', 'INTEGER'],
  ['_offset', 'BIGINT'],
  ['_timestamp', 'BIGINT'],
  ['_key', 'VARCHAR'],
  ['_headers', 'MAP(VARCHAR, VARCHAR)'],
];

/**
 * The headers as a JSON object of texts. A header without a value (null: legal in the protocol,
 * sent by Java producers) is JSON null; a repeated header is its values joined by commas, one
 * without a value as an empty text.
 */
function headersJson(h: KafkaRecord['headers']): string {
  const out: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? v.map((x) => headerValueText(x) ?? '').join(',') : headerValueText(v);
  }
  return JSON.stringify(out);
}

function headerValueText(v: Buffer | string | null | undefined): string | null {
  return v === null || v === undefined ? null : typeof v === 'string' ? bytesText(Buffer.from(v, 'utf8')) : bytesText(v);
}

/**
 * A key's or header value's bytes as text, without two different byte strings ever becoming the
 * same text (upserts, dedupe and tombstones keyed on `_key` would merge records): UTF-8 text as it
 * is; bytes that are not UTF-8 (a binary key: Avro, a 4-byte integer) as `\x` and their hex, as
 * source.rabbitmq writes such header values and PostgreSQL shows bytea (`00 00 00 FE` is
 * `\x000000fe`). A text that itself starts with `\x` is written as hex too, so that a text and
 * bytes whose hex it spells stay apart.
 */
export function bytesText(b: Buffer): string {
  const text = utf8Text(b);
  return text !== undefined && !text.startsWith('\\x') ? text : hexText(b);
}

/** A Kafka record as a spool message: its value and where it came from. */
export function kafkaMessage(r: KafkaRecord): StreamMessage {
  return {
    value: r.value,
    where: () => `${r.topic}/${r.partition}@${r.offset}`,
    meta: () => `"_topic":${JSON.stringify(r.topic)},"_partition":${r.partition},"_offset":${r.offset},"_timestamp":${r.timestamp},"_key":${r.key === null ? 'null' : JSON.stringify(bytesText(r.key))},"_headers":${headersJson(r.headers)}`,
  };
}
