import { execFile } from 'node:child_process';
import { copyFile, mkdir, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { CURRENT_FORMAT } from '../model/schema.js';
import { CaudalError } from '../util/errors.js';
import { packageRoot } from '../util/package-root.js';

/**
 * The sample pipelines shipped in resources/examples, for the studio's "open an example". An
 * example is copied into the workspace before it is opened, so its runs and outputs land there
 * and never in the installed package.
 */
export interface ExampleInfo {
  /** `<folder>/<file>`, e.g. `ecommerce/pipeline.json`. */
  id: string;
  folder: string;
  name: string;
  description: string;
}

/** Generated data, run state and anything hidden stay behind: the copy gets its own. */
const SKIP = new Set(['data', 'out', 'node_modules']);
const GENERATOR = 'generate-data.js';

export function examplesDir(): string {
  return path.join(packageRoot(), 'resources', 'examples');
}

export async function listExamples(root = examplesDir()): Promise<ExampleInfo[]> {
  const out: ExampleInfo[] = [];
  const folders = (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  for (const folder of folders) {
    for (const file of (await readdir(path.join(root, folder))).filter((f) => f.endsWith('.json')).sort()) {
      const doc = JSON.parse(await readFile(path.join(root, folder, file), 'utf8').catch(() => '{}')) as { format?: string; name?: string; description?: string };
      if (doc.format !== CURRENT_FORMAT) continue;
      out.push({ id: `${folder}/${file}`, folder, name: doc.name ?? file, description: doc.description ?? '' });
    }
  }
  return out;
}

async function copyTree(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const e of await readdir(from, { withFileTypes: true })) {
    if (e.name.startsWith('.') || SKIP.has(e.name)) continue;
    const src = path.join(from, e.name);
    const dst = path.join(to, e.name);
    if (e.isDirectory()) await copyTree(src, dst);
    // Files the user already has (an edited copy of the pipeline) are kept.
    else if (e.isFile() && !(await stat(dst).catch(() => null))) await copyFile(src, dst);
  }
}

/** Copies the example into `<workspaceDir>/examples/<folder>` and generates its data once. */
export async function openExample(id: string, workspaceDir: string, root = examplesDir()): Promise<{ path: string; generated: boolean }> {
  const known = (await listExamples(root)).find((e) => e.id === id);
  if (!known) throw new CaudalError('usage', `there is no example '${id}'`, { hint: 'pick one from examples.list' });
  const target = path.join(workspaceDir, 'examples', known.folder);
  await copyTree(path.join(root, known.folder), target);
  let generated = false;
  // The generator Caudal ships, never the copy in the workspace: files already there are kept, so
  // that copy may be anything a cloned repository or a shared folder put there, and opening an
  // example must not run it.
  const generator = path.join(root, known.folder, GENERATOR);
  const data = path.join(target, 'data');
  if ((await stat(generator).catch(() => null)) && !(await stat(data).catch(() => null))) {
    // ELECTRON_RUN_AS_NODE makes the desktop app's binary act as Node; plain Node ignores it.
    await promisify(execFile)(process.execPath, [generator, '--out', data], { cwd: target, env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, timeout: 120_000 }).catch((e: Error) => {
      throw new CaudalError('execution', `could not generate the data of example '${known.folder}': ${e.message}`, { hint: `run node ${generator} --out ${data} yourself` });
    });
    generated = true;
  }
  return { path: path.join(target, path.basename(id)), generated };
}
