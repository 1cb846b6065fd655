import { CaudalError, errorMessage } from '../../util/errors.js';

/**
 * What to do when the table refuses the load, by DuckDB's reason. The load runs in the transaction
 * the run commits with (engine/commit/participants.ts), after every row was read and staged, so the
 * table's own rules (constraints, foreign keys of other tables) are met only there.
 */
const ADVICE: Array<[RegExp, (m: RegExpExecArray) => string]> = [
  [/CHECK constraint failed/, () => "the table's CHECK constraint refused rows of the input: find them with a quality check before this sink (quality.check with the same condition), then filter or correct them"],
  [
    /Duplicate key .* violates (?:primary key|unique) constraint|PRIMARY KEY or UNIQUE constraint violat/,
    () => "the input repeats a key of the table's PRIMARY KEY or UNIQUE constraint, among its rows or with rows already in the table: remove the duplicates before this sink (a Dedupe node), and leave out the keys already loaded",
  ],
  [/NOT NULL constraint failed/, () => 'the input has NULLs in a column the table declares NOT NULL: fill them (a Fill nulls node) or filter those rows out before this sink'],
  [/Violates foreign key constraint/, () => "rows of the input refer to keys missing from the table the foreign key references: load those keys there first, or filter the rows out"],
  [
    /Could not drop the table because this table is main key table of the table "([^"]+)"/,
    (m) =>
      `table "${m[1]}" references this table by a foreign key, and DuckDB does not drop a table another one references, which replace does: set mode to "append" to add the rows to the table as it is, or recreate "${m[1]}" without that foreign key (DuckDB cannot drop one in place)`,
  ],
];

/**
 * A failure while the run publishes a DuckDB load (the swap of replace, the insert of append, or
 * the commit of every sink into the file), naming the sinks and their tables, with DuckDB's reason
 * and what to do about it. The transaction is rolled back: the tables are as they were.
 */
export function duckdbLoadError(nodeIds: string[], target: string, e: unknown): CaudalError {
  if (e instanceof CaudalError) return e;
  const reason = errorMessage(e).split('\n')[0]!.trim();
  const advice = ADVICE.map(([re, say]) => {
    const m = re.exec(reason);
    return m ? say(m) : undefined;
  }).find((a) => a !== undefined);
  const one = nodeIds.length === 1;
  const who = one ? `sink '${nodeIds[0]}'` : `sinks ${nodeIds.map((n) => `'${n}'`).join(', ')}`;
  const unchanged = one ? 'the table is as it was' : 'the tables are as they were';
  return new CaudalError('execution', `${who}: cannot load ${target}: ${reason}`, {
    ...(one ? { nodeId: nodeIds[0] } : {}),
    hint: advice ? `${advice}; ${unchanged}` : `${unchanged}: run again once the cause is fixed`,
    cause: e,
  });
}
