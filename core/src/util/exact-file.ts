import { statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { escapeGlob, isGlob } from './glob.js';

/**
 * The pattern a file source gives DuckDB for its resolved `path`. A name may hold glob characters
 * itself (`data[1].csv`, `a*b.csv`, `what?.csv`): read as a pattern it matches no file, or another
 * one (`data[1].csv` matches `data1.csv`). So when the path names an existing file exactly, that
 * file is read, its glob characters escaped (`[` → `[[]`); otherwise the path is a pattern, as
 * written. URLs are left alone (their listing is a request, and they are not local files).
 */
export async function exactFileOrPattern(resolved: string): Promise<string> {
  if (!mayNameAFile(resolved)) return resolved;
  const found = await stat(resolved).catch(() => undefined);
  return found?.isFile() ? escapeGlob(resolved) : resolved;
}

/** The same, synchronous: the Spark export's path filling and the planner's own-output check. */
export function exactFileOrPatternSync(resolved: string): string {
  if (!mayNameAFile(resolved)) return resolved;
  return statSync(resolved, { throwIfNoEntry: false })?.isFile() ? escapeGlob(resolved) : resolved;
}

/** A local path with glob characters, which may name a file exactly (a URL's listing is a request). */
const mayNameAFile = (resolved: string) => isGlob(resolved) && !/^[a-z][a-z0-9+.-]*:\/\//i.test(resolved);
