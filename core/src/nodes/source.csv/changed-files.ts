import { stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import type { HookIo, SetupStep } from '../define.js';
import { CaudalError, errorMessage } from '../../util/errors.js';
import type { Detected } from './detect.js';
import type { CsvFile } from './files.js';
import { firstLineFields, sameHeader } from './headers.js';

/** A file read in place as planning found it, before detection read it. */
export interface PlannedFile {
  file: CsvFile;
  version: Pick<Stats, 'size' | 'mtimeMs' | 'ctimeMs' | 'ino'>;
}

type Rows = (sql: string) => Promise<Record<string, unknown>[]>;

/**
 * The versions of the files a run reads in place (converted copies are made from the file when the
 * run starts, and their header is compared when planning). Taken before detection reads the files:
 * a file that changed after this is checked again, never wrongly taken as the one detected.
 */
export async function plannedFiles(files: CsvFile[]): Promise<PlannedFile[]> {
  const out: PlannedFile[] = [];
  for (const file of files) {
    if (file.read !== file.original) continue;
    const st = await stat(file.original).catch(() => undefined);
    if (st) out.push({ file, version: { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino } });
  }
  return out;
}

/**
 * What changed in a file since planning that the read cannot survive: a header that is not the
 * planned one (columns renamed, reordered, added or removed: the read goes by position with the
 * planned columns, so values would land under the wrong names), or an empty file (a writer
 * truncated it). Undefined when the file is as planned, or only its rows changed (a lookup file
 * that is refreshed, which a --watch run re-reads every batch on purpose).
 */
export async function headerChange(rows: Rows, planned: PlannedFile, detected: Detected): Promise<string | undefined> {
  const changed = await versionChange(planned);
  if (changed !== 'rewritten') return changed;
  if (!detected.dialect.header) return undefined;
  const expected = detected.headerNames;
  let found: string[];
  try {
    found = await firstLineFields(rows, planned.file.read, detected);
  } catch (e) {
    return `its first line no longer reads as ${expected.length} fields (${errorMessage(e).split('\n')[0]})`;
  }
  return sameHeader(expected, found) ? undefined : `its header is now ${found.join(', ') || '(empty)'}`;
}

/** How a file differs from its planned version, by its metadata alone; undefined when it does not. */
export async function versionChange(planned: PlannedFile): Promise<'it is gone' | 'it is empty now' | 'rewritten' | undefined> {
  const st = await stat(planned.file.original).catch(() => undefined);
  if (!st) return 'it is gone';
  const v = planned.version;
  if (st.size === v.size && st.mtimeMs === v.mtimeMs && st.ctimeMs === v.ctimeMs && st.ino === v.ino) return undefined;
  return st.size === 0 ? 'it is empty now' : 'rewritten';
}

/**
 * A read that failed on a file changed since planning (truncated, or rewritten in another shape,
 * after the check before the read): said so, instead of DuckDB's sniffer's list of options.
 */
export async function explainChangedFile(planned: PlannedFile[]): Promise<string | undefined> {
  for (const f of planned) {
    const changed = await versionChange(f);
    if (changed) return `${f.file.original} changed while the run read it: ${changed === 'rewritten' ? 'it was rewritten' : changed}; run again once the file is complete`;
  }
  return undefined;
}

/** The first planned file that changed as headerChange says, as the error that stops the run. */
export async function changedFileError(rows: Rows, nodeId: string, planned: PlannedFile[], detected: Detected, when: string): Promise<CaudalError | undefined> {
  for (const f of planned) {
    const what = await headerChange(rows, f, detected);
    if (what === undefined) continue;
    const was = detected.dialect.header ? ` (header ${detected.headerNames.join(', ')})` : '';
    return new CaudalError('io', `node '${nodeId}': ${f.file.original} changed ${when}${was}: ${what}. It is read by position with the planned columns, so nothing was written`, {
      nodeId,
      hint: 'run again once the file is complete (a --watch run plans each batch again, so restart it); a program that rewrites the file should write a new file and rename it over the old one, so that a read sees one version whole',
    });
  }
  return undefined;
}

/**
 * Run-time step before the read: the plan's columns and the header it skips were taken from the
 * files when the run was planned, and a file may have been rewritten since. In a `--watch` run the
 * plan is made when each batch starts and the files are read after the streaming sources waited
 * for their messages: a lookup file rewritten meanwhile had its values read under the wrong names.
 */
export function unchangedFilesStep(nodeId: string, planned: PlannedFile[], detected: Detected): SetupStep {
  return {
    kind: 'hook',
    description: 'check that the files still have the header the run was planned with',
    async run(io: HookIo) {
      const e = await changedFileError((sql) => io.db.rows(sql), nodeId, planned, detected, 'since the run was planned');
      if (e) throw e;
      return 0;
    },
    async dry() {},
  };
}
