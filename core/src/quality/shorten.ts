/**
 * Values cut for people: failing-row samples and profile figures show what a value looks like, and
 * stay small in results, events, the studio and the HTML reports however long the data is.
 */

/** Characters of a value kept in samples and profiles. */
export const SAMPLE_TEXT_CHARS = 200;

/**
 * Text longer than SAMPLE_TEXT_CHARS characters keeps its first ones and says how many more there
 * were (`… (1,999,800 more characters)`); a list, struct or map whose JSON is that long becomes
 * that text, cut the same way. Anything else is returned as it is.
 */
export function shortenValue(v: unknown): unknown {
  if (typeof v === 'string') return shortenText(v);
  if (v !== null && typeof v === 'object') {
    const json = JSON.stringify(v) ?? '';
    return json.length > SAMPLE_TEXT_CHARS ? shortenText(json) : v;
  }
  return v;
}

/**
 * A sample row with long values cut (shortenValue). Samples show what failed; the rows themselves
 * (quarantined ones included) are never cut. Built with fromEntries, so a column named `__proto__`
 * stays a column.
 */
export function shortenSample(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, shortenValue(v)]));
}

function shortenText(s: string): string {
  if (s.length <= SAMPLE_TEXT_CHARS) return s;
  // Count and cut by code points, so a surrogate pair is never split.
  let end = 0;
  for (let kept = 0; kept < SAMPLE_TEXT_CHARS && end < s.length; kept++) end += (s.codePointAt(end) ?? 0) > 0xffff ? 2 : 1;
  if (end >= s.length) return s;
  let more = 0;
  for (let k = end; k < s.length; k++) {
    const u = s.charCodeAt(k);
    if (u < 0xdc00 || u > 0xdfff) more++;
  }
  return `${s.slice(0, end)}… (${more.toLocaleString('en-US')} more character${more === 1 ? '' : 's'})`;
}
