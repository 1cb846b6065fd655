import { stringLiteral } from '../../compiler/sql.js';

/**
 * DuckDB sums a DECIMAL(p,s) column into a DECIMAL(38,s) and returns a sum past 38 digits that its
 * 128-bit accumulator still holds as it is, without a word: 99999999999999999999999999999999999999 + 1
 * comes out as a 39-digit DECIMAL(38,0), which a Parquet file then stores as an invalid decimal.
 * Wraps the sum `sumSql` of a column of type `columnType` so such a sum stops the run, naming the
 * node, the output column and the input column. Other types are returned unchanged.
 */
export function checkedDecimalSum(sumSql: string, columnType: string | undefined, nodeId: string, output: string, column: string): string {
  const m = /^DECIMAL\((\d+),\s*(\d+)\)$/i.exec(columnType?.trim() ?? '');
  if (!m) return sumSql;
  const scale = Number(m[2]);
  const type = `DECIMAL(38,${scale})`;
  // Both sides are DECIMAL(38,s): DuckDB compares their 128-bit values, exactly.
  const largest = `${'9'.repeat(38 - scale)}${scale > 0 ? `.${'9'.repeat(scale)}` : ''}::${type}`;
  const message = `node '${nodeId}': the sum '${output}' of column '${column}' has more digits than ${type} holds (${38 - scale} before the point); convert the column to DOUBLE first (a Cast node) if an approximate total will do, or to a DECIMAL with fewer places after the point`;
  return `CASE WHEN abs(${sumSql}) > ${largest} THEN error(${stringLiteral(message)}) ELSE ${sumSql} END`;
}

/**
 * What a sum adds up for a column of type `columnType`: DuckDB sums UHUGEINT into a DOUBLE, which
 * rounds past 2^53 without a word (9007199254740993 summed to ...992); as HUGEINT, the sum is exact
 * like every other integer sum (a value from 2^127 up cannot be converted and stops the run).
 */
export function sumOperand(columnSql: string, columnType: string | undefined): string {
  return /^\s*(UHUGEINT|UINT128)\s*$/i.test(columnType ?? '') ? `CAST(${columnSql} AS HUGEINT)` : columnSql;
}
