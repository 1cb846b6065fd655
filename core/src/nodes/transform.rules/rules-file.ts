import { z } from 'zod';
import { duplicateKeyProblems } from '../../model/load.js';
import { jsonSyntaxWhere } from '../../model/json-syntax.js';

/** One `set` action: a column and the SQL expression it gets when the rule applies. */
export const setSchema = z
  .object({
    column: z.string().trim().min(1).meta({ label: 'Column', help: 'An input column (replaced where it stands) or a new column (appended).' }),
    expression: z.string().min(1).meta({ label: 'Value', widget: 'sql', help: 'A SQL expression over the input row as it came in.', placeholder: '0.25' }),
  })
  .strict();

export const ruleSchema = z
  .object({
    name: z.string().trim().min(1).meta({ label: 'Rule name', help: 'Unique; names the rule in metrics, in `_caudal_rule` of rejected rows and in error messages.' }),
    description: z.string().optional().meta({ label: 'Description', help: 'For people reading the table; not used by the run.' }),
    condition: z.string().min(1).meta({ label: 'When', widget: 'sql', help: 'A SQL boolean expression over the input row. NULL counts as not matched.', placeholder: "lower(trim(status)) = 'cancelled'" }),
    set: z.array(setSchema).optional().meta({ label: 'Set columns', widget: 'list' }),
    tag: z.string().min(1).optional().meta({ label: 'Tag', help: 'A text added to the tag column of matching rows.', placeholder: 'high_value' }),
    reject: z.string().min(1).optional().meta({ label: 'Reject with message', help: 'Sends matching rows to the `rejects` output with this message instead of `out`.', placeholder: 'order was cancelled' }),
  })
  .strict();

export type Rule = z.output<typeof ruleSchema>;

/** The part of a rule a problem is about. */
export type RulePart = 'rule' | 'name' | 'condition' | 'tag' | 'reject' | { set: number; key: 'column' | 'expression' };

/** A rule and how to point at its parts in messages: a JSON path into params, and words for people. */
export interface LocatedRule {
  rule: Rule;
  /** `path` is relative to params; `where` is e.g. "rule 'vip'" or "rule 'vip' (rules.csv line 4)". */
  at(part: RulePart): { path: string; where: string };
}

export interface FileProblem {
  path: string;
  message: string;
  hint?: string;
}

export class RulesFileError extends Error {
  constructor(readonly problems: FileProblem[]) {
    super(problems[0]?.message ?? 'invalid rules file');
  }
}

const partPath = (part: RulePart): string => {
  if (part === 'rule') return '';
  if (typeof part === 'string') return `.${part}`;
  return `.set[${part.set}].${part.key}`;
};

/** Rules written inline in the node's params: problems point at `rules[i]...`. */
export function inlineRules(rules: Rule[]): LocatedRule[] {
  return rules.map((rule, i) => ({ rule, at: (part) => ({ path: `rules[${i}]${partPath(part)}`, where: `rule '${rule.name}'` }) }));
}

/** The columns a CSV rules file may have, in the documented order. */
export const CSV_COLUMNS = ['name', 'condition', 'set_column', 'set_expression', 'tag', 'reject_message', 'description'] as const;
type CsvColumn = (typeof CSV_COLUMNS)[number];

/** Parses a rules file's text (JSON or CSV, by the file name's extension). `label` is the name shown in messages. */
export function parseRulesFile(text: string, label: string): LocatedRule[] {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (/\.json$/i.test(label)) return parseJson(text, label);
  if (/\.csv$/i.test(label)) return parseCsvRules(text, label);
  throw new RulesFileError([{ path: 'rules_file', message: `${label}: a rules file must end in .json or .csv`, hint: 'save the table as CSV (UTF-8) or write it as JSON' }]);
}

function parseJson(text: string, label: string): LocatedRule[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    // Never JSON.parse's message: it quotes the text around the error (rules_file may name any file).
    throw new RulesFileError([{ path: 'rules_file', message: `${label} is not valid JSON${jsonSyntaxWhere(text)}`, hint: 'check for a missing comma or quote near that spot' }]);
  }
  const repeated = duplicateKeyProblems(text, label);
  if (repeated.length > 0) throw new RulesFileError(repeated.map((p) => ({ path: 'rules_file', message: p.message, hint: p.hint })));
  const list = Array.isArray(doc) ? doc : doc && typeof doc === 'object' && 'rules' in doc ? (doc as { rules: unknown }).rules : undefined;
  if (!Array.isArray(list))
    throw new RulesFileError([{ path: 'rules_file', message: `${label} must hold a list of rules, or an object with a "rules" list`, hint: '[{"name": "...", "condition": "...", "set": [...], "tag": "...", "reject": "..."}]' }]);
  const parsed = z.array(ruleSchema).min(1).safeParse(list);
  if (!parsed.success) {
    throw new RulesFileError(
      parsed.error.issues.map((issue) => {
        const at = issue.path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('');
        const name = typeof issue.path[0] === 'number' ? (list[issue.path[0]] as { name?: unknown } | undefined)?.name : undefined;
        return { path: 'rules_file', message: `${label}: rules${at}${typeof name === 'string' ? ` (rule '${name}')` : ''}: ${issue.message}` };
      }),
    );
  }
  return parsed.data.map((rule, i) => ({
    rule,
    at: (part) => ({ path: 'rules_file', where: `rule '${rule.name}' (${label}, rules[${i}]${partPath(part)})` }),
  }));
}

/**
 * RFC 4180 records with the line each starts on: quotes, doubled quotes, newlines inside quotes,
 * CRLF. Records whose fields are all blank are left out.
 */
export function parseCsv(text: string, delimiter: string): Array<{ line: number; fields: string[] }> {
  const records: Array<{ line: number; fields: string[] }> = [];
  let line = 1;
  let fields: string[] = [];
  let field = '';
  let start = 1;
  let quoted = false;
  let i = 0;
  const endRecord = () => {
    fields.push(field);
    // An empty line, or a row of empty cells: Excel saves a cleared row as ",,,".
    if (fields.some((f) => f.trim() !== '')) records.push({ line: start, fields });
    fields = [];
    field = '';
  };
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
      i++;
      continue;
    }
    if (c === '"' && field.trim() === '') {
      quoted = true;
      field = '';
    } else if (c === delimiter) {
      fields.push(field);
      field = '';
    } else if (c === '\r' || c === '\n') {
      endRecord();
      if (c === '\r' && text[i + 1] === '\n') i++;
      line++;
      start = line;
    } else field += c;
    i++;
  }
  if (quoted) throw new RulesFileError([{ path: 'rules_file', message: `a quoted field starting on line ${start} is never closed` }]);
  if (field !== '' || fields.length > 0) endRecord();
  return records;
}

function parseCsvRules(text: string, label: string): LocatedRule[] {
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  // Excel in many European locales saves "CSV" with semicolons.
  const delimiter = !firstLine.includes(',') && firstLine.includes(';') ? ';' : ',';
  let records: Array<{ line: number; fields: string[] }>;
  try {
    records = parseCsv(text, delimiter);
  } catch (e) {
    if (e instanceof RulesFileError) throw new RulesFileError(e.problems.map((p) => ({ ...p, message: `${label}: ${p.message}` })));
    throw e;
  }
  const header = records.shift();
  if (!header) throw new RulesFileError([{ path: 'rules_file', message: `${label} is empty`, hint: `the first line names the columns: ${CSV_COLUMNS.join(', ')}` }]);
  const index = new Map<CsvColumn, number>();
  const problems: FileProblem[] = [];
  header.fields.forEach((h, i) => {
    const name = h.trim().toLowerCase() as CsvColumn;
    if (!(CSV_COLUMNS as readonly string[]).includes(name))
      problems.push({ path: 'rules_file', message: `${label} line ${header.line}: unknown column '${h.trim()}'`, hint: `the columns are ${CSV_COLUMNS.join(', ')}` });
    else if (index.has(name)) problems.push({ path: 'rules_file', message: `${label} line ${header.line}: column '${name}' appears twice` });
    else index.set(name, i);
  });
  for (const required of ['name', 'condition'] as const)
    if (!index.has(required)) problems.push({ path: 'rules_file', message: `${label} line ${header.line}: the header has no '${required}' column`, hint: `the columns are ${CSV_COLUMNS.join(', ')}` });
  if (problems.length > 0) throw new RulesFileError(problems);

  interface Draft {
    rule: { name: string; condition: string; description?: string; tag?: string; reject?: string; set: Array<{ column: string; expression: string }> };
    line: number;
    setLines: number[];
  }
  const drafts: Draft[] = [];
  const get = (fields: string[], col: CsvColumn) => {
    const i = index.get(col);
    return i === undefined ? '' : (fields[i] ?? '').trim();
  };
  for (const { line, fields } of records) {
    const at = `${label} line ${line}`;
    if (fields.length > header.fields.length) {
      problems.push({ path: 'rules_file', message: `${at}: ${fields.length} fields but the header has ${header.fields.length}`, hint: 'put quotes around values that contain the delimiter' });
      continue;
    }
    const name = get(fields, 'name');
    const condition = get(fields, 'condition');
    const setColumn = get(fields, 'set_column');
    const setExpression = get(fields, 'set_expression');
    const tag = get(fields, 'tag');
    const reject = get(fields, 'reject_message');
    const description = get(fields, 'description');
    if (!name) {
      problems.push({ path: 'rules_file', message: `${at}: the rule has no name` });
      continue;
    }
    if (!setColumn !== !setExpression) {
      problems.push({ path: 'rules_file', message: `${at}: rule '${name}' has ${setColumn ? 'a set_column without a set_expression' : 'a set_expression without a set_column'}` });
      continue;
    }
    const prev = drafts.at(-1);
    if (prev && prev.rule.name === name) {
      // A continuation row: one more column set by the rule above.
      const clash = (col: string, mine: string, theirs: string | undefined) =>
        mine && mine !== (theirs ?? '') ? `${col} differs from line ${prev.line}; leave it empty on the rows that only add columns to set` : undefined;
      const why = clash('condition', condition, prev.rule.condition) ?? clash('tag', tag, prev.rule.tag) ?? clash('reject_message', reject, prev.rule.reject);
      if (why) problems.push({ path: 'rules_file', message: `${at}: rule '${name}' continues the rule on line ${prev.line} but its ${why}` });
      else if (!setColumn) problems.push({ path: 'rules_file', message: `${at}: rule '${name}' repeats line ${prev.line} without a column to set`, hint: 'rule names must be unique; a row with the same name as the row above only adds a set_column/set_expression' });
      else {
        prev.rule.set.push({ column: setColumn, expression: setExpression });
        prev.setLines.push(line);
      }
      continue;
    }
    if (!condition) {
      // A row meant to continue the rule above, its name typed in another case or with other spaces.
      const meant = prev && prev.rule.name.trim().toLowerCase() === name.trim().toLowerCase() ? prev : undefined;
      const hint = meant
        ? `a row continues the rule above only with exactly its name: write '${meant.rule.name}' as on line ${meant.line}`
        : 'write true for a rule that matches every row';
      problems.push({ path: 'rules_file', message: `${at}: rule '${name}' has no condition`, hint });
      continue;
    }
    drafts.push({
      rule: { name, condition, set: setColumn ? [{ column: setColumn, expression: setExpression }] : [], ...(tag ? { tag } : {}), ...(reject ? { reject } : {}), ...(description ? { description } : {}) },
      line,
      setLines: setColumn ? [line] : [],
    });
  }
  if (problems.length > 0) throw new RulesFileError(problems);
  if (drafts.length === 0) throw new RulesFileError([{ path: 'rules_file', message: `${label} has a header but no rules` }]);
  return drafts.map((d) => ({
    rule: d.rule,
    at: (part) => ({ path: 'rules_file', where: `rule '${d.rule.name}' (${label} line ${typeof part === 'object' ? (d.setLines[part.set] ?? d.line) : d.line})` }),
  }));
}
