import { ident, stringLiteral } from '../../compiler/sql.js';
import type { SemanticType } from './types.js';

/** Patterns for semantic guesses, tried on trimmed text values. RE2 syntax (DuckDB regexp). */
export const SEMANTIC_PATTERNS: Array<{ type: SemanticType; pattern: string }> = [
  { type: 'email', pattern: String.raw`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}` },
  { type: 'url', pattern: String.raw`(https?|ftp)://[^\s/$.?#][^\s]*` },
  { type: 'boolean-ish', pattern: String.raw`(?i)(true|false|yes|no|y|n|t|f|on|off|0|1)` },
  { type: 'date-in-text', pattern: String.raw`\d{4}-\d{1,2}-\d{1,2}([T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?Z?|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}` },
  { type: 'numeric-in-text', pattern: String.raw`[-+]?(\d+|\d{1,3}([,.\s]\d{3})+)([.,]\d+)?%?` },
  { type: 'phone', pattern: String.raw`\+?[\d\s().\-]{7,20}` },
];

/** Share of values a type must match to be suggested. */
export const SEMANTIC_MIN_SHARE = 0.9;

/**
 * One query: per text column (k = position in `columns`), the share of up to `limit` trimmed
 * non-empty values matching each pattern. The values are limited before any regular expression runs.
 */
export function semanticSql(table: string, columns: string[], limit: number): string {
  const parts = columns.map((c, k) => `SELECT ${k} AS k, v FROM (SELECT trim(${ident(c)}) AS v FROM ${table} WHERE ${ident(c)} IS NOT NULL AND trim(${ident(c)}) <> '' LIMIT ${limit})`);
  const shares = SEMANTIC_PATTERNS.map((p, j) => `avg(CASE WHEN regexp_full_match(v, ${stringLiteral(p.pattern)}) THEN 1 ELSE 0 END) AS ${ident(`s${j}`)}`).join(', ');
  return `SELECT k, ${shares} FROM (\n${parts.join('\nUNION ALL\n')}\n) GROUP BY k`;
}

/**
 * The first type (in SEMANTIC_PATTERNS order: most specific first) most values match.
 * Phone comes last so that digits-only ids count as numbers, not phone numbers.
 */
export function pickSemantic(shares: number[]): { type: SemanticType; share: number } | undefined {
  for (let j = 0; j < SEMANTIC_PATTERNS.length; j++) {
    const share = shares[j] ?? 0;
    if (share >= SEMANTIC_MIN_SHARE) return { type: SEMANTIC_PATTERNS[j]!.type, share };
  }
  return undefined;
}
