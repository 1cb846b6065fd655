import type { DuckDBValue } from '@duckdb/node-api';
import { Db } from '../../compiler/db.js';
import { ident, stringLiteral } from '../../compiler/sql.js';
import type { Column, CompiledNode, HookIo, SetupStep } from '../define.js';
import { dialectOf, type Detected, type Dialect, type Sniffed } from './detect.js';
import type { CsvFile } from './files.js';
import { fieldKey, locateRecords, type RecordLine } from './locate.js';
import { fileLiteral } from '../shared/exact-file.js';

/**
 * Integer, ISO date, timestamp and time columns (and numbers written with a thousands separator) are read as text
 * and converted after DuckDB parsed the line, so a value that does not convert has no line number in DuckDB's
 * terms. These helpers find it again in the file: for the error that stops a run (`fail`), and for
 * each row set aside (`reject`).
 */

/** One converted column: its name, its text expression's failure test and its reason (SQL). */
export interface ConvertedColumn {
  column: Column;
  failed: string;
  reason: string;
}

/** The field position of a column in the file (0-based), or -1 (a file name or partition column). */
function fieldOf(detected: Detected, name: string): number {
  return detected.columns.findIndex((c) => c.name === name);
}

/** The file a row came from: its original path as the row or message names it, or the only file. */
function fileOf(files: CsvFile[], original: string | null | undefined): CsvFile | undefined {
  if (original === null || original === undefined) return files.length === 1 ? files[0] : undefined;
  return files.find((f) => f.original === original);
}

/** Compressed files are not searched (DuckDB decompresses them itself; only gzip would be cheap here). */
const searchable = (f: CsvFile | undefined): f is CsvFile => f !== undefined && !f.compressed;

/**
 * The file and value a conversion error names for column `name`. The message reads
 * `column "amount" of data/orders.csv: '4.5' is not a whole number of type BIGINT` (the file part
 * only when it is known), or `… '12.345' has more than 2 decimal places …`, as `numberConversion`'s
 * strict form raises them.
 */
function namedValue(message: string, name: string): { file?: string; value: string } | undefined {
  const head = `column "${name}"`;
  const at = message.indexOf(head);
  if (at < 0) return undefined;
  const m = /^(?: of ([\s\S]*?))?: '([\s\S]*)' (?:is not a |has more than |has more fractional digits )/.exec(message.slice(at + head.length));
  return m ? { file: m[1], value: m[2]! } : undefined;
}

/** `line 12 of data/orders.csv: 12,4.5,…`, where the record whose field `field` holds `value` starts. */
async function lineOf(file: CsvFile, dialect: Dialect, field: number, value: string, io: ExplainIo): Promise<string | undefined> {
  const wanted = { field, value, count: 1 };
  const found = await locateRecords(file.read, dialect, [wanted], io);
  const hit = found.get(fieldKey(wanted))?.[0];
  return hit ? `line ${hit.line} of ${file.original}: ${hit.rawLine}` : undefined;
}

type ExplainIo = Parameters<NonNullable<CompiledNode['explainError']>>[1];

/** `fail`: the line of the value a conversion error names. */
export function conversionErrorLocator(detected: Detected, files: CsvFile[], converted: Column[]): NonNullable<CompiledNode['explainError']> {
  return async (message, io) => {
    for (const n of converted) {
      const named = namedValue(message, n.name);
      const file = fileOf(files, named?.file);
      const field = fieldOf(detected, n.name);
      if (!named || !searchable(file) || field < 0) continue;
      const line = await lineOf(file, detected.dialect, field, named.value, io);
      if (line) return line;
    }
    return undefined;
  };
}

/**
 * `fail` for files combined by name: each file has its own header and format, which DuckDB detects
 * as it reads them, so nothing is known ahead. The file the error names is sniffed again (with the
 * options given, `sniffArgs`) to find the column's field and read the file's lines; in a database
 * of its own, as the run's connection may be in a failed transaction.
 */
export function combinedConversionLocator(files: CsvFile[], converted: Column[], sniffArgs: string): NonNullable<CompiledNode['explainError']> {
  return async (message, io) => {
    for (const n of converted) {
      const named = namedValue(message, n.name);
      const file = fileOf(files, named?.file);
      if (!named || !searchable(file)) continue;
      const sniffed = await sniffOne(file.read, sniffArgs).catch(() => undefined);
      const field = sniffed?.Columns.findIndex((c) => c.name === n.name) ?? -1;
      if (!sniffed || field < 0) continue;
      const line = await lineOf(file, dialectOf(sniffed), field, named.value, io);
      if (line) return line;
    }
    return undefined;
  };
}

async function sniffOne(file: string, sniffArgs: string): Promise<Sniffed | undefined> {
  const db = await Db.open({ threads: 1 });
  try {
    const [row] = await db.rows(`SELECT * FROM sniff_csv(${[fileLiteral(file), sniffArgs].filter(Boolean).join(', ')})`);
    return row as unknown as Sniffed | undefined;
  } finally {
    db.close();
  }
}

const INSERT_BATCH = 200;
/**
 * Rows per column whose lines are looked up (the first ones in the file); beyond, `line` stays
 * empty: a column that fails everywhere would otherwise mean millions of lines to carry back.
 */
export const LINES_PER_COLUMN = 10_000;

/**
 * `reject`: a setup step after the scan that fills `linesTable` (_file, _field, _value, _seq,
 * _line, _raw) with the line of every row whose value did not convert; `rejectedConversions`
 * joins it. Reads the files again only when some value failed, and only until all are found
 * (the first LINES_PER_COLUMN rows per column).
 */
export function conversionLinesStep(opts: {
  rows: string;
  rowFile: string;
  linesTable: string;
  converted: ConvertedColumn[];
  detected: Detected;
  files: CsvFile[];
}): SetupStep {
  const { rows, rowFile, linesTable, converted, detected, files } = opts;
  const create = `CREATE OR REPLACE TEMP TABLE ${linesTable} (_file VARCHAR, _field INTEGER, _value VARCHAR, _seq BIGINT, _line BIGINT, _raw VARCHAR)`;
  const located = converted
    .map((c) => ({ c, field: fieldOf(detected, c.column.name) }))
    .filter((x) => x.field >= 0);
  const failures =
    located.length === 0
      ? undefined
      : located
          .map(
            ({ c, field }) =>
              `SELECT file, ${field} AS field, value, count(*) AS n FROM (SELECT ${rowFile} AS file, ${ident(c.column.name)} AS value FROM ${rows} WHERE ${c.failed} ORDER BY rowid LIMIT ${LINES_PER_COLUMN}) GROUP BY ALL`,
          )
          .join('\nUNION ALL\n');
  const fill = async (io: HookIo) => {
    await io.db.run(create);
    if (!failures) return;
    const wanted = (await io.db.rows(failures)) as Array<{ file: string | null; field: number; value: string; n: bigint | number }>;
    const byFile = new Map<string | null, typeof wanted>();
    for (const w of wanted) {
      const list = byFile.get(w.file) ?? [];
      list.push(w);
      byFile.set(w.file, list);
    }
    const out: DuckDBValue[][] = [];
    for (const [original, list] of byFile) {
      const file = fileOf(files, original);
      if (!searchable(file) || io.isCancelled()) continue;
      const found = await locateRecords(
        file.read,
        detected.dialect,
        list.map((w) => ({ field: Number(w.field), value: w.value, count: Number(w.n) })),
        { isCancelled: io.isCancelled },
      );
      for (const w of list) {
        const lines: RecordLine[] = found.get(fieldKey({ field: Number(w.field), value: w.value })) ?? [];
        lines.forEach((l, i) => out.push([original, Number(w.field), w.value, i + 1, l.line, l.rawLine]));
      }
    }
    for (let i = 0; i < out.length; i += INSERT_BATCH) {
      const batch = out.slice(i, i + INSERT_BATCH);
      const values = batch.map((_, r) => `(${[1, 2, 3, 4, 5, 6].map((c) => `$${r * 6 + c}`).join(', ')})`).join(', ');
      await io.db.rows(`INSERT INTO ${linesTable} VALUES ${values}`, batch.flat());
    }
  };
  return {
    kind: 'hook',
    description: 'find the lines of the values that did not convert',
    run: async (io) => {
      await fill(io);
      return 0;
    },
    // Planning scans no rows, so this is just the empty table; a preview finds the lines in its sample.
    dry: fill,
    rerunInPreview: true,
  };
}

/** The rejects rows for values that did not convert, with their lines from `conversionLinesStep`'s table. */
export function rejectedConversions(opts: { rows: string; rowFile: string; linesTable: string; converted: ConvertedColumn[]; detected: Detected; files: CsvFile[] }): string[] {
  const { rows, rowFile, linesTable, converted, detected, files } = opts;
  // Ordered with DuckDB's own rejects: by file (its position in the listing), line, column.
  const fileIndex = `coalesce(list_position([${files.map((f) => stringLiteral(f.original)).join(', ')}], r._rf), 1) - 1`;
  return converted.map((c, i) => {
    const col = ident(c.column.name);
    const failedRows = [
      `SELECT ${rowFile} AS _rf, ${col} AS _rv, ${c.reason} AS _reason,`,
      `  row_number() OVER (PARTITION BY ${rowFile}, ${col} ORDER BY rowid) AS _rs`,
      `FROM ${rows} WHERE ${c.failed}`,
    ].join('\n');
    return [
      `SELECT 0 AS _k, ${fileIndex} AS _f, l._line AS _l, ${i} AS _c, CAST(r._rf AS VARCHAR) AS ${ident('file')}, l._line AS ${ident('line')},`,
      `  l._raw AS ${ident('raw_line')}, r._reason AS ${ident('error')}, ${stringLiteral(c.column.name)} AS ${ident('column')}`,
      `FROM (\n${failedRows}\n) AS r`,
      `LEFT JOIN ${linesTable} AS l ON l._file IS NOT DISTINCT FROM r._rf AND l._field = ${fieldOf(detected, c.column.name)} AND l._value = r._rv AND l._seq = r._rs`,
    ].join('\n');
  });
}
