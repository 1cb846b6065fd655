/** Ids typed for a node: core's rule for ids, and no other node may have the id (letter case aside, as validation compares). */
import { ID_PATTERN } from '../../../core/src/model/schema.js';
import type { Pipeline } from '../model/types.js';

/** What is wrong with `id` as a node's new id, if anything, in words that say what to write instead. */
export function nodeIdProblem(id: string, doc: Pick<Pipeline, 'nodes'>): string | undefined {
  if (id === '') return 'Give the node an id, e.g. orders_2.';
  if (!ID_PATTERN.test(id)) return 'An id starts with a letter or _ and has only letters, digits and _ (at most 63 characters), e.g. orders_2.';
  const other = doc.nodes.find((n) => n.id.toLowerCase() === id.toLowerCase());
  if (!other) return undefined;
  // Node names in SQL ignore case: `orders` and `Orders` would be one node.
  return other.id === id ? `Another node has the id ${id}: choose another.` : `Another node has the id ${other.id}, which differs only in letter case: choose another.`;
}
