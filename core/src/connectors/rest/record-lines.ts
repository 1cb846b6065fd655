import { isUtf8 } from 'node:buffer';
import { BACKSLASH, CLOSE_ARRAY, CLOSE_OBJECT, COLON, COMMA, CR, LF, OPEN_ARRAY, OPEN_OBJECT, QUOTE, SPACE } from '../../util/json-bytes.js';

/**
 * The records of a JSON answer as NDJSON, cut from the answer's own bytes instead of written again
 * with JSON.stringify: the records are already JSON text in the answer, and re-serializing them
 * (plus turning that string into bytes for the spool) was a third of source.rest's work per page
 * (bench/rest, 1,000 records a page: ~1.2 ms of ~5.5 ms).
 *
 * The bytes are used only when they say exactly what the parsed records say; otherwise the caller
 * writes the parsed records as before. Checked here: the body is valid UTF-8 (the decoder replaces
 * bad bytes, DuckDB would refuse them); the records path is plain keys (`data`, `$.data.items`,
 * `results[*]`; the root or the one list field when unset) and is matched by exactly one array in
 * the text (JSON.parse keeps the last of duplicate keys, this scan would see the first); that array
 * holds as many elements as the parsed list, each an object; and the text has at least as many
 * object keys inside the records as the parsed records (more: a record repeats a key, which
 * JSON.parse collapses to its last value; the bytes go to DuckDB's reader, which refuses it).
 * Inside the array, line breaks between tokens become
 * spaces and the commas between records become line breaks; a line break cannot sit inside a JSON
 * string, so every line is one record. Numbers keep their text, so integers beyond 2^53 reach
 * DuckDB exactly.
 */


/** Bytes that may stand outside strings in JSON: structure, and those of numbers and true/false/null. */
const STRUCTURAL = byteSet('{}[],:"');
const LITERAL = byteSet('0123456789-+.eEtrufalsn');

function byteSet(chars: string): Uint8Array {
  const set = new Uint8Array(256);
  for (const ch of chars) set[ch.charCodeAt(0)] = 1;
  return set;
}

const PLAIN_PATH = /^(?:\$\.?)?((?:[A-Za-z_][A-Za-z0-9_]*)(?:\.[A-Za-z_][A-Za-z0-9_]*)*)?(\[\*\])?$/;

/**
 * The keys leading from the root to the array of records, or undefined when the path is more than
 * plain keys (filters, wildcards, recursive descent): those answers are re-serialized.
 */
export function recordsKeyPath(recordsPath: string | undefined, json: unknown): string[] | undefined {
  if (recordsPath === undefined) {
    if (Array.isArray(json)) return [];
    if (json === null || typeof json !== 'object') return undefined;
    const lists = Object.entries(json).filter(([, v]) => Array.isArray(v));
    return lists.length === 1 ? [lists[0]![0]] : undefined;
  }
  const m = PLAIN_PATH.exec(recordsPath.trim());
  if (!m) return undefined;
  // `$` alone and `$[*]` are the root; `data` and `data[*]` are the same list.
  return m[1] ? m[1].split('.') : [];
}

/**
 * A page whose records were cut from the answer and not parsed: `lines` (NDJSON), how many, and the
 * rest of the answer parsed with the list emptied (`{"data": [], "meta": {...}}`), for pagination.
 */
export class CutRecords {
  constructor(
    readonly lines: Buffer,
    readonly count: number,
    readonly rest: unknown,
  ) {}
}

/**
 * The records at `keyPath` cut from a body that is not parsed (pages after the first of offset or
 * page-number pagination need only the records and how many there are), or undefined when the body
 * is not the simple case, which is then parsed as usual: not valid UTF-8, the path not matched by
 * exactly one array, a record that is not an object, a line break anywhere in the list (inside a
 * record it may be a raw one in a string, which JSON forbids and which only parsing tells), the text
 * not closing every bracket it opens (cut short) or going on after the root, a byte JSON does not
 * allow outside strings or a comma before a closing bracket or another comma (what DuckDB's reader
 * would forgive: NaN, comments, trailing commas), or the answer without the list not parsing.
 * What is not checked here, DuckDB checks when it reads the lines: a record broken otherwise (a
 * missing colon, a bad escape) or repeating a key stops the run with DuckDB's message, where
 * parsing would have asked for the page again or kept the key's last value.
 */
export function cutRecords(body: Buffer, keyPath: readonly string[]): CutRecords | undefined {
  if (!isUtf8(body)) return undefined;
  const found = scan(body, keyPath.map((k) => Buffer.from(k)));
  if (!found || !found.objects || !found.balanced) return undefined;
  for (const byte of [LF, CR]) {
    const at = body.indexOf(byte, found.open);
    if (at !== -1 && at < found.close) return undefined;
  }
  let rest: unknown;
  try {
    rest = JSON.parse(body.toString('utf8', 0, found.open + 1) + body.toString('utf8', found.close));
  } catch {
    return undefined;
  }
  if (found.elements === 0) return new CutRecords(Buffer.alloc(0), 0, rest);
  return new CutRecords(linesOf(body, found), found.elements, rest);
}

/** The list's elements as lines: commas between records become line breaks (line breaks between tokens, spaces). */
function linesOf(body: Buffer, found: Found): Buffer {
  const out = Buffer.allocUnsafe(found.to - found.from + 1);
  body.copy(out, 0, found.from, found.to);
  for (let i = out.indexOf(LF); i !== -1; i = out.indexOf(LF, i + 1)) out[i] = SPACE;
  for (let i = out.indexOf(CR); i !== -1; i = out.indexOf(CR, i + 1)) out[i] = SPACE;
  for (const c of found.commas) out[c - found.from] = LF;
  out[out.length - 1] = LF;
  return out;
}

/** Where the records are in the text: element boundaries and how many object keys they hold. */
interface Found {
  /** Byte offsets of the list's `[` and `]`. */
  open: number;
  close: number;
  /** Every bracket opened was closed, and nothing but whitespace follows the root. */
  balanced: boolean;
  /** Byte offsets: start of the first element, end of the last (exclusive). */
  from: number;
  to: number;
  /** Offsets of the commas between elements. */
  commas: number[];
  elements: number;
  keys: number;
  /** Every element starts with `{`. */
  objects: boolean;
}

/**
 * NDJSON bytes of `records` (the parsed list the path selected from `body`), or undefined when the
 * answer's bytes cannot stand for them (see above).
 */
export function recordLines(body: Buffer, keyPath: readonly string[] | undefined, records: readonly unknown[]): Buffer | undefined {
  if (keyPath === undefined || !isUtf8(body)) return undefined;
  const found = scan(body, keyPath.map((k) => Buffer.from(k)));
  if (!found || !found.objects || found.elements !== records.length) return undefined;
  let keys = 0;
  for (const r of records) {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) return undefined;
    keys += keyCount(r);
  }
  // More keys in the text than parsed: a record repeats a key, which JSON.parse collapses to its
  // last value. The text goes to DuckDB, whose reader refuses it naming the key, as it does on the
  // pages cut without parsing and in JSON files: which value is meant cannot be told.
  if (keys > found.keys) return undefined;
  if (records.length === 0) return Buffer.alloc(0);
  return linesOf(body, found);
}

/** Object keys in a parsed value, nested ones included. */
function keyCount(v: unknown): number {
  if (v === null || typeof v !== 'object') return 0;
  let n = 0;
  if (Array.isArray(v)) {
    for (const x of v) n += keyCount(x);
    return n;
  }
  for (const k in v) {
    if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
    n += 1 + keyCount((v as Record<string, unknown>)[k]);
  }
  return n;
}

/**
 * One pass over valid JSON text (it parsed) tracking, per open container, whether it is an object
 * and which key it is at. Returns undefined when the path matches no array or more than one.
 */
function scan(body: Buffer, path: readonly Buffer[]): Found | undefined {
  const n = body.length;
  // Per depth (index = depth - 1): is an object; the current key's byte range; the key path still matches.
  const isObject: boolean[] = [];
  const keyStart: number[] = [];
  const keyEnd: number[] = [];
  const onPath: boolean[] = [];
  let expectKey = false;
  let target = -1;
  let found: Found | undefined;
  let matches = 0;
  let elementStart = -1;
  let rootClosedAt = -1;
  let previous = 0;
  for (let i = 0; i < n; i++) {
    const c = body[i]!;
    if (c <= SPACE) continue;
    // Anything after the root closed: not one JSON value.
    if (rootClosedAt >= 0) return undefined;
    // What DuckDB's reader forgives and JSON does not (a comma before a closing bracket or another
    // comma, NaN, Infinity, comments, single quotes): the caller parses such an answer instead.
    if (!STRUCTURAL[c] && !LITERAL[c]) return undefined;
    if ((c === CLOSE_OBJECT || c === CLOSE_ARRAY || c === COMMA) && (previous === COMMA || (c === COMMA && (previous === OPEN_OBJECT || previous === OPEN_ARRAY)))) return undefined;
    previous = c;
    const depth = isObject.length;
    if (target >= 0 && depth === target && elementStart < 0 && c !== CLOSE_ARRAY && c !== COMMA) {
      elementStart = i;
      found!.elements++;
      if (c !== OPEN_OBJECT) found!.objects = false;
      if (found!.elements === 1) found!.from = i;
    }
    if (c === QUOTE) {
      const start = i + 1;
      for (i = start; i < n; i++) {
        const d = body[i]!;
        if (d === BACKSLASH) i++;
        else if (d === QUOTE) break;
      }
      if (depth > 0 && isObject[depth - 1] && expectKey) {
        keyStart[depth - 1] = start;
        keyEnd[depth - 1] = i;
        expectKey = false;
        if (target >= 0 && depth > target) found!.keys++;
      }
      continue;
    }
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      // Is this container the value at the end of the path? Every ancestor an object whose key matched.
      const parentOnPath = depth === 0 ? true : onPath[depth - 1]! && isObject[depth - 1]! && depth <= path.length && sameKey(body, keyStart[depth - 1]!, keyEnd[depth - 1]!, path[depth - 1]!);
      isObject.push(c === OPEN_OBJECT);
      onPath.push(parentOnPath);
      keyStart.push(-1);
      keyEnd.push(-1);
      expectKey = c === OPEN_OBJECT;
      if (c === OPEN_ARRAY && parentOnPath && depth === path.length) {
        if (++matches > 1) return undefined;
        target = depth + 1;
        found = { open: i, close: -1, balanced: false, from: i + 1, to: i + 1, commas: [], elements: 0, keys: 0, objects: true };
      }
      continue;
    }
    if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      if (target >= 0 && depth === target) {
        if (elementStart >= 0) found!.to = lastByteBefore(body, i) + 1;
        found!.close = i;
        target = -1;
        elementStart = -1;
      }
      if (depth === 0) return undefined;
      if (depth === 1) rootClosedAt = i;
      isObject.pop();
      onPath.pop();
      keyStart.pop();
      keyEnd.pop();
      expectKey = false;
      continue;
    }
    if (c === COMMA) {
      if (depth > 0 && isObject[depth - 1]) expectKey = true;
      if (target >= 0 && depth === target) {
        found!.commas.push(i);
        elementStart = -1;
      }
      continue;
    }
    if (c === COLON) continue;
    // Literals and numbers: nothing to track (element starts were noted above).
  }
  if (found) found.balanced = isObject.length === 0 && rootClosedAt >= 0 && found.close >= 0;
  return found;
}

/** The offset of the last non-whitespace byte before `i`. */
function lastByteBefore(body: Buffer, i: number): number {
  let j = i - 1;
  while (j >= 0 && body[j]! <= SPACE) j--;
  return j;
}

function sameKey(body: Buffer, start: number, end: number, key: Buffer): boolean {
  return start >= 0 && end - start === key.length && body.compare(key, 0, key.length, start, end) === 0;
}

const BACKSLASH_U_D = [Buffer.from('\\ud'), Buffer.from('\\uD')];
const SURROGATE_ESCAPE = /\\u([dD][89abAB][0-9a-fA-F]{2})(\\u[dD][c-fC-F][0-9a-fA-F]{2})?|\\u[dD][c-fC-F][0-9a-fA-F]{2}/g;

/**
 * The first escape of half a UTF-16 surrogate pair without its other half (`"\ud800"`) in a JSON
 * answer, with the character offset where it is, or undefined. JavaScript's JSON.parse accepts it;
 * it is no character, and DuckDB's reader stops at it ("Malformed JSON ... no low surrogate").
 */
export function loneSurrogate(body: Buffer): { escape: string; at: number } | undefined {
  if (!BACKSLASH_U_D.some((b) => body.includes(b))) return undefined;
  const text = body.toString('utf8');
  for (const m of text.matchAll(SURROGATE_ESCAPE)) {
    if (m[1] !== undefined && m[2] !== undefined) continue;
    // `\\ud800` is a backslash and the text "ud800", not an escape.
    let backslashes = 0;
    for (let i = m.index - 1; i >= 0 && text.charCodeAt(i) === 0x5c; i--) backslashes++;
    if (backslashes % 2 === 1) continue;
    return { escape: m[0].slice(0, 6), at: m.index };
  }
  return undefined;
}
