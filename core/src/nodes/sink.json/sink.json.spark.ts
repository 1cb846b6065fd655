import type { SparkForm } from '../define.js';
import { fileSink, sparkCompression, textualValues } from '../shared/spark-files.js';

type Params = { path: string; if_exists: 'fail' | 'overwrite'; format: 'newline_delimited' | 'array' };

/** Spark: JSON Lines, NULLs written as null like DuckDB's writer (Spark leaves them out by default). */
export const jsonSinkSpark: SparkForm<Params> = {
  kind: 'custom',
  notes: 'Staged next to the target and renamed into place after every sink was written (atomic on local disks and HDFS, not on S3).',
  compile(ctx) {
    const p = ctx.params;
    if (p.format === 'array')
      ctx.unsupported('format', "Spark writes JSON Lines only (one object per line), not one JSON array", 'use format "newline_delimited" on Spark');
    const input = ctx.input();
    const sql = textualValues(input.ref, input.columns);
    return fileSink(ctx, 'json', { ignoreNullFields: 'false', ...sparkCompression(ctx.text(p.path)) }, sql ? { sql } : {});
  },
};
