import type { Relation } from '../define.js';
import type { Widening } from '../shared/exact-widening.js';
import { columnNamed } from '../shared/columns.js';

/** The label a row gets in the source column: the upstream node id, with the port when it is not `out`. */
export function sourceLabel(r: Relation): string {
  return r.port === 'out' ? r.nodeId : `${r.nodeId}:${r.port}`;
}

/**
 * How the error names a widening of input `r`'s column (the `i`-th, by position) into the union's
 * type `to`: the input it came from, and an input whose column has that type.
 */
export function unionWidening(r: Relation, to: string, inputs: Relation[], byName: boolean, i: number): Widening {
  const name = r.columns[i]!.name;
  const other = inputs.find((x) => x !== r && (byName ? columnNamed(x.columns, name) : x.columns[i])?.type === to);
  return {
    origin: `in input '${sourceLabel(r)}'`,
    into: `the union's ${to} column${other ? ` (its type in input '${sourceLabel(other)}')` : ''}`,
    hint: `give the column one type in every input first (a Cast node, e.g. to ${r.columns[i]!.type}, DECIMAL or VARCHAR)`,
  };
}
