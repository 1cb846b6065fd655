import type { SparkForm } from '../define.js';

export const kafkaSourceSpark: SparkForm<unknown> = {
  kind: 'unsupported',
  reason: 'the Spark target runs batch jobs; read Kafka with Spark Structured Streaming, or land the topic in files first',
};
