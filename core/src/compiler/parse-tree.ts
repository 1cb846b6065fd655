/** A node of DuckDB's parse tree (json_serialize_sql): an object of named children and values. */
export type ParseNode = Record<string, unknown>;

export const isParseNode = (v: unknown): v is ParseNode => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The first non-undefined `visit` gives, over every node of `tree`, parents before children. */
export function findInParseTree<T>(tree: unknown, visit: (node: ParseNode) => T | undefined): T | undefined {
  if (Array.isArray(tree)) {
    for (const item of tree) {
      const found = findInParseTree(item, visit);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (!isParseNode(tree)) return undefined;
  const here = visit(tree);
  if (here !== undefined) return here;
  for (const value of Object.values(tree)) {
    const found = findInParseTree(value, visit);
    if (found !== undefined) return found;
  }
  return undefined;
}
