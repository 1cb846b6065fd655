import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freshBuiltWorker } from './built-worker.js';

/**
 * The test session's own temp folder and Caudal state folder: doctor, clean and the recovery every
 * run starts with look at the machine's temp folder and the user's state folder, so a run killed by
 * someone else on the machine (a user, another checkout's tests) would otherwise show up in these
 * tests. Workers start after this and inherit the variables.
 */
export default function setup(): () => void {
  const root = mkdtempSync(path.join(os.tmpdir(), 'caudal-test-session-'));
  process.env.TMPDIR = root;
  process.env.CAUDAL_RUNTIME_DIR = path.join(root, 'state');
  const worker = freshBuiltWorker();
  if (worker) process.env.CAUDAL_ENGINE_WORKER = worker;
  else console.warn('(the engine worker runs from the TypeScript sources, about 0.7 s slower per run: `npm run build` makes the tests use the built one)');
  return () => rmSync(root, { recursive: true, force: true });
}
