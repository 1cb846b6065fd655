import { stringLiteral } from '../../compiler/sql.js';
import type { Column } from '../define.js';

/**
 * Column types that a Parquet file does not give back as they were written (DuckDB 1.5): HUGEINT
 * and UHUGEINT come back as DOUBLE, TIMESTAMP_S/_MS as TIMESTAMP, ENUM, BIT and BIGNUM as VARCHAR,
 * UNION as a STRUCT, fixed-size arrays as lists. Matched anywhere in the type text, so a struct
 * field that merely has such a name also counts: the cost is a temp table, never a wrong type.
 */
const CHANGED_BY_PARQUET = /\b(U?HUGEINT|TIMESTAMP_S|TIMESTAMP_MS|ENUM|UNION|BIT|BITSTRING|BIGNUM|VARINT)\b|\[\d+\]/i;

/**
 * The query reading a staged Parquet file back as the sink's input (SinkPlan.readBack), or
 * undefined when a column's type would not survive the round trip. The executor still compares
 * the file's types with the input's before using it (engine/execute.ts).
 */
export function parquetReadBack(columns: Column[]): ((file: string) => string) | undefined {
  if (columns.some((c) => CHANGED_BY_PARQUET.test(c.type))) return undefined;
  return (file) => `SELECT * FROM read_parquet(${stringLiteral(file)})`;
}
