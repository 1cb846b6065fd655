import type { SparkForm } from '../define.js';

export const duckdbSourceSpark: SparkForm<unknown> = {
  kind: 'unsupported',
  reason: 'Spark cannot open a DuckDB database file; export the table to Parquet (sink.parquet) and read that with source.parquet',
};
