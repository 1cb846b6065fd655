import path from 'node:path';

/** Where a pipeline keeps state between runs unless told otherwise (`--state-dir`). */
export function defaultStateDir(baseDir: string): string {
  return path.join(baseDir, '.caudal', 'state');
}

/** Where a run writes its artifacts unless told otherwise (`--artifacts-dir`). */
export function defaultArtifactsDir(baseDir: string, runId: string): string {
  return path.join(baseDir, '.caudal', 'runs', runId);
}
