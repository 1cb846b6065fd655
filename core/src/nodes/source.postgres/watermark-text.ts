import { CaudalError } from '../../util/errors.js';

/**
 * The next watermark as PostgreSQL reads it back, from `max` (DuckDB SQL over the column read).
 * TIMESTAMPTZ in UTC with its offset, so the server compares the exact instant; before year 1 in
 * DuckDB's own text (`0044-03-15 (BC) 10:00:00`), which PostgreSQL reads, where strftime wrote the
 * astronomical year `-43`, which it refused, and every later run with it.
 */
export function watermarkTextSql(duckdbType: string, max: string): string {
  if (duckdbType !== 'TIMESTAMPTZ') return `CAST(${max} AS VARCHAR)`;
  const utc = `(${max} AT TIME ZONE 'UTC')`;
  return `CASE WHEN isinf(${max}) THEN CAST(${max} AS VARCHAR) WHEN year(${utc}) < 1 THEN CAST(${utc} AS VARCHAR) || '+00' ELSE strftime(${utc}, '%Y-%m-%d %H:%M:%S.%f') || '+00' END`;
}

/** DuckDB's text of a maximum no value is above in PostgreSQL (NaN sorts above every number there), as the user knows it. */
const UNBOUNDED: Record<string, string> = { nan: 'NaN', inf: 'Infinity', infinity: 'infinity' };

/**
 * Refuses a next watermark that no later row can be above: saved, it would make every later run
 * read nothing, without a word. Thrown while the run is still staging, so nothing commits and the
 * old watermark stays.
 */
export function refuseUnboundedWatermark(next: unknown, ctx: { nodeId: string; column: string; previous: string | undefined }): void {
  const shown = typeof next === 'string' ? UNBOUNDED[next.toLowerCase()] : undefined;
  if (shown === undefined) return;
  const kept = ctx.previous === undefined ? 'no watermark is saved' : `the watermark stays at ${ctx.previous}`;
  throw new CaudalError(
    'execution',
    `node '${ctx.nodeId}': the watermark column '${ctx.column}' holds ${shown} in a row read; PostgreSQL sorts it above every other value, so as the watermark no later row would ever be above it and every later run would read nothing. The run stops before writing anything and ${kept}`,
    {
      nodeId: ctx.nodeId,
      column: ctx.column,
      hint: `give the row a real value in '${ctx.column}' at the source, then run again (a filter leaving such rows out, e.g. '${ctx.column}' < '${shown}', works too, but starts a watermark of its own)`,
    },
  );
}

/**
 * How a watermark column's values order, by the type they are read as: numbers, dates and times,
 * or text (by its bytes). A column retyped across kinds orders its values otherwise ('10' < '9' as
 * text), so a watermark saved under one kind must not be compared under another. Widening within a
 * kind (integer to bigint, timestamp to timestamptz) keeps the order.
 */
export function watermarkKind(duckdbType: string): string {
  const t = duckdbType.toUpperCase();
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|REAL|DOUBLE|DECIMAL.*|NUMERIC.*)$/.test(t)) return 'number';
  if (/^(DATE|TIMESTAMP.*|TIME.*)$/.test(t)) return 'date/time';
  if (t === 'VARCHAR') return 'text';
  return t;
}
