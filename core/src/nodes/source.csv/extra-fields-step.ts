import type { DuckDBValue } from '@duckdb/node-api';
import { ident, literal } from '../../compiler/sql.js';
import type { CompileContext, HookIo, SetupStep } from '../define.js';
import { CaudalError } from '../../util/errors.js';
import { splitFields, type Detected } from './detect.js';
import { extraFieldLines, recordTexts, type ExtraFieldsDialect, type ExtraFieldsLine, type ExtraFieldsScan } from './extra-fields.js';
import type { CsvFile } from './files.js';
import type { CsvSourceParams } from './params.js';

/**
 * Lines with more fields than the header whose extra fields are empty (`99,a,1,,` under `id,name,x`),
 * which DuckDB's reader reads without a word (extra-fields.ts), reported as the reader reports other
 * lines with the wrong number of fields: `fail` stops the run (before its commit), `reject` sets
 * them aside. Compressed files are not looked at (DuckDB decompresses them itself).
 */

/** DuckDB's own words for a line with the wrong number of fields, so both kinds of reject read alike. */
const reason = (width: number, fields: number) => `Expected Number of Columns: ${width} Found: ${fields}`;

/** Whether the check applies: a delimiter to count, and files it can read. */
function checked(detected: Detected, files: CsvFile[]): boolean {
  return detected.dialect.delim !== '' && files.every((f) => !f.compressed);
}

const cut = (text: string) => JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text);

/**
 * Lines of one file set aside at most: past it the file's lines almost all end so (a program that
 * writes two delimiters after every line), and holding each line's place would take memory by the
 * million; the run stops instead, saying what to do.
 */
const MAX_SET_ASIDE = 100_000;

/**
 * The scan of every file (each in turn), started by a step before the read and awaited after it: the
 * node's JavaScript reads the bytes while DuckDB's threads read the rows, so the scan's time (about
 * 0.1 s per million short lines, 0.25 s with quoted values, measured) mostly overlaps the read's. Undefined
 * results: the scan was stopped.
 */
export class ExtraFieldsScanner {
  private pending?: Promise<ExtraFieldsScan[] | undefined>;
  private stopped = false;
  readonly width: number;

  /** `limit`: lines to find per file at most (the scan of a file stops there). */
  constructor(
    private readonly files: CsvFile[],
    private readonly dialect: ExtraFieldsDialect,
    detected: Detected,
    private readonly limit: number,
  ) {
    this.width = detected.columns.length;
  }

  /** A run's step before the read that starts the scan. */
  startStep(): SetupStep {
    return {
      kind: 'hook',
      description: `count the fields of every line (more than the ${this.width} columns, the extra ones empty, are read without a word)`,
      run: async (io) => {
        this.pending = this.scanAll(io);
        // Awaited by the check after the read; a run that fails before it leaves it unread.
        this.pending.catch(() => undefined);
        return 0;
      },
      async dry() {},
    };
  }

  /** The scan's results: the one the run started, else a scan now (a preview's). */
  results(io: HookIo): Promise<ExtraFieldsScan[] | undefined> {
    return this.pending ?? this.scanAll(io);
  }

  /** Stops the scan (the run failed or was cancelled). */
  stop(): void {
    this.stopped = true;
  }

  private async scanAll(io: HookIo): Promise<ExtraFieldsScan[] | undefined> {
    const out: ExtraFieldsScan[] = [];
    for (const f of this.files) {
      const scan = await extraFieldLines(f.read, this.dialect, this.width, { limit: this.limit, isCancelled: () => this.stopped || io.isCancelled() });
      if (scan.partial) return undefined;
      out.push(scan);
    }
    return out;
  }
}

/** The scanner for the files, when the check applies: `fail` needs the first line found, `reject` every one. */
export function extraFieldsScanner(ctx: CompileContext<CsvSourceParams>, files: CsvFile[], detected: Detected): ExtraFieldsScanner | undefined {
  if (!checked(detected, files)) return undefined;
  return new ExtraFieldsScanner(files, { ...detected.dialect, nullStrings: ctx.params.null_strings }, detected, ctx.params.on_error === 'reject' ? MAX_SET_ASIDE + 1 : 1);
}

/**
 * `fail`: a check once the run has read the files (before the commit, so that a line the reader
 * stops at itself, further up, is the one reported), that stops at the first such line, naming the
 * file, the line and the column.
 */
export function extraFieldsCheck(ctx: CompileContext<CsvSourceParams>, files: CsvFile[], detected: Detected, scanner: ExtraFieldsScanner): (io: HookIo) => Promise<void> {
  const width = scanner.width;
  return async (io) => {
    const scans = await scanner.results(io);
    for (const [i, f] of files.entries()) {
      const found = scans?.[i]?.lines[0];
      if (!found) continue;
      const { rawLine, column } = (await recordTexts(f.read, [found]))[0]!;
      const nulls = new Set(ctx.params.null_strings ?? ['']);
      const extra = splitFields(rawLine, detected.dialect).slice(width);
      // Extra fields that are not all empty are the reader's to report too; say what the line holds either way.
      const what = extra.every((v) => v === '' || nulls.has(v))
        ? `from column ${column} on it holds ${extra.length} more, empty (or NULL strings), which the CSV reader would drop without a word`
        : `from column ${column} on it holds ${extra.length} more`;
      const message = `node '${ctx.nodeId}': line ${found.line} of ${f.original} has ${found.fields} fields where the file has ${width} columns: ${what} (line text: ${cut(rawLine)})`;
      const hint = 'remove the extra delimiters at the end of the line (one delimiter at the end of a line is allowed), or set on_error to "reject" to set such lines aside';
      throw new CaudalError('validation', message, { nodeId: ctx.nodeId, hint, problems: [{ code: 'bind_error', path: 'params.path', message, hint }] });
    }
  };
}

export interface ExtraFieldsReject {
  /** The setup step (after the read that fills `rows` and DuckDB's rejects tables). */
  step: SetupStep;
  /** A condition on `rows` that leaves such lines out of `out`. */
  keep: string;
  /** The rejects rows (`_k, _f, _l, _c, file, line, raw_line, error, column`), to add to DuckDB's. */
  rejects: string;
  /** How many lines were set aside. */
  countSql: string;
}

/**
 * `reject`: after the read, the rows those lines gave are found in `rows` (read in file order, so a
 * record's row is its place among the file's data records less the lines DuckDB set aside before it)
 * and left out of `out`, and each line goes to `rejects`. Where the rows do not line up with the lines
 * (the row count, or a sampled row's text, differs from what the scan expects), the run stops rather
 * than drop a wrong row. `previewWhole`: a preview reads every row (else its rows are a sample and
 * nothing is looked for).
 */
export function extraFieldsReject(opts: {
  ctx: CompileContext<CsvSourceParams>;
  files: CsvFile[];
  detected: Detected;
  scanner: ExtraFieldsScanner | undefined;
  rows: string;
  errorsTable: string;
  scansTable: string;
  table: string;
  countsRows: boolean;
  previewWhole: boolean;
}): ExtraFieldsReject {
  const { ctx, files, detected, scanner, rows, errorsTable, scansTable, table, countsRows, previewWhole } = opts;
  const width = detected.columns.length;
  const create = `CREATE OR REPLACE TEMP TABLE ${table} (_row BIGINT, _f BIGINT, _record BIGINT, file VARCHAR, line BIGINT, raw_line VARCHAR, error VARCHAR)`;

  const fill = async (io: HookIo): Promise<number> => {
    await io.db.run(create);
    const rowCount = Number((await io.db.rows(`SELECT count(*) AS n FROM ${rows}`))[0]!.n);
    // No rows (planning creates the table empty): none to leave out.
    if (rowCount === 0 || !scanner) return rowCount;
    const scans = await scanner.results(io);
    if (!scans || scans.every((s) => s.lines.length === 0)) return rowCount;
    const many = scans.findIndex((s) => s.limited);
    if (many >= 0) {
      const first = scans[many]!.lines[0]!;
      const { rawLine } = (await recordTexts(files[many]!.read, [first]))[0]!;
      const message = `node '${ctx.nodeId}': more than ${MAX_SET_ASIDE.toLocaleString('en-US')} lines of ${files[many]!.original} have more fields than its ${width} columns, the extra ones empty, from line ${first.line} on (${cut(rawLine)}): too many to set aside one by one`;
      const hint = 'when every line ends with the same extra delimiters, list the columns under columns with the extra ones too (they read as NULL; drop them with a select node); otherwise remove the extra delimiters';
      throw new CaudalError('validation', message, { nodeId: ctx.nodeId, hint, problems: [{ code: 'bind_error', path: 'params.path', message, hint }] });
    }

    // The lines DuckDB set aside itself, by file (its line numbers: a quoted line break not counted).
    const rejected = new Map<string, number[]>();
    for (const r of await io.db.rows(`SELECT DISTINCT s.file_path AS path, e.line AS line FROM ${errorsTable} AS e JOIN ${scansTable} AS s ON e.scan_id = s.scan_id AND e.file_id = s.file_id`)) {
      const list = rejected.get(String(r.path)) ?? [];
      list.push(Number(r.line));
      rejected.set(String(r.path), list);
    }
    const setAside: Array<{ row: number; file: number; line: ExtraFieldsLine }> = [];
    let offset = 0;
    for (const [index, f] of files.entries()) {
      const lines = (rejected.get(f.read) ?? []).sort((a, b) => a - b);
      const own = new Set(lines);
      for (const l of scans[index]!.lines) {
        // A line DuckDB set aside itself (an extra field that is not empty) is on rejects already.
        if (own.has(l.record)) continue;
        setAside.push({ row: offset + l.ordinal - countBelow(lines, l.record), file: index, line: l });
      }
      offset += scans[index]!.records - lines.length;
    }
    const misaligned = (why: string) => {
      const first = setAside[0] ?? { file: 0, line: scans.flatMap((s) => s.lines)[0]! };
      const message = `node '${ctx.nodeId}': line ${first.line.line} of ${files[first.file]!.original} has ${first.line.fields} fields, not ${width}, and cannot be set aside: ${why}`;
      const hint = 'remove the extra delimiters at the end of such lines (one delimiter at the end of a line is allowed), then run again';
      return new CaudalError('validation', message, { nodeId: ctx.nodeId, hint, problems: [{ code: 'bind_error', path: 'params.path', message, hint }] });
    };
    if (offset !== rowCount) throw misaligned(`the file's lines give ${offset} rows by the node's count, the reader gave ${rowCount}, so the row it gave for the line is not known`);
    if (setAside.length === 0) return rowCount;

    // Each row found is checked against its line's text columns before it is left out.
    const text = detected.columns.map((c, i) => ({ name: c.name, i })).filter((c) => detected.columns[c.i]!.type === 'VARCHAR');
    const values = new Map<number, Record<string, unknown>>();
    const ids = setAside.map((s) => s.row);
    for (let i = 0; i < ids.length; i += BATCH) {
      const batch = ids.slice(i, i + BATCH);
      const list = [`rowid AS _row`, ...text.map((c) => ident(c.name))].join(', ');
      for (const r of await io.db.rows(`SELECT ${list} FROM ${rows} WHERE rowid IN (${batch.map((n) => literal(n)).join(', ')})`)) values.set(Number(r._row), r);
    }
    const nulls = new Set(ctx.params.null_strings ?? ['']);
    const texts = new Map<ExtraFieldsLine, string>();
    for (const [index, f] of files.entries()) {
      const mine = setAside.filter((s) => s.file === index).map((s) => s.line);
      (await recordTexts(f.read, mine)).forEach((t, i) => texts.set(mine[i]!, t.rawLine));
    }
    const out: DuckDBValue[][] = [];
    for (const s of setAside) {
      const rawLine = texts.get(s.line)!;
      const row = values.get(s.row);
      const fields = splitFields(rawLine, detected.dialect);
      const same = row !== undefined && text.every((c) => {
        const v = row[c.name];
        const field = fields[c.i] ?? '';
        return v === null || v === undefined ? field.trim() === '' || nulls.has(field) : String(v).trim() === field.trim();
      });
      if (!same) throw misaligned(`the row the reader gave in its place holds other values, so the file's lines and the rows do not line up`);
      out.push([s.row, s.file, s.line.record, files[s.file]!.original, s.line.line, rawLine, reason(width, s.line.fields)]);
    }
    for (let i = 0; i < out.length; i += BATCH) {
      const batch = out.slice(i, i + BATCH);
      const placeholders = batch.map((_, r) => `(${[1, 2, 3, 4, 5, 6, 7].map((c) => `$${r * 7 + c}`).join(', ')})`).join(', ');
      await io.db.rows(`INSERT INTO ${table} VALUES ${placeholders}`, batch.flat());
    }
    return rowCount - out.length;
  };

  return {
    step: {
      kind: 'hook',
      description: `set aside lines with more fields than the ${width} columns`,
      run: fill,
      // Planning reads no rows; a preview that read every row looks for the lines as a run does.
      dry: async (io) => {
        if (previewWhole) await fill(io);
        else await io.db.run(create);
      },
      rerunInPreview: true,
      // The rows read, less those set aside (the read's own count includes them).
      countsRows,
    },
    keep: `rowid NOT IN (SELECT _row FROM ${table})`,
    rejects: `SELECT 0 AS _k, _f, _record AS _l, -1 AS _c, file AS ${ident('file')}, line AS ${ident('line')}, raw_line AS ${ident('raw_line')}, error AS ${ident('error')}, CAST(NULL AS VARCHAR) AS ${ident('column')} FROM ${table}`,
    countSql: `SELECT count(*) FROM ${table}`,
  };
}

/** Rows looked up, or inserted, per statement. */
const BATCH = 200;

/** How many of the sorted `values` are below `x`. */
function countBelow(values: number[], x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
