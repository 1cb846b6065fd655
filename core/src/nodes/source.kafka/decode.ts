import type { KafkaRecord } from '../../connectors/kafka/consume.js';

/**
 * Kafka messages → lines of the spool files DuckDB reads: one JSON object per message with the
 * decoded value under `value` and where the message came from (`_topic`, `_partition`, `_offset`,
 * `_timestamp` in ms, `_key`, `_headers`). A value that does not decode becomes a reject line
 * instead, with the raw text and the reason.
 */
export type ValueFormat = 'json' | 'text';

export interface Decoded {
  line?: string;
  reject?: string;
}

function headersJson(h: KafkaRecord['headers']): string {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? v.map((x) => x.toString()).join(',') : v.toString();
  }
  return JSON.stringify(out);
}

function meta(r: KafkaRecord): string {
  return `"_topic":${JSON.stringify(r.topic)},"_partition":${r.partition},"_offset":${r.offset},"_timestamp":${r.timestamp},"_key":${r.key === null ? 'null' : JSON.stringify(r.key.toString('utf8'))},"_headers":${headersJson(r.headers)}`;
}

export function decodeRecord(r: KafkaRecord, format: ValueFormat): Decoded {
  if (r.value === null) return { line: `{"value":null,${meta(r)}}` };
  const text = r.value.toString('utf8');
  if (format === 'text') return { line: `{"value":${JSON.stringify(text)},${meta(r)}}` };
  try {
    JSON.parse(text);
  } catch (e) {
    const reason = `the value is not JSON: ${(e as Error).message}`;
    return { reject: `{"_raw":${JSON.stringify(text)},"_reason":${JSON.stringify(reason)},${meta(r)}}` };
  }
  // Valid JSON goes into the spool as sent: no re-serialization.
  return { line: `{"value":${text.trim()},${meta(r)}}` };
}

/** DuckDB types of the metadata columns, in output order. */
export const METADATA_COLUMNS: Array<[string, string]> = [
  ['_topic', 'VARCHAR'],
  ['_partition', 'INTEGER'],
  ['_offset', 'BIGINT'],
  ['_timestamp', 'BIGINT'],
  ['_key', 'VARCHAR'],
  ['_headers', 'MAP(VARCHAR, VARCHAR)'],
];
