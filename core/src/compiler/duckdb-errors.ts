import type { Column } from '../nodes/define.js';
import type { Problem } from '../util/errors.js';
import { CaudalError, errorMessage } from '../util/errors.js';
import { didYouMean } from '../util/suggest.js';
import { tokenize } from './sql.js';

/**
 * DuckDB's text, minus the echo of our generated SQL (LINE 1: ...) and with internal relation
 * names turned back into node ids, so the message talks about the user's pipeline.
 */
export function cleanDuckDbMessage(message: string): string {
  let m = cleanInternalError(message);
  const cut = m.search(/\n\s*\nLINE \d+:|\nLINE \d+:/);
  if (cut !== -1) m = m.slice(0, cut);
  m = m.replace(/"?_n_([A-Za-z0-9_]+?)__(?:aux_)?([A-Za-z0-9_]+)"?/g, (_, node: string, port: string) => (port === 'out' ? node : `${node}:${port}`));
  m = cleanNodeNamedInExpression(m);
  return cleanExtensionAdvice(cleanFilenameClash(cleanBinderTypes(cleanJsonError(cleanCsvError(m.trim())))));
}

/** What an expression sees: said when it named a node as if it were a table. */
const EXPRESSION_SEES = 'an expression sees only the columns of its input row, not nodes';

/**
 * An expression that names a node (`src.v`, `v IN (SELECT w FROM src)`): DuckDB's message, once
 * its internal view is named as the node, contradicted itself ("table src not found! Candidate
 * tables: src").
 */
export function cleanNodeNamedInExpression(message: string): string {
  return message
    .replace(/^(?:Binder Error: )?Referenced table "([^"]+)" not found!\s*Candidate tables: ("?)([^"\n]+)\2\s*$/, (all, name: string, _q: string, candidates: string) =>
      candidates.split(/,\s*/).some((c) => c.replace(/^"|"$/g, '') === name) ? `'${name}.' names node '${name}': ${EXPRESSION_SEES}; write the column without '${name}.'` : all,
    )
    .replace(/^(?:Catalog Error: )?Table with name ([^ !]+) does not exist!\s*Did you mean "?([^"?\s]+)"?\?\s*$/, (all, name: string, suggested: string) => (name === suggested ? nodeReadInExpression(name) : all));
}

function nodeReadInExpression(name: string): string {
  return `'${name}' is a node, which an expression cannot read: ${EXPRESSION_SEES}; to look values up in another node, join it (transform.join) first`;
}

/**
 * A function of a DuckDB extension this build does not link in (Caudal never installs or loads
 * one: db.ts): DuckDB's advice to INSTALL and LOAD it, or to turn auto-install on, cannot be taken
 * in a pipeline.
 */
export function cleanExtensionAdvice(message: string): string {
  return message.replace(
    /^(.*?) is not in the catalog, but it exists in the (\w+) extension\.[\s\S]*$/,
    (_, what: string, extension: string) => `${what} is in DuckDB's ${extension} extension, which Caudal does not include: write it with the functions DuckDB has built in`,
  );
}

/**
 * DuckDB's internal errors (an assertion inside DuckDB) come with a native stack trace and a footer
 * about assertion failures: forty lines no user can act on. Keep the first line, say what it is.
 */
export function cleanInternalError(message: string): string {
  if (!/^\s*INTERNAL Error: /m.test(message)) return message;
  const first = message.replace(/\n\s*Stack Trace:[\s\S]*$/, '').replace(/\n\s*This error signals an assertion failure[\s\S]*$/, '').trim();
  return `${first} (an internal check of DuckDB failed: a defect of DuckDB or of the SQL Caudal gave it; please report it with the pipeline and its input files)`;
}

/** The file sources' *File name column* named like a column of a file: DuckDB's advice names its own option. */
export function cleanFilenameClash(message: string): string {
  return message.replace(
    /Option filename adds column "([^"]*)", but a column with this name is also in the file\. Try setting a different name: filename='<filename column name>'/,
    (_, name: string) => `the file name column '${name}' (filename_column) is also a column of the files read: choose another name for it`,
  );
}

/** DuckDB's names for the type of a literal in an expression, as the user reads them. */
const LITERAL_TYPES: Record<string, [inSignature: string, inWords: string]> = { INTEGER_LITERAL: ['INTEGER', 'a number'], STRING_LITERAL: ['VARCHAR', 'a text'] };

/**
 * Argument types that fit no function: DuckDB lists every candidate signature (fifty lines for
 * `+`) and names literals by internal types (INTEGER_LITERAL). Keep the call, say what to do.
 */
export function cleanBinderTypes(message: string): string {
  const literal = (t: string, form: 0 | 1) => t.replace(/\b(INTEGER|STRING)_LITERAL\b/g, (x) => LITERAL_TYPES[x]![form]);
  const call = /No function matches the given name and argument types '(.*)'\. You might need to add explicit type casts\.(?:\n\s*Candidate functions:(?:\n\t[^\n]*)*)?/.exec(message);
  if (call) {
    const fixed = `no function ${literal(call[1]!, 0)} exists for these types: convert the column first (a Cast node, or CAST(column AS DOUBLE) in the expression)`;
    return message.slice(0, call.index) + fixed + message.slice(call.index + call[0].length);
  }
  return message.replace(/Cannot compare values of type (\S+) and type (\S+) - an explicit cast is required/, (_, a: string, b: string) => `cannot compare ${literal(a, 1)} with ${literal(b, 1)}: convert one side first (CAST(column AS …), or quote the value as text)`);
}

/**
 * DuckDB's JSON reader ends a record that does not fit with advice in terms of its own options
 * (records, ignore_errors, union_by_name, …), which a node may not have; and a value that does not
 * fit its column's type can come with no reason at all. Keep the file, the line and the reason;
 * the node adds its own advice (see CompiledNode.explainError).
 */
export function cleanJsonError(message: string): string {
  message = renumberMalformedJson(message);
  if (!/JSON transform error in file /.test(message)) return message;
  const m = message.replace(/\n?Try increasing 'sample_size'[^\n]*/, '').trimEnd();
  return /, in line \d+:$/.test(m) ? `${m} a value that does not fit the type of its column` : m;
}

/** DuckDB's words for a record its JSON reader cannot parse (read_json, DuckDB 1.5.6). */
const MALFORMED_JSON = /Malformed JSON in file "([^"]*)", at byte (\d+) in (?:line|record\/value) (\d+):/;

/**
 * The record DuckDB's JSON reader could not parse: the file, the record's number in the file
 * (from 1) and the byte within the record where the reader stopped (from 1; one past its end when
 * the data ended). DuckDB's own number is one too high, whether it says "line" or "record/value",
 * in every layout and however far into the file ("line 3" for the second record, "line 876544" for
 * record 876,543); and it counts records, not lines: blank lines are not counted, a record spanning
 * lines counts once.
 */
export function malformedJsonAt(message: string): { file: string; record: number; byte: number } | undefined {
  const m = MALFORMED_JSON.exec(message);
  if (!m || Number(m[3]) < 2) return undefined;
  return { file: m[1]!, record: Number(m[3]) - 1, byte: Number(m[2]) };
}

/**
 * Says which record DuckDB could not parse, rather than its line number one too high. Only a node
 * that can read the file can tell the line (source.json adds it).
 */
function renumberMalformedJson(message: string): string {
  const at = malformedJsonAt(message);
  if (!at) return message;
  return message.replace(MALFORMED_JSON, () => `Malformed JSON in file "${at.file}", in record ${at.record} (at its byte ${at.byte}):`);
}

/** Reasons DuckDB gives for a CSV line, as the line after "Original Line: …" starts. */
const CSV_REASON = /^(Expected Number of Columns|Error when converting column|Invalid unicode|Value with unterminated quote|Maximum line size|Invalid Input Error|Could not convert)/;
const SHOWN_LINE = 300;

/**
 * DuckDB's CSV errors end with suggestions in terms of its own options (strict_mode, null_padding,
 * ignore_errors, …) and a dump of every option. Keep what the user needs: the line, the file, why,
 * and the line's text.
 */
export function cleanCsvError(message: string): string {
  const head = /^(.*?)CSV Error on Line: (\d+)\n/s.exec(message);
  const file = /^\s*file = (.*)$/m.exec(message)?.[1]?.trim();
  if (!head || !file) return message;
  const rest = message.slice(head[0].length).split('\n');
  let original: string | undefined;
  let i = 0;
  if (rest[0]?.startsWith('Original Line: ')) {
    // The line's text may itself hold line breaks (a quoted field): it runs until the reason.
    const lines = [rest[0].slice('Original Line: '.length)];
    for (i = 1; i < rest.length && !CSV_REASON.test(rest[i]!); i++) lines.push(rest[i]!);
    original = lines.join('\n');
  }
  const reason = rest[i]?.trim();
  if (!reason) return message;
  const shown = original === undefined ? '' : `\nLine text: ${original.length > SHOWN_LINE ? `${original.slice(0, SHOWN_LINE)}… (${original.length.toLocaleString('en-US')} characters)` : original}`;
  return `${head[1]}CSV Error on Line: ${head[2]} of ${file}: ${reason}${dateAdvice(reason)}${shown}`;
}

/** A timestamp in a DATE column, which is read strictly (source.csv/detect.ts): say how to keep the time. */
function dateAdvice(reason: string): string {
  const value = /Could not convert string "(.*)" to 'DATE'$/.exec(reason)?.[1];
  if (value === undefined || !/^\s*[+-]?\d+-\d{1,2}-\d{1,2}[ T]\d{1,2}:\d{2}/.test(value)) return '';
  return ': the column is read as DATE, which holds a date alone; list it as TIMESTAMP to keep the time, or as VARCHAR';
}

export interface ErrorContext {
  nodeId: string;
  nodePath: string;
  exprFields: Array<{ field: string; sql: string }>;
  inputs: string[];
  inputColumns: Column[];
  /** For a parser error of a node with several SQL fields: the field whose text DuckDB cannot parse alone. */
  parserField?: string;
}

/** An expression with this many operators nests near DuckDB's depth limit by itself (a chain of nodes adds about 2 levels per node). */
const DEEP_EXPRESSION = 400;

/** The expression field with the most operator tokens (`+`, `AND`, …), and how many it has. */
function deepestExpression(exprFields: ErrorContext['exprFields']): { field: string; operators: number } | undefined {
  let best: { field: string; operators: number } | undefined;
  for (const f of exprFields) {
    let operators = 0;
    try {
      for (const t of tokenize(f.sql)) if ((t.kind === 'punct' && /^[-+*/%|&<>=!^~]+$/.test(t.text)) || (t.kind === 'ident' && /^(and|or|not)$/i.test(t.text))) operators++;
    } catch {
      continue;
    }
    if (!best || operators > best.operators) best = { field: f.field, operators };
  }
  return best;
}

function fieldMentioning(exprFields: ErrorContext['exprFields'], name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const f of exprFields) {
    try {
      const hit = tokenize(f.sql).some(
        (t) => (t.kind === 'ident' && t.text.toLowerCase() === lower) || (t.kind === 'quoted' && t.text.slice(1, -1).replaceAll('""', '"').toLowerCase() === lower),
      );
      if (hit) return f.field;
    } catch {
      /* the shape check already reported unparsable text */
    }
  }
  return undefined;
}

/** Turns an error raised while compiling/binding a node into a problem that says what to fix. */
export function explainDuckDbError(e: unknown, ctx: ErrorContext): Problem {
  if (e instanceof CaudalError) {
    // Nodes know their params, not their place in the document: make their paths absolute.
    const p = e.problems[0];
    if (p) return { ...p, nodeId: ctx.nodeId, path: p.path.startsWith('params') ? `${ctx.nodePath}.${p.path}` : p.path };
    // A connector's own io error (a server down, a login refused) is the service's, not the pipeline's.
    return { code: e.kind === 'io' ? 'unavailable' : 'invalid_param', path: `${ctx.nodePath}.params`, nodeId: ctx.nodeId, column: e.column, message: e.message, hint: e.hint };
  }
  const raw = errorMessage(e);
  const msg = cleanDuckDbMessage(raw);
  const columns = ctx.inputColumns.map((c) => c.name);

  const unknownCol = /Referenced column "([^"]+)" not found/.exec(raw) ?? /Column "([^"]+)" in (?:EXCLUDE|REPLACE) list not found/.exec(raw) ?? /Referenced column ([^ ]+) not found/.exec(raw);
  if (unknownCol) {
    const name = unknownCol[1]!;
    const field = fieldMentioning(ctx.exprFields, name);
    return {
      code: 'unknown_column',
      path: field ? `${ctx.nodePath}.params.${field}` : `${ctx.nodePath}.params`,
      nodeId: ctx.nodeId,
      column: name,
      message: `unknown column '${name}' in node '${ctx.nodeId}'${didYouMean(name, columns)}`,
      hint: columns.length > 0 ? `input columns: ${columns.join(', ')}` : undefined,
    };
  }
  const unknownTable = /Table with name ([^ ]+) does not exist/.exec(raw);
  if (unknownTable) {
    const name = unknownTable[1]!.replace(/^"|"$/g, '').replace(/!$/, '');
    const field = fieldMentioning(ctx.exprFields, name) ?? onlyField(ctx);
    return {
      code: 'bind_error',
      path: field ? `${ctx.nodePath}.params.${field}` : `${ctx.nodePath}.params`,
      nodeId: ctx.nodeId,
      // An input that cannot be found is named in an expression, where nodes are not tables.
      message: ctx.inputs.includes(name) ? `node '${ctx.nodeId}': ${nodeReadInExpression(name)}` : `node '${ctx.nodeId}' reads '${name}', which is not one of its inputs${didYouMean(name, ctx.inputs)}`,
      hint: ctx.inputs.includes(name) ? undefined : ctx.inputs.length > 0 ? `connected inputs: ${ctx.inputs.join(', ')}` : 'connect the node you want to read to this node',
    };
  }
  if (/^IO Error|No files found|Cannot open file|No such file/i.test(raw)) {
    return {
      code: 'io_error',
      path: `${ctx.nodePath}.params`,
      nodeId: ctx.nodeId,
      message: `node '${ctx.nodeId}': ${msg}`,
      hint: 'relative paths resolve against the folder of the pipeline file',
    };
  }
  if (/Max expression depth limit of \d+ exceeded/.test(raw)) {
    // One expression of the node may be that deep by itself: `a + b + c + …` nests a level per term.
    const deep = deepestExpression(ctx.exprFields);
    if (deep && deep.operators >= DEEP_EXPRESSION) {
      return {
        code: 'invalid_expression',
        path: `${ctx.nodePath}.params.${deep.field}`,
        nodeId: ctx.nodeId,
        message: `node '${ctx.nodeId}': ${deep.field} nests too deep for DuckDB (${deep.operators} operators; DuckDB reads at most about 1,000 levels)`,
        hint: 'add many columns with list_sum([a, b, c, …]) (or list_concat, greatest, least, and coalesce for other chains), or split the expression across several derived columns',
      };
    }
    // Each node is a view over its inputs, and DuckDB binds a chain of views as one nested
    // expression: the SET it suggests is not the user's to make.
    return {
      code: 'bind_error',
      path: `${ctx.nodePath}`,
      nodeId: ctx.nodeId,
      message: `node '${ctx.nodeId}' ends a chain of nodes too long for DuckDB to read as one query (about 500 nodes in a row: its expression depth limit)`,
      hint: 'split the pipeline in two, the first writing a Parquet file the second reads, or combine consecutive filters and derives into fewer nodes',
    };
  }
  if (/^Parser Error/.test(raw)) {
    const field = ctx.parserField ?? ctx.exprFields[0]?.field;
    return {
      code: 'invalid_expression',
      path: field ? `${ctx.nodePath}.params.${field}` : `${ctx.nodePath}.params`,
      nodeId: ctx.nodeId,
      message: `invalid SQL in node '${ctx.nodeId}': ${msg}`,
    };
  }
  const field = onlyField(ctx);
  return { code: 'bind_error', path: field ? `${ctx.nodePath}.params.${field}` : `${ctx.nodePath}.params`, nodeId: ctx.nodeId, message: `node '${ctx.nodeId}': ${msg}` };
}

/** When a node has a single SQL param, a binder error can only come from there. */
function onlyField(ctx: ErrorContext): string | undefined {
  return ctx.exprFields.length === 1 ? ctx.exprFields[0]!.field : undefined;
}
