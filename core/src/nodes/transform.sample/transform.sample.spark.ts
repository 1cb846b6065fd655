import type { SparkForm } from '../define.js';

/** Spark: the DuckDB SQL of this node translates as it is (sqlglot, at export time). */
export const sampleSpark: SparkForm<unknown> = { kind: 'portable', notes: 'Spark samples the same number of rows (or share), not the same rows as DuckDB.' };
