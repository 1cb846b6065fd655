import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');

/**
 * The built engine worker (dist/core/src/engine/worker-boot.cjs, which runs the bundle), when it was
 * built after the last change to any file of core/src but its tests; else undefined. Tests import the
 * engine from the TypeScript sources, whose worker otherwise starts through tsx's loader: that costs
 * about 0.7 s of compiling per run, preview or profile, against 0.1 s for the bundle, and the suite
 * starts thousands of them. A stale build is never used: after an edit without `npm run build` the
 * tests run the sources, only slower.
 */
export function freshBuiltWorker(): string | undefined {
  const engine = path.join(root, 'dist', 'core', 'src', 'engine');
  const boot = path.join(engine, 'worker-boot.cjs');
  let built: number;
  try {
    built = Math.min(statSync(boot).mtimeMs, statSync(path.join(engine, 'worker.bundle.cjs')).mtimeMs);
  } catch {
    return undefined;
  }
  return newestSource(path.join(root, 'core', 'src')) <= built ? boot : undefined;
}

function newestSource(dir: string): number {
  let newest = statSync(dir).mtimeMs;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    // Every file but tests and their snapshots: a JSON file a module imports is built into the bundle too.
    if (e.isDirectory()) {
      if (e.name !== '__snapshots__') newest = Math.max(newest, newestSource(p));
    } else if (!/\.test\.tsx?$/.test(e.name)) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}
