import { ident, literal, stringLiteral } from '../../compiler/sql.js';
import type { Db } from '../../engine/db.js';
import type { Column } from '../../nodes/define.js';
import { categoryOf, isScalar } from './categories.js';
import { pickSemantic, semanticSql, SEMANTIC_PATTERNS } from './semantic.js';
import type { ColumnProfile, ProfileOptions } from './types.js';

export const QUANTILES = [0.05, 0.25, 0.5, 0.75, 0.95];
/** Above this many rows, quantiles are t-digest estimates (an exact quantile sorts each column). */
export const EXACT_QUANTILES_MAX_ROWS = 1_000_000;
const SEMANTIC_VALUES = 10_000;
/** Share of distinct values above which a column counts as id-like (no top values). */
const NEARLY_UNIQUE = 0.8;
const PATTERN_CHARS = 64;
/** Values whose shapes are counted when a text column has too many distinct values to shape them all. */
const PATTERN_VALUES = 100_000;

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const c = (i: number, what: string) => ident(`${what}_${i}`);

export interface StatsSteps {
  step(label: string): void;
  isCancelled(): boolean;
}

/**
 * Per-column statistics of a materialized table, in a handful of queries over all its rows:
 * counts, min/max/mean/stddev/quantiles and length stats in one pass; exact distinct counts where
 * the estimate is small; top values; histograms; value shapes; semantic guesses.
 */
export async function columnStats(db: Db, table: string, knownRows: number | undefined, columns: Column[], opts: Pick<Required<ProfileOptions>, 'exactDistinctBelow' | 'topK' | 'bins'>, steps: StatsSteps): Promise<{ rows: number; quantiles: 'exact' | 'approximate'; profiles: ColumnProfile[] }> {
  const cats = columns.map((col) => categoryOf(col.type));
  const scalar = columns.map((col) => isScalar(col.type));

  // 1. One pass: counts, ranges, moments, quantiles, lengths.
  steps.step('counts, ranges, means and quantiles');
  const rows = knownRows ?? num(((await db.rows(`SELECT count(*) AS n FROM ${table}`)) as [{ n: unknown }])[0].n);
  // Few rows (a sample): every distinct count is below the threshold, so count exactly in this pass.
  const smallTable = rows <= opts.exactDistinctBelow;
  const exactQ = rows <= EXACT_QUANTILES_MAX_ROWS;
  const qList = `[${QUANTILES.map((q) => literal(q)).join(', ')}]`;
  const pass1: string[] = ['count(*) AS n'];
  columns.forEach((col, i) => {
    const x = ident(col.name);
    pass1.push(`count(${x}) AS ${c(i, 'nn')}`);
    if (!scalar[i]) return;
    pass1.push(`${smallTable ? `count(DISTINCT ${x})` : `approx_count_distinct(${x})`} AS ${c(i, 'ad')}`, `min(${x}) AS ${c(i, 'min')}`, `max(${x}) AS ${c(i, 'max')}`);
    if (cats[i] === 'number') {
      const d = `CAST(${x} AS DOUBLE)`;
      pass1.push(`avg(${d}) AS ${c(i, 'mean')}`, `stddev_samp(${d}) AS ${c(i, 'sd')}`, `${exactQ ? 'quantile_cont' : 'approx_quantile'}(${d}, ${qList}) AS ${c(i, 'q')}`);
    }
    if (cats[i] === 'string') pass1.push(`min(length(${x})) AS ${c(i, 'lmin')}`, `max(length(${x})) AS ${c(i, 'lmax')}`, `avg(length(${x})) AS ${c(i, 'lavg')}`);
  });
  const [r1 = {}] = await db.rows(`SELECT ${pass1.join(', ')} FROM ${table}`);

  const profiles: ColumnProfile[] = columns.map((col, i) => {
    const nn = num(r1[`nn_${i}`]);
    const p: ColumnProfile = {
      name: col.name,
      type: col.type,
      category: cats[i]!,
      count: rows,
      nulls: rows - nn,
      nullPercent: rows === 0 ? 0 : (100 * (rows - nn)) / rows,
      distinct: Math.min(num(r1[`ad_${i}`]), nn),
      distinctExact: smallTable && scalar[i]!,
      topValues: [],
    };
    if (scalar[i]) {
      p.min = r1[`min_${i}`] ?? null;
      p.max = r1[`max_${i}`] ?? null;
    }
    if (cats[i] === 'number') {
      p.mean = numOrNull(r1[`mean_${i}`]);
      p.stddev = numOrNull(r1[`sd_${i}`]);
      const q = r1[`q_${i}`];
      if (Array.isArray(q)) p.quantiles = QUANTILES.map((pp, k) => ({ p: pp, value: q[k] ?? null }));
    }
    if (cats[i] === 'string' && nn > 0) p.lengths = { min: num(r1[`lmin_${i}`]), max: num(r1[`lmax_${i}`]), mean: num(r1[`lavg_${i}`]) };
    return p;
  });
  if (steps.isCancelled()) return { rows, quantiles: exactQ ? 'exact' : 'approximate', profiles };

  // 2. Exact distinct counts where the estimate is small enough to count exactly.
  steps.step('distinct counts');
  const exactIdx = smallTable ? [] : columns.map((_, i) => i).filter((i) => scalar[i] && num(r1[`ad_${i}`]) < opts.exactDistinctBelow);
  if (exactIdx.length > 0) {
    const [r2 = {}] = await db.rows(`SELECT ${exactIdx.map((i) => `count(DISTINCT ${ident(columns[i]!.name)}) AS ${c(i, 'd')}`).join(', ')} FROM ${table}`);
    for (const i of exactIdx) {
      profiles[i]!.distinct = num(r2[`d_${i}`]);
      profiles[i]!.distinctExact = true;
    }
  }

  // 3. Top values with exact counts; for many distinct values, the candidates come from approx_top_k.
  // One query for all columns (a typed list per column), so a small sample costs one round trip.
  steps.step('top values');
  const tops: string[] = [];
  for (const [i, col] of columns.entries()) {
    if (!scalar[i]) continue;
    const p = profiles[i]!;
    const nn = rows - p.nulls;
    // An id-like column: every count would be 1 or 2, and finding them costs a pass over every value.
    if (p.distinctExact && nn > opts.topK && p.distinct === nn) {
      p.topValuesSkipped = `all ${nn.toLocaleString('en-US')} values are distinct`;
      continue;
    }
    if (!p.distinctExact && p.distinct >= NEARLY_UNIQUE * nn) {
      p.topValuesSkipped = `nearly all values are distinct (about ${p.distinct.toLocaleString('en-US')} of ${nn.toLocaleString('en-US')})`;
      continue;
    }
    const x = ident(col.name);
    const k = literal(opts.topK);
    const where = p.distinctExact ? `${x} IS NOT NULL` : `${x} IN (SELECT unnest(approx_top_k(${x}, ${k})) FROM ${table})`;
    tops.push(`(SELECT list({'v': v, 'n': n} ORDER BY n DESC, v) FROM (SELECT ${x} AS v, count(*) AS n FROM ${table} WHERE ${where} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ${k})) AS ${c(i, 't')}`);
  }
  if (tops.length > 0 && !steps.isCancelled()) {
    const [r3 = {}] = await db.rows(`SELECT ${tops.join(',\n  ')}`);
    columns.forEach((_, i) => {
      const list = r3[`t_${i}`];
      if (Array.isArray(list)) profiles[i]!.topValues = (list as Array<{ v: unknown; n: unknown }>).map((t) => ({ value: t.v, count: num(t.n) }));
    });
  }

  // 4. Histograms over [min, max] for numbers and dates.
  steps.step('histograms');
  const hist: string[] = [];
  columns.forEach((col, i) => {
    const p = profiles[i]!;
    if ((p.category !== 'number' && p.category !== 'date') || p.min === null || p.min === undefined || String(p.min) === String(p.max)) return;
    const t = p.category === 'number' ? 'DOUBLE' : 'TIMESTAMP';
    const bound = (v: unknown) => `CAST(CAST(${stringLiteral(String(v))} AS ${col.type}) AS ${t})`;
    hist.push(`histogram(CAST(${ident(col.name)} AS ${t}), equi_width_bins(${bound(p.min)}, ${bound(p.max)}, ${literal(opts.bins)}, true)) AS ${c(i, 'h')}`);
  });
  if (hist.length > 0 && !steps.isCancelled()) {
    const [r4 = {}] = await db.rows(`SELECT ${hist.join(', ')} FROM ${table}`);
    columns.forEach((_, i) => {
      const h = r4[`h_${i}`];
      if (Array.isArray(h)) profiles[i]!.histogram = (h as Array<{ key: unknown; value: unknown }>).map((e) => ({ upper: e.key, count: num(e.value) }));
    });
  }

  // 5. Value shapes of text: upper-case letters → X, lower-case → x, digits → 9, others kept.
  // Shapes are computed once per distinct value and weighted by its count, so a status column of
  // ten million rows costs a GROUP BY; columns with very many distinct values use the first 100,000.
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
    const [r5 = {}] = await db.rows(`SELECT ${shapes.join(',\n  ')}`);
    for (const i of text) {
      const list = r5[`p_${i}`];
      profiles[i]!.patterns = Array.isArray(list) ? (list as Array<{ v: unknown; n: unknown }>).map((t) => ({ value: t.v, count: num(t.n) })) : [];
      if (!profiles[i]!.distinctExact) profiles[i]!.patternsFrom = Math.min(PATTERN_VALUES, rows - profiles[i]!.nulls);
    }
  }

  // 6. Semantic guesses from up to 10,000 values per text column.
  steps.step('semantic types');
  if (text.length > 0 && !steps.isCancelled()) {
    const names = text.map((i) => columns[i]!.name);
    for (const r of await db.rows(semanticSql(table, names, SEMANTIC_VALUES))) {
      const i = text[num(r.k)]!;
      const guess = pickSemantic(SEMANTIC_PATTERNS.map((_, j) => num(r[`s${j}`])));
      if (guess) profiles[i]!.semanticType = guess;
    }
  }
  return { rows, quantiles: exactQ ? 'exact' : 'approximate', profiles };
}
