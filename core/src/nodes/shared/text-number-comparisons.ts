import { findInParseTree, isParseNode, type ParseNode } from '../../compiler/parse-tree.js';
import { stringLiteral } from '../../compiler/sql.js';
import { CaudalError, type Problem } from '../../util/errors.js';
import type { CompileContext, Relation } from '../define.js';

/**
 * DuckDB compares a text column with a number by converting every text to the number's type, with
 * the cast's leniency: `code = 7` is true for '7.4', '6.5', ' 7' and '007', and a text that is not a
 * number ('abc') stops the run with a conversion error naming no row. The join and lookup nodes hold
 * text keys met with numbers to exactly this (exact-widening.ts); a condition or expression that
 * compares a text column with a number constant or a number column is refused before the run.
 *
 * Found through DuckDB's own parse tree (json_serialize_sql), so only comparisons whose sides are a
 * column of the input and a constant or another column are seen: `trim(code) = 7` is not.
 */
export interface TextNumberComparison {
  /** The text column, as the input names it. */
  column: string;
  /** The other side in words: `the number 7`, `the number column 'n'`. */
  other: string;
  /** What to write instead. */
  hint: string;
}

const NUMBER_TYPE = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL)\b/;
const COMPARISONS = new Set(['COMPARE_EQUAL', 'COMPARE_NOTEQUAL', 'COMPARE_LESSTHAN', 'COMPARE_GREATERTHAN', 'COMPARE_LESSTHANOREQUALTO', 'COMPARE_GREATERTHANOREQUALTO', 'COMPARE_DISTINCT_FROM', 'COMPARE_NOT_DISTINCT_FROM']);


/** The first text-with-number comparison in `expr` over `input`'s columns, or undefined (also when DuckDB cannot parse it: the binder says why). */
export async function textComparedWithNumber(ctx: Pick<CompileContext<unknown>, 'rows'>, input: Pick<Relation, 'columns'>, expr: string): Promise<TextNumberComparison | undefined> {
  const [row] = await ctx.rows(`SELECT json_serialize_sql(${stringLiteral(`SELECT (\n${expr}\n)`)}) AS ast`);
  const ast = JSON.parse(String(row?.ast)) as unknown;
  if (!isParseNode(ast) || ast.error === true) return undefined;
  const types = new Map(input.columns.map((c) => [c.name.toLowerCase(), c]));
  const columnOf = (node: unknown) => {
    if (!isParseNode(node) || node.class !== 'COLUMN_REF' || !Array.isArray(node.column_names)) return undefined;
    return types.get(String(node.column_names.at(-1)).toLowerCase());
  };
  const textColumn = (node: unknown) => {
    const c = columnOf(node);
    return c && c.type === 'VARCHAR' ? c.name : undefined;
  };
  const numberSide = (node: unknown): string | undefined => {
    const c = columnOf(node);
    if (c) return NUMBER_TYPE.test(c.type) ? `the number column '${c.name}'` : undefined;
    if (!isParseNode(node) || node.class !== 'CONSTANT' || !isParseNode(node.value)) return undefined;
    const value = node.value;
    const type = isParseNode(value.type) ? String(value.type.id) : '';
    if (value.is_null === true || !NUMBER_TYPE.test(type)) return undefined;
    return type === 'DECIMAL' ? 'a number' : `the number ${String(value.value)}`;
  };
  const found = (text: string, other: string): TextNumberComparison => ({
    column: text,
    other,
    hint: `compare with text (${text} = '7' compares exactly), or convert the column first (a Cast node, or TRY_CAST(${text} AS DECIMAL(18,2)) to compare numbers; TRY_CAST gives NULL for a text that is not a number)`,
  });
  const pairs = (node: ParseNode): Array<[unknown, unknown]> => {
    if (node.class === 'COMPARISON' && COMPARISONS.has(String(node.type))) return [[node.left, node.right]];
    if (node.class === 'BETWEEN') return [[node.input, node.lower], [node.input, node.upper]];
    if (node.class === 'OPERATOR' && (node.type === 'COMPARE_IN' || node.type === 'COMPARE_NOT_IN') && Array.isArray(node.children)) {
      const [first, ...rest] = node.children as unknown[];
      return rest.map((c) => [first, c]);
    }
    return [];
  };
  return findInParseTree(ast, (node) => {
    for (const [a, b] of pairs(node)) {
      const text = textColumn(a) ?? textColumn(b);
      const other = textColumn(a) ? numberSide(b) : numberSide(a);
      if (text && other) return found(text, other);
    }
    return undefined;
  });
}

/** A piece of user SQL of a node: its text (parameters expanded), its param path, and how to name it (`the condition`, `route 2`). */
export interface UserExpression {
  sql: string;
  path: string;
  what: string;
}

/** Refuses, all at once, the expressions of a node that compare a text column with a number. */
export async function refuseTextNumberComparisons(ctx: Pick<CompileContext<unknown>, 'rows' | 'nodeId'>, input: Pick<Relation, 'columns'>, exprs: UserExpression[]): Promise<void> {
  const problems: Problem[] = [];
  for (const e of exprs) {
    const c = await textComparedWithNumber(ctx, input, e.sql);
    if (!c) continue;
    const message = `node '${ctx.nodeId}': ${e.what} compares the text column '${c.column}' with ${c.other}: DuckDB would convert every text to a number to compare, so '7.4', ' 7' and '007' would equal 7, and a text that is not a number would stop the run`;
    problems.push({ code: 'invalid_expression', path: `params.${e.path}`, message, hint: c.hint, column: c.column });
  }
  const [first] = problems;
  if (first) throw new CaudalError('validation', first.message, { nodeId: ctx.nodeId, column: first.column, hint: first.hint, problems });
}
