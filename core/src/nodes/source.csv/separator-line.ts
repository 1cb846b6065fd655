import type { CompileContext } from '../define.js';
import { CaudalError } from '../../util/errors.js';
import type { CsvFile } from './files.js';
import type { CsvSourceParams } from './params.js';
import { readHead } from './scan-lines.js';

/**
 * Excel's separator line: a first line `sep=;` states the file's delimiter and is not part of the
 * data. Excel writes and reads it, and exports meant for Excel (bank statements, ERP reports in
 * countries that write decimals with a comma) often start with it. DuckDB's detection takes it for
 * the header (columns `sep=` and `column1`) and the real header for a row, without a word.
 *
 * Returns the delimiter the line states, or undefined when the file does not start with one (a
 * compressed file never does: its bytes are not text).
 */
export async function separatorLine(file: string): Promise<string | undefined> {
  const head = (await readHead(file, 64).catch(() => Buffer.alloc(0))).toString('utf8').replace(/^\uFEFF/, '');
  // Exactly one character after `sep=`, then the end of the line (a one-line file states nothing).
  return /^sep=([^\r\n"])(?:\r\n|\n|\r)/i.exec(head)?.[1];
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
