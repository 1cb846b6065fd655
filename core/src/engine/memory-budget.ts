/**
 * `--memory-limit` is the run's budget, not DuckDB's alone: beside DuckDB's buffer manager the run
 * holds Node.js, the engine worker with the node registry, and DuckDB's allocations outside its
 * buffer manager (Parquet writers). DuckDB gets the limit less a reserve for those, so a run under
 * `--memory-limit 512MB` stays nearer 512 MB instead of 512 MB plus the engine.
 */

/** Node.js, the worker thread and the node registry, measured at ~130–150 MB for a one-row run. */
const RESERVE_BYTES = 128 * 1024 * 1024;
/** DuckDB keeps at least this share of a small limit. */
const MIN_SHARE = 0.75;

const UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4 };

/** The DuckDB `memory_limit` for a run limit such as `512MB` (a percentage of RAM is passed on as it is). */
export function duckdbMemoryLimit(limit: string | undefined): string | undefined {
  if (limit === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/i.exec(limit.trim());
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) return limit;
  const bytes = Number(m[1]) * unit;
  const duck = Math.max(bytes * MIN_SHARE, bytes - RESERVE_BYTES);
  return `${Math.floor(duck / 1024 / 1024)}MiB`;
}
