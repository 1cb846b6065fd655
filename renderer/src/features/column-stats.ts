/** Per-column figures for preview headers, computed from the preview rows (the profile drawer has the full-data ones). */
export interface ColumnStats {
  nullPct: number;
  /** Numeric columns: counts in 12 equal-width bins from min to max. */
  histogram?: number[];
  min?: number;
  max?: number;
  /** Other columns: the most frequent values. */
  top?: Array<{ value: string; count: number }>;
  distinct: number;
}

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|REAL|DECIMAL|NUMERIC|INT)/i;

export function isNumericType(type: string): boolean {
  return NUMERIC.test(type);
}

export function columnStats(rows: Array<Record<string, unknown>>, name: string, type: string, bins = 12): ColumnStats {
  let nulls = 0;
  const values: unknown[] = [];
  for (const r of rows) {
    const v = r[name];
    if (v === null || v === undefined) nulls++;
    else values.push(v);
  }
  const nullPct = rows.length ? (100 * nulls) / rows.length : 0;
  const counts = new Map<string, number>();
  for (const v of values) {
    const k = typeof v === 'object' ? JSON.stringify(v) : String(v);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const stats: ColumnStats = { nullPct, distinct: counts.size };
  if (isNumericType(type)) {
    const nums = values.map(Number).filter(Number.isFinite);
    if (nums.length > 0) {
      let min = Infinity;
      let max = -Infinity;
      for (const n of nums) {
        min = Math.min(min, n);
        max = Math.max(max, n);
      }
      const hist = new Array<number>(bins).fill(0);
      const width = (max - min) / bins;
      for (const n of nums) hist[width === 0 ? 0 : Math.min(bins - 1, Math.floor((n - min) / width))]!++;
      return { ...stats, histogram: hist, min, max };
    }
  }
  stats.top = [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, 3)
    .map(([value, count]) => ({ value, count }));
  return stats;
}

/**
 * A cell as text. Doubles lose the binary noise of their last digits (89449.99999999999 → 89450):
 * 15 significant digits is all a double holds. Big integers and decimals arrive as exact text.
 */
export function formatCell(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number') return Number.isInteger(v) || !Number.isFinite(v) ? String(v) : String(Number(v.toPrecision(15)));
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

const STAT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 4 });

/** Figures in profiles and summaries: grouped thousands, at most 4 decimals, the same everywhere. */
export function formatStat(v: unknown): string {
  if (v === null || v === undefined) return '';
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : NaN;
  if (Number.isFinite(n) && (typeof v === 'number' || Math.abs(n) < Number.MAX_SAFE_INTEGER)) return STAT.format(n);
  return formatCell(v);
}
