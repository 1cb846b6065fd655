import type { SparkForm } from '../define.js';
import { jsonSafeSelect } from '../shared/json-out.js';
import { fileSink, sparkCompression, textualValues } from '../shared/spark-files.js';

type Params = { path: string; if_exists: 'fail' | 'overwrite'; format: 'newline_delimited' | 'array' };

/**
 * Spark: JSON Lines, NULLs written as null like DuckDB's writer (Spark leaves them out by default).
 * NaN and Infinity are refused with the DuckDB form's message (Spark would write them as strings).
 */
export const jsonSinkSpark: SparkForm<Params> = {
  kind: 'custom',
  notes: 'Staged next to the target and renamed into place after every sink was written (atomic on local disks and HDFS, not on S3).',
  compile(ctx) {
    const p = ctx.params;
    if (p.format === 'array')
      ctx.unsupported('format', "Spark writes JSON Lines only (one object per line), not one JSON array", 'use format "newline_delimited" on Spark');
    const input = ctx.input();
    const safe = jsonSafeSelect(input.columns);
    const from = safe ? `(SELECT ${safe} FROM ${input.ref}) AS caudal_json_safe` : input.ref;
    const sql = textualValues(from, input.columns) ?? (safe ? `SELECT * FROM ${from}` : undefined);
    return fileSink(ctx, 'json', { ignoreNullFields: 'false', ...sparkCompression(ctx.text(p.path)) }, sql ? { sql } : {});
  },
};
