import { cleanDuckDbMessage } from '../../compiler/duckdb-errors.js';
import { ident, literal, stringLiteral } from '../../compiler/sql.js';
import type { Db } from '../../compiler/db.js';
import { errorMessage } from '../../util/errors.js';
import type { Column } from '../../nodes/define.js';
import { categoryOf, isScalar } from './categories.js';
import { pickSemantic, semanticSql, SEMANTIC_PATTERNS } from './semantic.js';
import type { ColumnCategory, ColumnProfile, ProfileOptions } from './types.js';
import { shortenValue } from '../shorten.js';

export const QUANTILES = [0.05, 0.25, 0.5, 0.75, 0.95];
/** Above this many rows, a sampled profile's quantiles are t-digest estimates (an exact quantile holds each column). */
export const EXACT_QUANTILES_MAX_ROWS = 1_000_000;
/**
 * Relative standard error of DuckDB's approx_count_distinct: a HyperLogLog with 64 registers,
 * 1.04/√64 ≈ 0.13 (measured here: 13–16% RMS over thousands of sets). About one estimate in three
 * is further off than this, one in twenty more than twice as far.
 */
export const HLL_STANDARD_ERROR = 0.13;
const SEMANTIC_VALUES = 10_000;
/** Share of distinct values above which a column counts as id-like (sampled profiles with an estimate: no top values). */
const NEARLY_UNIQUE = 0.8;
const PATTERN_CHARS = 64;
/** Values whose shapes a sampled profile counts when a text column has too many distinct values to shape them all. */
const PATTERN_VALUES = 100_000;

/**
 * Columns per query in the passes that select one scalar subquery per column: DuckDB binds each
 * one a level deeper and refuses a thousand in one SELECT (max_expression_depth), so a wide table
 * is read in batches.
 */
const COLUMNS_PER_SUBQUERY_SELECT = 100;

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
/** A mean or a standard deviation: NULL, or a value DOUBLE could not hold (an overflow), is no figure. */
const finiteOrNull = (v: unknown): number | null => (v === null || v === undefined || !Number.isFinite(Number(v)) ? null : Number(v));
const fmtN = (n: number) => n.toLocaleString('en-US');
const note = (p: ColumnProfile, text: string): void => {
  (p.notes ??= []).push(text);
};
/** Above this magnitude a double's square (inside stddev_samp) may overflow: such columns are scaled. */
const HUGE_DOUBLE = 1e100;
/** An exact number's spread counts as lost in DOUBLE when it is below this share of its magnitude (2^-28: under 2^24 steps of a double apart). */
const COLLAPSE_SHARE = 2 ** -28;
const c = (i: number, what: string) => ident(`${what}_${i}`);
const valueCounts = (list: unknown): Array<{ value: unknown; count: number }> =>
  Array.isArray(list) ? (list as Array<{ v: unknown; n: unknown }>).map((t) => ({ value: t.v, count: num(t.n) })) : [];

export interface StatsOptions extends Pick<Required<ProfileOptions>, 'exactDistinctBelow' | 'topK' | 'bins'> {
  /** Every figure exact (an exact profile); else estimates where counting exactly would cost a pass per column. */
  exact: boolean;
}

export interface StatsSteps {
  step(label: string): void;
  isCancelled(): boolean;
}

/** How many times columnStats calls `step` (for progress percentages). */
export function statsStepCount(columns: number, exact: boolean): number {
  return 4 + (exact ? columns : 1);
}

/**
 * Per-column statistics of a materialized table: counts, min/max/mean/stddev/quantiles and length
 * stats in one pass; distinct counts and top values from one GROUP BY per column; histograms;
 * value shapes; semantic guesses. With `exact`, every figure is exact; otherwise (sampled
 * profiles) large inputs get HyperLogLog distinct counts, approx_top_k candidates and t-digest
 * quantiles, each labelled in the result.
 */
export async function columnStats(db: Db, table: string, knownRows: number | undefined, columns: Column[], opts: StatsOptions, steps: StatsSteps): Promise<{ rows: number; quantiles: 'exact' | 'approximate'; profiles: ColumnProfile[] }> {
  const cats = columns.map((col) => categoryOf(col.type));
  const scalar = columns.map((col) => isScalar(col.type));

  // 1. One pass: counts, ranges, moments, quantiles, lengths (and distinct estimates for large samples).
  steps.step('counts, ranges, means and quantiles');
  const rows = knownRows ?? num(((await db.rows(`SELECT count(*) AS n FROM ${table}`)) as [{ n: unknown }])[0].n);
  const estimate = !opts.exact && rows > opts.exactDistinctBelow;
  const exactQ = opts.exact || rows <= EXACT_QUANTILES_MAX_ROWS;
  const quantiles = exactQ ? 'exact' : 'approximate';
  const kinds = columns.map((col, i) => numberKind(col.type, cats[i]!));
  // Per column, its aggregates: one query for all columns; only when it fails, one per column, so
  // one column's failure leaves the others' figures and names the column (see onePass).
  const parts1 = columns.map((col, i) => pass1Parts(col, i, cats[i]!, kinds[i]!, scalar[i]!, estimate, exactQ));
  const { row: r1, failed: failed1 } = await onePass(db, table, parts1, steps.isCancelled, (i) => [`count(${ident(columns[i]!.name)}) AS ${c(i, 'nn')}`]);

  const profiles: ColumnProfile[] = columns.map((col, i) => {
    const failed = failed1.get(i);
    const nn = num(r1[`nn_${i}`]);
    const p: ColumnProfile = { name: col.name, type: col.type, category: cats[i]!, count: rows, nulls: rows - nn, nullPercent: rows === 0 ? 0 : (100 * (rows - nn)) / rows, distinct: 0, distinctExact: true, topValues: [] };
    if (failed) {
      note(p, `min, max, mean, standard deviation, quantiles and lengths not computed: ${failed}`);
      return p;
    }
    if (estimate) {
      const ad = Math.min(num(r1[`ad_${i}`]), nn);
      // Small estimates are counted exactly below; the rest keep the estimate, labelled.
      if (ad >= opts.exactDistinctBelow) Object.assign(p, { distinct: ad, distinctExact: false, distinctError: HLL_STANDARD_ERROR });
    }
    if (scalar[i]) {
      p.min = r1[`min_${i}`] ?? null;
      p.max = r1[`max_${i}`] ?? null;
    }
    const special = kinds[i] === 'float' || cats[i] === 'date';
    if (special) {
      const nonFinite = { nan: num(r1[`nan_${i}`]), infinity: num(r1[`pinf_${i}`]), negativeInfinity: num(r1[`ninf_${i}`]) };
      if (nonFinite.nan + nonFinite.infinity + nonFinite.negativeInfinity > 0) p.nonFinite = nonFinite;
    }
    if (cats[i] === 'number') {
      p.mean = finiteOrNull(r1[`mean_${i}`]);
      // Doubles beyond ±1e100 are left out of pass 1's stddev_samp: the histogram pass computes it scaled.
      p.stddev = num(r1[`huge_${i}`]) > 0 ? null : finiteOrNull(r1[`sd_${i}`]);
      const q = r1[`q_${i}`];
      if (Array.isArray(q)) p.quantiles = QUANTILES.map((pp, k) => ({ p: pp, value: q[k] ?? null }));
      if (p.nonFinite) {
        const { nan, infinity, negativeInfinity } = p.nonFinite;
        const left = [nan && `${fmtN(nan)} NaN`, infinity && `${fmtN(infinity)} +Infinity`, negativeInfinity && `${fmtN(negativeInfinity)} -Infinity`].filter(Boolean).join(', ');
        note(p, `mean, standard deviation, quantiles and histogram are over the ${fmtN(nn - nan - infinity - negativeInfinity)} finite values (${left} left out)${nan ? '; min and max leave NaN out' : ''}`);
      }
    }
    if (cats[i] === 'date' && p.nonFinite) note(p, `the histogram is over the ${fmtN(nn - p.nonFinite.infinity - p.nonFinite.negativeInfinity)} finite values (${[p.nonFinite.infinity && `${fmtN(p.nonFinite.infinity)} infinity`, p.nonFinite.negativeInfinity && `${fmtN(p.nonFinite.negativeInfinity)} -infinity`].filter(Boolean).join(', ')} left out)`);
    if (cats[i] === 'string' && nn > 0) p.lengths = { min: num(r1[`lmin_${i}`]), max: num(r1[`lmax_${i}`]), mean: num(r1[`lavg_${i}`]) };
    return p;
  });
  if (steps.isCancelled()) return { rows, quantiles, profiles };

  // 1b. Exact quantiles of exact numbers wider than a DOUBLE (BIGINT, HUGEINT, long DECIMALs):
  // DuckDB's quantile_cont computes those in DOUBLE (a BIGINT near 2^62 comes back rounded by
  // hundreds), so the values either side of each quantile's position are read exactly and
  // interpolated here, in exact decimal arithmetic.
  const exactWide = new Set<number>();
  if (exactQ) {
    for (const [i, col] of columns.entries()) {
      const p = profiles[i]!;
      if (kinds[i] !== 'wide' || !p.quantiles || failed1.has(i)) continue;
      const values = await exactQuantiles(db, table, col, rows - p.nulls).catch(() => undefined);
      if (!values) continue;
      p.quantiles = QUANTILES.map((pp, k) => ({ p: pp, value: values[k] ?? null }));
      exactWide.add(i);
    }
  }

  // 2. Exact distinct counts and top values: one GROUP BY per column gives both. An exact profile
  // runs one query per column (progress, and cancel between columns); a sample, one for all.
  const countIdx = profiles.map((p, i) => (p.distinctExact ? i : -1)).filter((i) => i >= 0);
  const readGroups = (r: Record<string, unknown>) => {
    for (const i of countIdx) {
      const g = r[`g_${i}`] as { d: unknown; top: unknown } | undefined;
      if (g) setDistinctAndTop(profiles[i]!, num(g.d), valueCounts(g.top), opts.topK);
    }
  };
  const grouped = (i: number) => `(${distinctAndTopSql(table, columns[i]!.name, opts.topK)}) AS ${c(i, 'g')}`;
  const groupFailed = (failed: Map<number, string>) => {
    for (const [i, why] of failed) note(profiles[i]!, `distinct and top values not computed: ${why}`);
  };
  if (opts.exact) {
    for (const i of countIdx) {
      steps.step(`distinct and top values of '${columns[i]!.name}'`);
      if (steps.isCancelled()) return { rows, quantiles, profiles };
      const own = columns.map((_, j) => (j === i ? [grouped(i)] : []));
      const { row, failed } = await onePass(db, '', own, steps.isCancelled);
      readGroups(row);
      groupFailed(failed);
    }
  } else {
    steps.step('distinct and top values');
    const { row, failed } = await onePass(db, '', columns.map((_, i) => (countIdx.includes(i) ? [grouped(i)] : [])), steps.isCancelled);
    readGroups(row);
    groupFailed(failed);
  }
  // Columns with a distinct estimate (sampled profiles of many rows): exact counts of approx_top_k's candidates.
  const tops: string[] = [];
  for (const [i, col] of columns.entries()) {
    const p = profiles[i]!;
    if (p.distinctExact) continue;
    const nn = rows - p.nulls;
    if (p.distinct >= NEARLY_UNIQUE * nn) {
      p.topValuesSkipped = `nearly all values are distinct (about ${p.distinct.toLocaleString('en-US')} of ${nn.toLocaleString('en-US')})`;
      continue;
    }
    p.topValuesEstimated = true;
    const x = ident(col.name);
    const k = literal(opts.topK);
    tops.push(`(SELECT list({'v': v, 'n': n} ORDER BY n DESC, v) FROM (SELECT ${x} AS v, count(*) AS n FROM ${table} WHERE ${x} IN (SELECT unnest(approx_top_k(${x}, ${k})) FROM ${table}) GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ${k})) AS ${c(i, 't')}`);
  }
  if (tops.length > 0 && !steps.isCancelled()) {
    const r3 = await selectInBatches(db, tops);
    columns.forEach((_, i) => {
      if (r3[`t_${i}`] !== undefined) profiles[i]!.topValues = valueCounts(r3[`t_${i}`]);
    });
  }

  // 3. Histograms over [min, max] of the finite values, for numbers and dates. The same pass
  // recomputes the moments a DOUBLE cannot hold: doubles beyond ±1e100 (whose squares overflow)
  // over values scaled by a power of two, and wide exact numbers (BIGINT, HUGEINT, UBIGINT, long
  // DECIMALs) whose values DOUBLE cannot tell apart, over their distance from the minimum.
  steps.step('histograms');
  const plans = columns.map((col, i) => histogramPlan(col, i, profiles[i]!, kinds[i]!, r1, opts.bins, exactQ, !exactWide.has(i)));
  const parts3 = plans.map((h) => h?.parts ?? []);
  const { row: r4, failed: failed3 } = steps.isCancelled() ? { row: {}, failed: new Map<number, string>() } : await onePass(db, table, parts3, steps.isCancelled);
  plans.forEach((h, i) => {
    if (!h) return;
    const p = profiles[i]!;
    const failed = failed3.get(i);
    if (failed) {
      h.failed?.(p);
      return note(p, `histogram not computed: ${failed}`);
    }
    h.read(p, r4);
  });

  // 4. Value shapes of text: upper-case letters → X, lower-case → x, digits → 9, others kept.
  // Shapes are computed once per distinct value and weighted by its count, so a status column of
  // ten million rows costs a GROUP BY; in a sample, columns with an estimated (very large) number
  // of distinct values use their first 100,000 values.
  steps.step('value patterns');
  const text = columns.map((_, i) => i).filter((i) => cats[i] === 'string');
  const shapes = text.map((i) => {
    const x = ident(columns[i]!.name);
    const source = profiles[i]!.distinctExact ? table : `(SELECT ${x} FROM ${table} WHERE ${x} IS NOT NULL LIMIT ${literal(PATTERN_VALUES)})`;
    const shape = `regexp_replace(regexp_replace(regexp_replace(left(v, ${PATTERN_CHARS}), '\\p{Lu}', 'X', 'g'), '\\p{Ll}', 'x', 'g'), '\\p{Nd}', '9', 'g')`;
    const top = `SELECT ${shape} AS v, sum(n) AS n FROM (SELECT ${x} AS v, count(*) AS n FROM ${source} WHERE ${x} IS NOT NULL GROUP BY 1) GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ${literal(opts.topK)}`;
    return `(SELECT list({'v': v, 'n': n} ORDER BY n DESC, v) FROM (${top})) AS ${c(i, 'p')}`;
  });
  if (shapes.length > 0 && !steps.isCancelled()) {
    const r5 = await selectInBatches(db, shapes);
    for (const i of text) {
      profiles[i]!.patterns = valueCounts(r5[`p_${i}`]);
      if (!profiles[i]!.distinctExact) profiles[i]!.patternsFrom = Math.min(PATTERN_VALUES, rows - profiles[i]!.nulls);
    }
  }

  // 5. Semantic guesses from up to 10,000 values per text column.
  steps.step('semantic types');
  if (text.length > 0 && !steps.isCancelled()) {
    for (let from = 0; from < text.length && !steps.isCancelled(); from += COLUMNS_PER_SUBQUERY_SELECT) {
      const batch = text.slice(from, from + COLUMNS_PER_SUBQUERY_SELECT);
      for (const r of await db.rows(semanticSql(table, batch.map((i) => columns[i]!.name), SEMANTIC_VALUES))) {
        const i = batch[num(r.k)]!;
        const guess = pickSemantic(SEMANTIC_PATTERNS.map((_, j) => num(r[`s${j}`])));
        if (guess) profiles[i]!.semanticType = guess;
      }
    }
  }
  for (const p of profiles) shortenValues(p);
  return { rows, quantiles, profiles };
}

/** `SELECT e1, e2, ...` (scalar subqueries) as one row, COLUMNS_PER_SUBQUERY_SELECT expressions per query. */
async function selectInBatches(db: Db, exprs: string[]): Promise<Record<string, unknown>> {
  const row: Record<string, unknown> = {};
  for (let from = 0; from < exprs.length; from += COLUMNS_PER_SUBQUERY_SELECT)
    Object.assign(row, (await db.rows(`SELECT ${exprs.slice(from, from + COLUMNS_PER_SUBQUERY_SELECT).join(',\n  ')}`))[0]);
  return row;
}

/**
 * Long values cut as failing-row samples are (the first 200 characters and how many more): a
 * column of documents would otherwise put whole megabytes into min, max and each top value, and
 * from there into the studio, `--json` and the HTML page. Counts and lengths are of the whole values.
 */
function shortenValues(p: ColumnProfile): void {
  if (p.min !== undefined) p.min = shortenValue(p.min);
  if (p.max !== undefined) p.max = shortenValue(p.max);
  p.topValues = p.topValues.map((t) => ({ ...t, value: shortenValue(t.value) }));
}

function setDistinctAndTop(p: ColumnProfile, distinct: number, top: Array<{ value: unknown; count: number }>, topK: number): void {
  p.distinct = distinct;
  const nn = p.count - p.nulls;
  // An id-like column: every count would be 1.
  if (nn > topK && distinct === nn) p.topValuesSkipped = `all ${nn.toLocaleString('en-US')} values are distinct`;
  else p.topValues = top;
}

/**
 * One value: `{d, top}`, the column's exact number of distinct non-NULL values and its `k` most
 * frequent values with their counts, ties broken by the smaller value (so the answer is the same
 * every time). One GROUP BY, then one aggregate over the groups: arg_min on (−count, value).
 */
function distinctAndTopSql(table: string, name: string, k: number): string {
  const x = ident(name);
  return `SELECT {'d': count(*), 'top': arg_min({'v': v, 'n': n}, {'a': -n, 'b': v}, ${literal(k)})} FROM (SELECT ${x} AS v, count(*) AS n FROM ${table} WHERE ${x} IS NOT NULL GROUP BY 1)`;
}

/**
 * p05…p95 as doubles. Exact: quantile_cont over the column as it is (integers and doubles; DuckDB
 * is much faster on those than on a cast expression), other numbers as doubles. Else t-digest.
 */
function quantileSql(x: string, type: string, exact: boolean, filter = ''): string {
  const list = `[${QUANTILES.map((q) => literal(q)).join(', ')}]`;
  const native = /^(TINYINT|SMALLINT|INTEGER|BIGINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|DOUBLE)$/i.test(type);
  const arg = exact && native ? x : `CAST(${x} AS DOUBLE)`;
  return `CAST(${exact ? 'quantile_cont' : 'approx_quantile'}(${arg}, ${list})${filter ? ` ${filter}` : ''} AS DOUBLE[])`;
}

/**
 * How a number column's statistics are computed. `float`: FLOAT/DOUBLE, which may hold NaN and
 * ±Infinity. `wide`: exact numbers with more digits than a DOUBLE keeps (BIGINT, HUGEINT, UBIGINT,
 * UHUGEINT, DECIMAL wider than 15 digits), whose values may look alike as doubles. `plain`: the rest.
 */
type NumberKind = 'float' | 'wide' | 'plain' | undefined;

function numberKind(type: string, cat: ColumnCategory): NumberKind {
  if (cat !== 'number') return undefined;
  const t = type.toUpperCase();
  if (/^(FLOAT|DOUBLE|REAL)$/.test(t)) return 'float';
  if (/^(BIGINT|HUGEINT|UBIGINT|UHUGEINT)$/.test(t)) return 'wide';
  const d = /^DECIMAL\((\d+),\s*\d+\)$/.exec(t);
  return d && Number(d[1]) > 15 ? 'wide' : 'plain';
}

/** The first pass's aggregates of one column. NaN and ±Infinity are counted, and left out of the moments, quantiles and (later) the histogram. */
function pass1Parts(col: Column, i: number, cat: ColumnCategory, kind: NumberKind, scalar: boolean, estimate: boolean, exactQ: boolean): string[] {
  const x = ident(col.name);
  const out = [`count(${x}) AS ${c(i, 'nn')}`];
  if (estimate) out.push(`approx_count_distinct(${x}) AS ${c(i, 'ad')}`);
  if (!scalar) return out;
  if (kind === 'float') {
    const finite = `FILTER (WHERE isfinite(${x}))`;
    out.push(
      `min(${x}) FILTER (WHERE NOT isnan(${x})) AS ${c(i, 'min')}`,
      `max(${x}) FILTER (WHERE NOT isnan(${x})) AS ${c(i, 'max')}`,
      `count(*) FILTER (WHERE isnan(${x})) AS ${c(i, 'nan')}`,
      `count(*) FILTER (WHERE isinf(${x}) AND ${x} > 0) AS ${c(i, 'pinf')}`,
      `count(*) FILTER (WHERE isinf(${x}) AND ${x} < 0) AS ${c(i, 'ninf')}`,
      `min(${x}) ${finite} AS ${c(i, 'fmin')}`,
      `max(${x}) ${finite} AS ${c(i, 'fmax')}`,
      `avg(CAST(${x} AS DOUBLE)) ${finite} AS ${c(i, 'mean')}`,
      // Squares of larger doubles overflow inside stddev_samp: those columns are recomputed scaled (histogramPlan).
      `stddev_samp(CAST(${x} AS DOUBLE)) FILTER (WHERE isfinite(${x}) AND abs(${x}) < ${literal(HUGE_DOUBLE)}) AS ${c(i, 'sd')}`,
      `count(*) FILTER (WHERE isfinite(${x}) AND abs(${x}) >= ${literal(HUGE_DOUBLE)}) AS ${c(i, 'huge')}`,
      `${quantileSql(x, col.type, exactQ, finite)} AS ${c(i, 'q')}`,
    );
    return out;
  }
  out.push(`min(${x}) AS ${c(i, 'min')}`, `max(${x}) AS ${c(i, 'max')}`);
  if (cat === 'number') out.push(`avg(CAST(${x} AS DOUBLE)) AS ${c(i, 'mean')}`, `stddev_samp(CAST(${x} AS DOUBLE)) AS ${c(i, 'sd')}`, `${quantileSql(x, col.type, exactQ)} AS ${c(i, 'q')}`);
  if (cat === 'date') {
    // The column's own type (as DuckDB named it): 'infinity' and '-infinity' are dates and timestamps too.
    const inf = (sign: string) => `CAST(${stringLiteral(`${sign}infinity`)} AS ${col.type})`;
    out.push(
      `count(*) FILTER (WHERE ${x} = ${inf('')}) AS ${c(i, 'pinf')}`,
      `count(*) FILTER (WHERE ${x} = ${inf('-')}) AS ${c(i, 'ninf')}`,
      `min(${x}) FILTER (WHERE isfinite(${x})) AS ${c(i, 'fmin')}`,
      `max(${x}) FILTER (WHERE isfinite(${x})) AS ${c(i, 'fmax')}`,
    );
  }
  if (cat === 'string') out.push(`min(length(${x})) AS ${c(i, 'lmin')}`, `max(length(${x})) AS ${c(i, 'lmax')}`, `avg(length(${x})) AS ${c(i, 'lavg')}`);
  return out;
}

/**
 * One query computing every column's aggregates (`parts[i]`) over `table` (or scalar subqueries
 * when `table` is '', in batches of COLUMNS_PER_SUBQUERY_SELECT columns), as the profile's passes do. If DuckDB
 * refuses it (an aggregate out of range on some value), each column's aggregates run on their own:
 * the columns that fail are returned with DuckDB's message, and their `fallback` aggregates (what
 * the profile cannot do without, e.g. the count of non-NULL values) run instead.
 */
async function onePass(db: Db, table: string, parts: string[][], isCancelled: () => boolean, fallback: (i: number) => string[] = () => []): Promise<{ row: Record<string, unknown>; failed: Map<number, string> }> {
  const asked = parts.flatMap((own, i) => (own.length > 0 ? [i] : []));
  if (!table && asked.length > COLUMNS_PER_SUBQUERY_SELECT) {
    const merged = { row: {} as Record<string, unknown>, failed: new Map<number, string>() };
    for (let start = 0; start < asked.length && !isCancelled(); start += COLUMNS_PER_SUBQUERY_SELECT) {
      const take = new Set(asked.slice(start, start + COLUMNS_PER_SUBQUERY_SELECT));
      const batch = parts.map((own, i) => (take.has(i) ? own : []));
      const r = await onePass(db, table, batch, isCancelled, fallback);
      Object.assign(merged.row, r.row);
      for (const [i, why] of r.failed) merged.failed.set(i, why);
    }
    return merged;
  }
  const failed = new Map<number, string>();
  const from = table ? ` FROM ${table}` : '';
  const all = parts.flat();
  if (all.length === 0) return { row: {}, failed };
  try {
    const [row = {}] = await db.rows(`SELECT ${all.join(',\n  ')}${from}`);
    return { row, failed };
  } catch (e) {
    if (isCancelled()) throw e;
  }
  const row: Record<string, unknown> = {};
  for (const [i, own] of parts.entries()) {
    if (own.length === 0) continue;
    if (isCancelled()) break;
    try {
      Object.assign(row, (await db.rows(`SELECT ${own.join(', ')}${from}`))[0]);
    } catch (e) {
      if (isCancelled()) throw e;
      failed.set(i, cleanDuckDbMessage(errorMessage(e)));
      const rest = fallback(i);
      if (rest.length > 0) Object.assign(row, (await db.rows(`SELECT ${rest.join(', ')}${from}`))[0]);
    }
  }
  return { row, failed };
}

interface HistogramPlan {
  parts: string[];
  read(p: ColumnProfile, row: Record<string, unknown>): void;
  /** When the pass fails for this column: drop the figures pass 1 could not get right. */
  failed?(p: ColumnProfile): void;
}

const histogramOf = (h: unknown, upper: (key: unknown) => unknown): ColumnProfile['histogram'] =>
  Array.isArray(h) ? (h as Array<{ key: unknown; value: unknown }>).map((e) => ({ upper: upper(e.key), count: num(e.value) })) : undefined;

/** The histogram pass's aggregates of one number or date column (and the moments a DOUBLE could not compute in pass 1), with how to read them. */
function histogramPlan(col: Column, i: number, p: ColumnProfile, kind: NumberKind, r1: Record<string, unknown>, bins: number, exactQ: boolean, quantilesFromDistance = true): HistogramPlan | undefined {
  if (p.category !== 'number' && p.category !== 'date') return undefined;
  const x = ident(col.name);
  const special = kind === 'float' || p.category === 'date';
  const lo = special ? r1[`fmin_${i}`] : p.min;
  const hi = special ? r1[`fmax_${i}`] : p.max;
  if (lo === null || lo === undefined || hi === null || hi === undefined || String(lo) === String(hi)) return undefined;
  const finite = special ? ` FILTER (WHERE isfinite(${x}))` : '';
  const bucket = (v: string, from: number, to: number) => `histogram(${v}, equi_width_bins(CAST(${literal(from)} AS DOUBLE), CAST(${literal(to)} AS DOUBLE), ${literal(bins)}, true))${finite} AS ${c(i, 'h')}`;

  if (kind === 'float' && num(r1[`huge_${i}`]) > 0) {
    // Divided by a power of two (exact) so that every value is within ±2 and no square overflows.
    const scale = 2 ** (Math.ceil(Math.log2(Math.max(Math.abs(Number(lo)), Math.abs(Number(hi))))) - 1);
    const v = `(CAST(${x} AS DOUBLE) / CAST(${literal(scale)} AS DOUBLE))`;
    return {
      parts: [bucket(v, Number(lo) / scale, Number(hi) / scale), `avg(${v})${finite} AS ${c(i, 'hm')}`, `stddev_samp(${v})${finite} AS ${c(i, 'hsd')}`],
      read(p, row) {
        p.mean = finiteOrNull(num(row[`hm_${i}`]) * scale);
        p.stddev = row[`hsd_${i}`] === null || row[`hsd_${i}`] === undefined ? null : finiteOrNull(num(row[`hsd_${i}`]) * scale);
        if (p.stddev === null && row[`hsd_${i}`] !== null) note(p, 'standard deviation left out: larger than a DOUBLE holds');
        p.histogram = histogramOf(row[`h_${i}`], (k) => num(k) * scale);
      },
      failed(p) {
        Object.assign(p, { mean: null, stddev: null });
      },
    };
  }

  if (kind === 'wide') {
    const scale = decimalScale(col.type);
    const range = Number(toScaled(String(hi), scale) - toScaled(String(lo), scale)) / 10 ** scale;
    const magnitude = Math.max(Math.abs(Number(lo)), Math.abs(Number(hi)));
    if (range < magnitude * COLLAPSE_SHARE) {
      // As doubles these values would look alike (stddev 0, equal quantiles, one bin): their
      // distances from the minimum are small numbers a DOUBLE holds.
      const d = `CAST(${x} - CAST(${stringLiteral(String(lo))} AS ${col.type}) AS DOUBLE)`;
      const list = `[${QUANTILES.map((q) => literal(q)).join(', ')}]`;
      // Quantiles already exact (exactQuantiles) are kept; t-digest estimates (and exact ones
      // that could not be read) come from the distances too.
      const distanceQuantiles = quantilesFromDistance && p.quantiles !== undefined;
      return {
        parts: [bucket(d, 0, range), `stddev_samp(${d}) AS ${c(i, 'hsd')}`, ...(distanceQuantiles ? [`${exactQ ? 'quantile_cont' : 'approx_quantile'}(${d}, ${list}) AS ${c(i, 'hq')}`] : [])],
        read(p, row) {
          p.stddev = finiteOrNull(row[`hsd_${i}`]);
          const q = row[`hq_${i}`];
          if (distanceQuantiles && Array.isArray(q)) p.quantiles = QUANTILES.map((pp, k) => ({ p: pp, value: q[k] === null || q[k] === undefined ? null : addDecimal(String(lo), Number(q[k]), scale) }));
          p.histogram = histogramOf(row[`h_${i}`], (k) => addDecimal(String(lo), num(k), scale));
          note(p, `standard deviation${distanceQuantiles ? ', quantiles' : ''} and histogram computed from each value's distance to the minimum (as DOUBLE these values look alike); the mean is the nearest DOUBLE`);
        },
        failed(p) {
          p.stddev = null;
          if (distanceQuantiles) delete p.quantiles;
        },
      };
    }
  }

  const t = p.category === 'number' ? 'DOUBLE' : 'TIMESTAMP';
  const bound = (v: unknown) => `CAST(CAST(${stringLiteral(String(v))} AS ${col.type}) AS ${t})`;
  return {
    parts: [`histogram(CAST(${x} AS ${t}), equi_width_bins(${bound(lo)}, ${bound(hi)}, ${literal(bins)}, true))${finite} AS ${c(i, 'h')}`],
    read(p, row) {
      p.histogram = histogramOf(row[`h_${i}`], (k) => k);
    },
  };
}

function decimalScale(type: string): number {
  const d = /^DECIMAL\(\d+,\s*(\d+)\)$/i.exec(type);
  return d ? Number(d[1]) : 0;
}

/** A decimal text (`-123.45`, `7`) as an integer of `scale` places after the point (digits beyond it are cut). */
function toScaled(text: string, scale: number): bigint {
  const m = /^(-?)(\d*)(?:\.(\d*))?$/.exec(text.trim());
  if (!m) return 0n;
  const frac = (m[3] ?? '').padEnd(scale, '0').slice(0, scale);
  const v = BigInt((m[2] || '0') + frac);
  return m[1] ? -v : v;
}

/**
 * A double as an exact integer of `places` places after the point, from its shortest decimal
 * text (JavaScript's String, which round-trips: `2e+24` is 2 followed by 24 zeros, `1.5e-7` is
 * 0.00000015), digits beyond `places` cut. Never through toFixed, which falls back to exponent
 * notation from 1e21 on.
 */
export function scaledOfDouble(d: number, places: number): bigint {
  if (!Number.isFinite(d)) return 0n;
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(d));
  if (!m) return 0n;
  const digits = (m[2] ?? '') + (m[3] ?? '');
  // Where the point goes in `digits`, then `places` digits after it.
  const point = (m[2] ?? '').length + Number(m[4] ?? 0) + places;
  const v = point <= 0 ? 0n : BigInt(point >= digits.length ? digits + '0'.repeat(point - digits.length) : digits.slice(0, point) || '0');
  return m[1] ? -v : v;
}

/** An integer of `places` places after the point as decimal text, at least `scale` of them shown (trailing zeros beyond that dropped). */
function scaledText(v: bigint, places: number, scale: number): string {
  const neg = v < 0n;
  const digits = (neg ? -v : v).toString().padStart(places + 1, '0');
  let frac = places === 0 ? '' : digits.slice(-places).replace(/0+$/, '');
  if (frac.length < scale) frac = frac.padEnd(scale, '0');
  return `${neg ? '-' : ''}${places === 0 ? digits : digits.slice(0, -places)}${frac ? `.${frac}` : ''}`;
}

/** `base` (an exact decimal text) plus a double, as exact decimal text: the minimum plus a quantile or a bin's offset. */
export function addDecimal(base: string, delta: number, scale: number): string {
  const places = Math.max(scale, 6);
  return scaledText(toScaled(base, places) + scaledOfDouble(delta, places), places, scale);
}

/**
 * p05…p95 of an exact number column as quantile_cont defines them (position p·(n−1) among the
 * sorted values, interpolated linearly between the two values around it), computed exactly: the
 * values at those ranks are read as text, the interpolation is done in BigInt. A value is a
 * number when a double holds it exactly (the usual case), else exact decimal text.
 */
async function exactQuantiles(db: Db, table: string, col: Column, n: number): Promise<unknown[] | undefined> {
  if (n <= 0) return undefined;
  const at = QUANTILES.map((q) => {
    const t = BigInt(Math.round(q * 100)) * BigInt(n - 1);
    return { k: t / 100n, frac: t % 100n };
  });
  const ranks = [...new Set(at.flatMap(({ k, frac }) => (frac === 0n ? [k] : [k, k + 1n])))];
  const x = ident(col.name);
  const [row] = await db.rows(
    `SELECT list({'r': r, 'v': CAST(v AS VARCHAR)}) AS l FROM (SELECT v, row_number() OVER (ORDER BY v) - 1 AS r FROM (SELECT ${x} AS v FROM ${table} WHERE ${x} IS NOT NULL)) WHERE r IN (${ranks.join(', ')})`,
  );
  const byRank = new Map((Array.isArray(row?.l) ? (row.l as Array<{ r: unknown; v: unknown }>) : []).map((e) => [BigInt(String(e.r)), String(e.v)]));
  const scale = decimalScale(col.type);
  const places = scale + 2;
  const out: unknown[] = [];
  for (const { k, frac } of at) {
    const lo = byRank.get(k);
    const hi = frac === 0n ? lo : byRank.get(k + 1n);
    if (lo === undefined || hi === undefined) return undefined;
    const a = toScaled(lo, places);
    const v = a + ((toScaled(hi, places) - a) * frac) / 100n;
    const text = scaledText(v, places, scale);
    const asNumber = Number(text);
    out.push(Number.isFinite(asNumber) && scaledOfDouble(asNumber, places) === v && Math.abs(asNumber) <= Number.MAX_SAFE_INTEGER ? asNumber : text);
  }
  return out;
}
