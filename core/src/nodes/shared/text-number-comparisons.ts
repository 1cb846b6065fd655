import { findInParseTree, isParseNode, type ParseNode } from '../../compiler/parse-tree.js';
import { ident, stringLiteral } from '../../compiler/sql.js';
import { CaudalError, type Problem } from '../../util/errors.js';
import type { CompileContext, Relation } from '../define.js';
import { foldName } from './columns.js';

/**
 * DuckDB compares a text column with a number by converting every text to the number's type, with
 * the cast's leniency: `code = 7` is true for '7.4', '6.5', ' 7' and '007', and a text that is not a
 * number ('abc') stops the run with a conversion error naming no row. The join and lookup nodes hold
 * text keys met with numbers to exactly this (exact-widening.ts); a condition or expression that
 * compares a text column with a number constant or a number column is refused before the run.
 *
 * Found through DuckDB's own parse tree (json_serialize_sql): a side that is a column or a constant
 * is typed from the input's columns; a side that is an expression (`trim(code)`, `substr(d, 1, 4)`)
 * is typed by DuckDB, binding it alone over a relation with the input's columns.
 */
export interface TextNumberComparison {
  /** The text side in words: `the text column 'code'`, `the text trim(code)`. */
  text: string;
  /** The text column, when the text side is one column of the input. */
  column?: string;
  /** The other side in words: `the number 7`, `the number column 'n'`. */
  other: string;
  /** What to write instead. */
  hint: string;
}

const NUMBER_TYPE = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL)\b/;
const COMPARISONS = new Set(['COMPARE_EQUAL', 'COMPARE_NOTEQUAL', 'COMPARE_LESSTHAN', 'COMPARE_GREATERTHAN', 'COMPARE_LESSTHANOREQUALTO', 'COMPARE_GREATERTHANOREQUALTO', 'COMPARE_DISTINCT_FROM', 'COMPARE_NOT_DISTINCT_FROM']);


/** The first text-with-number comparison in `expr` over `input`'s columns, or undefined (also when DuckDB cannot parse it: the binder says why). */
export async function textComparedWithNumber(ctx: Pick<CompileContext<unknown>, 'rows'>, input: Pick<Relation, 'columns'>, expr: string): Promise<TextNumberComparison | undefined> {
  // Over a relation named like no table, so that a side's expression can be bound alone (`typeOf`).
  const [row] = await ctx.rows(`SELECT json_serialize_sql(${stringLiteral(`SELECT (\n${expr}\n) FROM ${INPUT}`)}) AS ast`);
  const ast = JSON.parse(String(row?.ast)) as unknown;
  if (!isParseNode(ast) || ast.error === true) return undefined;
  const types = new Map(input.columns.map((c) => [foldName(c.name), c]));
  const columnOf = (node: unknown) => {
    if (!isParseNode(node) || node.class !== 'COLUMN_REF' || !Array.isArray(node.column_names)) return undefined;
    return types.get(foldName(String(node.column_names.at(-1))));
  };
  const constantType = (node: ParseNode) => {
    if (node.class !== 'CONSTANT' || !isParseNode(node.value)) return undefined;
    return node.value.is_null === true ? 'NULL' : isParseNode(node.value.type) ? String(node.value.type.id) : '';
  };
  type Side = { kind: 'text' | 'number'; name: string; column?: string };
  /** A column's or a constant's side; 'expression' for anything else, undefined for neither text nor a number. */
  const plainSide = (node: unknown): Side | 'expression' | undefined => {
    if (!isParseNode(node)) return undefined;
    const c = columnOf(node);
    if (c) {
      if (c.type === 'VARCHAR') return { kind: 'text', name: `the text column '${c.name}'`, column: c.name };
      return NUMBER_TYPE.test(c.type) ? { kind: 'number', name: `the number column '${c.name}'` } : undefined;
    }
    const constant = constantType(node);
    if (constant === undefined) return node.class === 'COLUMN_REF' ? undefined : 'expression';
    if (!NUMBER_TYPE.test(constant)) return undefined;
    return { kind: 'number', name: constant === 'DECIMAL' ? 'a number' : `the number ${String((node.value as ParseNode).value)}` };
  };
  let describes = 0;
  /** An expression's side, typed by DuckDB (a bounded number of times per expression: each is a query). */
  const expressionSide = async (node: ParseNode): Promise<Side | undefined> => {
    if (describes++ >= MAX_DESCRIBES) return undefined;
    const typed = await typeOf(ctx, ast, node, input);
    if (!typed) return undefined;
    if (typed.type === 'VARCHAR') return { kind: 'text', name: `the text ${typed.sql}` };
    return NUMBER_TYPE.test(typed.type) ? { kind: 'number', name: `the number ${typed.sql}` } : undefined;
  };
  const sideOf = async (node: unknown, plain: Side | 'expression' | undefined) => (plain === 'expression' ? expressionSide(node as ParseNode) : plain);
  const pairs = (node: ParseNode): Array<[unknown, unknown]> => {
    if (node.class === 'COMPARISON' && COMPARISONS.has(String(node.type))) return [[node.left, node.right]];
    if (node.class === 'BETWEEN') return [[node.input, node.lower], [node.input, node.upper]];
    if (node.class === 'OPERATOR' && (node.type === 'COMPARE_IN' || node.type === 'COMPARE_NOT_IN') && Array.isArray(node.children)) {
      const [first, ...rest] = node.children as unknown[];
      return rest.map((c) => [first, c]);
    }
    return [];
  };
  const comparisons: Array<[unknown, unknown]> = [];
  findInParseTree(ast, (node) => {
    comparisons.push(...pairs(node));
    return undefined;
  });
  for (const [a, b] of comparisons) {
    const [plainA, plainB] = [plainSide(a), plainSide(b)];
    // Neither text nor a number on one side (a text constant, a date): nothing to type.
    if (!plainA || !plainB || (plainA === 'expression' && plainB === 'expression' && describes >= MAX_DESCRIBES)) continue;
    const left = await sideOf(a, plainA);
    if (!left) continue;
    const right = await sideOf(b, plainB);
    if (!right || left.kind === right.kind) continue;
    const [text, other] = left.kind === 'text' ? [left, right] : [right, left];
    const shown = text.column ?? text.name.replace(/^the text /, '');
    return {
      text: text.name,
      column: text.column,
      other: other.name,
      hint: `compare with text (${shown} = '7' compares exactly), or convert it first (a Cast node, or TRY_CAST(${shown} AS DECIMAL(18,2)) to compare numbers; TRY_CAST gives NULL for a text that is not a number)`,
    };
  }
  return undefined;
}

const INPUT = '__caudal_compared_input';
const MAX_DESCRIBES = 16;

/**
 * The type of one side of a comparison, bound alone over a relation with the input's columns (all
 * NULL, no rows), and its SQL as DuckDB writes it back; undefined when it cannot be bound alone (a
 * subquery over other tables, a window) or a column type cannot be written.
 */
async function typeOf(ctx: Pick<CompileContext<unknown>, 'rows'>, ast: ParseNode, side: ParseNode, input: Pick<Relation, 'columns'>): Promise<{ type: string; sql: string } | undefined> {
  const statement = structuredClone(ast);
  const select = (statement.statements as ParseNode[] | undefined)?.[0]?.node;
  if (!isParseNode(select)) return undefined;
  select.select_list = [side];
  // JSON numbers lose DuckDB's "no location" (2^64 - 1), which it then refuses to read back.
  forgetLocations(statement);
  try {
    const [back] = await ctx.rows(`SELECT json_deserialize_sql(${stringLiteral(JSON.stringify(statement))}) AS sql`);
    const sql = String(back?.sql);
    const columns = input.columns.map((c) => `NULL::${c.type} AS ${ident(c.name)}`).join(', ');
    const [described] = await ctx.rows(`DESCRIBE WITH ${ident(INPUT)} AS (SELECT ${columns || '1 AS _'} LIMIT 0) ${sql}`);
    const shown = sql.replace(/^SELECT /, '').replace(new RegExp(` FROM ${INPUT}$`), '').replaceAll('main.', '')
      // DuckDB quotes function names that are keywords ("trim"(code)): shown as a user writes them.
      .replace(/"([a-z_][a-z0-9_]*)"\(/g, '$1(');
    return described ? { type: String(described.column_type), sql: shown } : undefined;
  } catch {
    return undefined;
  }
}

function forgetLocations(node: unknown): void {
  if (Array.isArray(node)) node.forEach(forgetLocations);
  else if (isParseNode(node)) {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'query_location') node[k] = 0;
      else forgetLocations(v);
    }
  }
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
    const message = `node '${ctx.nodeId}': ${e.what} compares ${c.text} with ${c.other}: DuckDB would convert every text to a number to compare, so '7.4', ' 7' and '007' would equal 7, and a text that is not a number would stop the run`;
    problems.push({ code: 'invalid_expression', path: `params.${e.path}`, message, hint: c.hint, column: c.column });
  }
  const [first] = problems;
  if (first) throw new CaudalError('validation', first.message, { nodeId: ctx.nodeId, column: first.column, hint: first.hint, problems });
}
