import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { defineNode, type Column, type CompileContext, type ExplainIo } from '../define.js';
import { rulesSpark } from './transform.rules.spark.js';
import { checkExpressionShape, ident, literal, stringLiteral, tokenize } from '../../compiler/sql.js';
import { cleanDuckDbMessage } from '../../compiler/duckdb-errors.js';
import { booleanMeetsNumber, convertedExactly, fitsExactly, scaleKeepingType, type ConversionWords } from '../shared/exact-common-type.js';
import { changesConverting } from '../shared/exact-widening.js';
import { constantConverts } from '../shared/typed-constant.js';
import { errorMessage, NodeProblemsError, type Problem } from '../../util/errors.js';
import { textComparedWithNumber } from '../shared/text-number-comparisons.js';
import { didYouMean } from '../../util/suggest.js';
import { explainRuleError } from './explain-error.js';
import { columnNamed, foldName, sameName } from '../shared/columns.js';
import { isBareNull } from '../shared/boolean-condition.js';
import { inlineRules, parseRulesFile, ruleSchema, RulesFileError, type LocatedRule, type RulePart } from './rules-file.js';

const params = z
  .object({
    policy: z.enum(['first', 'all']).default('first').meta({
      label: 'Hit policy',
      help: '`first`: only the first rule (top to bottom) whose condition is true applies. `all`: every rule whose condition is true applies, in order; a later rule setting the same column wins.',
      widget: 'select',
      group: 'Rules',
    }),
    rules: z.array(ruleSchema).min(1).optional().meta({
      label: 'Rules',
      help: 'The decision table, top to bottom. Each rule has a name, a condition and actions: set columns, add a tag, or reject the row.',
      widget: 'list',
      group: 'Rules',
    }),
    rules_file: z.string().min(1).optional().meta({
      label: 'Rules file',
      help: 'A .csv or .json file holding the rules instead of the list above, read when the pipeline is checked or run. Relative paths start at the pipeline file\'s folder.',
      widget: 'path',
      group: 'Rules',
      placeholder: 'rules/order_rules.csv',
    }),
    tag_column: z.string().min(1).default('_caudal_tags').meta({
      label: 'Tag column',
      help: 'The VARCHAR[] column that collects the tags of the rules that applied. An existing list column of that name gets the tags appended.',
      widget: 'text',
      group: 'Output',
    }),
    count_matches: z.boolean().default(true).meta({
      label: 'Count matches per rule',
      help: 'Reports how many rows each rule matched with the run\'s results. Costs one more read of the columns the conditions use.',
      widget: 'boolean',
      group: 'Output',
    }),
  })
  .strict();

type Params = z.output<typeof params>;

const RULE_COLUMN = '_caudal_rule';
const REASON_COLUMN = '_caudal_reason';
type Issue = { path: string; message: string; hint?: string };

/** Problems a rule list has on its own, without data: names, conflicting actions. */
function ruleListProblems(rules: LocatedRule[], tagColumn: string): Issue[] {
  const out: Issue[] = [];
  const seen = new Map<string, LocatedRule>();
  for (const r of rules) {
    const { rule } = r;
    const key = foldName(rule.name);
    const first = seen.get(key);
    if (first) {
      const at = r.at('name');
      out.push({ path: at.path, message: `${at.where}: the name is used by an earlier rule, ${first.at('name').where}`, hint: 'rule names are unique (compared as DuckDB compares column names, A and a alike): they name the metrics and the rejected rows' });
    } else seen.set(key, r);
    if (rule.reject !== undefined && (rule.set?.length || rule.tag !== undefined)) {
      const at = r.at('reject');
      out.push({ path: at.path, message: `${at.where} rejects rows, so it cannot also set columns or tag them`, hint: 'split it in two rules, or drop the reject' });
    }
    const cols = new Set<string>();
    rule.set?.forEach((s, j) => {
      const at = r.at({ set: j, key: 'column' });
      if (cols.has(foldName(s.column))) out.push({ path: at.path, message: `${at.where} sets column '${s.column}' twice` });
      cols.add(foldName(s.column));
      if (sameName(s.column, tagColumn))
        out.push({ path: at.path, message: `${at.where} sets '${s.column}', which is the tag column`, hint: 'use the rule\'s tag, or choose another tag column' });
    });
  }
  return out;
}

/**
 * The rules to apply: inline, or read from `rules_file` (problems point at the file and the rule),
 * with the problems of the list itself (a repeated name, a rule that rejects and sets). Those are
 * returned rather than thrown, so that one check reports them with the conditions and values that
 * do not bind: fixing a table one problem per round is slow (`caudal validate` took four).
 */
async function loadRules(ctx: CompileContext<Params>): Promise<{ rules: LocatedRule[]; problems: Problem[] }> {
  const p = ctx.params;
  const asProblems = (issues: Issue[], prefix: string): Problem[] => issues.map((x) => ({ code: 'invalid_param', nodeId: ctx.nodeId, ...x, message: `${prefix}${x.message}`, path: `params.${x.path}` }));
  if (p.rules) {
    const rules = inlineRules(p.rules);
    // Worded as the params' own checks are (validate.ts adds the prefix to those).
    return { rules, problems: asProblems(ruleListProblems(rules, p.tag_column), `node '${ctx.nodeId}' (transform.rules): `) };
  }
  const file = p.rules_file!;
  const resolved = ctx.path(file);
  const fail = (problems: Issue[], code: Problem['code']) => failWith(ctx.nodeId, problems.map((x) => ({ code, nodeId: ctx.nodeId, ...x, path: `params.${x.path}` })));
  let bytes: Buffer;
  try {
    bytes = await readFile(resolved);
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    return fail([{ path: 'rules_file', message: `node '${ctx.nodeId}': ${missing ? 'no rules file' : 'cannot read the rules file'} ${file}${resolved === file ? '' : ` (${resolved})`}${missing ? '' : `: ${errorMessage(e)}`}`, hint: 'relative paths start at the folder of the pipeline file' }], 'io_error');
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return fail([{ path: 'rules_file', message: `node '${ctx.nodeId}': the rules file ${file} is not UTF-8 text`, hint: 'in Excel, save it as "CSV UTF-8"' }], 'invalid_param');
  }
  try {
    const rules = parseRulesFile(text, file);
    return { rules, problems: asProblems(ruleListProblems(rules, p.tag_column), '') };
  } catch (e) {
    if (e instanceof RulesFileError) return fail(e.problems, 'invalid_param');
    throw e;
  }
}

/**
 * The rejects output adds `_caudal_rule` and `_caudal_reason` to the input row: an input column of
 * either name (the rejects of an earlier rules node, say) would be overwritten on the rejected
 * rows without a word, so it stops planning while some rule rejects.
 */
function rejectColumnClash(columns: Column[], rules: LocatedRule[], nodeId: string): Problem | undefined {
  const rejecting = rules.find((r) => r.rule.reject !== undefined);
  if (!rejecting) return undefined;
  const own = [RULE_COLUMN, REASON_COLUMN];
  const taken = columns.filter((c) => own.includes(foldName(c.name))).map((c) => c.name);
  if (taken.length === 0) return undefined;
  const at = rejecting.at('reject');
  const named = taken.map((n) => `'${n}'`).join(', ');
  return {
    code: 'invalid_param',
    path: `params.${at.path}`,
    nodeId,
    column: taken[0],
    message: `node '${nodeId}': the input already has ${taken.length === 1 ? 'a column' : 'columns'} ${named}, which the rejects output adds (the rejecting rule and its message): ${at.where} rejects rows, so ${taken.length === 1 ? 'it' : 'they'} would be overwritten`,
    hint: `rename ${taken.length === 1 ? 'it' : 'them'} first with a Select node (e.g. to 'earlier${taken[0]}'), or drop ${taken.length === 1 ? 'it' : 'them'}`,
  };
}

/** A prefix for helper columns that no input column starts with. */
function helperPrefix(columns: Column[]): string {
  let prefix = '__caudal_';
  while (columns.some((c) => foldName(c.name).startsWith(prefix))) prefix = `_${prefix}`;
  return prefix;
}

interface Expr {
  rule: LocatedRule;
  part: RulePart;
  /** The SQL after `$param` substitution. */
  sql: string;
  /** False when an unknown `$param` is left in it (already reported): it cannot be bound. */
  bindable: boolean;
  /** Its type, once bound. */
  type?: string;
}

interface CompiledRule {
  index: number;
  rule: LocatedRule;
  condition: string;
  sets: Array<{ column: string; sql: string; j: number; expr?: Expr }>;
}

/** Words for a rule part in messages: "the condition of rule 'x'". */
function describePart(part: RulePart, rule: LocatedRule): string {
  const where = rule.at(part).where;
  if (part === 'condition') return `the condition of ${where}`;
  if (typeof part === 'object') return `the value for column '${rule.rule.set![part.set]!.column}' in ${where}`;
  return where;
}

/** A problem for a user expression DuckDB refused to bind on its own. */
function bindProblem(e: unknown, x: Expr, nodeId: string, input: Column[]): Problem {
  const raw = errorMessage(e);
  const at = x.rule.at(x.part);
  const what = describePart(x.part, x.rule);
  const unknown = /Referenced column "([^"]+)" not found/.exec(raw) ?? /Referenced column ([^ ]+) not found/.exec(raw);
  if (unknown) {
    const name = unknown[1]!;
    const names = input.map((c) => c.name);
    return { code: 'unknown_column', path: `params.${at.path}`, nodeId, column: name, message: `unknown column '${name}' in ${what} in node '${nodeId}'${didYouMean(name, names)}`, hint: `input columns: ${names.join(', ')}` };
  }
  const code = /^Parser Error/.test(raw) ? 'invalid_expression' : 'bind_error';
  return { code, path: `params.${at.path}`, nodeId, message: `${what} in node '${nodeId}': ${cleanDuckDbMessage(raw)}` };
}

/** Stops planning with every problem found (a plain CaudalError would report only its first). */
function failWith(nodeId: string, problems: Problem[]): never {
  throw new NodeProblemsError(nodeId, problems);
}

/**
 * Problems of the conditions and values: each binds (one DESCRIBE for all; one per expression only
 * when that fails, to name the broken rules), conditions are true/false, none uses a window. The
 * expressions that bind are checked further whatever the others do, so that one round reports all.
 */
async function exprProblems(ctx: CompileContext<Params>, input: Column[], from: string, exprs: Expr[]): Promise<Problem[]> {
  const select = (xs: Expr[]) => `SELECT ${xs.map((x, i) => `(\n${x.sql}\n) AS ${ident(String(i))}`).join(', ')} FROM ${from} LIMIT 0`;
  const problems: Problem[] = [];
  let bound = exprs.filter((x) => x.bindable);
  if (bound.length === 0) return [];
  let types = await ctx.describe(select(bound)).catch(() => undefined);
  if (!types) {
    const binding: Expr[] = [];
    for (const x of bound) {
      try {
        await ctx.describe(select([x]));
        binding.push(x);
      } catch (e) {
        problems.push(bindProblem(e, x, ctx.nodeId, input));
      }
    }
    bound = binding;
    types = bound.length > 0 ? await ctx.describe(select(bound)) : [];
  }
  bound.forEach((x, i) => {
    const type = types[i]?.type;
    x.type = type;
    if (x.part === 'condition' && type !== 'BOOLEAN') {
      problems.push({
        code: 'invalid_expression',
        path: `params.${x.rule.at('condition').path}`,
        nodeId: ctx.nodeId,
        message: `the condition of ${x.rule.at('condition').where} in node '${ctx.nodeId}' gives ${type}, not true or false`,
        hint: 'compare the value, e.g. quantity > 0 or status IS NOT NULL',
      });
    }
  });
  for (const x of bound) {
    const mixed = await textComparedWithNumber(ctx, { columns: input }, x.sql);
    if (!mixed) continue;
    const at = x.rule.at(x.part);
    problems.push({
      code: 'invalid_expression',
      path: `params.${at.path}`,
      nodeId: ctx.nodeId,
      column: mixed.column,
      message: `${describePart(x.part, x.rule)} in node '${ctx.nodeId}' compares ${mixed.text} with ${mixed.other}: DuckDB would convert every text to a number to compare, so '7.4', ' 7' and '007' would equal 7, and a text that is not a number would stop the run`,
      hint: mixed.hint,
    });
  }
  problems.push(...(await windowProblems(ctx, from, bound)));
  return problems;
}

/**
 * Window functions (`avg(x) OVER ()`) bind in a SELECT list, but a rule cannot hold one: conditions
 * also filter rows (a window is refused there), values are computed on the rows no rule rejected
 * (`sum(x) OVER ()` would sum those only), and counting matches groups by the conditions. DuckDB
 * refuses them in a WHERE, while a window inside a subquery (computed over the subquery alone) binds
 * there: one WHERE for all expressions, then one per expression only when that fails.
 */
async function windowProblems(ctx: CompileContext<Params>, from: string, exprs: Expr[]): Promise<Problem[]> {
  const where = (xs: Expr[]) => `SELECT 1 FROM ${from} WHERE ${xs.map((x) => `((\n${x.sql}\n) IS NULL)`).join(' OR ')} LIMIT 0`;
  const refused = async (xs: Expr[]) =>
    ctx.describe(where(xs)).then(
      () => false,
      (e: unknown) => /window function/i.test(errorMessage(e)),
    );
  if (exprs.length === 0 || !(await refused(exprs))) return [];
  const problems: Problem[] = [];
  for (const x of exprs) {
    if (!(await refused([x]))) continue;
    problems.push({
      code: 'invalid_expression',
      path: `params.${x.rule.at(x.part).path}`,
      nodeId: ctx.nodeId,
      message: `${describePart(x.part, x.rule)} in node '${ctx.nodeId}' uses a window function (OVER): a rule sees one row at a time, and which rows a window would see depends on the other rules`,
      hint: 'compute the window value first (a Window node, or a SQL node: avg(x) OVER () AS avg_x) and use that column in the rule',
    });
  }
  return problems;
}

/**
 * Names the rule whose value cannot share a column with the others (e.g. VARCHAR into a BIGINT
 * column), by binding the column's CASE one value at a time.
 */
async function findTypeClash(ctx: CompileContext<Params>, from: string, target: Pick<Target, 'name' | 'existing' | 'type' | 'common'> & { values: Array<{ rule: CompiledRule; sql: string; j: number; type?: string }> }): Promise<Problem | undefined> {
  // The column's type comes first (as its ELSE): each value is then bound against it, and the first that fails is the one to name.
  const els = elseOf(target);
  for (let k = 1; k <= target.values.length; k++) {
    const whens = target.values.slice(0, k).map((v) => `WHEN false THEN (\n${v.sql}\n)`).join(' ');
    if (!els && k === 1) continue;
    try {
      await ctx.describe(`SELECT CASE ${whens}${els} END FROM ${from} LIMIT 0`);
    } catch (e) {
      const v = target.values[k - 1]!;
      const at = v.rule.rule.at({ set: v.j, key: 'expression' });
      const type = target.existing ? target.type : target.common;
      return {
        code: 'bind_error',
        path: `params.${at.path}`,
        nodeId: ctx.nodeId,
        column: target.name,
        message: `the value for column '${target.name}' in ${at.where} in node '${ctx.nodeId}' does not fit the column's other values: ${cleanDuckDbMessage(errorMessage(e))}`,
        hint: type
          ? `make it a value of type ${type}, e.g. CAST(... AS ${type}), or ${target.existing ? 'convert the column first (a Cast node)' : 'make every rule\'s value for it text: CAST(... AS VARCHAR)'}`
          : 'give the values of the column one type, e.g. CAST(... AS VARCHAR) in each rule',
      };
    }
  }
  return undefined;
}

/**
 * A text constant set into a column whose type is another (`'12.5'` into an INTEGER column, or next
 * to numbers other rules set) is converted the way a SQL CASE converts it, without a word: 13, and
 * `'2024-01-05 10:30'` into a DATE column is the date alone. Such a constant must convert exactly,
 * as a fill value must (shared/typed-constant.ts); otherwise its rule is named before the run.
 * Text that is not a constant cannot share a typed column at all (findTypeClash).
 */
async function textConstantsThatChange(
  ctx: CompileContext<Params>,
  from: string,
  targets: Target[],
  shape: Column[],
): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const t of targets) {
    const type = columnNamed(shape, t.name)?.type;
    if (!type || type === 'VARCHAR') continue;
    for (const v of t.values) {
      const [own] = await ctx.describe(`SELECT (\n${v.sql}\n) AS v FROM ${from} LIMIT 0`).catch(() => [] as Column[]);
      if (own?.type !== 'VARCHAR') continue;
      // Without FROM, only a constant evaluates.
      const [row] = await ctx.rows(`SELECT CAST((\n${v.sql}\n) AS VARCHAR) AS text`).catch(() => []);
      if (typeof row?.text !== 'string' || (await constantConverts((sql) => ctx.rows(sql), row.text, type))) continue;
      problems.push(
        valueProblem(
          ctx.nodeId,
          t.name,
          v,
          `is the text '${row.text}', which ${columnTypeWords(t, type)} would change (a CASE converts it without a word: '12.5' becomes 13 in an INTEGER column, a time after a date is dropped)`,
          `write a value of type ${type}, or ${t.existing ? 'make the column text first (a Cast node)' : "make every rule's value for it text: CAST(... AS VARCHAR)"}`,
        ),
      );
    }
  }
  return problems;
}

/** A problem with the value a rule sets into a column, located at that value: "the value for column 'x' in rule 'r' in node 'n' <what>". */
function valueProblem(nodeId: string, column: string, v: { rule: CompiledRule; j: number }, what: string, hint: string): Problem {
  const at = v.rule.rule.at({ set: v.j, key: 'expression' });
  return { code: 'bind_error', path: `params.${at.path}`, nodeId, column, message: `the value for column '${column}' in ${at.where} in node '${nodeId}' ${what}`, hint };
}

/** A column rules set: an input column (`type` is its type) or a new one, and the values they set. */
interface Target {
  name: string;
  existing: boolean;
  type?: string;
  /**
   * A new column's type, decided from all the values rules set before its CASE is built (see
   * newColumnType); undefined when they are all text or NULL, or cannot share a column.
   */
  common?: string;
  /** `sql` as written (params substituted), `value` converted to the column's type `to`; `type` is the value's own. */
  values: Array<{ rule: CompiledRule; sql: string; value: string; j: number; type?: string; to?: string }>;
}

/** The words of the error a value that the column's type would change stops the run with. */
function conversionWords(v: Target['values'][number], t: Target, to: string): ConversionWords {
  const where = v.rule.rule.at({ set: v.j, key: 'expression' }).where;
  return {
    before: `${where} sets column "${t.name}" (${to}) to `,
    after: ` (${v.type}), which the column's type cannot hold exactly: `,
    hint: conversionHint(t, to),
  };
}

/** What to do about a value the column's type would change. */
function conversionHint(t: Target, to: string): string {
  if (t.existing) return `make the rule set a ${to} value (e.g. round(...), or CAST(... AS ${to}) where you mean to change it), or convert the column first (a Cast node)`;
  // A new column's type comes from the values: one of another type (a DOUBLE) made it so.
  const by = t.values.find((v) => v.type === to);
  const source = by ? ` (${by.rule.rule.at({ set: by.j, key: 'expression' }).where} sets a ${to})` : '';
  return `the new column takes the common type of the values rules set, ${to}${source}: give every rule's value for it a type that holds them all, e.g. CAST(... AS DECIMAL(38,2)), or CAST(... AS VARCHAR) to keep them as written`;
}

/** The column's type in messages: `the column's type DOUBLE`, or for a new column where that type comes from. */
function columnTypeWords(t: Target, to: string): string {
  return t.existing ? `the column's type ${to}` : `${to}, the type the new column takes from the values rules set,`;
}

/**
 * Sets each value's SQL to the value converted to the column's type, as a CASE would not: DuckDB
 * gives the CASE the common type of the column and the values, so DECIMAL(38,0) set into a
 * DECIMAL(10,2) column would make the whole column DECIMAL(38,0) (20.75 on a row no rule matched
 * becomes 21), and 2 into a BOOLEAN column would make every false 0. Text values are left to the CASE
 * (a text constant is checked by textConstantsThatChange, other text cannot share a typed column).
 * A new column takes its values' common type, with the largest scale kept; a boolean and a number
 * cannot share it.
 */
function convertValues(t: Target, nodeId: string): Problem[] {
  const typed = typedValues(t);
  let to = t.type;
  if (!t.existing) {
    const types = typed.map((v) => v.type!);
    if (booleanMeetsNumber(types)) {
      // Name the first value whose kind differs from the first value's.
      const isBool = (v: Target['values'][number]) => v.type === 'BOOLEAN';
      const named = typed.find((v) => isBool(v) !== isBool(typed[0]!))!;
      const other = typed.find((v) => isBool(v) !== isBool(named))!;
      const at = named.rule.rule.at({ set: named.j, key: 'expression' });
      return [
        {
          code: 'bind_error',
          path: `params.${at.path}`,
          nodeId,
          column: t.name,
          message: `the value for column '${t.name}' in ${at.where} in node '${nodeId}' is ${named.type}, but ${other.rule.rule.at({ set: other.j, key: 'expression' }).where} sets it to ${other.type}: as one column, true would become 1`,
          hint: 'give the values one type, e.g. CASE WHEN ... THEN 1 ELSE 0 END for the boolean, or CAST(... AS VARCHAR) for both',
        },
      ];
    }
    to = t.common;
  }
  if (!to || to === 'VARCHAR') return [];
  for (const v of typed) {
    if (v.type === to) continue;
    v.to = to;
    v.value = convertedExactly(`(\n${v.sql}\n)`, v.type!, to, conversionWords(v, t, to));
  }
  return [];
}

/** Values that are not text or NULL: those decide a new column's type. */
const typedValues = (t: Target) => t.values.filter((v) => v.type !== undefined && v.type !== 'VARCHAR' && v.type !== '"NULL"');

/**
 * The type of a new column: the common type of the values rules set, decided from all of them
 * (in table order, whatever the policy) before the column's CASE is built, with the largest scale
 * kept (scaleKeepingType). A SQL CASE would bind them in the order it lists them, so the result
 * depended on the order of the rules: a text constant listed before a number is refused ("Cannot mix
 * values of type VARCHAR and INTEGER_LITERAL"), after it converted; and next to a DOUBLE, a BIGINT or
 * a long DECIMAL became a DOUBLE without a check (9007199254740993 became 9007199254740992). With the
 * type decided first, each value is converted to it exactly (convertValues) and text constants are
 * converted as they are into an input column. Undefined when no value decides it, when a boolean
 * meets a number (convertValues names them) or when the values cannot share a column (findTypeClash
 * names the rule).
 */
async function newColumnType(ctx: CompileContext<Params>, from: string, t: Target): Promise<string | undefined> {
  const typed = typedValues(t);
  const types = [...new Set(typed.map((v) => v.type!))];
  if (types.length === 0 || booleanMeetsNumber(types)) return undefined;
  if (types.length === 1) return types[0];
  const keeping = scaleKeepingType(types);
  if (keeping) return keeping;
  const whens = typed.map((v) => `WHEN false THEN (\n${v.sql}\n)`).join(' ');
  const [col] = await ctx.describe(`SELECT CASE ${whens} END AS v FROM ${from} LIMIT 0`).catch(() => [] as Column[]);
  return col?.type;
}

/**
 * The ELSE of a column's CASE: the input column, or for a new column that text values are set into,
 * a NULL of its type. DuckDB binds the ELSE first, so each text constant is converted to that type
 * wherever its rule stands (without it, `'7'` before `1` is refused and after it converted).
 */
function elseOf(t: Pick<Target, 'name' | 'existing' | 'common'> & { values: Array<{ type?: string }> }): string {
  if (t.existing) return ` ELSE ${ident(t.name)}`;
  return t.common && t.values.some((v) => v.type === 'VARCHAR') ? ` ELSE CAST(NULL AS ${t.common})` : '';
}

/**
 * A constant value (it evaluates without a row) that the column's type would change is named before
 * the run: 2.55 into a DECIMAL(38,0) column would be 3, 2 into a BOOLEAN column true.
 */
async function constantsThatChange(ctx: CompileContext<Params>, targets: Target[]): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const t of targets) {
    for (const v of t.values) {
      if (!v.to || fitsExactly(v.type!, v.to)) continue;
      // Without FROM, only a constant evaluates (once, so that random() shows the value it checks).
      const [row] = await ctx
        .rows(`SELECT ${changesConverting('v', v.type!, v.to)} AS changed, CAST(v AS VARCHAR) AS shown, CAST(TRY_CAST(v AS ${v.to}) AS VARCHAR) AS becomes FROM (SELECT (\n${v.sql}\n) AS v)`)
        .catch(() => []);
      if (row?.changed !== true) continue;
      const becomes = row.becomes === null ? 'it does not convert' : `it would become ${String(row.becomes)}`;
      problems.push(valueProblem(ctx.nodeId, t.name, v, `is ${String(row.shown)} (${v.type}), which ${columnTypeWords(t, v.to)} would change: ${becomes}`, conversionHint(t, v.to)));
    }
  }
  return problems;
}

/** `* EXCLUDE/REPLACE` plus appended columns, replacing input columns of the same name in place. */
function selectList(input: Column[], exclude: string[], computed: Array<{ name: string; sql: string }>): string {
  const existing = new Map(input.map((c) => [foldName(c.name), c.name]));
  const replaced = computed.filter((c) => existing.has(foldName(c.name)));
  const added = computed.filter((c) => !existing.has(foldName(c.name)));
  let star = '*';
  if (exclude.length > 0) star += ` EXCLUDE (${exclude.map(ident).join(', ')})`;
  if (replaced.length > 0) star += ` REPLACE (\n    ${replaced.map((c) => `${c.sql} AS ${ident(existing.get(foldName(c.name))!)}`).join(',\n    ')}\n  )`;
  return [star, ...added.map((c) => `${c.sql} AS ${ident(c.name)}`)].join(',\n  ');
}

const EMPTY_TAGS = 'CAST([] AS VARCHAR[])';

export const rulesNode = defineNode({
  type: 'transform.rules',
  version: 1,
  spark: rulesSpark,
  category: 'transform',
  rowOrder: 'follows',
  title: 'Business rules',
  description: 'Applies an ordered decision table: rules that set columns, tag rows or reject them.',
  aliases: ['decision table', 'rules engine', 'business rules', 'if then', 'case when', 'flag rows', 'validation rules'],
  inputs: [{ name: 'in' }],
  outputs: [
    { name: 'out', description: 'Rows no rule rejected, with the set columns and tags applied.' },
    { name: 'rejects', label: 'Rejected rows', description: 'Rows a rule rejected, as they came in, plus `_caudal_rule` and `_caudal_reason`.' },
  ],
  params,
  docs: `A decision table maintained as data. Each rule has a **name**, a **condition** (a SQL boolean
expression over the input row) and actions:

- **set**: columns and the SQL value they get. An input column (matched without regard to case)
  is replaced where it stands; a new column is appended after the input columns, in the order the
  rules first mention it, and is NULL on rows no setting rule applied to.
- **tag**: a text added to the tag column (\`tag_column\`, by default \`_caudal_tags\`, a
  \`VARCHAR[]\`). The column is appended when any rule tags; rows no tagging rule applied to get an
  empty list. If the input already has a list column of that name (say, from an earlier Business
  rules node), the new tags are appended to its list.
- **reject** with a message: the row goes to the \`rejects\` output instead of \`out\`, unchanged,
  with two more columns: \`_caudal_rule\` (the rule's name) and \`_caudal_reason\` (the message). A
  rejecting rule cannot also set or tag. With nothing connected to \`rejects\`, rejected rows are
  dropped and the run warns with their count (connect a sink to keep them; a Filter node drops
  rows without a warning). An input that already has a \`_caudal_rule\` or \`_caudal_reason\`
  column (the rejects of an earlier Business rules node) is refused while a rule rejects, as those
  values would be overwritten: rename the columns first.

A rule without actions is allowed: with the \`first\` policy it shields the rows it matches from
the rules below it (e.g. "staff orders: leave alone"), and it is counted.

**Conditions.** A condition that is \`NULL\` counts as not matched, as in a SQL \`WHERE\`
(\`discount > 0.2\` does not match a row whose discount is NULL). A condition must be true/false:
\`quantity\` alone is refused (a bare \`NULL\` is allowed: it switches a rule off, and the rule matches no row). Pipeline params are written \`$name\`. Conditions and values
cannot use window functions (\`quantity > avg(quantity) OVER ()\`): a rule sees one row at a time.
Compute the window value first (a Window node) and use its column.

**Values see the row as it came in.** Every condition and every set value is evaluated against the
input row, never against values another rule set. With \`all\`, if rule 1 sets \`status\` and rule 2's
condition tests \`status\`, rule 2 sees the original status. Chain two Business rules nodes to
build on the result of the first.

**Hit policy.**
- \`first\` (default): rules are tried top to bottom and only the first whose condition is true
  applies, like \`CASE WHEN\`. A row matching no rule passes through unchanged (empty tag list).
- \`all\`: every rule whose condition is true applies, top to bottom. When several set the same
  column, the lowest one in the table wins. Tags of all matching rules are collected, each tag once,
  in the order the tags first appear in the table. If any matching rule rejects, the row goes to
  \`rejects\`, named after the first matching rejecting rule, and the other rules' set and tag
  actions are not applied to it.

Every input row lands in exactly one of \`out\` and \`rejects\` (conditions calling \`random()\` or
similar break that promise, as they are evaluated once per output).

**Types.** A rule never changes a column's type, nor the rows it does not set. A value of another
type is converted to the column's type, and only where it comes back unchanged: \`0.25\` into a
\`DOUBLE\` column, a \`DECIMAL(38,0)\` cap into a \`DECIMAL(10,2)\` amount (1000 becomes 1000.00) or
\`1\` into a \`BOOLEAN\` column (true) go in; a value the type would change stops the run, naming the
rule, the column and the value (\`rule 'half' sets column "qty" (INTEGER) to 4.5 (DECIMAL(12,1)),
which the column's type cannot hold exactly: it would become 5\`). A constant the type would change
(\`2.55\` into a \`DECIMAL(38,0)\` column, \`2\` into a \`BOOLEAN\`) is reported before the run, naming
the rule. Round on purpose (\`round(quantity * 1.5)\`), or convert the column first with a Cast node.
A new column takes the common type of the values rules set, keeping the largest scale
(\`DECIMAL(38,0)\` and \`DECIMAL(10,2)\` give \`DECIMAL(38,2)\`, where a SQL \`CASE\` would round to
\`DECIMAL(38,0)\`); a boolean and a number cannot share it. The type is decided from all the values,
whatever the order of the rules and the policy, and each value is converted to it as into an input
column, only where it comes back unchanged: next to a \`DOUBLE\`, the BIGINT \`9007199254740993\` (it would
become 9007199254740992) or \`123456789012345678.12\` is refused, naming the rule; give the values one
type that holds them all (\`CAST(... AS DECIMAL(38,2))\`, or \`VARCHAR\`). Rules setting \`1\`, \`2.5\`
and \`'7'\` give \`DECIMAL(11,1)\` 1.0, 2.5 and 7.0, in any order. Values that cannot share a column
(text into a number column, a DATE into an INTEGER) are reported before the run, naming the rule;
cast them. A text constant is converted to the column's type as a SQL \`CASE\` converts it: it must
convert exactly (\`'12'\` into an INTEGER column, \`'2024-01-05'\` into a DATE), otherwise its rule
is named before the run (\`'12.5'\` would become 13, \`'2024-01-05 10:30'\` the date alone).

**Rules file.** Set \`rules_file\` instead of \`rules\` to keep the table in a file business users
edit (read when the pipeline is checked, previewed or run; UTF-8):

- **JSON** (\`.json\`): a list of rules with the same fields as the inline \`rules\`
  (\`name\`, \`condition\`, \`set\` as a list of \`{"column", "expression"}\`, \`tag\`, \`reject\`,
  \`description\`), or an object \`{"rules": [...]}\`.
- **CSV** (\`.csv\`): a header line, then one rule per line, in order. Columns (any order, names
  without regard to case; \`name\` and \`condition\` required): \`name\`, \`condition\`,
  \`set_column\`, \`set_expression\`, \`tag\`, \`reject_message\`, \`description\`. A rule that sets
  several columns continues on the next lines: repeat its name, leave \`condition\`, \`tag\` and
  \`reject_message\` empty, and give the next \`set_column\` and \`set_expression\`. Fields holding
  commas are quoted (\`"..."\`, with \`""\` for a quote inside), as Excel does. A file whose header has
  semicolons and no commas is read with \`;\` as the delimiter. Empty lines, and rows whose
  cells are all empty (Excel saves a cleared row as \`,,,\`), are skipped.

  \`\`\`csv
  name,condition,set_column,set_expression,tag,reject_message
  cancelled,"lower(trim(status)) IN ('cancelled', 'returned')",,,,not a sale
  big discount,discount >= 0.25,discount,0.25,capped,
  big discount,,note,'discount capped',,
  bulk,quantity >= 8,,,bulk,
  \`\`\`

**Errors before the run.** Each condition and value is checked against the input's columns on its
own, so a mistake names its rule: \`params.rules[2].condition\` for inline rules, the file and line
(CSV) or list position (JSON) for a rules file. Rule names must be unique (without regard to
case). Every mistake found is reported at once (a repeated name, an expression that does not parse
or bind, a condition that is not true/false, a value the column's type would change, a text column
compared with a number, as in \`code = 7\`, which DuckDB would match to \`'7.4'\` and \`'007'\`), so
one check lists what to fix.

**Metrics.** With \`count_matches\` on (default), a run reports for each rule, keyed by its name,
how many rows it matched. With \`first\`, that is the rows it was the first match for (so the counts
add up to the rows some rule matched); with \`all\`, the rows its condition was true for, including
rows another rule rejected. Counting reads the condition columns of the input once more after the
node; turn it off for the fastest run.`,
  example: {
    description: 'Reject cancelled orders, cap big discounts, tag bulk orders',
    params: {
      policy: 'first',
      rules: [
        { name: 'cancelled', condition: "lower(trim(status)) IN ('cancelled', 'returned')", reject: 'not a sale' },
        { name: 'big discount', condition: 'discount >= 0.25', set: [{ column: 'discount', expression: '0.25' }], tag: 'capped' },
        { name: 'bulk', condition: 'quantity >= $bulk_quantity', tag: 'bulk' },
      ],
    },
  },
  check(p) {
    const out: Issue[] = [];
    if (p.rules && p.rules_file) out.push({ path: 'rules_file', message: 'give either rules or a rules file, not both', hint: 'remove the inline rules to use the file' });
    if (!p.rules && !p.rules_file) out.push({ path: 'rules', message: 'no rules: list them here or give a rules file' });
    if (p.rules_file && !/\.(json|csv)$/i.test(p.rules_file)) out.push({ path: 'rules_file', message: 'a rules file must end in .json or .csv' });
    // The rule list's own problems are reported by compile, with those of its conditions and
    // values: a problem here would stop the node before those are checked.
    return out;
  },
  async compile(ctx) {
    const p = ctx.params;
    const input = ctx.input();
    const { rules, problems: listProblems } = await loadRules(ctx);
    const nodeId = ctx.nodeId;

    // Shapes first (no database), then $param substitution through ctx.expr.
    const shapeProblems: Problem[] = [];
    const exprs: Expr[] = [];
    const compiled: CompiledRule[] = [];
    const add = (rule: LocatedRule, part: RulePart, text: string): Expr | undefined => {
      const at = rule.at(part);
      const shape = checkExpressionShape(text);
      if (shape) {
        shapeProblems.push({ code: 'invalid_expression', path: `params.${at.path}`, nodeId, message: `${describePart(part, rule)} in node '${nodeId}': ${shape}` });
        return undefined;
      }
      // A bare NULL switches a rule off, as it does a route of transform.split: typed BOOLEAN, it is
      // the condition that never matches rather than an INTEGER refused as not true or false.
      const sql = part === 'condition' && isBareNull(text) ? 'CAST(NULL AS BOOLEAN)' : ctx.expr(text, at.path);
      const x = { rule, part, sql, bindable: !tokenize(sql).some((t) => t.kind === 'param') };
      exprs.push(x);
      return x;
    };
    rules.forEach((rule, index) => {
      const condition = add(rule, 'condition', rule.rule.condition)?.sql ?? '';
      const sets = (rule.rule.set ?? []).map((s, j) => {
        const expr = add(rule, { set: j, key: 'expression' }, s.expression);
        return { column: s.column, sql: expr?.sql ?? '', j, expr };
      });
      compiled.push({ index: index + 1, rule, condition, sets });
    });
    // An undeclared $param is already reported by ctx.expr; stand in harmless SQL so it is the only problem.
    if (exprs.some((x) => !x.bindable)) {
      if (listProblems.length + shapeProblems.length > 0) failWith(nodeId, [...listProblems, ...shapeProblems]);
      return { outputs: { out: `SELECT * FROM ${input.ref}`, rejects: `SELECT * FROM ${input.ref} WHERE false` } };
    }
    const columns = input.columns;
    const byFolded = new Map(columns.map((c) => [foldName(c.name), c]));
    const tagCol = byFolded.get(foldName(p.tag_column));
    const tagProblems: Problem[] =
      tagCol && tagCol.type !== 'VARCHAR[]' && rules.some((r) => r.rule.tag !== undefined)
        ? [{ code: 'invalid_param', path: 'params.tag_column', nodeId, column: tagCol.name, message: `node '${nodeId}': the input column '${tagCol.name}' is ${tagCol.type}, so tags cannot be added to it`, hint: 'choose another tag column, or make it a VARCHAR[] list' }]
        : [];
    const clashing = rejectColumnClash(columns, rules, nodeId);
    // Independent problems, reported together: the list's own, expressions that do not parse, do
    // not bind or are not true/false, and output columns the input already has.
    const early = [...listProblems, ...shapeProblems, ...(await exprProblems(ctx, input.columns, input.ref, exprs)), ...tagProblems, ...(clashing ? [clashing] : [])];
    if (early.length > 0) failWith(nodeId, early);

    const prefix = helperPrefix(columns);
    const hit = ident(`${prefix}hit`);
    const flag = (r: CompiledRule) => ident(`${prefix}m${r.index}`);
    const cond = (r: CompiledRule) => `(\n${r.condition}\n)`;
    const rejecting = compiled.filter((r) => r.rule.rule.reject !== undefined);
    const hasActions = (r: CompiledRule) => r.sets.length > 0 || r.rule.rule.tag !== undefined;
    const first = p.policy === 'first';

    // --- which rows stay on `out` ---------------------------------------------------------
    let keep: string | undefined;
    if (rejecting.length > 0) {
      const last = first ? compiled.indexOf(rejecting.at(-1)!) : -1;
      const deciding = first ? compiled.slice(0, last + 1) : rejecting;
      keep = `CASE ${deciding.map((r) => `WHEN ${cond(r)} THEN ${r.rule.rule.reject !== undefined ? 'false' : 'true'}`).join(' ')} ELSE true END`;
    }

    // --- what applies to a row on `out` ----------------------------------------------------
    // With `first`, a kept row's first matching rule is its first matching non-rejecting rule:
    // rejecting rules before it did not match (or the row would be rejected).
    let applying = compiled.filter((r) => r.rule.rule.reject === undefined);
    if (first) {
      while (applying.length > 0 && !hasActions(applying.at(-1)!)) applying = applying.slice(0, -1);
    } else applying = applying.filter(hasActions);
    const matched = (r: CompiledRule) => (first ? `${hit} = ${r.index}` : flag(r));

    const targets: Target[] = [];
    for (const r of applying) {
      for (const s of r.sets) {
        const col = byFolded.get(foldName(s.column));
        const name = col?.name ?? s.column;
        let t = targets.find((x) => sameName(x.name, name));
        if (!t) targets.push((t = { name, existing: !!col, type: col?.type, values: [] }));
        t.values.push({ rule: r, sql: s.sql, value: s.sql, j: s.j, type: s.expr?.type });
      }
    }
    // A rule never changes a column's type: its value is converted to it (and a new column set by
    // several rules gets a type that holds each of their values), checked where that could change it.
    for (const t of targets) if (!t.existing) t.common = await newColumnType(ctx, input.ref, t);
    // Reported with the other value problems below (a boolean meeting a number still binds).
    const typeProblems = targets.flatMap((t) => convertValues(t, nodeId));
    // `of(v)`: the SQL of a value (as written, or converted to the column's type).
    const setColumns = (of: (v: Target['values'][number]) => string) =>
      targets.map((t) => {
        const ordered = first ? t.values : [...t.values].reverse(); // with `all`, the last matching rule wins
        const whens = ordered.map((v) => (first ? `WHEN ${v.rule.index} THEN (\n${of(v)}\n)` : `WHEN ${flag(v.rule)} THEN (\n${of(v)}\n)`)).join(' ');
        const els = elseOf(t);
        return { name: t.name, sql: first ? `CASE ${hit} ${whens}${els} END` : `CASE ${whens}${els} END` };
      });
    const computed: Array<{ name: string; sql: string }> = [];
    const tagged = applying.filter((r) => r.rule.rule.tag !== undefined);
    if (tagged.length > 0) {
      let tags: string;
      if (first) tags = `CASE ${hit} ${tagged.map((r) => `WHEN ${r.index} THEN ${literal([r.rule.rule.tag!])}`).join(' ')} ELSE ${EMPTY_TAGS} END`;
      else {
        const distinct = [...new Set(tagged.map((r) => r.rule.rule.tag!))];
        const when = (tag: string) => tagged.filter((r) => r.rule.rule.tag === tag).map(matched).join(' OR ');
        tags =
          distinct.length === 1
            ? `CASE WHEN ${when(distinct[0]!)} THEN ${literal(distinct)} ELSE ${EMPTY_TAGS} END`
            : `list_filter([${distinct.map((tag) => `CASE WHEN ${when(tag)} THEN ${stringLiteral(tag)} END`).join(', ')}], lambda t: t IS NOT NULL)`;
      }
      computed.push({ name: tagCol?.name ?? p.tag_column, sql: tagCol ? `list_concat(${ident(tagCol.name)}, ${tags})` : tags });
    }

    const where = keep ? `\nWHERE ${keep}` : '';
    const outOf = (list: Array<{ name: string; sql: string }>): string => {
      if (list.length === 0) return `SELECT * FROM ${input.ref}${where}`;
      const helpers = first ? [{ name: hit, sql: `CASE ${applying.map((r) => `WHEN ${cond(r)} THEN ${r.index}`).join(' ')} END` }] : applying.map((r) => ({ name: flag(r), sql: cond(r) }));
      const inner = `SELECT *, ${helpers.map((h) => `${h.sql} AS ${h.name}`).join(',\n  ')}\nFROM ${input.ref}${where}`;
      const exclude = first ? [`${prefix}hit`] : applying.map((r) => `${prefix}m${r.index}`);
      return `SELECT ${selectList(columns, exclude, list)}\nFROM (\n${inner}\n)`;
    };
    const out = outOf([...setColumns((v) => v.value), ...computed]);

    // --- `rejects`: the input row, the rule and its message ----------------------------------
    let rejects: string;
    if (rejecting.length === 0) {
      rejects = `SELECT ${selectList(columns, [], [
        { name: RULE_COLUMN, sql: 'CAST(NULL AS VARCHAR)' },
        { name: REASON_COLUMN, sql: 'CAST(NULL AS VARCHAR)' },
      ])}\nFROM ${input.ref}\nWHERE false`;
    } else {
      const deciding = first ? compiled.slice(0, compiled.indexOf(rejecting.at(-1)!) + 1) : rejecting;
      const which = `CASE ${deciding.map((r) => `WHEN ${cond(r)} THEN ${r.index}`).join(' ')} END`;
      const pick = (value: (r: CompiledRule) => string) => `CASE ${hit} ${rejecting.map((r) => `WHEN ${r.index} THEN ${stringLiteral(value(r))}`).join(' ')} END`;
      const list = selectList(columns, [`${prefix}hit`], [
        { name: RULE_COLUMN, sql: pick((r) => r.rule.rule.name) },
        { name: REASON_COLUMN, sql: pick((r) => r.rule.rule.reject!) },
      ]);
      const isRejected = first ? `${hit} IN (${rejecting.map((r) => r.index).join(', ')})` : `${hit} IS NOT NULL`;
      rejects = `SELECT ${list}\nFROM (\nSELECT *, ${which} AS ${hit}\nFROM ${input.ref}\n)\nWHERE ${isRejected}`;
    }

    // Values that cannot share a column: name the rule before the views are created.
    let shape: Column[];
    const converted = targets.some((t) => t.values.some((v) => v.value !== v.sql));
    try {
      // As written first: values DuckDB cannot combine with the column at all (a DATE set into an
      // INTEGER column) are named here, where their conversion would only fail once rows flow.
      if (converted) await ctx.describe(`${outOf([...setColumns((v) => v.sql), ...computed])}\nLIMIT 0`);
      shape = await ctx.describe(`${out}\nLIMIT 0`);
    } catch (e) {
      const problems: Problem[] = [];
      for (const t of targets) {
        // In the order the column's CASE lists them: DuckDB's binding of literals depends on it.
        const ordered = first ? t.values : [...t.values].reverse();
        const clash = (await findTypeClash(ctx, input.ref, { ...t, values: ordered })) ?? (await findTypeClash(ctx, input.ref, { ...t, values: ordered.map((v) => ({ ...v, sql: v.value })) }));
        if (clash) problems.push(clash);
      }
      if (typeProblems.length + problems.length > 0) failWith(nodeId, [...typeProblems, ...problems]);
      throw e;
    }
    // Each value on its own: every one the column's type would change is named in one round.
    const valueProblems = [...typeProblems, ...(await textConstantsThatChange(ctx, input.ref, targets, shape)), ...(await constantsThatChange(ctx, targets))];
    if (valueProblems.length > 0) failWith(nodeId, valueProblems);

    // --- metrics: matches per rule, keyed by the rule's name ---------------------------------
    let metricsSql: string | undefined;
    if (p.count_matches) {
      if (first) {
        const which = `CASE ${compiled.map((r) => `WHEN ${cond(r)} THEN ${r.index}`).join(' ')} END`;
        metricsSql = `SELECT ${compiled.map((r) => `CAST(coalesce(sum(n) FILTER (WHERE ${hit} = ${r.index}), 0) AS BIGINT) AS ${ident(r.rule.rule.name)}`).join(',\n  ')}\nFROM (\nSELECT ${which} AS ${hit}, count(*) AS n\nFROM ${input.ref}\nGROUP BY ALL\n)`;
      } else {
        metricsSql = `SELECT ${compiled.map((r) => `count(*) FILTER (WHERE ${cond(r)}) AS ${ident(r.rule.rule.name)}`).join(',\n  ')}\nFROM ${input.ref}`;
      }
    }
    // Rejected rows with nothing connected to `rejects` would vanish without a word; counting them
    // costs a read of the condition columns, so only then.
    const notices = rejecting.length > 0 ? [{ countSql: `SELECT count(*) FROM (\n${rejects}\n)`, message: "{count} row{s} {were} rejected by the rules", port: 'rejects', onlyWhenDropped: true }] : [];
    const expressions = exprs.map((x) => ({ rule: x.rule, part: x.part, sql: x.sql, words: describePart(x.part, x.rule), bindable: x.bindable }));
    const explainError = async (message: string, io: ExplainIo) => explainRuleError(message, expressions, input.ref, io);
    return { outputs: { out, rejects }, explainError, ...(metricsSql ? { metricsSql } : {}), ...(notices.length > 0 ? { notices } : {}) };
  },
});
