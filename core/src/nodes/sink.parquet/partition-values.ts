import { stringLiteral } from '../../compiler/sql.js';

/**
 * Text a hive partition folder cannot hold. Readers (DuckDB, Spark, Polars, Athena) take the folder
 * `k=NULL` (in any letter case) for a missing value, so the text 'NULL' would come back as NULL;
 * and missing values are written to `k=__HIVE_DEFAULT_PARTITION__`, where the text of that name
 * would land too, one file replacing the other (rows lost without a word). Such a value stops the
 * run naming the column.
 */
const TEXT = /^\s*(VARCHAR|ENUM\b)/i;

/** `expr` refusing the values above when the partition column `column` holds text; undefined otherwise. */
export function guardedPartitionValue(expr: string, type: string, column: string): string | undefined {
  if (!TEXT.test(type)) return undefined;
  const text = /^\s*VARCHAR/i.test(type) ? expr : `CAST(${expr} AS VARCHAR)`;
  const why = `', which a partition folder cannot keep: readers take the folder ${column}=NULL for a missing value, and missing values are written to ${column}=__HIVE_DEFAULT_PARTITION__; replace such values with another text before the sink (e.g. in a Derive)`;
  const message = `${stringLiteral(`partition column "${column}" holds the text '`)} || ${text} || ${stringLiteral(why)}`;
  return `CASE WHEN upper(${text}) IN ('NULL', '__HIVE_DEFAULT_PARTITION__') THEN error(${message}) ELSE ${expr} END`;
}
