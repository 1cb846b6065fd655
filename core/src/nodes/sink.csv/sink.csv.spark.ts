import type { SparkForm } from '../define.js';
import { fileSink, sparkCompression, textualValues } from '../shared/spark-files.js';

type Params = { path: string; if_exists: 'fail' | 'overwrite'; delimiter: string; header: boolean; quote: string; null_string: string; date_format?: string; timestamp_format?: string };

/** Spark: the CSV writer with the same dialect; dates and timestamps formatted in SQL like DuckDB's. */
export const csvSinkSpark: SparkForm<Params> = {
  kind: 'custom',
  notes: 'Staged next to the target and renamed into place after every sink was written (atomic on local disks and HDFS, not on S3).',
  compile(ctx) {
    const p = ctx.params;
    const input = ctx.input();
    const sql = textualValues(input.ref, input.columns, { date: p.date_format, timestamp: p.timestamp_format, nested: true });
    return fileSink(
      ctx,
      'csv',
      {
        sep: p.delimiter === '\\t' ? '\t' : p.delimiter,
        header: String(p.header),
        quote: p.quote,
        escape: p.quote,
        nullValue: p.null_string,
        // DuckDB quotes a text equal to the null_string: with the default (empty) one an empty text
        // is written "" so it reads back as text, not NULL; with another, as an empty field. (A text
        // equal to a non-empty null_string fails the run on Spark: caudal_spark.py, null_text.)
        emptyValue: p.null_string === '' ? `${p.quote}${p.quote}` : '',
        // Spark's CSV writer trims values unless told not to; DuckDB writes them as they are.
        ignoreLeadingWhiteSpace: 'false',
        ignoreTrailingWhiteSpace: 'false',
        ...sparkCompression(ctx.text(p.path)),
      },
      sql ? { sql } : {},
    );
  },
};
