/**
 * What a source detected, for settings left on "auto". A source plans its reads with the dialect it
 * detected stated explicitly (`read_csv(…, delim := ';', header := true, skip := 0, …)`), so the
 * node's SQL (which the host sends with the schemas) says what "auto" turned out to be. Reading the
 * named arguments back keeps this generic over sources; DuckDB's short names map to params here.
 */

/** DuckDB reader argument names that differ from the param they come from. */
const ARG_OF_PARAM: Record<string, string> = { delimiter: 'delim', skip_rows: 'skip', null_strings: 'nullstr' };

function parseValue(text: string): unknown {
  const t = text.trim();
  if (/^'(.*)'$/s.test(t)) return t.slice(1, -1).replace(/''/g, "'");
  if (/^true$/i.test(t)) return true;
  if (/^false$/i.test(t)) return false;
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  return undefined;
}

/** Named scalar arguments (`name := value`) of the reader calls in `sql`. Structs and lists are skipped. */
export function namedArgs(sql: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const m of sql.matchAll(/\b([a-z_]+)\s*:=\s*('(?:[^']|'')*'|[A-Za-z0-9_.-]+)/g)) {
    const v = parseValue(m[2]!);
    if (v !== undefined && !(m[1]! in out)) out[m[1]!] = v;
  }
  return out;
}

/** The detected value of a param, when the node's SQL states it. */
export function detectedValue(sql: string | undefined, param: string): unknown {
  if (!sql) return undefined;
  const args = namedArgs(sql);
  return args[ARG_OF_PARAM[param] ?? param];
}

/** How a detected value reads in the form. */
export function describeDetected(v: unknown): string {
  if (v === true) return 'yes';
  if (v === false) return 'no';
  if (v === '') return 'none';
  if (v === '\t' || v === '\\t') return 'tab';
  return String(v);
}
