import type { KafkaRecord } from '../../connectors/kafka/consume.js';
import type { StreamMessage } from '../shared/stream-spool.js';

/** DuckDB types of the metadata columns, in output order. */
export const KAFKA_METADATA: Array<[string, string]> = [
  ['_topic', 'VARCHAR'],
  ['_partition', 'INTEGER'],
  ['_offset', 'BIGINT'],
  ['_timestamp', 'BIGINT'],
  ['_key', 'VARCHAR'],
  ['_headers', 'MAP(VARCHAR, VARCHAR)'],
];

function headersJson(h: KafkaRecord['headers']): string {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? v.map((x) => x.toString()).join(',') : v.toString();
  }
  return JSON.stringify(out);
}

/** A Kafka record as a spool message: its value and where it came from. */
export function kafkaMessage(r: KafkaRecord): StreamMessage {
  return {
    value: r.value,
    where: () => `${r.topic}/${r.partition}@${r.offset}`,
    meta: () => `"_topic":${JSON.stringify(r.topic)},"_partition":${r.partition},"_offset":${r.offset},"_timestamp":${r.timestamp},"_key":${r.key === null ? 'null' : JSON.stringify(r.key.toString('utf8'))},"_headers":${headersJson(r.headers)}`,
  };
}
