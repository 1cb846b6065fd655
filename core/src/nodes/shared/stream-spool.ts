import { isUtf8 } from 'node:buffer';
import { nearUndecodable } from '../../util/transcode.js';
import { createWriteStream } from 'node:fs';
import { parse as parseCsv } from 'csv-parse/sync';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { ident, namedArgs, stringLiteral } from '../../compiler/sql.js';
import type { Db } from '../../compiler/db.js';
import type { Column, CompileContext } from '../define.js';
import { CaudalError } from '../../util/errors.js';
import { bytesTooDeep, JSON_NESTING_LIMIT } from '../../util/json-depth.js';
import { foldName } from './columns.js';
import { findClashes, flattenColumns, projection, structFields } from './flatten.js';
import { registerSpool, setAsideUnfitting, valueErrorPrefix } from './spool-fit.js';
import { listedConversion, listedReadType } from './json-blob-values.js';
import { columnTypeProblems } from './type-param.js';

/**
 * What the streaming sources (Kafka, RabbitMQ) share: messages become lines of an NDJSON spool file
 * that DuckDB reads with fixed column types (the decoded value under `value`, then the source's
 * metadata columns); values that do not decode go to a rejects spool with the raw text and reason.
 * The value's columns come from the node's `columns` param, or are inferred once from a sample.
 */
export type ValueFormat = 'json' | 'text' | 'csv';

/** CSV values: one line per message, no header, its fields the value columns in order. */
export interface CsvValues {
  columns: string[];
  delimiter: string;
}

export interface StreamMessage {
  value: Buffer | null;
  /**
   * Why the message's metadata cannot be output as sent (e.g. a header the client library rounded),
   * or undefined; checked only when the metadata is output. Such a message is set aside like one
   * whose value does not decode.
   */
  metaProblem?(): string | undefined;
  /** Metadata as a JSON object's members, serialized on demand (e.g. `"_topic":"orders","_offset":5`). */
  meta(): string;
  /** How an error names the message (e.g. `orders/2@1500`), built only for an error. */
  where(): string;
}

export interface Decoded {
  line?: string;
  reject?: { line: string; reason: string };
}

/** What is wrong with a streaming source's decoding params (`format`, `columns`). */
export function decodingProblems(p: { format: ValueFormat; columns: Array<{ name: string; type: string }> }): Array<{ path: string; message: string; hint?: string }> {
  if (p.format === 'text' && p.columns.length > 0) return [{ path: 'columns', message: 'value columns apply to JSON and CSV values' }];
  if (p.format === 'csv' && p.columns.length === 0) return [{ path: 'columns', message: 'CSV values need their value columns, in the order of the fields', hint: 'e.g. id BIGINT, customer VARCHAR, amount DOUBLE' }];
  return columnTypeProblems('columns', p.columns);
}

/** The CSV reading of a streaming source's params, when its values are CSV. */
export function csvValuesOf(p: { format: ValueFormat; columns: Array<{ name: string }>; csv_delimiter: string }): CsvValues | undefined {
  return p.format === 'csv' ? { columns: p.columns.map((c) => c.name), delimiter: p.csv_delimiter } : undefined;
}

/**
 * One message as a spool line, or a reject. `withMeta` false leaves the metadata out of good lines
 * (rejects keep it). `objects`: the value columns are an object's keys, so a JSON value that is not
 * an object is a reject (a `null` would become a row of NULLs without a word).
 */
export function decodeMessage(m: StreamMessage, format: ValueFormat, withMeta = true, csv?: CsvValues, objects = false, strictKeys = false): Decoded {
  const meta = () => (withMeta ? `,${m.meta()}` : '');
  const text = m.value?.toString('utf8') ?? 'null';
  const reject = (reason: string): Decoded => ({ reject: { reason, line: rejectLine(m, text, reason) } });
  const metaProblem = withMeta ? m.metaProblem?.() : undefined;
  if (metaProblem !== undefined) return reject(metaProblem);
  // A record without a value (a Kafka tombstone: on a compacted topic it deletes its key) is a row whose value is NULL.
  if (m.value === null) return { line: `{"value":null${meta()}}` };
  // Read leniently, bytes that are not UTF-8 would become U+FFFD in the value without a word.
  if (!isUtf8(m.value)) return reject(`the value is not UTF-8 text${nearUndecodable(text)}`);
  if (format === 'text') return { line: `{"value":${JSON.stringify(text)}${meta()}}` };
  if (format === 'csv') {
    const fields = csvFields(text, csv!);
    return typeof fields === 'string' ? reject(fields) : { line: `{"value":${JSON.stringify(fields)}${meta()}}` };
  }
  if (/^[ \t\r\n]*$/.test(text)) return reject(`the value is empty (${text === '' ? '0 bytes' : 'only white space'}), not JSON`);
  // DuckDB reads the spool's line, one level deeper, and would crash (or fail the run) on deep nesting.
  if (bytesTooDeep(m.value, JSON_NESTING_LIMIT - 1))
    return reject(`the value nests objects or lists more than ${JSON_NESTING_LIMIT - 1} levels deep, deeper than a row can be read`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return reject(`the value is not JSON: ${(e as Error).message}`);
  }
  if (objects && (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))) {
    return reject(`the value is ${jsonKind(parsed)}, not an object: the value columns are read from the keys of a JSON object`);
  }
  const odd = strictKeys ? oddKeys(parsed) : undefined;
  if (odd !== undefined) return reject(odd);
  // Valid JSON goes into the spool as sent, never re-serialized (JSON.parse would round integers
  // beyond 2^53 and change decimals): a line break in valid JSON can only stand between tokens (inside
  // a string it is escaped), so it becomes a space and the value fits on one line of the spool.
  const value = text.includes('\n') || text.includes('\r') ? text.replace(/[\r\n]/g, ' ') : text;
  return { line: `{"value":${value}${meta()}}` };
}

/**
 * Why a JSON value's keys cannot be inferred value columns, or undefined: an empty key, or keys that
 * differ only in the case of ASCII letters (DuckDB's names ignore it, so one column would take
 * either; 'é' and 'É' are two columns, see foldName), at any depth.
 * Inferred from a sample, such a key breaks the column types; read later, one of the two values
 * would be taken without a word. Declared columns do not need this (DESIGN: say it, not guess it).
 */
export function oddKeys(v: unknown, at = ''): string | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  if (Array.isArray(v)) {
    for (const x of v) {
      const odd = oddKeys(x, `${at}[]`);
      if (odd !== undefined) return odd;
    }
    return undefined;
  }
  const seen = new Map<string, string>();
  for (const [k, x] of Object.entries(v)) {
    const where = at === '' ? '' : ` (in '${at}')`;
    if (k === '') return `the value has an empty key${where}, which cannot be an inferred column: list the value columns (columns) to read such messages`;
    const other = seen.get(foldName(k));
    if (other !== undefined) {
      return `the value has keys '${other}' and '${k}'${where}, which differ only in case and cannot both be inferred columns (column names ignore case): list the value columns (columns) to read such messages`;
    }
    seen.set(foldName(k), k);
    const odd = oddKeys(x, at === '' ? k : `${at}.${k}`);
    if (odd !== undefined) return odd;
  }
  return undefined;
}

/**
 * The spool lines of a sample to infer the value's columns from. Messages that do not decode, or
 * whose keys cannot be inferred columns (oddKeys), are left out: the run sets them aside or stops
 * at them naming the message. When every message is left out for its keys, the error names one.
 */
export function inferenceSample(messages: StreamMessage[], nodeId: string): string[] {
  const lines: string[] = [];
  let odd: { message: StreamMessage; reason: string } | undefined;
  for (const m of messages) {
    const d = decodeMessage(m, 'json', true, undefined, false, true);
    if (d.line !== undefined) lines.push(d.line);
    else if (odd === undefined && d.reject && oddKeysReason(d.reject.reason)) odd = { message: m, reason: d.reject.reason };
  }
  if (lines.length === 0 && odd) {
    throw new CaudalError('validation', `node '${nodeId}': cannot infer the value's columns: message ${odd.message.where()}: ${odd.reason}`, {
      nodeId,
      hint: 'list the value columns and their types (columns)',
      problems: [{ code: 'invalid_param', path: 'params.columns', message: `node '${nodeId}': the sampled messages have keys that cannot be inferred columns; set columns` }],
    });
  }
  return lines;
}

const oddKeysReason = (reason: string) => reason.includes('cannot be an inferred column') || reason.includes('cannot both be inferred columns');

/** What kind of JSON value a parsed value is, as a reason says it. */
function jsonKind(v: unknown): string {
  if (v === null) return 'JSON null';
  if (Array.isArray(v)) return 'a JSON array';
  return `a JSON ${typeof v}`;
}

/** A rejects-spool line: the raw text, the reason and the message's metadata. */
function rejectLine(m: StreamMessage, text: string, reason: string): string {
  return `{"_raw":${JSON.stringify(text)},"_reason":${JSON.stringify(reason)},${m.meta()}}`;
}

/**
 * A CSV value as an object of the value columns (DuckDB converts the texts to the declared types),
 * or why it is not one. As the CSV source reads files: a quoted empty field is an empty string, an
 * unquoted empty field is NULL.
 */
function csvFields(text: string, csv: CsvValues): Record<string, string | null> | string {
  let records: Array<Array<string | null>>;
  try {
    records = parseCsv(text.replace(/\r?\n$/, ''), { delimiter: csv.delimiter, cast: (value, context) => (context.quoting || value !== '' ? value : null) }) as Array<Array<string | null>>;
  } catch (e) {
    return `the value is not a CSV line: ${(e as Error).message}`;
  }
  if (records.length !== 1) return `the value holds ${records.length} CSV lines, not one`;
  const fields = records[0]!;
  if (fields.length !== csv.columns.length) return `the value has ${fields.length} field${fields.length === 1 ? '' : 's'}, not ${csv.columns.length} (${csv.columns.join(', ')})`;
  return Object.fromEntries(csv.columns.map((c, i) => [c, fields[i]!]));
}

export interface SpoolOptions {
  format: ValueFormat;
  onError: 'fail' | 'reject' | 'dead_letter';
  spool: string;
  rejectSpool: string;
  nodeId: string;
  metadata?: boolean;
  csv?: CsvValues;
  /** The value columns are the keys of a JSON object (StreamOutputs.objects). */
  objects?: boolean;
  /** The value columns were inferred: a value whose keys could not be columns is a reject (oddKeys). */
  strictKeys?: boolean;
  /** The query that converts every value of a spool file to the columns (StreamOutputs.check). */
  check(file: string): string;
}

/**
 * Writes the messages (and the rejects) as NDJSON for DuckDB and returns how many reached `out` and
 * which were rejected. With onError 'fail' the first undecodable message stops the run; otherwise,
 * when `db` is given, messages whose value does not fit the columns are set aside too (spool-fit.ts).
 */
export async function writeSpools(messages: StreamMessage[], opts: SpoolOptions, db?: Db): Promise<{ rows: number; rejected: number[] }> {
  const out = chunkedWriter(opts.spool);
  const rej = chunkedWriter(opts.rejectSpool);
  const rejected: number[] = [];
  /** The message on each line of the spool. */
  const lineMessage: number[] = [];
  try {
    for (const [i, m] of messages.entries()) {
      const d = decodeMessage(m, opts.format, opts.metadata ?? true, opts.csv, opts.objects, opts.strictKeys);
      if (d.reject) {
        if (opts.onError === 'fail') {
          throw new CaudalError('execution', `node '${opts.nodeId}': message ${m.where()}: ${d.reject.reason}`, {
            nodeId: opts.nodeId,
            hint: 'fix the producer, or set on_error to "reject" to set such messages aside',
          });
        }
        rejected.push(i);
        await rej.line(d.reject.line);
      } else {
        // `_n` names the message in the errors of values converted by the node (spool-fit.ts).
        await out.line(`{"_n":${i},${d.line!.slice(1)}`);
        lineMessage.push(i);
      }
    }
  } finally {
    await Promise.all([out.close(), rej.close()]);
  }
  registerSpool(opts.spool, { nodeId: opts.nodeId, check: opts.check, where: (line) => messages[lineMessage[line - 1] ?? -1]?.where(), whereMessage: (i) => messages[i]?.where() });
  if (db && opts.onError !== 'fail' && opts.format !== 'text') {
    const aside = await setAsideUnfitting({
      db,
      check: opts.check,
      spool: opts.spool,
      rejectSpool: opts.rejectSpool,
      nodeId: opts.nodeId,
      lineMessage,
      rejectLine: (i, reason) => rejectLine(messages[i]!, messages[i]!.value?.toString('utf8') ?? 'null', reason),
      where: (i) => messages[i]!.where(),
    });
    rejected.push(...aside);
  }
  return { rows: lineMessage.length, rejected };
}

/** Lines gathered into ~1 MB writes: one write() per message cost more than decoding it. */
function chunkedWriter(file: string): { line(text: string): Promise<void>; close(): Promise<void> } {
  const stream = createWriteStream(file);
  let pending: string[] = [];
  let size = 0;
  const flush = async () => {
    if (pending.length === 0) return;
    const chunk = pending.join('\n') + '\n';
    pending = [];
    size = 0;
    if (!stream.write(chunk)) await once(stream, 'drain');
  };
  return {
    async line(text) {
      pending.push(text);
      size += text.length;
      if (size >= 1 << 20) await flush();
    },
    async close() {
      try {
        await flush();
      } finally {
        stream.end();
        await once(stream, 'close');
      }
    },
  };
}

/** The value's DuckDB type from a sample of decoded lines (undefined: nothing to infer from). */
export async function inferValueType(ctx: CompileContext<unknown>, sampleLines: string[], file: string): Promise<string | undefined> {
  if (sampleLines.length === 0) return undefined;
  await writeFile(file, sampleLines.join('\n') + '\n');
  const cols = await ctx.describe(`SELECT value FROM read_json(${stringLiteral(file)}, format := 'newline_delimited')`);
  const type = cols[0]?.type;
  return type === 'NULL' ? undefined : type;
}

export interface StreamOutputs {
  out: string;
  rejects: string;
  /** Whether the value type is a STRUCT, read from the keys of a JSON object (SpoolOptions.objects). */
  objects: boolean;
  /** Converts every value of a spool file to the value columns: fails on a line that does not fit. */
  check(file: string): string;
}

/**
 * The output SQL over the spools: the value's fields (or the value itself), flattened on request,
 * then the metadata columns when asked for. Creates the (empty) spools so the views bind now.
 */
export async function streamOutputs(
  ctx: CompileContext<unknown>,
  o: { spool: string; rejectSpool: string; valueType: string; flatten: boolean; separator: string; metadata: Array<[string, string]>; includeMetadata: boolean },
): Promise<StreamOutputs> {
  await writeFile(o.spool, '');
  await writeFile(o.rejectSpool, '');
  const RAW = '_stream';
  // A value type that read_json would fill with loss (a fraction into an integer field, a time into
  // a DATE) is read as JSON and converted, and a value that would change fails naming its message.
  const readType = listedReadType(o.valueType);
  const columns = { value: readType, ...Object.fromEntries(o.metadata), ...(readType !== o.valueType ? { _n: 'UBIGINT' } : {}) };
  const read = (file: string) => {
    const raw = `read_json(${stringLiteral(file)}, ${namedArgs({ format: 'newline_delimited', columns })})`;
    if (readType === o.valueType) return `${raw} AS ${ident(RAW)}`;
    const converted = listedConversion(ident('value'), o.valueType, valueErrorPrefix(file, ident('_n')));
    return `(SELECT * REPLACE (${converted} AS ${ident('value')}) FROM ${raw}) AS ${ident(RAW)}`;
  };
  const from = read(o.spool);
  const isStruct = structFields(o.valueType) !== undefined;
  let valueSql: string[];
  if (isStruct && o.flatten) {
    const fields: Column[] = await ctx.describe(`SELECT unnest(${ident(RAW)}.value) FROM ${from}`);
    const flat = flattenColumns(fields, o.separator);
    const clashes = findClashes(flat);
    if (clashes.length > 0) {
      throw new CaudalError('validation', `node '${ctx.nodeId}': flattening gives several columns the same name: ${clashes.map((c) => c.name).join(', ')}`, {
        nodeId: ctx.nodeId,
        hint: 'set flatten_separator to something that does not occur in the keys',
      });
    }
    const renamed = o.includeMetadata ? metadataClashes(flat, o.metadata) : new Map<string, string>();
    valueSql = renamed.size === 0
      ? projection(flat, 'value').map((e) => e.replace(/^"value"\./, `${ident(RAW)}."value".`))
      : flat.map((c) => `${[RAW, 'value', ...c.path].map(ident).join('.')} AS ${ident(renamed.get(c.name) ?? c.name)}`);
    warnMetadataClashes(ctx, renamed);
  } else if (isStruct) {
    const fields = structFields(o.valueType)!.map((f) => ({ name: f.name, path: [f.name] }));
    const renamed = o.includeMetadata ? metadataClashes(fields, o.metadata) : new Map<string, string>();
    // unnest keeps the keys' names: a key named like a metadata column would push the metadata to `_topic_1`.
    valueSql = renamed.size === 0 ? [`unnest(${ident(RAW)}.value)`] : fields.map((f) => `${ident(RAW)}.${ident('value')}.${ident(f.name)} AS ${ident(renamed.get(f.name) ?? f.name)}`);
    warnMetadataClashes(ctx, renamed);
  } else valueSql = [`${ident(RAW)}.value`];
  const metaSql = o.includeMetadata ? o.metadata.map(([c]) => `${ident(RAW)}.${ident(c)}`) : [];
  const rejectColumns = { _raw: 'VARCHAR', _reason: 'VARCHAR', ...Object.fromEntries(o.metadata) };
  return {
    out: `SELECT ${[...valueSql, ...metaSql].join(', ')}\nFROM ${from}`,
    rejects: `SELECT * FROM read_json(${stringLiteral(o.rejectSpool)}, ${namedArgs({ format: 'newline_delimited', columns: rejectColumns })})`,
    objects: isStruct,
    check: (file) => `SELECT max(hash(${ident(RAW)}.value)) FROM ${read(file)}`,
  };
}

/** The prefix of a value key renamed because a metadata column has its name (`_topic` → `value__topic`). */
const CLASH_PREFIX = 'value_';

/**
 * Value columns named like a metadata column (ignoring ASCII case, as DuckDB does: foldName), each with the name it
 * is output under instead: the metadata keeps its name, so no producer can pass off a key of its
 * value as the message's topic or offset (chained pipelines meet this all the time: sink.kafka
 * publishes the metadata columns by default).
 */
function metadataClashes(columns: Array<{ name: string }>, metadata: Array<[string, string]>): Map<string, string> {
  const meta = new Set(metadata.map(([c]) => foldName(c)));
  const taken = new Set([...meta, ...columns.map((c) => foldName(c.name))]);
  const renamed = new Map<string, string>();
  for (const c of columns) {
    if (!meta.has(foldName(c.name))) continue;
    let name = `${CLASH_PREFIX}${c.name}`;
    for (let n = 2; taken.has(foldName(name)); n++) name = `${CLASH_PREFIX}${c.name}_${n}`;
    taken.add(foldName(name));
    renamed.set(c.name, name);
  }
  return renamed;
}

function warnMetadataClashes(ctx: CompileContext<unknown>, renamed: Map<string, string>): void {
  if (renamed.size === 0) return;
  const list = [...renamed].map(([from, to]) => `'${from}' as '${to}'`).join(', ');
  ctx.warn(
    `node '${ctx.nodeId}': the message values have ${renamed.size === 1 ? 'a key' : 'keys'} named like metadata columns; the metadata keeps ${renamed.size === 1 ? 'its name' : 'their names'} and the value's ${renamed.size === 1 ? 'key is' : 'keys are'} read ${list} (turn off Message metadata to read them under their own names)`,
  );
}

/**
 * With value columns inferred from a sample, keys that only later messages have are not read: a
 * warning names them (top-level keys of the value), so the columns can be listed. Undefined for
 * values that are not objects.
 */
export function unreadKeysNotice(spool: string, valueType: string, sampled = 'a sample of the messages'): { countSql: string; namesSql: string; message: string } | undefined {
  const fields = structFields(valueType);
  if (!fields) return undefined;
  return {
    ...unreadKeys(spool, fields.map((f) => f.name), '$.value'),
    message: `{count} key{s} of the message values {were} not read, because the value columns were inferred when the run started from ${sampled}, which do not have them: {names}; list the value columns (columns) to read them`,
  };
}

/** The keys of the NDJSON objects in `file` (at `at`, a JSON path) that are not `known`: how many, and which. */
export function unreadKeys(file: string, known: string[], at?: string): { countSql: string; namesSql: string } {
  const keysOf = at === undefined ? 'json_keys(json)' : `json_keys(json, ${stringLiteral(at)})`;
  const keys = `SELECT DISTINCT k FROM (SELECT unnest(${keysOf}) AS k FROM read_json_objects(${stringLiteral(file)}, format := 'newline_delimited')) WHERE NOT list_contains([${known.map(stringLiteral).join(', ')}], k)`;
  return { countSql: `SELECT count(*) FROM (${keys})`, namesSql: `${keys} ORDER BY k` };
}

/** A value type from the `columns` param: a STRUCT of the listed keys. */
export function declaredValueType(columns: Array<{ name: string; type: string }>): string | undefined {
  return columns.length > 0 ? `STRUCT(${columns.map((c) => `${ident(c.name)} ${c.type}`).join(', ')})` : undefined;
}

/** Inferred value types per source (e.g. brokers + topics): a --watch plans every batch, inference runs once. */
const inferred = new Map<string, { type: string | undefined; at: number }>();
const INFER_TTL_MS = 10 * 60_000;

export async function cachedValueType(key: string, infer: () => Promise<string | undefined>): Promise<string | undefined> {
  const hit = inferred.get(key);
  if (hit && Date.now() - hit.at < INFER_TTL_MS) return hit.type;
  const type = await infer();
  inferred.set(key, { type, at: Date.now() });
  return type;
}

export function noMessagesToInferFrom(nodeId: string, what: string): CaudalError {
  return new CaudalError('validation', `node '${nodeId}': ${what} hold${what.includes(',') ? '' : 's'} no messages to infer the value's columns from`, {
    nodeId,
    hint: 'list the value columns and their types (columns), or send a message first',
    problems: [{ code: 'invalid_param', path: 'params.columns', message: `node '${nodeId}': no messages to infer the value's columns from; set columns` }],
  });
}
