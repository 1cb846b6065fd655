import { ident, stringLiteral } from '../../compiler/sql.js';
import type { CompileContext } from '../define.js';
import { fractionBeyondDouble, wholeBeyondDouble } from '../shared/exact-widening.js';
import { numberPattern, type NumberFormat } from '../shared/locale-numbers.js';
import { finerThan } from '../shared/temporal-text.js';

/**
 * Questions about the sampled rows that DuckDB's detection does not ask, answered in one scan of
 * them read as text:
 * - a date format with day, month and year in some order: does another order read every sampled
 *   value too, and differently? (01/02/2025 is 1 February or 2 January; DuckDB picks one.)
 * - a text column: is every sampled value a number written with the thousands separator?
 * - a DOUBLE column: are its values integers too long for 64 bits? (DuckDB detects them as DOUBLE,
 *   which keeps about 17 digits: a 20-digit account number would lose its last ones.) And when it
 *   stays DOUBLE (it has fractions too), a whole number beyond 2^53 in it, which arrives rounded.
 *   (The same check as source.json/long-integers.ts, whose values come as JSON numbers.)
 * - a TIMESTAMP column: do its values have nanoseconds? (DuckDB detects TIMESTAMP, which keeps
 *   microseconds: `10:00:00.123456789` would read as 10:00:00.123456; TIMESTAMP_NS keeps them.)
 * - a DATE or TIMESTAMP column: does any sampled value write a date at all? DuckDB's date cast reads
 *   `inf`, `-inf` and `infinity` as the infinite dates, so a float column whose first rows are
 *   infinite (a sensor's overflow, a ratio) is detected as DATE and its numbers fail further down.
 *   With no digit in any sampled value, it is DOUBLE when every one is a number, else text.
 * - a text column: is every sampled value a number, some written `inf`, `-inf`, `Infinity` or `NaN`
 *   as pandas and numpy write them? Detection reads such a column as text; it is DOUBLE (unless a
 *   value has more digits than a DOUBLE keeps: then text keeps them).
 */
export interface SampleChecks {
  dates: Array<{ column: string; format: string; param: 'date_format' | 'timestamp_format' }>;
  numberCandidates: string[];
  /** Columns detected as DOUBLE. */
  wideCandidates: string[];
  /** Columns detected as TIMESTAMP (read as text and converted). */
  timestampCandidates: string[];
  /**
   * Columns detected as TIMESTAMPTZ. DuckDB's detection takes a column of plain timestamps for one
   * when a value is `infinity` (which its TIMESTAMP read refuses there): without an offset in the
   * sample such a column is a TIMESTAMP (TIMESTAMP_NS with digits past the microsecond, which a
   * TIMESTAMPTZ cut), or text when it holds `infinity`, as when that value comes first.
   */
  zonedCandidates?: string[];
  /** Columns detected as DATE or TIMESTAMP. */
  dateCandidates: string[];
  /** Columns detected as text, where numbers are written with a `.` and no thousands separator. */
  textCandidates: string[];
  format: NumberFormat;
}

export interface SampleFacts {
  ambiguous?: { column: string; param: 'date_format' | 'timestamp_format'; format: string; other: string; example: string; asFormat: string; asOther: string };
  /** Candidates that hold numbers in the format: BIGINT when none has decimals, else DOUBLE. */
  numberTypes: Map<string, 'BIGINT' | 'DOUBLE'>;
  /** DOUBLE columns whose sampled values are all integers, some beyond 64 bits: HUGEINT holds 38 digits exactly, VARCHAR any. */
  wideTypes: Map<string, 'HUGEINT' | 'VARCHAR' | 'TIMESTAMP_NS' | 'TIMESTAMP' | 'DOUBLE'>;
  /** DOUBLE columns that stay DOUBLE and hold a whole number beyond 2^53 (an example of one): it arrives rounded. */
  roundedWholes: Map<string, string>;
  /**
   * DOUBLE columns that stay DOUBLE and hold a number with a fraction and more significant digits
   * than a DOUBLE keeps (the shortest such one, and what it arrives as), with the DECIMAL that holds
   * every sampled value, when one does (none has an exponent, at most 38 digits).
   */
  roundedFractions: Map<string, { example: string; becomes: string; decimal?: string }>;
}

/** The same format with day, month and year in the other usual orders (same separators, same time part). */
export function otherOrders(format: string): string[] {
  const parts = [...format.matchAll(/%-?[dmYy]/g)];
  const kinds = parts.map((m) => m[0].replace('-', '').slice(1).toLowerCase()).join('');
  if (parts.length !== 3 || new Set(kinds).size !== 3) return [];
  const byKind = Object.fromEntries(parts.map((m) => [m[0].replace('-', '').slice(1).toLowerCase(), m[0]]));
  const year = byKind.y!;
  // Four-digit years are told apart by their length; only day and month can swap then.
  const orders = year === '%Y' || year === '%-Y' ? ['dmy', 'mdy', 'ymd'].filter((o) => o.endsWith('y') === kinds.endsWith('y')) : ['dmy', 'mdy', 'ymd'];
  const out: string[] = [];
  for (const order of orders) {
    if (order === kinds) continue;
    let i = 0;
    out.push(format.replace(/%-?[dmYy]/g, () => byKind[order[i++]!]!));
  }
  return out;
}

/** The infinite and not-a-number values as numpy, pandas and DuckDB write them (DuckDB's DOUBLE reads each). */
const NUMBER_WORD = stringLiteral('(?i)\\s*[+-]?(inf|infinity|nan)\\s*');
/** A number as DuckDB's CSV reader reads a DOUBLE from it. */
const PLAIN_NUMBER = stringLiteral('\\s*[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?\\s*');

/**
 * Aggregates over the rows where `cond` holds, written as a CASE inside the aggregate rather than
 * `FILTER (WHERE cond)`: DuckDB sets up FILTER clauses at a cost that grows faster than their
 * number, and this query has several per column (a 300-column file's checks took 2.7 s of a
 * preview's planning with FILTER, 0.1 s with CASE). A row where `cond` is NULL counts for none, as
 * with FILTER; arg_min skips a NULL ordering value, so the rows left out are skipped there too.
 */
const countWhere = (cond: string) => `count(CASE WHEN ${cond} THEN 1 END)`;
const minWhere = (value: string, cond: string) => `min(CASE WHEN ${cond} THEN ${value} END)`;
const argMinWhere = (value: string, by: string, cond: string) => `arg_min(CASE WHEN ${cond} THEN ${value} END, CASE WHEN ${cond} THEN ${by} END)`;

export async function checkSample(ctx: CompileContext<unknown>, read: string, checks: SampleChecks, sampleSize: number): Promise<SampleFacts> {
  const exprs: string[] = [];
  const dateAlts = checks.dates.flatMap((d) => otherOrders(d.format).map((other) => ({ ...d, other })));
  dateAlts.forEach((d, i) => {
    const c = ident(d.column);
    const f = stringLiteral(d.format);
    const o = stringLiteral(d.other);
    exprs.push(`${countWhere(`${c} IS NOT NULL AND try_strptime(${c}, ${o}) IS NULL`)} AS "d${i}_miss"`);
    exprs.push(`${minWhere(c, `try_strptime(${c}, ${f}) IS DISTINCT FROM try_strptime(${c}, ${o})`)} AS "d${i}_example"`);
  });
  checks.numberCandidates.forEach((name, i) => {
    const c = ident(name);
    exprs.push(`count(${c}) AS "n${i}_present"`);
    exprs.push(`${countWhere(`NOT regexp_full_match(${c}, ${stringLiteral(numberPattern(checks.format, false))})`)} AS "n${i}_miss"`);
    exprs.push(`${countWhere(`NOT regexp_full_match(${c}, ${stringLiteral(numberPattern(checks.format, true))})`)} AS "n${i}_fraction"`);
  });
  checks.wideCandidates.forEach((name, i) => {
    const c = ident(name);
    exprs.push(`count(${c}) AS "w${i}_present"`);
    exprs.push(`${countWhere(`NOT regexp_full_match(${c}, '\\s*[+-]?[0-9]+\\s*')`)} AS "w${i}_fraction"`);
    exprs.push(`max(length(regexp_replace(${c}, '[^0-9]', '', 'g'))) AS "w${i}_digits"`);
    exprs.push(`${countWhere(`${c} IS NOT NULL AND TRY_CAST(trim(${c}) AS HUGEINT) IS NULL`)} AS "w${i}_beyond_hugeint"`);
    exprs.push(`${minWhere(`trim(${c})`, wholeBeyondDouble(c))} AS "w${i}_rounded"`);
    // Numbers with a fraction and more significant digits than a DOUBLE keeps, and the DECIMAL that
    // holds every sampled value (integer and fraction digits; none when one has an exponent).
    const t = checks.format.decimal === ',' ? `replace(${c}, ',', '.')` : c;
    exprs.push(`${argMinWhere(`trim(${t})`, `length(trim(${t}))`, fractionBeyondDouble(t))} AS "w${i}_imprecise"`);
    exprs.push(`CAST(${argMinWhere(`TRY_CAST(trim(${t}) AS DOUBLE)`, `length(trim(${t}))`, fractionBeyondDouble(t))} AS VARCHAR) AS "w${i}_becomes"`);
    exprs.push(`${countWhere(`regexp_matches(${c}, '[eE]')`)} AS "w${i}_exponents"`);
    exprs.push(`max(length(ltrim(regexp_extract(trim(${t}), '^[+-]?([0-9]*)', 1), '0'))) AS "w${i}_whole_digits"`);
    exprs.push(`max(length(regexp_extract(trim(${t}), '\\.([0-9]*)', 1))) AS "w${i}_scale"`);
  });
  checks.timestampCandidates.forEach((name, i) => {
    exprs.push(`${countWhere(`${finerThan(ident(name), 6)}`)} AS "t${i}_nanos"`);
  });
  (checks.zonedCandidates ?? []).forEach((name, i) => {
    const c = ident(name);
    exprs.push(`${countWhere(`regexp_matches(trim(${c}), ${stringLiteral('(?i)([0-9]Z|UTC|[+-][0-9]{2}(:?[0-9]{2}){0,2}|[A-Za-z_]+/[A-Za-z_]+)$')})`)} AS "z${i}_zoned"`);
    exprs.push(`${countWhere(`regexp_full_match(${c}, ${stringLiteral('(?i)\\s*[+-]?infinity\\s*')})`)} AS "z${i}_infinite"`);
    exprs.push(`${countWhere(`${finerThan(c, 6)}`)} AS "z${i}_nanos"`);
  });
  checks.textCandidates.forEach((name, i) => {
    const c = ident(name);
    exprs.push(`${countWhere(`regexp_full_match(${c}, ${NUMBER_WORD})`)} AS "x${i}_words"`);
    exprs.push(`${countWhere(`${c} IS NOT NULL AND NOT regexp_full_match(${c}, ${NUMBER_WORD}) AND NOT regexp_full_match(${c}, ${PLAIN_NUMBER})`)} AS "x${i}_other"`);
    exprs.push(`${countWhere(`${wholeBeyondDouble(c)} OR ${fractionBeyondDouble(c)}`)} AS "x${i}_long"`);
  });
  checks.dateCandidates.forEach((name, i) => {
    const c = ident(name);
    exprs.push(`${countWhere(`regexp_matches(${c}, '[0-9]')`)} AS "i${i}_dated"`);
    exprs.push(`${countWhere(`${c} IS NOT NULL AND TRY_CAST(trim(${c}) AS DOUBLE) IS NULL`)} AS "i${i}_not_number"`);
  });
  const facts: SampleFacts = { numberTypes: new Map(), wideTypes: new Map(), roundedWholes: new Map(), roundedFractions: new Map() };
  if (exprs.length === 0) return facts;
  const limit = sampleSize > 0 ? `\nLIMIT ${Math.floor(sampleSize)}` : '';
  const [row] = await ctx.rows(`SELECT ${exprs.join(',\n  ')}\nFROM (SELECT * FROM read_csv(${read})${limit})`);
  const n = (k: string) => Number(row?.[k] ?? 0);
  for (const [i, d] of dateAlts.entries()) {
    const example = row?.[`d${i}_example`];
    if (n(`d${i}_miss`) > 0 || example === null || example === undefined) continue;
    const shape = d.param === 'date_format' ? '%Y-%m-%d' : '%Y-%m-%d %H:%M:%S';
    const v = stringLiteral(String(example));
    const [shown] = await ctx.rows(`SELECT strftime(strptime(${v}, ${stringLiteral(d.format)}), ${stringLiteral(shape)}) AS a, strftime(strptime(${v}, ${stringLiteral(d.other)}), ${stringLiteral(shape)}) AS b`);
    facts.ambiguous = { column: d.column, param: d.param, format: d.format, other: d.other, example: String(example), asFormat: String(shown?.a), asOther: String(shown?.b) };
    break;
  }
  checks.wideCandidates.forEach((name, i) => {
    // 18 digits always fit BIGINT, which detection would have chosen: more means beyond 64 bits.
    // HUGEINT holds 38 digits and some of 39 (its lowest value, -170141183460469231731687303715884105728).
    if (n(`w${i}_present`) > 0 && n(`w${i}_fraction`) === 0 && n(`w${i}_digits`) > 18) facts.wideTypes.set(name, n(`w${i}_beyond_hugeint`) === 0 ? 'HUGEINT' : 'VARCHAR');
    else if (row?.[`w${i}_rounded`] != null) facts.roundedWholes.set(name, String(row[`w${i}_rounded`]));
    else if (row?.[`w${i}_imprecise`] != null) {
      const scale = n(`w${i}_scale`);
      const precision = Math.max(n(`w${i}_whole_digits`) + scale, 1);
      const fits = n(`w${i}_exponents`) === 0 && precision <= 38;
      facts.roundedFractions.set(name, { example: String(row[`w${i}_imprecise`]), becomes: String(row[`w${i}_becomes`]), decimal: fits ? `DECIMAL(${precision},${scale})` : undefined });
    }
  });
  checks.timestampCandidates.forEach((name, i) => {
    if (n(`t${i}_nanos`) > 0) facts.wideTypes.set(name, 'TIMESTAMP_NS');
  });
  (checks.zonedCandidates ?? []).forEach((name, i) => {
    if (n(`z${i}_zoned`) > 0) return;
    facts.wideTypes.set(name, n(`z${i}_infinite`) > 0 ? 'VARCHAR' : n(`z${i}_nanos`) > 0 ? 'TIMESTAMP_NS' : 'TIMESTAMP');
  });
  checks.textCandidates.forEach((name, i) => {
    if (n(`x${i}_words`) > 0 && n(`x${i}_other`) === 0 && n(`x${i}_long`) === 0) facts.wideTypes.set(name, 'DOUBLE');
  });
  checks.dateCandidates.forEach((name, i) => {
    if (n(`i${i}_dated`) === 0) facts.wideTypes.set(name, n(`i${i}_not_number`) === 0 ? 'DOUBLE' : 'VARCHAR');
  });
  checks.numberCandidates.forEach((name, i) => {
    if (n(`n${i}_present`) > 0 && n(`n${i}_miss`) === 0) facts.numberTypes.set(name, n(`n${i}_fraction`) > 0 ? 'DOUBLE' : 'BIGINT');
  });
  return facts;
}
