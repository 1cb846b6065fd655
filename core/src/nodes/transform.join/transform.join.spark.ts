import type { SparkForm } from '../define.js';

/** Spark: the DuckDB SQL of this node translates as it is (sqlglot, at export time). */
export const joinSpark: SparkForm<unknown> = { kind: 'portable' };
