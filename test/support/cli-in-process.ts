import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { main } from '../../core/src/cli/main.js';
import type { Io } from '../../core/src/cli/io.js';
import { tempDir } from './pipeline.js';

/**
 * `caudal <argv>` run in this process against the sources (the built CLI may be older than them),
 * its output captured: for specs of argument handling, which need no build.
 */
export async function cliInProcess(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const stream = (append: (s: string) => void) => ({ write: (s: string | Uint8Array) => (append(String(s)), true) }) as unknown as NodeJS.WriteStream;
  const io: Io = { stdout: stream((s) => (stdout += s)), stderr: stream((s) => (stderr += s)) };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

/** Registers hooks giving the file's in-process runs a runtime and config folder of their own (journals, locks, the user's connections file). */
export function ownCaudalHome(): void {
  const saved = { runtime: process.env.CAUDAL_RUNTIME_DIR, config: process.env.CAUDAL_CONFIG_DIR };
  beforeAll(async () => {
    const home = await tempDir('caudal-cli-home-');
    process.env.CAUDAL_RUNTIME_DIR = path.join(home, 'runtime');
    process.env.CAUDAL_CONFIG_DIR = path.join(home, 'config');
  });
  afterAll(() => {
    for (const [name, value] of [['CAUDAL_RUNTIME_DIR', saved.runtime], ['CAUDAL_CONFIG_DIR', saved.config]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
}

/**
 * A pipeline file in a folder whose name has a space (paths must pass as one argument): `src` runs
 * `query` (it may use the string param `day`), `out` writes it to `out.csv` beside the file.
 */
export async function pipelineInSpacedFolder(prefix: string, query: string): Promise<{ file: string; dir: string; out: string }> {
  const dir = path.join(await tempDir(prefix), 'with space');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'p.json');
  const doc = {
    format: 'caudal.pipeline/1',
    name: 'p',
    params: { day: { type: 'string', default: '2000-01-01' } },
    nodes: [
      { id: 'src', type: 'transform.sql', params: { query } },
      { id: 'out', type: 'sink.csv', params: { path: 'out.csv', if_exists: 'overwrite' } },
    ],
    edges: [{ from: 'src:out', to: 'out:in' }],
  };
  await writeFile(file, JSON.stringify(doc));
  return { file, dir, out: path.join(dir, 'out.csv') };
}
