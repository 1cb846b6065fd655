import { tokenize } from '../../compiler/sql.js';
import type { ExplainIo } from '../define.js';
import { foldName } from '../shared/columns.js';
import type { LocatedRule, RulePart } from './rules-file.js';

/** A condition or value of a rule, as the run evaluates it (pipeline params substituted). */
export interface RuleExpression {
  rule: LocatedRule;
  part: RulePart;
  sql: string;
  /** "the condition of rule 'x'", "the value for column 'n' in rule 'x'". */
  words: string;
  /** Whether the SQL can run on its own (it holds no bound $param). */
  bindable: boolean;
}

/** DuckDB's words for a text value that did not convert: "... when casting from source column Unit Price". */
const SOURCE_COLUMN = /when casting from source column (.+)$/m;

/** The column names an expression reads: its bare and quoted identifiers, folded (see foldName). */
function namesRead(sql: string): Set<string> {
  let tokens;
  try {
    tokens = tokenize(sql);
  } catch {
    return new Set();
  }
  const names = new Set<string>();
  for (const t of tokens) {
    if (t.kind === 'ident') names.add(foldName(t.text));
    else if (t.kind === 'quoted') names.add(foldName(t.text.slice(1, -1).replace(/""/g, '"')));
  }
  return names;
}

/**
 * A value error during the run is located by the engine at an output column (for a condition, the
 * tag column or a set column, which read it), not at a rule. When DuckDB names the column whose
 * value did not convert, this names the rules whose conditions or values read it; otherwise the
 * first condition or value that fails when evaluated alone over the input (`input`: its relation).
 */
export async function explainRuleError(message: string, expressions: RuleExpression[], input: string, io: ExplainIo): Promise<string | undefined> {
  const fix = 'use TRY_CAST(... AS type), which gives NULL for a value that does not convert, or clean the column first';
  const column = SOURCE_COLUMN.exec(message)?.[1]?.trim();
  if (column) {
    const readers = expressions.filter((x) => namesRead(x.sql).has(foldName(column)));
    if (readers.length === 0) return undefined;
    const who = readers.length === 1 ? `${readers[0]!.words} reads column '${column}':` : `rules reading column '${column}': ${readers.map((x) => x.words).join(', ')};`;
    return `${who} ${fix}`;
  }
  for (const x of expressions) {
    if (!x.bindable || Date.now() > io.deadline || io.isCancelled()) continue;
    if (await io.fails(`SELECT max(hash(${x.sql})) FROM ${input}`)) return `${x.words} fails on a row of the input: ${fix}`;
  }
  return undefined;
}
