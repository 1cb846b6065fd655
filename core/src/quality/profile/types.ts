import type { PipelineRequest } from '../../engine/protocol.js';

export interface ProfileOptions {
  /** `sample` (default) answers fast from part of the rows; `exact` reads every row. */
  mode?: 'sample' | 'exact';
  /** Rows a sampled profile aims at (default 20,000: enough for shapes and frequent values, small enough to answer in a few hundred ms). */
  sampleRows?: number;
  /**
   * How a sampled profile picks rows. `first` (default): the first rows in read order; answers fast
   * because reading stops early, but ordered data may not be representative. `random`: a system
   * sample (whole blocks, about 1%) or a uniform reservoir sample; reads every row to choose.
   */
  sampleMethod?: 'first' | 'random';
  /**
   * Sampled profiles only: with more rows than this, distinct counts start from a HyperLogLog
   * estimate and stay estimates (labelled, ±13%) when it is at least this large (default 100,000).
   * An exact profile always counts exactly.
   */
  exactDistinctBelow?: number;
  /** Values listed in top values and patterns (default 10). */
  topK?: number;
  /** Histogram bins for numbers and dates (default 20). */
  bins?: number;
}

export interface ProfileRequest extends PipelineRequest, ProfileOptions {
  nodeId: string;
  port?: string;
}

export type ColumnCategory = 'number' | 'date' | 'string' | 'boolean' | 'other';

export interface ValueCount {
  value: unknown;
  count: number;
}

export interface ColumnProfile {
  name: string;
  /** DuckDB type. */
  type: string;
  category: ColumnCategory;
  /** Rows profiled (with NULLs). */
  count: number;
  nulls: number;
  nullPercent: number;
  distinct: number;
  /** False when `distinct` is HyperLogLog's estimate (sampled profiles of more than `exactDistinctBelow` rows only). */
  distinctExact: boolean;
  /** With an estimate: its relative standard error (0.13: about two estimates in three are within ±13%). */
  distinctError?: number;
  /** Scalar types: the smallest and largest value (±Infinity and 'infinity' included, NaN left out). */
  min?: unknown;
  max?: unknown;
  /**
   * FLOAT/DOUBLE, dates and timestamps holding values that are not finite: how many NaN, +Infinity
   * ('infinity') and -Infinity ('-infinity'). Mean, standard deviation, quantiles and histogram
   * leave them out (`notes` says so). Absent when every value is finite.
   */
  nonFinite?: { nan: number; infinity: number; negativeInfinity: number };
  /** Number columns: over the finite values; null when there is none, or no DOUBLE holds it. */
  mean?: number | null;
  stddev?: number | null;
  /**
   * Numbers: p05, p25, p50, p75, p95, over the finite values. Numbers (doubles), except for exact
   * numbers whose values DOUBLE cannot tell apart (a DECIMAL(38,2) or HUGEINT in a narrow range):
   * exact decimal text then, computed from each value's distance to the minimum.
   */
  quantiles?: Array<{ p: number; value: unknown }>;
  /**
   * Most frequent values with exact counts, most frequent first, ties by value; empty when every
   * value is distinct (see `topValuesSkipped`).
   */
  topValues: ValueCount[];
  /**
   * Set when the candidates came from an estimate (approx_top_k: sampled profiles with a distinct
   * estimate only): each count is exact, but a value as frequent as the listed ones may be missing.
   */
  topValuesEstimated?: boolean;
  /** Why there are no top values, e.g. nearly all values are distinct (an id column). */
  topValuesSkipped?: string;
  /** Numbers and dates: equal-width bins, each with its upper bound (inclusive). */
  histogram?: Array<{ upper: unknown; count: number }>;
  /** Text: length in characters of non-NULL values. */
  lengths?: { min: number; max: number; mean: number };
  /** Text: value shapes (upper-case letters → X, lower-case → x, digits → 9, other characters kept) with counts. */
  patterns?: ValueCount[];
  /** Set when the patterns come from only the first this-many non-NULL values (sampled profiles with a distinct estimate). */
  patternsFrom?: number;
  /**
   * What to know when reading the figures: values left out (NaN, infinities), figures computed
   * another way than usual, or a figure that could not be computed, with DuckDB's reason.
   */
  notes?: string[];
  /** A guess from up to 10,000 values when most of them look alike (email, url, ...). */
  semanticType?: { type: SemanticType; share: number };
}

export type SemanticType = 'email' | 'url' | 'phone' | 'date-in-text' | 'numeric-in-text' | 'boolean-ish';

export interface ProfileResult {
  nodeId: string;
  port: string;
  /** Rows the profile read: all of them, or the sample. */
  rows: number;
  sampled: boolean;
  /** How the rows were chosen, in words ("all 10,000,000 rows", "system sample of about 1% ..."). */
  method: string;
  /** How quantiles were computed: exact, or t-digest estimates (sampled profiles of more than 1,000,000 rows). */
  quantiles: 'exact' | 'approximate';
  elapsedMs: number;
  columns: ColumnProfile[];
}
