import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { CaudalError } from '../util/errors.js';

/** A file an export writes, and how to recognize an earlier export's version of it. */
export interface GeneratedFile {
  file: string;
  /** True when `text` is what an export wrote (then replacing it loses nothing of the user's). */
  isGenerated(text: string): boolean;
}

/**
 * Refuses to replace a file that an export did not write, unless `force`: `-o` may name a folder or
 * a file that holds the user's own work (a `run.sh`, a hand-written DAG), which an export must not
 * silently overwrite. Earlier exports are replaced: exporting again is how a change is published.
 */
export async function checkGeneratedTargets(targets: GeneratedFile[], force: boolean, by: 'export' | 'profile' = 'export'): Promise<void> {
  const foreign: string[] = [];
  for (const { file, isGenerated } of targets) {
    const info = await stat(file).catch(() => null);
    if (!info) continue;
    if (info.isDirectory()) throw new CaudalError('usage', `${file} is a folder`, { hint: 'name a file, or remove the folder first' });
    if (force) continue;
    const text = info.isFile() && info.size <= 64 * 1024 * 1024 ? await readFile(file, 'utf8') : '';
    if (!isGenerated(text)) foreign.push(file);
  }
  if (foreign.length === 0) return;
  const names = foreign.map((f) => path.basename(f)).join(', ');
  const where = foreign.length === 1 ? foreign[0]! : `${path.dirname(foreign[0]!)}: ${names}`;
  const writer = by === 'export' ? 'a Caudal export: exporting' : 'caudal profile: writing the profile';
  throw new CaudalError('usage', `${where} ${foreign.length === 1 ? 'exists and was' : 'exist and were'} not written by ${writer} would replace ${foreign.length === 1 ? 'it' : 'them'}`, {
    hint: `choose another ${by === 'export' ? '-o' : '--html file'}, or add --force to replace what is there`,
  });
}

/** The folder a Spark job goes into must not be a file. */
export async function checkJobFolder(dir: string): Promise<void> {
  const info = await stat(dir).catch(() => null);
  if (info && !info.isDirectory()) throw new CaudalError('usage', `${dir} is a file: -o names the folder the Spark job goes into`, { hint: 'choose a new or existing folder' });
}
