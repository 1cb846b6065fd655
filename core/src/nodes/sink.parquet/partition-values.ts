import { stringLiteral } from '../../compiler/sql.js';
import { hiveEscape, NAME_MAX } from './hive-escape.js';

/**
 * Values a hive partition folder cannot hold. Readers (DuckDB, Spark, Polars, Athena) take the
 * folder `k=NULL` (in any letter case) for a missing value, so the text 'NULL' would come back as
 * NULL; and missing values are written to `k=__HIVE_DEFAULT_PARTITION__`, where the text of that
 * name would land too, one file replacing the other (rows lost without a word). And a value whose
 * folder name `k=<value, percent-encoded>` exceeds the 255 bytes a file system allows in one name
 * made DuckDB fail with "File name too long" on its temp path, naming neither column nor value.
 * Such a value stops the run naming the column.
 */
const TEXT = /^\s*(VARCHAR|ENUM\b)/i;

/** `expr` refusing the values above in the partition column `column` (of `type`); undefined for BLOB, refused before the run. */
export function guardedPartitionValue(expr: string, type: string, column: string): string | undefined {
  if (/^\s*BLOB\s*$/i.test(type)) return undefined;
  const text = /^\s*VARCHAR/i.test(type) ? expr : `CAST(${expr} AS VARCHAR)`;
  const what = TEXT.test(type) ? 'text' : 'value';
  const holds = `${stringLiteral(`partition column "${column}" holds the ${what} '`)}`;
  const whens: string[] = [];
  if (TEXT.test(type)) {
    const why = `', which a partition folder cannot keep: readers take the folder ${column}=NULL for a missing value, and missing values are written to ${column}=__HIVE_DEFAULT_PARTITION__; replace such values with another text before the sink (e.g. in a Derive)`;
    whens.push(`WHEN upper(${text}) IN ('NULL', '__HIVE_DEFAULT_PARTITION__') THEN error(${holds} || ${text} || ${stringLiteral(why)})`);
  }
  // The folder name is `<key>=<value>`, both percent-encoded (url_encode is DuckDB's own encoding).
  const key = `${hiveEscape(column)}=`;
  const bytes = `(${Buffer.byteLength(key)} + strlen(url_encode(${text})))`;
  const shown = `CASE WHEN length(${text}) > 40 THEN left(${text}, 40) || '…' ELSE ${text} END`;
  const tooLong = `${stringLiteral(`', whose folder name ${key}… would be `)} || ${bytes} || ${stringLiteral(
    ` bytes, more than the ${NAME_MAX} a file system allows in one name (characters other than letters, digits and -_.~ take 3 bytes per byte once percent-encoded); shorten such values before the sink (e.g. left(${column}, 40) or md5(${column}) in a Derive), or partition by another column`,
  )}`;
  whens.push(`WHEN ${bytes} > ${NAME_MAX} THEN error(${holds} || ${shown} || ${tooLong})`);
  return `CASE ${whens.join(' ')} ELSE ${expr} END`;
}
