import type { Column } from '../define.js';
import type { Problem } from '../../util/errors.js';
import { duplicateIndexes, sameName } from '../shared/columns.js';
import { hiveEscape } from './hive-escape.js';

/**
 * Partition columns a hive folder cannot carry back to readers, found before the run:
 * - a name DuckDB percent-encodes in the folder key (`order date` → `order%20date=…`): DuckDB's hive
 *   reader (source.parquet included) decodes the values but not the keys, so the column would come
 *   back named `order%20date`, breaking whatever reads it by name;
 * - a BLOB: its bytes become the folder name as text, and DuckDB fails on bytes that are not UTF-8
 *   ("Invalid unicode … in value construction"), naming neither the node nor the column.
 * `names` are the resolved partition columns (the input's spelling), `wanted` the param as written.
 */
export function partitionColumnProblems(nodeId: string, wanted: string[], names: string[], columns: Column[]): Problem[] {
  const problems: Problem[] = [];
  names.forEach((name, i) => {
    // The entry that names it: spelled as the input spells it, else in another ASCII case (see sameName).
    const listed = [wanted.indexOf(name), wanted.findIndex((w) => sameName(w, name)), i].find((x) => x >= 0)!;
    const at = `params.partition_by[${listed}]`;
    const encoded = hiveEscape(name);
    if (encoded !== name) {
      problems.push({
        code: 'invalid_param',
        path: at,
        nodeId,
        column: name,
        message: `node '${nodeId}': partition column '${name}' would be written as the folder key '${encoded}', and DuckDB (source.parquet included) reads the column back under that name`,
        hint: `rename the column before the sink (e.g. in a Select) to a name of letters, digits and _ . - ~ only, such as '${suggestedName(name)}'`,
      });
    }
    const type = columns.find((c) => c.name === name)?.type ?? '';
    if (/^\s*BLOB\s*$/i.test(type)) {
      problems.push({
        code: 'invalid_param',
        path: at,
        nodeId,
        column: name,
        message: `node '${nodeId}': partition column '${name}' is a BLOB: its bytes would have to become a folder name, which holds text`,
        hint: `partition by a text form of it, e.g. hex(${name}) in a Derive, or by another column`,
      });
    }
  });
  return problems;
}

/** `name` with accents dropped and every other run of characters that would be encoded as one _. */
function suggestedName(name: string): string {
  return name.normalize('NFD').replace(/\p{M}/gu, '').replace(/[^A-Za-z0-9._~-]+/g, '_');
}

/** A column listed twice in partition_by (also in another ASCII case; 'é' and 'É' are two): the param check of sink.parquet and sink.s3. */
export function repeatedPartitionColumns(partitionBy: string[]): Array<{ path: string; message: string }> {
  return duplicateIndexes(partitionBy).map((i) => ({ path: `partition_by[${i}]`, message: `column '${partitionBy[i]}' is listed twice in partition_by` }));
}
