import type { CompileContext } from '../define.js';
import { CaudalError } from '../../util/errors.js';
import type { CsvFile } from './files.js';
import type { CsvSourceParams } from './params.js';
import { readHead } from './scan-lines.js';

/** Bytes of the head looked at to see whether the rows bear a separator line out. */
const HEAD_BYTES = 1 << 16;
/** Records of the head compared (after the separator line). */
const HEAD_RECORDS = 100;

/**
 * Excel's separator line: a first line `sep=;` states the file's delimiter and is not part of the
 * data. Excel writes and reads it, and exports meant for Excel (bank statements, ERP reports in
 * countries that write decimals with a comma) often start with it. DuckDB's detection takes it for
 * the header (columns `sep=` and `column1`) and the real header for a row, without a word.
 *
 * But a one-column file whose column is named `sep=;` starts the same way (Write CSV writes such a
 * name as it is). So the line counts as Excel's only when the rows bear it out: the line after it
 * (the header) splits on that delimiter into more than one field, and so does every record of the
 * head after it, into as many (quoted fields are read as such; a record cut off by the end of the
 * head is not compared). A file holding the values `x;y` and `z` under `sep=;` is then one column.
 *
 * Returns the delimiter the line states, or undefined when the file does not start with one (a
 * compressed file never does: its bytes are not text).
 */
export async function separatorLine(file: string, quote = '"', escape = quote): Promise<string | undefined> {
  const bytes = await readHead(file, HEAD_BYTES).catch(() => Buffer.alloc(0));
  const head = bytes.toString('utf8').replace(/^\uFEFF/, '');
  // Exactly one character after `sep=`, then the end of the line (a one-line file states nothing).
  const line = /^sep=([^\r\n"])(?:\r\n|\n|\r)/i.exec(head);
  if (!line) return undefined;
  const delim = line[1]!;
  const counts = fieldCounts(head.slice(line[0].length), delim, quote, escape, bytes.length >= HEAD_BYTES);
  const [header] = counts;
  return header !== undefined && header > 1 && counts.every((n) => n === header) ? delim : undefined;
}

/**
 * The number of fields of each record of `text` split on `delim` (a quoted field may hold the
 * delimiter and line breaks; `escape` before a quote inside one keeps it), up to HEAD_RECORDS
 * records; empty lines are left out, and so is the last record when the text was `cut`.
 */
export function fieldCounts(text: string, delim: string, quote: string, escape: string, cut: boolean): number[] {
  const counts: number[] = [];
  let fields = 1;
  let empty = true;
  let quoted = false;
  let i = 0;
  const endRecord = () => {
    if (!empty) counts.push(fields);
    fields = 1;
    empty = true;
  };
  while (i < text.length && counts.length < HEAD_RECORDS) {
    const ch = text[i]!;
    if (quoted) {
      if (escape !== '' && escape !== quote && ch === escape && i + 1 < text.length) i += 2;
      else if (ch === quote && text[i + 1] === quote && escape === quote) i += 2;
      else {
        if (ch === quote) quoted = false;
        i += 1;
      }
      continue;
    }
    if (ch === '\r' || ch === '\n') {
      endRecord();
      i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
      continue;
    }
    empty = false;
    if (quote !== '' && ch === quote) quoted = true;
    else if (ch === delim) fields += 1;
    i += 1;
  }
  if (i >= text.length && !cut && counts.length < HEAD_RECORDS) endRecord();
  return counts;
}

/**
 * Files combined by name are detected by DuckDB, one by one, in the run, where the separator line
 * would be read as each file's header. Such files are refused before the run, naming what to set
 * (the line is then skipped in every file, which is what the files say).
 */
export async function refuseCombinedSeparatorLines(ctx: CompileContext<CsvSourceParams>, files: CsvFile[]): Promise<void> {
  if (ctx.params.skip_rows !== undefined) return;
  for (const file of files) {
    // Objects of a store exist only once the run fetches them: unreadable now, they state nothing.
    const sep = await separatorLine(file.original);
    if (sep === undefined) continue;
    const message = `node '${ctx.nodeId}': ${file.original} starts with Excel's separator line "sep=${sep}", which files combined by name would read as their header`;
    const hint = `set skip_rows to 1${ctx.params.delimiter === undefined ? ` and delimiter to ${JSON.stringify(sep)}` : ''} (every file must then start with such a line)`;
    throw new CaudalError('validation', message, { nodeId: ctx.nodeId, hint, problems: [{ code: 'bind_error', path: 'params.skip_rows', message, hint }] });
  }
}
