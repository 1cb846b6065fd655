import path from 'node:path';
import type { Pipeline } from '../model/schema.js';
import type {
  AnyNodeDefinition,
  Column,
  CompileMode,
  CompiledNode,
  NodeStateStore,
  Relation,
  ResolvedConnection,
  RowOrder,
  SinkContext,
  SinkPlan,
} from '../nodes/define.js';
import type { Db } from './db.js';
import { transcodeFile } from '../util/transcode.js';
import { CaudalError, NodeProblemsError, type Problem } from '../util/errors.js';
import { explainDuckDbError } from './duckdb-errors.js';
import { bracedParamInSql } from './braced-params.js';
import { checkExpressionShape, checkQueryShape, dateLiteral, decimalLiteral, ident, literal, stringLiteral, stripTrailingSemicolon, substituteParams } from './sql.js';
import { upstreamClosure } from './graph.js';
import { expandHome, sinksReadBack } from './read-own-output.js';
import { escapeGlob } from '../util/glob.js';
import { decideMaterialization, type ExecutionInfo } from './materialize.js';
import { resolveParamValues, validateStructure, type ParamValue } from './validate.js';
import { closest, didYouMean } from '../util/suggest.js';
import { outsideRead } from './outside-reads.js';

export interface PlanOptions {
  mode: CompileMode;
  baseDir: string;
  params: Record<string, string | number | boolean>;
  tempDir: string;
  runId: string;
  /** Plan only these nodes and their upstream. */
  targets?: string[];
  /** Materialize every non-sink node (exact row counts). */
  materializeAll?: boolean;
  /** Connections resolved by the host (with secrets); nodes ask for them by name. */
  connections?: Record<string, ResolvedConnection>;
  /** Node state between runs, kept by the engine (engine/state.ts nodeStateStore). */
  state: NodeStateStore;
  /** The engine the SQL is for: `spark` when the plan is exported (nodes then avoid DuckDB-only statements such as UPDATE). */
  target?: 'duckdb' | 'spark';
  /** The run's cancel flag, for nodes that wait on servers while planning (CompileContext.isCancelled). */
  isCancelled?: () => boolean;
  /** The run's log, for lines nodes write while planning (CompileContext.log). */
  log?: (message: string, nodeId: string) => void;
}

export interface PlannedOutput {
  port: string;
  /** Quoted view name downstream nodes read. */
  ref: string;
  sql: string;
  /** What a run executes (usually `sql`; see CompiledNode.runOutputs). */
  runSql: string;
  columns: Column[];
  consumers: number;
}

export interface PlannedNode {
  id: string;
  type: string;
  def: AnyNodeDefinition;
  compiled?: CompiledNode;
  outputs: PlannedOutput[];
  /** Upstream node ids, for rows-in accounting. */
  upstream: Array<{ nodeId: string; port: string }>;
  upstreamNodes: PlannedNode[];
  /** Whether the executor computes the main output once into a table (see `execution`). */
  materialize: boolean;
  /** Its rows come in no particular order (NodeDefinition.rowOrder over the graph). */
  orderArbitrary: boolean;
  /** How the node is computed and why; set once every node is planned (decideMaterialization). */
  execution?: ExecutionInfo;
  sink?: SinkPlan;
  /** Bytes of input read only partially when planning (prefix transcodes). */
  sampled: boolean;
}

export interface Plan {
  pipeline: Pipeline;
  nodes: PlannedNode[];
  problems: Problem[];
  paramValues: Record<string, ParamValue>;
  /** Things to tell the user at the start of a run that do not stop it (e.g. a schema drift with on_drift: warn). */
  warnings: Array<{ nodeId: string; message: string }>;
}

/** A node's rows are in no particular order: it makes them so, or it keeps the order of its main input's rows, which have none. */
function orderArbitrary(order: RowOrder | undefined, main: Array<PlannedNode | undefined>): boolean {
  return order === 'arbitrary' || (order === 'follows' && main.length > 0 && main.every((u) => u?.orderArbitrary === true));
}

/** Internal relation names; prefixed so a user's CTE named after a node cannot shadow its own input. */
export function relationName(nodeId: string, port: string): string {
  return `_n_${nodeId}__${port}`;
}

const EDGE_PATH = /^edges\[(\d+)\]/;

/** Whether a structural problem concerns the planned nodes: theirs, an edge touching them, or the pipeline as a whole. */
function inScope(p: Problem, include: Set<string>, doc: Pipeline): boolean {
  if (p.nodeId) return include.has(p.nodeId);
  const edge = EDGE_PATH.exec(p.path);
  if (!edge) return true;
  const e = doc.edges[Number(edge[1])];
  return !e || [e.from, e.to].some((ep) => include.has(ep.slice(0, ep.indexOf(':'))));
}

/** How many bytes of a file to transcode when only the schema or a preview is needed. */
const PREFIX_BYTES = 4 * 1024 * 1024;

export function paramLiteral(v: ParamValue): string {
  switch (v.type) {
    case 'date':
      return dateLiteral(v.value);
    case 'string':
      return stringLiteral(v.value);
    case 'number':
      return decimalLiteral(v.decimal);
    default:
      return literal(v.value);
  }
}

class Abort extends Error {}

/**
 * Compiles the document node by node in topological order, creating each output as a DuckDB
 * view so the binder checks every expression and reports each output's schema, without reading
 * data. Problems are collected per node; downstream of a broken node is skipped silently.
 */
export async function planPipeline(doc: Pipeline, db: Db, opts: PlanOptions): Promise<Plan> {
  const structure = validateStructure(doc);
  const { values: paramValues, problems: paramProblems } = resolveParamValues(doc.params, opts.params);
  const cycle = structure.problems.some((p) => p.code === 'cycle');
  const include = opts.targets && !cycle ? upstreamClosure(structure.graph, opts.targets) : undefined;
  // A plan of some targets (a preview, "run up to here") answers for their upstream only: a
  // half-configured node elsewhere in the graph never blocks it.
  const problems: Problem[] = [...(include ? structure.problems.filter((p) => inScope(p, include, doc)) : structure.problems), ...paramProblems];
  const plan: Plan = { pipeline: doc, nodes: [], problems, paramValues, warnings: [] };
  if (cycle || paramProblems.length > 0) return plan;

  const literals = Object.fromEntries(Object.entries(paramValues).map(([k, v]) => [k, paramLiteral(v)]));
  // Nodes ask for the same pattern more than once (files to convert, then the file to sniff).
  const globs = new Map<string, Promise<string[]>>();
  /** Every path a source resolved: a pattern matching a sink's output would read it back. */
  const sourcePaths: Array<{ nodeId: string; pattern: string }> = [];
  // A number keeps the spelling it was given (007 stays 007 in a file name).
  const texts = Object.fromEntries(Object.entries(paramValues).map(([k, v]) => [k, v.type === 'number' ? v.text : String(v.value)]));
  const planned = new Map<string, PlannedNode>();
  const broken = new Set<string>(structure.problems.map((p) => p.nodeId).filter((x): x is string => !!x));

  for (const id of structure.order) {
    // A cancel while planning stops here, not after every node has reached its servers.
    if (opts.isCancelled?.()) throw new CaudalError('cancelled', 'the run was cancelled while planning; no destination was changed');
    if (include && !include.has(id)) continue;
    const checked = structure.nodes.get(id);
    if (!checked) continue;
    const incoming = structure.graph.incoming.get(id) ?? [];
    if (broken.has(id) || incoming.some((e) => broken.has(e.from.nodeId))) {
      broken.add(id);
      continue;
    }
    const def = checked.def;
    const nodePath = `nodes[${checked.index}]`;
    const exprFields: Array<{ field: string; sql: string }> = [];
    /** User SQL of this node not yet checked for reads outside its rows: checked before DuckDB sees it. */
    const unchecked: Array<{ field: string; sql: string; kind: 'expression' | 'query' }> = [];
    const nodeProblems: Problem[] = [];
    let sampled = false;
    const addProblem = (p: Omit<Problem, 'nodeId'>) => nodeProblems.push({ ...p, nodeId: id });

    const relationFor = (port: string): Relation[] =>
      incoming
        .filter((e) => e.to.port === port)
        .map((e) => {
          const up = planned.get(e.from.nodeId);
          const out = up?.outputs.find((o) => o.port === e.from.port);
          if (!out) throw new CaudalError('validation', `node '${id}': input '${port}' comes from ${e.from.nodeId}:${e.from.port}, which has no planned output`, { nodeId: id });
          return { ref: out.ref, columns: out.columns, nodeId: e.from.nodeId, port: e.from.port, orderArbitrary: up!.orderArbitrary };
        });

    // An undeclared $name stops the node here: left in the SQL, DuckDB would only add its own
    // "Unexpected prepared parameter" for the same mistake.
    const substitute = (sql: string, field: string) => {
      const braced = bracedParamInSql(sql, Object.keys(doc.params));
      if (braced) {
        addProblem({
          code: 'invalid_expression',
          path: `${nodePath}.params.${field}`,
          message: braced.quoted
            ? `node '${id}': '\${${braced.name}}' inside quotes is the text \${${braced.name}}, not the param: SQL fills in no param inside a quoted text`
            : `node '${id}': \${${braced.name}} is how paths and other text params take a param; in SQL it is written $${braced.name}`,
          hint: braced.quoted ? `write the param outside the quotes: status = $${braced.name}, or 'prefix-' || $${braced.name} to build a text` : `write $${braced.name} (a typed value: text, number, date or boolean)`,
        });
        throw new Abort();
      }
      let unknown = 0;
      const out = substituteParams(sql, literals, (name) => {
        unknown++;
        const guess = closest(name, Object.keys(doc.params));
        addProblem({
          code: 'unknown_param',
          path: `${nodePath}.params.${field}`,
          message: `undeclared param '${name}' in node '${id}' (declare it under params${guess === undefined ? '' : `, or did you mean '${guess}'?`})`,
          hint: 'a $name in SQL is a pipeline param; write text as a quoted string',
        });
      });
      if (unknown > 0) throw new Abort();
      return out;
    };
    const interpolate = (s: string) => s.replace(/\$\{([^}]*)\}/g, (_, name: string) => (Object.hasOwn(texts, name.trim()) ? texts[name.trim()]! : `\${${name}}`));
    const interpolatePath = (p: string) => {
      const r = pathWithParams(p, texts, def.category === 'source');
      if ('problem' in r) {
        addProblem({ code: 'invalid_param', path: `${nodePath}.params${fieldHolding(checked.params, p) ?? ''}`, message: `node '${id}': ${r.problem}`, hint: r.hint });
        throw new Abort();
      }
      return r.path;
    };

    const ctx: SinkContext<unknown> = {
      nodeId: id,
      params: checked.params,
      mode: opts.mode,
      target: opts.target ?? 'duckdb',
      runId: opts.runId,
      input(port = def.inputs[0]?.name ?? 'in') {
        const rel = relationFor(port)[0];
        if (!rel) throw new CaudalError('validation', `node '${id}' has nothing connected to input '${port}'`, { nodeId: id });
        return rel;
      },
      inputs(port = def.inputs[0]?.name ?? 'in') {
        return relationFor(port);
      },
      expr(sql, field) {
        const shape = checkExpressionShape(sql);
        if (shape) {
          addProblem({ code: 'invalid_expression', path: `${nodePath}.params.${field}`, message: `invalid expression in node '${id}': ${shape}` });
          throw new Abort();
        }
        const out = substitute(sql, field);
        exprFields.push({ field, sql });
        unchecked.push({ field, sql: out, kind: 'expression' });
        return out;
      },
      query(sql, field) {
        const shape = checkQueryShape(sql);
        if (shape) {
          addProblem({ code: 'invalid_expression', path: `${nodePath}.params.${field}`, message: `invalid query in node '${id}': ${shape}` });
          throw new Abort();
        }
        exprFields.push({ field, sql });
        const out = stripTrailingSemicolon(substitute(sql, field));
        unchecked.push({ field, sql: out, kind: 'query' });
        return out;
      },
      text: interpolate,
      path: (p) => {
        const filled = interpolatePath(p);
        // `~/` is expanded from the path as written, never from a param's value.
        const resolved = path.resolve(opts.baseDir, p === '~' || p.startsWith('~/') ? expandHome(filled) : filled);
        if (def.category === 'source') sourcePaths.push({ nodeId: id, pattern: resolved });
        return resolved;
      },
      glob(pattern) {
        let files = globs.get(pattern);
        if (!files) {
          files = db.rows('SELECT file FROM glob(?) ORDER BY file', [pattern]).then((rows) => rows.map((r) => String(r.file)));
          globs.set(pattern, files);
        }
        return files;
      },
      auxName: (suffix) => ident(`_n_${id}__aux_${suffix}`),
      outputRef: (port) => ident(relationName(id, port)),
      tempPath: (name) => path.join(opts.tempDir, `${id}__${name}`),
      async describe(sql) {
        await checkUserSql();
        const rows = await db.rows(`DESCRIBE ${sql}`);
        return rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
      },
      rows: async (sql) => {
        await checkUserSql();
        return db.rows(sql);
      },
      warn(message) {
        plan.warnings.push({ nodeId: id, message });
      },
      isCancelled: () => opts.isCancelled?.() ?? false,
      log: (message) => opts.log?.(message, id),
      connection(name, expectedType) {
        const declared = Object.hasOwn(doc.connections, name) ? doc.connections[name] : undefined;
        const field = `${nodePath}.params.connection`;
        if (!declared) {
          addProblem({
            code: 'unknown_connection',
            path: field,
            message: `node '${id}' uses connection '${name}', which the pipeline does not declare${didYouMean(name, Object.keys(doc.connections))}`,
            hint: `declare it under "connections": { "${name}": { "type": "${expectedType}" } }`,
          });
          throw new Abort();
        }
        if (declared.type !== expectedType) {
          addProblem({ code: 'invalid_connection', path: field, message: `node '${id}' needs a ${expectedType} connection, but '${name}' is declared as ${declared.type}` });
          throw new Abort();
        }
        const resolved = opts.connections && Object.hasOwn(opts.connections, name) ? opts.connections[name] : undefined;
        if (!resolved) throw new CaudalError('usage', `connection '${name}' was not resolved for this request`, { nodeId: id, hint: 'the host resolves declared connections from the connections file and the secret stores' });
        if (resolved.type !== expectedType) {
          addProblem({ code: 'invalid_connection', path: field, message: `connection '${name}' is a ${resolved.type} connection in the connections file, but node '${id}' needs ${expectedType}` });
          throw new Abort();
        }
        return resolved;
      },
      pipelineName: doc.name,
      readState: (key) => opts.state.read(doc.name, id, key),
      nodeFolder: (name) => opts.state.folder(doc.name, id, name),
    };

    // Before any SQL holding the node's user SQL reaches DuckDB (binding a table function already
    // opens its file): see outside-reads.ts.
    // A refusal stays: a node that catches the Abort of a describe (to try another form) meets it again.
    async function checkUserSql(): Promise<void> {
      for (let next = unchecked[0]; next; next = unchecked[0]) {
        const found = await outsideRead(db, next.sql, next.kind);
        if (!found) {
          unchecked.shift();
          continue;
        }
        if (nodeProblems.some((p) => p.code === 'invalid_expression' && p.path === `${nodePath}.params.${next!.field}`)) throw new Abort();
        addProblem({
          code: 'invalid_expression',
          path: `${nodePath}.params.${next.field}`,
          message: `node '${id}': the ${next.kind} reads from outside the pipeline: ${found.what}: ${found.reason}`,
          hint: 'expressions and SQL compute over the rows of the node\'s inputs; read a file with a source node (source.csv, source.json, source.parquet) and connect it',
        });
        throw new Abort();
      }
    }

    const node: PlannedNode = {
      id,
      type: def.type,
      def,
      outputs: [],
      upstream: incoming.map((e) => ({ nodeId: e.from.nodeId, port: e.from.port })),
      upstreamNodes: incoming.map((e) => planned.get(e.from.nodeId)).filter((n): n is PlannedNode => n !== undefined),
      materialize: false,
      orderArbitrary: orderArbitrary(
        typeof def.rowOrder === 'function' ? def.rowOrder(checked.params) : def.rowOrder,
        incoming.filter((e) => e.to.port === def.inputs[0]?.name).map((e) => planned.get(e.from.nodeId)),
      ),
      sampled: false,
    };

    try {
      if (def.compile) {
        const compiled = await def.compile(ctx);
        await checkUserSql();
        node.compiled = compiled;
        for (const step of compiled.setup ?? []) {
          if (step.kind === 'sql') await db.run(step.dry);
          else if (step.kind === 'hook') {
            const r = await step.dry({ db, isCancelled: ctx.isCancelled, log: ctx.log, progress: () => {} });
            if (r?.sampled) sampled = true;
          }
          else {
            // Planning needs only the head of the file; the run transcodes it whole. Errors about
            // the copy (from now on, also in the run) name the user's file.
            db.aliasPath(step.to, step.from);
            const r = await transcodeFile(step.from, step.to, step.encoding, { maxBytes: PREFIX_BYTES, nodeId: id, planning: true });
            if (r.truncated) sampled = true;
          }
        }
        for (const port of def.outputs) {
          const sql = compiled.outputs[port.name];
          if (sql === undefined) throw new CaudalError('execution', `node type ${def.type} produced no SQL for output '${port.name}'`, { nodeId: id });
          const ref = ident(relationName(id, port.name));
          await db.run(`CREATE OR REPLACE TEMP VIEW ${ref} AS\n${sql}`);
          const rows = await db.rows(`DESCRIBE SELECT * FROM ${ref}`);
          const consumers = (structure.graph.outgoing.get(id) ?? []).filter((e) => e.from.port === port.name && (!include || include.has(e.to.nodeId))).length;
          node.outputs.push({ port: port.name, ref, sql, runSql: compiled.runOutputs?.[port.name] ?? sql, consumers, columns: rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) })) });
        }
        const main = node.outputs[0];
        const drift = (def.category === 'source' && main && def.checkColumns?.(id, nodePath, checked.params, main.columns)) || {};
        if (drift.problem) nodeProblems.push(drift.problem);
        if (drift.warning) plan.warnings.push({ nodeId: id, message: drift.warning });
      }
      if (def.sink) {
        node.sink = await def.sink(ctx);
        await checkUserSql();
        for (const p of node.sink.preflight) {
          const at = !p.path ? nodePath : p.path.startsWith('params') ? `${nodePath}.${p.path}` : p.path;
          nodeProblems.push({ ...p, nodeId: id, path: at });
        }
      }
    } catch (e) {
      if (e instanceof NodeProblemsError) {
        // A node that found several problems at once (one per broken quality check) reports them all.
        for (const p of e.problems) nodeProblems.push({ ...p, nodeId: id, path: p.path.startsWith('params') ? `${nodePath}.${p.path}` : p.path });
      } else if (e instanceof CaudalError && e.kind === 'cancelled') {
        // A cancel is the run's, not a problem of the node.
        throw e;
      } else if (!(e instanceof Abort)) {
        const parserField = exprFields.length > 1 && /^Parser Error/.test(e instanceof Error ? e.message : String(e)) ? await unparsableField(db, exprFields) : undefined;
        nodeProblems.push(explainDuckDbError(e, { nodeId: id, nodePath, exprFields, inputs: incoming.map((x) => x.from.nodeId), inputColumns: relationForAll(), parserField }));
      }
    }
    function relationForAll(): Column[] {
      try {
        return def.inputs.flatMap((p) => relationFor(p.name).flatMap((r) => r.columns));
      } catch {
        return [];
      }
    }
    node.sampled = sampled;
    if (nodeProblems.length > 0) {
      problems.push(...nodeProblems);
      broken.add(id);
      continue;
    }
    planned.set(id, node);
    plan.nodes.push(node);
  }
  plan.problems.push(...sharedDestinations(plan.nodes, doc), ...sinksReadBack(plan.nodes, sourcePaths, doc));
  decideMaterialization(plan.nodes, structure.graph.edges, !!opts.materializeAll);
  return plan;
}


/**
 * A path with its `${name}` params filled in. A value is literal text: it may not be empty (the path
 * would silently become another one), and when the path is a pattern (sources read globs) its glob
 * characters are escaped as one-character classes (`*` → `[*]`), so `[ag]*` matches only a file of
 * that name. A value may name folders (`-p out=/mnt/exports`): params come from whoever runs the
 * pipeline. Glob characters written in the pipeline stay a pattern.
 */
export function pathWithParams(
  template: string,
  texts: Record<string, string>,
  pattern: boolean,
): { path: string } | { problem: string; hint: string } {
  let problem: string | undefined;
  const path = template.replace(/\$\{([^}]*)\}/g, (whole, raw: string) => {
    const name = raw.trim();
    if (!Object.hasOwn(texts, name)) return whole;
    const value = texts[name]!;
    if (value === '') problem ??= `param '${name}' is empty, so the path ${JSON.stringify(template)} would silently become another path`;
    else if (value.includes('\u0000')) problem ??= `param '${name}' holds a NUL character, which no path can`;
    return pattern ? escapeGlob(value) : value;
  });
  return problem ? { problem, hint: 'give the param a value, or leave it out of the path' } : { path };
}

/** The params path (`.path`, `.columns[0].file`) of the first string field equal to `value`. */
function fieldHolding(params: unknown, value: string, at = ''): string | undefined {
  if (params === value) return at;
  if (Array.isArray(params)) {
    for (const [i, v] of params.entries()) {
      const r = fieldHolding(v, value, `${at}[${i}]`);
      if (r !== undefined) return r;
    }
  } else if (params && typeof params === 'object') {
    for (const [k, v] of Object.entries(params)) {
      const r = fieldHolding(v, value, `${at}.${k}`);
      if (r !== undefined) return r;
    }
  }
  return undefined;
}

/**
 * Two sinks of one run may not write the same destination: their loads would race (or, in one
 * database, wait on each other forever). The second one is reported, naming the first.
 */
function sharedDestinations(nodes: PlannedNode[], doc: Pipeline): Problem[] {
  const first = new Map<string, string>();
  const files: Array<{ path: string; nodeId: string }> = [];
  const objects: Array<{ key: string; label: string; nodeId: string }> = [];
  const problems: Problem[] = [];
  for (const n of nodes) {
    const dest = n.sink?.destination;
    if (!dest) continue;
    const other = first.get(dest.key);
    if (other === undefined) {
      first.set(dest.key, n.id);
      // A file or folder inside another sink's folder: publishing the outer one moves the folder
      // that holds the inner one's temp file, and the commit fails half way.
      if (dest.key.startsWith('file:')) {
        const here = dest.key.slice('file:'.length);
        const outer = files.find((f) => here.startsWith(f.path + path.sep) || f.path.startsWith(here + path.sep));
        if (outer) {
          const [inner, around] = here.startsWith(outer.path + path.sep) ? [here, outer.path] : [outer.path, here];
          problems.push({
            code: 'invalid_param',
            path: `nodes[${doc.nodes.findIndex((x) => x.id === n.id)}]`,
            nodeId: n.id,
            message: `nodes '${outer.nodeId}' and '${n.id}' write nested destinations: ${inner} is inside ${around}, which a run replaces as a whole`,
            hint: 'write them side by side (e.g. lake/orders and lake/extra), not one inside the other',
          });
        }
        files.push({ path: here, nodeId: n.id });
      }
      // The same for objects: a key inside another sink's partitioned prefix (a key ending in /) is
      // deleted by that sink's overwrite at the commit, and the next runs fail on the missing key.
      if (dest.key.startsWith('s3:')) {
        const outer = objects.find((o) => (o.key.endsWith('/') && dest.key.startsWith(o.key)) || (dest.key.endsWith('/') && o.key.startsWith(dest.key)));
        if (outer) {
          const [inner, around] = dest.key.startsWith(outer.key) ? [dest.label, outer.label] : [outer.label, dest.label];
          problems.push({
            code: 'invalid_param',
            path: `nodes[${doc.nodes.findIndex((x) => x.id === n.id)}]`,
            nodeId: n.id,
            message: `nodes '${outer.nodeId}' and '${n.id}' write nested destinations: ${inner} is inside ${around}, whose overwrite deletes what it did not write`,
            hint: 'write them side by side (e.g. s3://bucket/lake/orders/ and s3://bucket/lake/extra.parquet), not one inside the other',
          });
        }
        objects.push({ key: dest.key, label: dest.label, nodeId: n.id });
      }
      continue;
    }
    problems.push({
      code: 'invalid_param',
      path: `nodes[${doc.nodes.findIndex((x) => x.id === n.id)}]`,
      nodeId: n.id,
      message: `nodes '${other}' and '${n.id}' both write ${dest.label}; a run writes each destination once`,
      hint: `combine their inputs with a union node into one sink, or write different destinations`,
    });
  }
  return problems;
}

/** The plan's materialization decisions, node by node, for events and `caudal sql --plan`. */
export function planSteps(nodes: PlannedNode[]): Array<{ nodeId: string; nodeType: string } & ExecutionInfo> {
  return nodes.filter((n) => n.execution).map((n) => ({ nodeId: n.id, nodeType: n.type, ...n.execution! }));
}

/**
 * Of a node's SQL fields, the first that DuckDB's parser refuses on its own (as an expression, or
 * as a query): a parser error of the node's compiled SQL names no field, and blaming the first
 * one put the error under a column that was fine (a derive's third expression `amount +`).
 */
async function unparsableField(db: Db, fields: Array<{ field: string; sql: string }>): Promise<string | undefined> {
  const parses = async (sql: string) => {
    const [row] = await db.rows(`SELECT json_extract_string(json_serialize_sql(${stringLiteral(sql)}), '$.error') AS error`).catch(() => [{ error: 'true' }]);
    return row?.error !== 'true';
  };
  for (const f of fields) {
    if (!(await parses(`SELECT (\n${f.sql}\n)`)) && !(await parses(f.sql))) return f.field;
  }
  return undefined;
}
