/**
 * How deep JSON text nests, scanned over its bytes (braces, brackets, quotes and backslashes are
 * ASCII, never part of a UTF-8 character), chunk by chunk. DuckDB 1.5's JSON reader recurses once
 * per level and overflows the native stack some thousands of levels down, ending the process;
 * JSON.parse and JSON.stringify throw "Maximum call stack size exceeded". Nothing real nests that
 * deep: LIMIT levels are refused before either sees the text.
 */
export const JSON_NESTING_LIMIT = 1000;

export interface TooDeep {
  /** 1-based line of the text where the nesting passed the limit. */
  line: number;
  /** 0-based byte offset there. */
  offset: number;
}

/** A scanner fed the text's chunks in order; `feed` returns where it first nests deeper than `limit`. */
export function depthScanner(limit = JSON_NESTING_LIMIT): { feed(chunk: Uint8Array): TooDeep | undefined } {
  let depth = 0;
  let line = 1;
  let seen = 0;
  let inString = false;
  let escaped = false;
  return {
    feed(chunk) {
      for (let i = 0; i < chunk.length; i++) {
        const c = chunk[i]!;
        if (c === 0x0a) line++;
        if (inString) {
          if (escaped) escaped = false;
          else if (c === 0x5c /* \ */) escaped = true;
          else if (c === 0x22 /* " */) inString = false;
        } else if (c === 0x22) inString = true;
        else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
          if (++depth > limit) return { line, offset: seen + i };
        } else if ((c === 0x7d /* } */ || c === 0x5d) /* ] */ && depth > 0) depth--;
      }
      seen += chunk.length;
      return undefined;
    },
  };
}

/** Where the JSON text `bytes` (whole) first nests deeper than `limit`; a text too short to nest that deep (two bytes a level) is not scanned. */
export function bytesTooDeep(bytes: Uint8Array, limit = JSON_NESTING_LIMIT): TooDeep | undefined {
  return bytes.length > 2 * limit ? depthScanner(limit).feed(bytes) : undefined;
}
