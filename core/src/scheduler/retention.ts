import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { StoredRun } from '../host/run-history.js';
import { projectRuns } from './history.js';
import type { Project } from './project.js';

export interface PruneResult {
  removed: Array<{ runId: string; dir: string; bytes: number; reason: 'age' | 'size' }>;
  keptRuns: number;
  keptBytes: number;
}

/**
 * History retention (the project's `history` section) over the run folders of the project's
 * pipelines: folders older than `max_age_days` go, then the oldest while all of them together
 * exceed `max_total_mb`. Never a run still going, and never the newest `keep_last` runs of each job
 * (or of each pipeline, for runs started outside the scheduler).
 */
export async function pruneHistory(project: Project, now = Date.now()): Promise<PruneResult> {
  const runs = await projectRuns(project);
  const sized = await Promise.all(runs.map(async (r) => ({ run: r, bytes: await folderBytes(r.dir) })));
  const keep = new Set<StoredRun>();
  const seen = new Map<string, number>();
  for (const { run } of sized) {
    const group = run.job ? `job:${run.job}` : `pipeline:${run.pipelinePath}`;
    const n = (seen.get(group) ?? 0) + 1;
    seen.set(group, n);
    if (n <= project.history.keep_last || run.status === 'running') keep.add(run);
  }
  const removed: PruneResult['removed'] = [];
  const maxAgeMs = project.history.max_age_days * 86_400_000;
  const remaining: typeof sized = [];
  for (const s of sized) {
    if (!keep.has(s.run) && now - Date.parse(s.run.startedAt) > maxAgeMs) {
      await rm(s.run.dir, { recursive: true, force: true });
      removed.push({ runId: s.run.runId, dir: s.run.dir, bytes: s.bytes, reason: 'age' });
    } else remaining.push(s);
  }
  const limit = project.history.max_total_mb * 1024 * 1024;
  let total = remaining.reduce((sum, s) => sum + s.bytes, 0);
  // Oldest first.
  for (const s of [...remaining].reverse()) {
    if (total <= limit) break;
    if (keep.has(s.run)) continue;
    await rm(s.run.dir, { recursive: true, force: true });
    removed.push({ runId: s.run.runId, dir: s.run.dir, bytes: s.bytes, reason: 'size' });
    total -= s.bytes;
    remaining.splice(remaining.indexOf(s), 1);
  }
  return { removed, keptRuns: remaining.length, keptBytes: total };
}

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) total += await folderBytes(full);
    else if (e.isFile()) total += (await stat(full).catch(() => ({ size: 0 }))).size;
  }
  return total;
}
