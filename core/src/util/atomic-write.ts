import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Writes a file through a temp name and a rename, so readers never see half a file (an Airflow
 * scheduler parsing its dags folder, a studio reloading a pipeline) and a killed process leaves the
 * previous version, not a torn one.
 */
export async function writeFileAtomic(file: string, text: string, opts: { mode?: number } = {}): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomUUID().slice(0, 8)}.tmp`);
  try {
    await writeFile(tmp, text, { encoding: 'utf8', ...(opts.mode === undefined ? {} : { mode: opts.mode }) });
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
