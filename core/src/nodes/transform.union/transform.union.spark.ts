import type { SparkForm } from '../define.js';
import { ident, literal } from '../../compiler/sql.js';
import { columnNamed } from '../shared/columns.js';
import { exactlyConverted, mayLoseDigits } from '../shared/exact-widening.js';
import { exactDigits, fitsExactly } from '../shared/exact-common-type.js';
import { unionWidening } from './union-widening.js';
import { nestedMayChange } from '../shared/nested-types.js';

type Params = { match: 'by_name' | 'by_position'; distinct: boolean; source_column?: string };

/**
 * Spark has no UNION BY NAME in SQL: every input selects the output's columns explicitly (by name or
 * by position), converted to the output's types, with NULL for the ones it lacks.
 */
export const unionSpark: SparkForm<Params> = {
  kind: 'custom',
  compile(ctx) {
    const { match, distinct, source_column } = ctx.params;
    const out = ctx.outputColumns().filter((c) => !source_column || c.name !== source_column);
    const parts = ctx.inputs().map((r) => {
      const list = out.map((c, i) => {
        const own = match === 'by_name' ? columnNamed(r.columns, c.name) : r.columns[i];
        if (!own) return `CAST(NULL AS ${c.type}) AS ${ident(c.name)}`;
        // As in the DuckDB form, a value the common float type would change stops the run, and so
        // does one with more digits before the point than the scale-keeping DECIMAL holds (Spark's
        // CAST would make it NULL), and one inside a list or struct that the common type would change.
        const tooLong = exactDigits(own.type) !== undefined && exactDigits(c.type) !== undefined && !fitsExactly(own.type, c.type);
        const value = mayLoseDigits(own.type, c.type) || tooLong || nestedMayChange(own.type, c.type) ? exactlyConverted(own.name, own.type, c.type, unionWidening(r, c.type, ctx.inputs(), match === 'by_name', r.columns.indexOf(own))) : ident(own.name);
        return `CAST(${value} AS ${c.type}) AS ${ident(c.name)}`;
      });
      // The same label as the DuckDB form: the node id, with the port when it is not 'out'.
      if (source_column) list.push(`${literal(r.port === 'out' ? r.nodeId : `${r.nodeId}:${r.port}`)} AS ${ident(source_column)}`);
      return `SELECT ${list.join(', ')} FROM ${r.ref}`;
    });
    return { outputs: { out: parts.join(`\nUNION${distinct ? '' : ' ALL'}\n`) } };
  },
};
