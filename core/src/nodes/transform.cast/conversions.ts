import type { CompileContext, CompiledNode } from '../define.js';
import { ident, stringLiteral } from '../../compiler/sql.js';
import { CaudalError } from '../../util/errors.js';
import { columnNamed } from '../shared/columns.js';

/** The column the `rejects` port adds to the input's columns. */
export const REASON_COLUMN = '_caudal_reason';

export type OnError = 'fail' | 'null' | 'reject';

/** One column converted in place by transform.cast or transform.parse_dates. */
export interface Conversion {
  /** The input column, spelled as the input spells it. */
  column: string;
  /** Converts, giving NULL where the value does not convert. */
  safe: string;
  /** Converts, raising an error that names the node, column and value where it does not. */
  strict: string;
  /** True when the value was present (not missing) but did not convert. */
  failed: string;
  /** Text saying why, for `_caudal_reason`; only evaluated when `failed` is true. */
  reason: string;
}

/** `'<prefix>' || CAST(col AS VARCHAR) || '<suffix>'`: a message quoting the offending value. */
export function quoteValue(prefix: string, column: string, suffix: string): string {
  return `${stringLiteral(prefix)} || CAST(${ident(column)} AS VARCHAR) || ${stringLiteral(suffix)}`;
}

/**
 * The outputs of a node that converts columns in place with a user's choice of what happens to
 * values that do not convert:
 * - `fail`: the conversions raise an error (the run stops);
 * - `null`: they become NULL;
 * - `reject`: the input, with a reason column, is materialized once into a helper table; rows
 *   without a failure go on `out` converted, the others on `rejects` unchanged plus the reason.
 *   Reading one table for both ports guarantees every input row lands on exactly one of them.
 */
export function compileConversions(ctx: CompileContext<unknown>, convs: Conversion[], onError: OnError, verb: 'convert' | 'parse' = 'convert'): CompiledNode {
  const input = ctx.input();
  const clash = columnNamed(input.columns, REASON_COLUMN);
  const replace = (pick: (c: Conversion) => string) => `REPLACE (${convs.map((c) => `${pick(c)} AS ${ident(c.column)}`).join(', ')})`;
  const reasonOf = () => {
    const parts = convs.map((c) => `CASE WHEN ${c.failed} THEN ${c.reason} END`);
    return parts.length === 1 ? parts[0]! : `NULLIF(concat_ws('; ', ${parts.join(', ')}), '')`;
  };

  if (onError !== 'reject') {
    const rejects = clash
      ? `SELECT * REPLACE (CAST(NULL AS VARCHAR) AS ${ident(clash.name)})\nFROM ${input.ref}\nWHERE false`
      : `SELECT *, CAST(NULL AS VARCHAR) AS ${ident(REASON_COLUMN)}\nFROM ${input.ref}\nWHERE false`;
    return { outputs: { out: `SELECT * ${replace(onError === 'fail' ? (c) => c.strict : (c) => c.safe)}\nFROM ${input.ref}`, rejects } };
  }

  if (clash) {
    const message = `node '${ctx.nodeId}': the input already has a column named '${clash.name}', which the rejects output uses for the reason`;
    const hint = `rename or drop '${clash.name}' before this node (e.g. with Select columns)`;
    throw new CaudalError('validation', message, { nodeId: ctx.nodeId, hint, problems: [{ code: 'invalid_param', path: 'params.on_error', message, hint }] });
  }
  const rows = ctx.auxName('rows');
  const fill = `CREATE OR REPLACE TEMP TABLE ${rows} AS\nSELECT *, ${reasonOf()} AS ${ident(REASON_COLUMN)}\nFROM ${input.ref}`;
  const reason = ident(REASON_COLUMN);
  return {
    setup: [{ kind: 'sql', description: 'convert, setting aside the rows that do not', sql: fill, dry: `${fill}\nLIMIT 0` }],
    outputs: {
      // The rows here all converted once already, so the safe form gives the same values.
      out: `SELECT * EXCLUDE (${reason}) ${replace((c) => c.safe)}\nFROM ${rows}\nWHERE ${reason} IS NULL`,
      rejects: `SELECT *\nFROM ${rows}\nWHERE ${reason} IS NOT NULL`,
    },
    notices: [{ countSql: `SELECT count(*) FROM ${rows} WHERE ${reason} IS NOT NULL`, message: `{count} row{s} with values that do not ${verb} {were} set aside on the 'rejects' port`, port: 'rejects' }],
    metricsSql: `SELECT count(*) FILTER (WHERE ${reason} IS NOT NULL) AS rows_rejected FROM ${rows}`,
  };
}
