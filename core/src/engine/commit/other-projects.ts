import path from 'node:path';
import type { ResolvedConnection } from '../../nodes/define.js';
import { isLeftOver, listJournals, type RunJournal } from './journal.js';

/**
 * Connections of the projects whose runs were killed with work left on a server (a prepared
 * transaction, a staging table), by the dead run's pipeline folder and connection name. A run of
 * another pipeline finishes that work with the dead run's own connections, as `caudal clean` would
 * from its project: otherwise the prepared transaction holds its locks on the server until that
 * project runs again. Resolved by the host (the engine worker never opens a secret store).
 */
export type ProjectConnections = Record<string, Record<string, ResolvedConnection>>;

/** Resolves a connection by name in the project of a pipeline folder (undefined when it has none of that name). */
export type ResolveInProject = (projectDir: string, name: string) => Promise<ResolvedConnection | undefined>;

/** The connections that dead runs outside `baseDir` (every dead run without it) need to be finished. */
export async function otherProjectsConnections(baseDir: string | undefined, resolveIn: ResolveInProject, env?: NodeJS.ProcessEnv): Promise<ProjectConnections> {
  const out: ProjectConnections = {};
  const here = baseDir === undefined ? undefined : path.resolve(baseDir);
  for (const { journal } of await listJournals(env)) {
    if (!journal || !isLeftOver(journal)) continue;
    const dir = path.resolve(journal.baseDir);
    if (dir === here) continue;
    for (const name of serverConnections(journal)) {
      if (out[dir]?.[name]) continue;
      // A project that no longer has it (moved, renamed) leaves the entry pending, as before.
      const resolved = await resolveIn(dir, name).catch(() => undefined);
      if (resolved) (out[dir] ??= {})[name] = resolved;
    }
  }
  return out;
}

function serverConnections(j: RunJournal): string[] {
  return [...new Set(j.sinks.flatMap((e) => (e.kind === 'external' && e.recovery ? [e.recovery.connection] : [])))];
}
