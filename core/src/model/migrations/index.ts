import { CURRENT_FORMAT } from '../schema.js';

/**
 * A named, ordered step from one document format to the next. Migrations take and return
 * plain JSON so they never depend on today's schema; each has fixtures in test/fixtures/migrations.
 */
export interface Migration {
  name: string;
  from: string;
  to: string;
  up(doc: Record<string, unknown>): Record<string, unknown>;
}

/**
 * Format 0 is the pre-release draft ("caudal.pipeline/0") where edges were
 * `{ source, sourcePort, target, targetPort }` and positions lived on the nodes.
 * Kept so the mechanism is exercised by real files, not only by a synthetic test.
 */
const v0ToV1: Migration = {
  name: '0001-edges-as-endpoints-and-separate-layout',
  from: 'caudal.pipeline/0',
  to: 'caudal.pipeline/1',
  up(doc) {
    const nodes = Array.isArray(doc.nodes) ? (doc.nodes as Record<string, unknown>[]) : [];
    const layout: Record<string, { x: number; y: number }> = {};
    const newNodes = nodes.map((n) => {
      const { position, ...rest } = n as { position?: { x: number; y: number } } & Record<string, unknown>;
      if (position && typeof rest.id === 'string') layout[rest.id] = { x: position.x, y: position.y };
      return rest;
    });
    const edges = Array.isArray(doc.edges) ? (doc.edges as Record<string, unknown>[]) : [];
    const newEdges = edges.map((e) => ({
      from: `${String(e.source)}:${String(e.sourcePort ?? 'out')}`,
      to: `${String(e.target)}:${String(e.targetPort ?? 'in')}`,
    }));
    const out: Record<string, unknown> = { ...doc, format: 'caudal.pipeline/1', nodes: newNodes, edges: newEdges };
    if (Object.keys(layout).length > 0) out.layout = { nodes: layout };
    return out;
  },
};

export const migrations: readonly Migration[] = [v0ToV1];

export interface MigrationResult {
  doc: Record<string, unknown>;
  applied: string[];
}

/** Applies migrations in order until the document is at the current format. */
export function migrate(doc: Record<string, unknown>, list: readonly Migration[] = migrations, target = CURRENT_FORMAT): MigrationResult {
  const applied: string[] = [];
  let current = doc;
  for (let guard = 0; guard <= list.length; guard++) {
    const format = current.format;
    if (format === target) return { doc: current, applied };
    const step = list.find((m) => m.from === format);
    if (!step) {
      throw new Error(
        typeof format === 'string'
          ? `unsupported format '${format}': this Caudal reads ${[...new Set(list.map((m) => m.from)), target].join(', ')}`
          : `the document has no "format" field (expected "${target}")`,
      );
    }
    current = step.up(structuredClone(current));
    applied.push(step.name);
  }
  throw new Error('migration loop detected');
}
