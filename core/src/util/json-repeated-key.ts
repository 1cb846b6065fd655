import { BACKSLASH, CLOSE_ARRAY, CLOSE_OBJECT, COLON, CR, LF, OPEN_ARRAY, OPEN_OBJECT, QUOTE, SPACE, TAB } from './json-bytes.js';

/**
 * The first key that an object of valid JSON text repeats (`{"id": 1, "id": 2}`), or undefined.
 * JSON.parse keeps the last value of such a key without a word, DuckDB's reader refuses it: where
 * Caudal parses an answer itself, this says so instead of picking one value. One pass over the text,
 * a set of keys per open object; `text` must have parsed.
 */
export function repeatedKey(text: string): string | undefined {
  const open: Array<Set<string> | null> = [];
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const start = i;
      for (i++; text.charCodeAt(i) !== QUOTE; i++) if (text.charCodeAt(i) === BACKSLASH) i++;
      const keys = open.at(-1);
      if (!keys) continue;
      let j = i + 1;
      while (WHITESPACE.has(text.charCodeAt(j))) j++;
      if (text.charCodeAt(j) !== COLON) continue;
      const key = JSON.parse(text.slice(start, i + 1)) as string;
      if (keys.has(key)) return key;
      keys.add(key);
    } else if (c === OPEN_OBJECT) open.push(new Set());
    else if (c === OPEN_ARRAY) open.push(null);
    else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) open.pop();
  }
  return undefined;
}

const WHITESPACE = new Set([SPACE, TAB, LF, CR]);
