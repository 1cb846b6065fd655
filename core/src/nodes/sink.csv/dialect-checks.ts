/**
 * CSV dialects that cannot be read back, refused on the param before the run: a line break as the
 * delimiter or the quote runs rows and fields into each other (a newline delimiter wrote
 * `1\na,b\n\n2`), and a NULL text holding a line break adds a line (NULL read back as an empty
 * text). A NULL text holding the delimiter or the quote DuckDB refuses itself, but only once the
 * run has started and in its own words ("DELIMITER must not appear in the NULL specification").
 */
export interface CsvDialect {
  delimiter: string;
  quote: string;
  null_string: string;
}

type ParamProblem = { path: string; message: string; hint?: string };

const LINE_BREAK = /[\r\n]/;

/** The delimiter as written to the file: the param's `\t` is a tab. */
const actualDelimiter = (d: string) => (d === '\\t' ? '\t' : d);

/** How a message shows a character: a tab as \t, like the param takes it. */
const shown = (c: string) => (c === '\t' ? '\\t' : c);

export function csvDialectProblems(p: CsvDialect): ParamProblem[] {
  const out: ParamProblem[] = [];
  const delimiter = actualDelimiter(p.delimiter);
  if (LINE_BREAK.test(delimiter)) out.push({ path: 'delimiter', message: 'the delimiter cannot be a line break, which ends the row', hint: 'use , ; | or \\t' });
  if (LINE_BREAK.test(p.quote)) out.push({ path: 'quote', message: 'the quote cannot be a line break, which ends the row', hint: 'use " (the default) or \'' });
  const nullHint = 'write NULL as nothing (the default), NULL or \\N';
  if (LINE_BREAK.test(p.null_string)) out.push({ path: 'null_string', message: 'the text written for NULL cannot hold a line break: readers would take it for the end of the row', hint: nullHint });
  else if (p.null_string.includes(delimiter))
    out.push({ path: 'null_string', message: `the text written for NULL cannot hold the delimiter '${shown(delimiter)}': readers would split the field there`, hint: nullHint });
  else if (p.null_string.includes(p.quote)) out.push({ path: 'null_string', message: `the text written for NULL cannot hold the quote '${shown(p.quote)}'`, hint: nullHint });
  return out;
}
