import type { SparkForm } from '../define.js';

export const duckdbSinkSpark: SparkForm<unknown> = {
  kind: 'unsupported',
  reason: 'a DuckDB database file is a single-process file, not something a cluster can write; write Parquet (sink.parquet) or a database table (sink.postgres) instead',
};
