import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from './pipeline.js';

/** Test helpers shared by the CSV source's specs: files written at test time, and small pipelines. */

/** Writes `content` to `name` under `dir` (folders created) and returns the file's path. */
export async function writeIn(dir: string, name: string, content: string | Buffer): Promise<string> {
  const file = path.join(dir, name);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  return file;
}

/** A pipeline with one CSV source `src`. */
export const csvSource = (params: Record<string, unknown>) => pipeline([{ id: 'src', type: 'source.csv', params }]);

/** A CSV source `src` written to `out`, and its rejects to `rejects` when given. */
export const csvToCsv = (params: Record<string, unknown>, out: string, rejects?: string) =>
  pipeline(
    [
      { id: 'src', type: 'source.csv', params },
      { id: 'out', type: 'sink.csv', params: { path: out, if_exists: 'overwrite' } },
      ...(rejects ? [{ id: 'bad', type: 'sink.csv', params: { path: rejects, if_exists: 'overwrite' } }] : []),
    ],
    ['src -> out', ...(rejects ? ['src:rejects -> bad'] : [])],
  );
