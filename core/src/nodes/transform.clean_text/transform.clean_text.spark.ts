import type { SparkForm } from '../define.js';

/** DuckDB's list slice in the title-case step; Spark SQL has no slices, substring does the same. */
const SLICES: Array<[string, string]> = [
  ['upper(caudal_word[1]) || caudal_word[2:]', 'upper(substring(caudal_word, 1, 1)) || substring(caudal_word, 2)'],
];

/** Spark: the DuckDB SQL, with the title-case step's list slices written as substrings. */
export const cleanTextSpark: SparkForm<unknown> = {
  kind: 'custom',
  compile(ctx) {
    const outputs = { ...(ctx.duckdb?.outputs ?? {}) };
    for (const [port, sql] of Object.entries(outputs)) {
      let s = sql;
      for (const [from, to] of SLICES) s = s.split(from).join(to);
      outputs[port] = s;
    }
    return { outputs };
  },
};
