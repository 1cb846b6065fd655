import { stringLiteral } from '../../compiler/sql.js';
import { escapeGlob } from '../../util/glob.js';

/**
 * One known file (from a glob listing, or a temp copy) as the SQL string a DuckDB read function
 * takes: read_csv, sniff_csv, read_json, read_parquet, parquet_schema take every path as a
 * pattern, so its glob characters are escaped and it reads that file only. (A source's own path
 * goes through util/exact-file.ts: the file it names exactly, or a pattern.)
 */
export const fileLiteral = (file: string): string => stringLiteral(escapeGlob(file));
