/**
 * The params path of the first text value that mentions `word` as a function call (`word(`), so a
 * problem found in a node's translated SQL points at the field the user typed it in.
 */
export function fieldMentioning(params: unknown, word: string): string | undefined {
  const needle = new RegExp(`\\b${word.replace(/[^\w]/g, '')}\\s*\\(`, 'i');
  const walk = (v: unknown, at: string): string | undefined => {
    if (typeof v === 'string') return needle.test(v) ? at : undefined;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const hit = walk(v[i], `${at}[${i}]`);
        if (hit) return hit;
      }
      return undefined;
    }
    if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        const hit = walk(x, at ? `${at}.${k}` : k);
        if (hit) return hit;
      }
    }
    return undefined;
  };
  return walk(params, '');
}
