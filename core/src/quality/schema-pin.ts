import { z } from 'zod';
import type { AnyNodeDefinition, Column } from '../nodes/define.js';
import type { Problem } from '../util/errors.js';
import { schemaDiff } from './schema-diff.js';
import { sameName } from '../nodes/shared/columns.js';
import { typeProblem } from '../util/duckdb-type.js';

/**
 * Schema pinning: every source accepts `expect_schema` (and `on_drift`). The planner compares the
 * columns the source produces with the pinned list before anything runs: an added, removed or
 * retyped column is a problem (`on_drift: error`, the default) or a warning at the start of the run.
 * Added to each source's params in the registry, so no source has to know about it.
 */
export const pinFields = {
  expect_schema: z
    .array(z.object({ name: z.string().min(1), type: z.string().min(1).optional() }).strict())
    .min(1)
    .optional()
    .meta({
      label: 'Expected schema',
      help: 'Pin the columns this source must produce: names and, optionally, DuckDB types. An added, removed or retyped column is a drift, reported before the run.',
      widget: 'list',
      group: 'Schema',
    }),
  on_drift: z.enum(['warn', 'error']).optional().meta({
    label: 'On drift',
    help: '`error` (default): the pipeline does not run and the problem lists the differences. `warn`: the run starts with a warning listing them.',
    widget: 'select',
    group: 'Schema',
  }),
};

type Pinned = { expect_schema?: Array<{ name: string; type?: string }>; on_drift?: 'warn' | 'error' };

/** A source definition whose params also accept the pin fields (other nodes are returned as they are). */
export function withSchemaPin(def: AnyNodeDefinition): AnyNodeDefinition {
  if (def.category !== 'source' || !(def.params instanceof z.ZodObject)) return def;
  return { ...def, params: def.params.extend(pinFields), checkColumns: pinnedSchemaDrift };
}

/** The drift of a pinned source, as a problem (error) or a warning message; nothing when it matches or is not pinned. */
export function pinnedSchemaDrift(nodeId: string, nodePath: string, params: unknown, columns: Column[]): { problem?: Problem; warning?: string } {
  const p = (params ?? {}) as Pinned;
  if (!p.expect_schema) return {};
  // A pinned type DuckDB does not know can never match: a problem of the pin itself, whatever on_drift says.
  for (const [i, c] of p.expect_schema.entries()) {
    const why = c.type === undefined ? undefined : typeProblem(c.type);
    if (why && !columns.some((a) => sameName(a.name, c.name) && a.type === c.type))
      return { problem: { code: 'invalid_param', path: `${nodePath}.params.expect_schema[${i}].type`, nodeId, column: c.name, message: `node '${nodeId}': expect_schema pins column '${c.name}' to ${why}`, hint: 'write a DuckDB type, e.g. VARCHAR, BIGINT, DOUBLE, DECIMAL(12,2), DATE, TIMESTAMP, INTEGER[], STRUCT(a INTEGER, b VARCHAR)' } };
  }
  const diff = schemaDiff(columns, p.expect_schema, false);
  if (diff.length === 0) return {};
  const message = `node '${nodeId}': the data no longer matches the pinned schema (expect_schema): ${diff.join('; ')}`;
  const hint = `the source now has: ${columns.map((c) => `${c.name} ${c.type}`).join(', ')}; update expect_schema if the change is expected`;
  if (p.on_drift === 'warn') return { warning: message };
  return { problem: { code: 'schema_drift', path: `${nodePath}.params.expect_schema`, nodeId, message, hint } };
}
