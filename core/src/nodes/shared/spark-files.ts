import type { Column, SparkCompileContext, SparkSink } from '../define.js';
import { ident, stringLiteral } from '../../compiler/sql.js';
import { isNestedType } from './nested-types.js';

/**
 * What the Spark forms of the file sources and sinks share. Paths may be local (resolved against the
 * pipeline's folder) or URLs the cluster reads (s3a://, hdfs://, abfss://, gs://).
 */

/** `SELECT <every column> FROM <view>`, naming the DuckDB plan's columns so Spark's match. */
export function selectColumns(from: string, columns: Column[]): string {
  return `SELECT ${columns.map((c) => ident(c.name)).join(', ')}\nFROM ${from}`;
}

/** Spark cannot read `**` globs; a folder read with recursiveFileLookup does the same. */
export function sparkPaths<P>(ctx: SparkCompileContext<P>, pattern: string, field = 'path'): { paths: string[]; options: Record<string, string> } {
  const i = pattern.indexOf('**');
  if (i < 0) return { paths: [pattern], options: {} };
  const base = pattern.slice(0, i).replace(/\/$/, '');
  const rest = pattern.slice(i + 2).replace(/^\//, '');
  if (rest.includes('/')) ctx.unsupported(field, `Spark reads '**' only as "every file below a folder": ${pattern} has folders after it`, 'put ** last, e.g. lake/orders/**/*.parquet');
  return { paths: [base], options: { recursiveFileLookup: 'true', ...(rest && rest !== '*' ? { pathGlobFilter: rest } : {}) } };
}

/** The file sinks' common Spark form: one file at the target like the DuckDB engine, or Hive folders. */
export function fileSink<P extends { path: string; if_exists: 'fail' | 'overwrite' }>(
  ctx: SparkCompileContext<P>,
  format: SparkSink['format'],
  options: Record<string, string>,
  extra: Partial<SparkSink> = {},
): { sink: SparkSink } {
  return { sink: { format, target: ctx.path(ctx.params.path), ifExists: ctx.params.if_exists, options, singleFile: !extra.partitionBy?.length, ...extra } };
}

/**
 * A SELECT over the sink's input that writes timestamps as the DuckDB engine does (`2024-06-30
 * 14:05:00`, fractions only when present; Spark's writers would put a `T` in), and applies the
 * strftime formats a sink sets for dates and timestamps. With `nested`, lists, structs and maps
 * become JSON text, as the CSV sink writes them on DuckDB (`isNestedType`; Spark's CSV writer
 * refuses them).
 * Undefined when nothing needs converting.
 */
export function textualValues(from: string, columns: Column[], formats: { date?: string; timestamp?: string; nested?: boolean } = {}): string | undefined {
  let changed = false;
  const list = columns.map((c) => {
    const x = ident(c.name);
    const type = c.type.toUpperCase();
    if (type === 'DATE' && formats.date) {
      changed = true;
      return `strftime(${x}, ${stringLiteral(formats.date)}) AS ${x}`;
    }
    if (formats.nested && isNestedType(type)) {
      changed = true;
      return `to_json(${x}) AS ${x}`;
    }
    if (type.startsWith('TIMESTAMP')) {
      changed = true;
      return formats.timestamp ? `strftime(${x}, ${stringLiteral(formats.timestamp)}) AS ${x}` : `CAST(${x} AS VARCHAR) AS ${x}`;
    }
    return x;
  });
  return changed ? `SELECT ${list.join(', ')}\nFROM ${from}` : undefined;
}

/** Spark's name for the compression a file name asks for (.gz, .zst). */
export function sparkCompression(file: string): Record<string, string> {
  const lower = file.toLowerCase();
  if (lower.endsWith('.gz')) return { compression: 'gzip' };
  if (lower.endsWith('.zst')) return { compression: 'zstd' };
  return {};
}
