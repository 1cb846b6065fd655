import { statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { stringLiteral } from '../../compiler/sql.js';
import { escapeGlob, isGlob } from '../../util/glob.js';

/**
 * The pattern a file source gives DuckDB for its resolved `path`. A name may hold glob characters
 * itself (`data[1].csv`, `a*b.csv`, `what?.csv`): read as a pattern it matches no file, or another
 * one (`data[1].csv` matches `data1.csv`). So when the path names an existing file exactly, that
 * file is read, its glob characters escaped (`[` → `[[]`); otherwise the path is a pattern, as
 * written. URLs are left alone (their listing is a request, and they are not local files).
 */
export async function exactFileOrPattern(resolved: string): Promise<string> {
  if (!mayNameAFile(resolved)) return resolved;
  const found = await stat(resolved).catch(() => undefined);
  return found?.isFile() ? escapeGlob(resolved) : resolved;
}

/** The same, for the Spark export's path filling (synchronous, as its node contexts are). */
export function exactFileOrPatternSync(resolved: string): string {
  if (!mayNameAFile(resolved)) return resolved;
  return statSync(resolved, { throwIfNoEntry: false })?.isFile() ? escapeGlob(resolved) : resolved;
}

/** A local path with glob characters, which may name a file exactly (a URL's listing is a request). */
const mayNameAFile = (resolved: string) => isGlob(resolved) && !/^[a-z][a-z0-9+.-]*:\/\//i.test(resolved);

/**
 * One known file (from a glob listing, or a temp copy) as the SQL string a DuckDB read function
 * takes: read_csv, sniff_csv, read_json, read_parquet, parquet_schema take every path as a
 * pattern, so its glob characters are escaped and it reads that file only.
 */
export const fileLiteral = (file: string): string => stringLiteral(escapeGlob(file));
