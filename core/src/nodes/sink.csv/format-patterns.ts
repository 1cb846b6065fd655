import { stringLiteral } from '../../compiler/sql.js';
import type { CompileContext } from '../define.js';
import { errorMessage, type Problem } from '../../util/errors.js';

/**
 * The sink's date and timestamp patterns. DuckDB writes a pattern without a % specifier as it is
 * (`dd/MM/yyyy`, as Java or Excel write one, became that very text in every row), and refuses an
 * unknown specifier only once the run writes: both are refused before the run.
 */
export interface FormatPatterns {
  date_format?: string;
  timestamp_format?: string;
}

const KINDS = [
  { key: 'date_format', what: 'date', sample: "DATE '2024-06-30'", example: '%d/%m/%Y' },
  { key: 'timestamp_format', what: 'timestamp', sample: "TIMESTAMP '2024-06-30 14:05:09.123456'", example: '%Y-%m-%dT%H:%M:%S' },
] as const;

const SPECIFIERS = 'strftime specifiers: %Y year, %m month, %d day, %H hour, %M minute, %S second, %f microseconds, %b month name (%% is a %)';

/** Patterns that hold no specifier (checked on the params alone). */
export function patternWithoutSpecifier(p: FormatPatterns): Array<{ path: string; message: string; hint: string }> {
  return KINDS.flatMap(({ key, what, example }) => {
    const pattern = p[key];
    if (pattern === undefined || /%[^%]/.test(pattern.replaceAll('%%', ''))) return [];
    return [{ path: key, message: `'${pattern}' holds no % specifier: every ${what} would be written as that very text`, hint: `write the pattern with ${SPECIFIERS}, e.g. ${example}` }];
  });
}

/** Patterns DuckDB cannot write (an unknown specifier such as %Q), found by formatting a sample value. */
export async function unwritablePatterns(ctx: Pick<CompileContext<unknown>, 'nodeId' | 'rows'>, p: FormatPatterns): Promise<Problem[]> {
  const out: Problem[] = [];
  for (const { key, what, sample, example } of KINDS) {
    const pattern = p[key];
    if (pattern === undefined) continue;
    const refused = await ctx.rows(`SELECT strftime(${sample}, ${stringLiteral(pattern)}) AS s`).then(
      () => undefined,
      (e: unknown) => errorMessage(e).replace(/^[A-Za-z ]+Error: /, ''),
    );
    if (refused === undefined) continue;
    const message = `node '${ctx.nodeId}': ${key} '${pattern}' cannot write a ${what}: ${refused}`;
    out.push({ code: 'invalid_param', path: `params.${key}`, message, hint: `use ${SPECIFIERS}, e.g. ${example}` });
  }
  return out;
}
