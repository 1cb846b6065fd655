import type { PlannedNode } from './plan.js';

/**
 * How the executor computes one node, and why: the planner's materialization decisions, shown by
 * `caudal sql --plan` and `caudal run --explain`.
 */
export interface ExecutionInfo {
  /**
   * `view`: not computed on its own; DuckDB fuses it into every statement listed in `statements`.
   * `table`: computed once into a temp table that its readers scan.
   * `sink-file`: computed once by the statement of the sink `writtenBy`, which stages it as a file
   *   (Parquet); the other readers read that file back (SinkPlan.readBack) instead of a temp table.
   * `setup`: the node's setup fills helper tables from its inputs; its outputs only read those.
   * `sink`: writes a destination (one statement).
   */
  strategy: 'view' | 'table' | 'sink-file' | 'setup' | 'sink';
  /** For `sink-file`: the sink whose statement computes the node's main output. */
  writtenBy?: string;
  /** Why, in words. */
  reason: string;
  /**
   * The statements that compute this node's main output (for a view) or read it (for a table):
   * e.g. `fact (sink)`, `checks (materialized)`, `checks (quality evaluation)`.
   */
  statements: string[];
  /** Things that cost an extra read the plan does not avoid (metrics queries, notices). */
  notes: string[];
}

/** The graph's edges, as far as the planner needs them. */
type Edges = Array<{ from: { nodeId: string; port: string }; to: { nodeId: string } }>;

/** A statement that reads an output: a node that is one statement itself, or an evaluation. */
type Reader = { label: string };

/**
 * Decides, for every planned node (topological order), whether its main output is materialized,
 * from the graph: an output that more than one statement would compute is computed once into a
 * table. Statements are counted through views: a view read by two sinks is computed by both.
 * Quality evaluations that read a node's output count as readers too. Sets `materialize` and
 * `execution` on each node.
 */
export function decideMaterialization(nodes: PlannedNode[], edges: Edges, materializeAll: boolean): void {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  /** Statements that compute each output port, `<node>:<port>` → readers. */
  const readersOf = new Map<string, Reader[]>();
  const ownStatements = (c: PlannedNode): Reader[] => {
    const e = c.execution!;
    if (e.strategy === 'sink') return [{ label: `${c.id} (sink)` }];
    if (e.strategy === 'setup') return [{ label: `${c.id} (setup)` }];
    // A materialized node reads its input once for the table; its other ports still read it as views.
    const others = c.outputs.slice(1).flatMap((o) => readersOf.get(`${c.id}:${o.port}`) ?? []);
    if (e.strategy === 'table') return [{ label: `${c.id} (materialized)` }, ...others];
    if (e.strategy === 'sink-file') return [{ label: `${e.writtenBy} (sink)` }, ...others];
    return c.outputs.flatMap((o) => readersOf.get(`${c.id}:${o.port}`) ?? []);
  };

  for (const node of [...nodes].reverse()) {
    for (const [k, o] of node.outputs.entries()) {
      const readers: Reader[] = [];
      for (const e of edges) {
        if (e.from.nodeId !== node.id || e.from.port !== o.port) continue;
        const c = byId.get(e.to.nodeId);
        if (c) readers.push(...ownStatements(c));
      }
      if (k === 0 && node.compiled?.quality?.reads === 'output') readers.push({ label: `${node.id} (quality evaluation)` });
      readersOf.set(`${node.id}:${o.port}`, readers);
    }
    const main = node.outputs[0];
    const readers = main ? (readersOf.get(`${node.id}:${main.port}`) ?? []) : [];
    const statements = readers.map((r) => r.label);
    const notes: string[] = [];
    let execution: ExecutionInfo;
    if (node.sink) execution = { strategy: 'sink', reason: `writes ${node.sink.target}${node.sink.unordered ? ' (rows in any order: they have none after a DISTINCT or GROUP BY upstream)' : ''}`, statements: [], notes };
    else if (!main) execution = { strategy: 'view', reason: 'no output', statements, notes };
    else if (node.compiled?.outputsReadSetupTables) execution = { strategy: 'setup', reason: 'its setup reads the input once into a table; every output reads that table', statements, notes };
    else if (node.compiled?.materialize) execution = { strategy: 'table', reason: 'the node asks for it (its result must be the same for every reader)', statements, notes };
    else if (materializeAll) execution = { strategy: 'table', reason: '--metrics exact materializes every node to count its rows', statements, notes };
    else if (readers.length > 1) execution = { strategy: 'table', reason: `read by ${readers.length} statements: computed once instead of once per statement`, statements, notes };
    else if (readers.length === 1) execution = { strategy: 'view', reason: 'read by one statement: fused into it', statements, notes };
    else execution = { strategy: 'view', reason: 'nothing reads it in this run', statements, notes };
    const carrier = execution.strategy === 'table' && !materializeAll ? carrierSink(node, edges, byId) : undefined;
    if (carrier) {
      execution = {
        ...execution,
        strategy: 'sink-file',
        writtenBy: carrier.id,
        reason: `${node.compiled?.materialize ? `${execution.reason}; ` : `read by ${readers.length} statements: `}computed once by sink '${carrier.id}', which stages it as a file that the others read back (no temp table)`,
      };
    }
    const stored = execution.strategy === 'table' || execution.strategy === 'sink-file';
    const quality = node.compiled?.quality;
    // A stored output costs little to scan again: the quality evaluation may take a form that does.
    if (stored && quality?.whenStored) node.compiled!.quality = { ...quality, ...quality.whenStored, whenStored: undefined };
    notes.push(...notesFor(node));
    if (stored && node.orderArbitrary) notes.push('rows stored in any order: they have none after a DISTINCT or GROUP BY upstream');
    node.execution = execution;
    node.materialize = execution.strategy === 'table';
  }
}

/**
 * A sink that writes the node's main output as it is into a file it can read back (SinkPlan.readBack):
 * its statement can compute the output once for every reader. Writing the file is work the run does
 * anyway; a temp table would be a second copy of the rows, in memory or spilled.
 */
function carrierSink(node: PlannedNode, edges: Edges, byId: Map<string, PlannedNode>): PlannedNode | undefined {
  const main = node.outputs[0];
  // The sink runs before the node's turn (engine/execute.ts executionOrder), so the node may not
  // need setup steps of its own (a scan collecting rejects, a hook streaming a database's rows).
  if (!main || (node.compiled?.setup?.length ?? 0) > 0) return undefined;
  for (const e of edges) {
    if (e.from.nodeId !== node.id || e.from.port !== main.port) continue;
    const c = byId.get(e.to.nodeId);
    if (c?.sink?.readBack !== undefined && c.sink.preflight.length === 0) return c;
  }
  return undefined;
}

function notesFor(node: PlannedNode): string[] {
  const notes: string[] = [];
  const c = node.compiled;
  if (c?.metricsSql) notes.push('its metrics query reads the data again after the node ran');
  if (c?.quality) notes.push(`quality: ${c.quality.strategy}`);
  return notes;
}
