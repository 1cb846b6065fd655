import path from 'node:path';
import type { Pipeline } from '../model/schema.js';
import type { ResolvedConnection } from '../nodes/define.js';
import type { ProjectConnections } from '../engine/commit/other-projects.js';

/**
 * What a CLI engine request needs beyond the document: the connections it declares, resolved
 * with their secrets (project file next to the pipeline, or --project), and the state folder.
 */
export async function engineContext(
  pipeline: Pipeline,
  baseDir: string,
  values: { project?: string; 'state-dir'?: string },
): Promise<{ connections?: Record<string, ResolvedConnection>; stateDir?: string }> {
  // The connection types and their connectors load only for pipelines that declare connections.
  const connections =
    Object.keys(pipeline.connections).length > 0 ? await (await import('./connection-service.js')).cliConnectionService(path.resolve(values.project ?? baseDir)).resolveFor(pipeline) : undefined;
  return { connections, stateDir: values['state-dir'] === undefined ? undefined : path.resolve(values['state-dir']) };
}

/**
 * Connections of other pipelines' projects whose runs were killed with work left on a server, so
 * that this run finishes that work before it starts (engine/commit/other-projects.ts).
 */
export async function otherProjectsContext(baseDir: string | undefined): Promise<{ recoveryConnections?: ProjectConnections }> {
  const { otherProjectsConnections } = await import('../engine/commit/other-projects.js');
  const projects = await otherProjectsConnections(baseDir, async (dir, name) => (await import('./connection-service.js')).cliConnectionService(dir).resolve(name));
  return Object.keys(projects).length > 0 ? { recoveryConnections: projects } : {};
}
