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
export function formatCell(v: unknown, type?: string): string {
  return showControls(cellText(v, type));
}

function cellText(v: unknown, type?: string): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number') return Number.isInteger(v) || !Number.isFinite(v) ? String(v) : String(Number(v.toPrecision(15)));
  if (type && /^INTERVAL/i.test(type) && isInterval(v) && /^-?\d+$/.test(String(v.micros))) return formatInterval(v);
  if (type && /^MAP\(/i.test(type) && isMapEntries(v)) return `{${v.map((e) => `${cellText(e.key)}: ${cellText(e.value)}`).join(', ')}}`;
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/**
 * Characters that would change how the text around them shows (bidi controls reverse it: `\u202eRTL`
 * shows as "LTR") are shown as their code instead, so a cell shows what the data holds.
 */
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
function showControls(text: string): string {
  return text.replace(BIDI_CONTROLS, (c) => `⟨U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}⟩`);
}

interface Interval {
  months: number;
  days: number;
  micros: string | number;
}

function isInterval(v: unknown): v is Interval {
  return v !== null && typeof v === 'object' && 'months' in v && 'days' in v && 'micros' in v;
}

function isMapEntries(v: unknown): v is Array<{ key: unknown; value: unknown }> {
  return Array.isArray(v) && v.every((e) => e !== null && typeof e === 'object' && 'key' in e && 'value' in e);
}

/** An INTERVAL as DuckDB prints it: `1 year 2 months 3 days 04:05:06.5`, `3 days`, `00:00:00`. */
export function formatInterval(v: Interval): string {
  const parts: string[] = [];
  const unit = (n: number, word: string) => n !== 0 && parts.push(`${n} ${word}${Math.abs(n) === 1 ? '' : 's'}`);
  const years = Math.trunc(v.months / 12);
  unit(years, 'year');
  unit(v.months - years * 12, 'month');
  unit(v.days, 'day');
  let micros = BigInt(v.micros);
  if (micros !== 0n || parts.length === 0) {
    const sign = micros < 0n ? '-' : '';
    if (micros < 0n) micros = -micros;
    const pad = (n: bigint) => n.toString().padStart(2, '0');
    const fraction = micros % 1_000_000n;
    const seconds = micros / 1_000_000n;
    const time = `${pad(seconds / 3600n)}:${pad((seconds / 60n) % 60n)}:${pad(seconds % 60n)}`;
    parts.push(`${sign}${time}${fraction ? `.${fraction.toString().padStart(6, '0').replace(/0+$/, '')}` : ''}`);
  }
  return parts.join(' ');
}

/** `-1234567.5` → `-1,234,567.5`: thousands grouped in a plain decimal text, every digit kept. */
function groupDigits(text: string): string {
  const m = /^(-?)(\d+)(\.\d+)?$/.exec(text);
  return m ? `${m[1]}${m[2]!.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${m[3] ?? ''}` : text;
}

/**
 * Figures and values in profiles and summaries (min, max, counts, means): grouped thousands and
 * every digit, never rounded: min and max are values of the data, and a rounded one would read as
 * another value (1234567.891 as 1,234,570; 0.00001234 as 0; -0.00004 as -0). A double is shown
 * as its shortest exact text (1e-7 and 1e+25 in exponent form); exact numbers that arrive as text
 * (BIGINT, DECIMAL) keep all their digits.
 */
export function formatStat(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? groupDigits(Object.is(v, -0) ? '0' : String(v)) : String(v);
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)) return groupDigits(v);
  return formatCell(v);
}
