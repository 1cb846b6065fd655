import type { Pipeline } from '../../model/schema.js';
import type { Relation, ResolvedConnection, SparkCompileContext } from '../../nodes/define.js';
import { ident, stringLiteral, stripTrailingSemicolon, substituteParams } from '../../compiler/sql.js';
import { paramLiteral, type Plan, type PlannedNode } from '../../compiler/plan.js';
import type { GraphEdge } from '../../compiler/graph.js';
import type { Db } from '../../compiler/db.js';
import type { Problem } from '../../util/errors.js';
import { isUrl, resolveNodePath } from './paths.js';

export { isUrl };

/** A Spark form refusing a setting: becomes an `unsupported_on_engine` problem on that field. */
export class SparkUnsupported extends Error {
  constructor(
    readonly field: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** Names the Spark forms give their helper views: distinct from the DuckDB plan's `_n_…` names. */
export function sparkAuxName(nodeId: string, suffix: string): string {
  return ident(`_s_${nodeId}__${suffix}`);
}

export interface ContextInput {
  doc: Pipeline;
  plan: Plan;
  node: PlannedNode;
  /** The node's params after zod's defaults (validateStructure). */
  params: unknown;
  incoming: GraphEdge[];
  planned: Map<string, PlannedNode>;
  db: Db;
  baseDir: string;
  connections?: Record<string, ResolvedConnection>;
}

/** What a node's Spark form sees: the DuckDB plan's view of its inputs and outputs, and helpers. */
export function sparkContext({ plan, node, params, incoming, planned, db, baseDir, connections }: ContextInput): SparkCompileContext<unknown> {
  const id = node.id;
  const def = node.def;
  const literals = Object.fromEntries(Object.entries(plan.paramValues).map(([k, v]) => [k, paramLiteral(v)]));
  // As the DuckDB plan fills texts and paths: a number keeps the spelling it was given (007, or an
  // integer beyond 2^53 that a JS number would change).
  const texts = Object.fromEntries(Object.entries(plan.paramValues).map(([k, v]) => [k, v.type === 'number' ? v.text : String(v.value)]));
  const relations = (port: string): Relation[] =>
    incoming
      .filter((e) => e.to.port === port)
      .map((e) => {
        const out = planned.get(e.from.nodeId)?.outputs.find((o) => o.port === e.from.port);
        if (!out) throw new Error(`node '${id}': input ${e.from.nodeId}:${e.from.port} was not planned`);
        return { ref: out.ref, columns: out.columns, nodeId: e.from.nodeId, port: e.from.port };
      });
  const interpolate = (s: string) => s.replace(/\$\{([^}]*)\}/g, (_, name: string) => (Object.hasOwn(texts, name.trim()) ? texts[name.trim()]! : `\${${name}}`));
  return {
    nodeId: id,
    params,
    input(port = def.inputs[0]?.name ?? 'in') {
      const rel = relations(port)[0];
      if (!rel) throw new Error(`node '${id}' has nothing connected to input '${port}'`);
      return rel;
    },
    inputs: (port = def.inputs[0]?.name ?? 'in') => relations(port),
    outputColumns: (port = def.outputs[0]?.name ?? 'out') => node.outputs.find((o) => o.port === port)?.columns ?? [],
    duckdb: node.compiled,
    duckdbSink: node.sink,
    expr: (sql) => substituteParams(sql, literals),
    query: (sql) => stripTrailingSemicolon(substituteParams(sql, literals)),
    text: interpolate,
    path: (p) => resolveNodePath(p, texts, { baseDir, pattern: def.category === 'source' }),
    auxName: (suffix) => sparkAuxName(id, suffix),
    rows: (sql) => db.rows(sql),
    connection(name, expectedType) {
      const c = connections && Object.hasOwn(connections, name) ? connections[name] : undefined;
      if (!c || c.type !== expectedType) throw new SparkUnsupported('connection', `node '${id}': connection '${name}' (${expectedType}) was not resolved`);
      return c;
    },
    unsupported(field, message, hint) {
      throw new SparkUnsupported(field, message, hint);
    },
  };
}

/** A problem on a node's field for something the Spark target cannot do. */
export function unsupportedProblem(doc: Pipeline, nodeId: string, field: string | undefined, message: string, hint?: string): Problem {
  const index = doc.nodes.findIndex((n) => n.id === nodeId);
  const at = `nodes[${index}]`;
  return {
    code: 'unsupported_on_engine',
    path: field ? `${at}.${field.startsWith('params') ? field : `params.${field}`}` : at,
    nodeId,
    message,
    ...(hint ? { hint } : {}),
  };
}

/** `SELECT CAST(NULL AS t) AS c, … WHERE false`: an empty relation with given columns (DuckDB). */
export function emptyRelation(columns: Array<{ name: string; type: string }>): string {
  if (columns.length === 0) return 'SELECT 1 AS "_" WHERE false';
  return `SELECT ${columns.map((c) => `CAST(NULL AS ${c.type}) AS ${ident(c.name)}`).join(', ')} WHERE false`;
}

export { stringLiteral };
