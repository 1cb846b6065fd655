import type { SparkForm } from '../define.js';

export const kafkaSinkSpark: SparkForm<unknown> = {
  kind: 'unsupported',
  reason: 'the Spark target does not publish to Kafka; write files or a database table, or keep this pipeline on the DuckDB engine',
};
