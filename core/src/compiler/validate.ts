import type { Pipeline, PipelineParam } from '../model/schema.js';
import { REPORT_MISSING, zodProblems } from '../model/load.js';
import { getNodeDefinition, nodeTypes } from '../nodes/index.js';
import type { AnyNodeDefinition } from '../nodes/define.js';
import type { Problem } from '../util/errors.js';
import { didYouMean } from '../util/suggest.js';
import { buildGraph, findCycle, topologicalOrder, type Graph } from './graph.js';

export interface CheckedNode {
  id: string;
  index: number;
  def: AnyNodeDefinition;
  /** Params after zod parsing (defaults applied). */
  params: unknown;
}

export interface StructureResult {
  graph: Graph;
  nodes: Map<string, CheckedNode>;
  order: string[];
  problems: Problem[];
}

const TEXT_PARAM = /\$\{([^}]*)\}/g;

function collectTextParamRefs(value: unknown, path: string, out: Array<{ name: string; path: string }>): void {
  if (typeof value === 'string') {
    for (const m of value.matchAll(TEXT_PARAM)) out.push({ name: m[1]!.trim(), path });
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => collectTextParamRefs(v, `${path}[${i}]`, out));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) collectTextParamRefs(v, `${path}.${k}`, out);
  }
}

/**
 * Everything that can be checked without data: document shape is already valid (zod); here come
 * node types, params, ids, edges, ports, cycles and missing inputs. Every problem is collected.
 */
export function validateStructure(doc: Pipeline): StructureResult {
  const problems: Problem[] = [];
  const nodes = new Map<string, CheckedNode>();
  const seen = new Map<string, number>();
  const folded = new Map<string, number>();

  doc.nodes.forEach((node, index) => {
    const at = `nodes[${index}]`;
    const first = seen.get(node.id);
    if (first !== undefined) {
      problems.push({
        code: 'duplicate_id',
        path: `${at}.id`,
        nodeId: node.id,
        message: `duplicate node id '${node.id}' (also used by nodes[${first}])`,
        hint: 'give every node a unique id',
      });
      return;
    }
    seen.set(node.id, index);
    // Node ids name DuckDB views, and DuckDB names ignore case even when quoted: src and Src
    // would be one view, each node reading whichever was created last.
    const sameCase = folded.get(node.id.toLowerCase());
    if (sameCase !== undefined) {
      const other = doc.nodes[sameCase]!.id;
      problems.push({
        code: 'duplicate_id',
        path: `${at}.id`,
        nodeId: node.id,
        message: `node ids '${other}' (nodes[${sameCase}]) and '${node.id}' (${at}) differ only in letter case; node names in SQL ignore case, so they would be the same node`,
        hint: `rename one of them, e.g. '${node.id}_2'`,
      });
      return;
    }
    folded.set(node.id.toLowerCase(), index);
    const def = getNodeDefinition(node.type);
    if (!def) {
      problems.push({
        code: 'unknown_node_type',
        path: `${at}.type`,
        nodeId: node.id,
        message: `unknown node type '${node.type}' in node '${node.id}'${didYouMean(node.type, nodeTypes())}`,
        hint: `known types: ${nodeTypes().join(', ')}`,
      });
      return;
    }
    const parsed = def.params.safeParse(node.params, REPORT_MISSING);
    if (!parsed.success) {
      for (const p of zodProblems(parsed.error, ['nodes', index, 'params'], 'invalid_param')) {
        problems.push({ ...p, nodeId: node.id, message: `node '${node.id}' (${node.type}): ${p.message}` });
      }
      nodes.set(node.id, { id: node.id, index, def, params: undefined });
      return;
    }
    for (const c of def.check?.(parsed.data) ?? []) {
      problems.push({
        code: 'invalid_param',
        path: `${at}.params.${c.path}`,
        nodeId: node.id,
        message: `node '${node.id}' (${node.type}): ${c.message}`,
        hint: c.hint,
      });
    }
    const refs: Array<{ name: string; path: string }> = [];
    collectTextParamRefs(node.params, `${at}.params`, refs);
    for (const r of refs) {
      if (!Object.hasOwn(doc.params, r.name)) {
        problems.push({
          code: 'unknown_param',
          path: r.path,
          nodeId: node.id,
          message: `node '${node.id}' refers to pipeline param '${r.name}', which is not declared${didYouMean(r.name, Object.keys(doc.params))}`,
          hint: `declare it under "params" or fix the reference`,
        });
      }
    }
    nodes.set(node.id, { id: node.id, index, def, params: parsed.data });
  });

  const graph = buildGraph(doc);
  const filled = new Map<string, number>();
  doc.edges.forEach((edge, i) => {
    for (const side of ['from', 'to'] as const) {
      const endpoint = edge[side];
      const [nodeId, port] = endpoint.split(':') as [string, string];
      const target = graph.nodes.get(nodeId);
      if (!target) {
        problems.push({
          code: 'dangling_edge',
          path: `edges[${i}].${side}`,
          message: `edge ${edge.from} → ${edge.to} ${side === 'from' ? 'starts at' : 'ends at'} node '${nodeId}', which does not exist${didYouMean(nodeId, graph.nodes.keys())}`,
          hint: 'remove the edge or fix the node id',
        });
        continue;
      }
      const checked = nodes.get(nodeId);
      if (!checked) continue;
      const ports = side === 'from' ? checked.def.outputs : checked.def.inputs;
      const spec = ports.find((p) => p.name === port);
      if (!spec) {
        const names = ports.map((p) => p.name);
        problems.push({
          code: 'unknown_port',
          path: `edges[${i}].${side}`,
          nodeId,
          message:
            names.length === 0
              ? `node '${nodeId}' (${checked.def.type}) has no ${side === 'from' ? 'output' : 'input'} ports`
              : `node '${nodeId}' (${checked.def.type}) has no ${side === 'from' ? 'output' : 'input'} port '${port}'${didYouMean(port, names)}`,
          hint: names.length > 0 ? `${side === 'from' ? 'outputs' : 'inputs'}: ${names.join(', ')}` : undefined,
        });
        continue;
      }
      if (side === 'to' && !spec.multiple) {
        const key = endpoint;
        const count = (filled.get(key) ?? 0) + 1;
        filled.set(key, count);
        if (count === 2) {
          problems.push({
            code: 'port_overfilled',
            path: `edges[${i}].to`,
            nodeId,
            message: `input '${port}' of node '${nodeId}' accepts one edge but has several`,
            hint: 'remove one of the edges, or put a Union node in front',
          });
        }
      }
    }
  });

  for (const checked of nodes.values()) {
    for (const port of checked.def.inputs) {
      if (port.optional) continue;
      const connected = graph.incoming.get(checked.id)?.some((e) => e.to.port === port.name);
      if (!connected) {
        problems.push({
          code: 'missing_input',
          path: `nodes[${checked.index}]`,
          nodeId: checked.id,
          message: `${checked.def.category === 'sink' ? 'sink' : 'node'} '${checked.id}' (${checked.def.type}) has nothing connected to its input '${port.name}'`,
          hint: `add an edge to "${checked.id}:${port.name}"`,
        });
      }
    }
  }

  let order: string[] = [];
  const cycle = findCycle(graph);
  if (cycle) {
    problems.push({
      code: 'cycle',
      path: 'edges',
      nodeId: cycle[0],
      message: `the pipeline has a cycle: ${cycle.join(' → ')}`,
      hint: 'remove one of the edges on that path',
    });
  } else {
    order = topologicalOrder(graph);
  }
  return { graph, nodes, order, problems };
}

/** Typed pipeline param values: declared defaults overridden by `--param k=v` style strings. */
export function resolveParamValues(
  declared: Record<string, PipelineParam>,
  overrides: Record<string, string | number | boolean>,
): { values: Record<string, ParamValue>; problems: Problem[] } {
  const problems: Problem[] = [];
  // Entries, then fromEntries: names such as __proto__ stay plain keys (own-property lookups everywhere).
  const entries: Array<[string, ParamValue]> = [];
  for (const name of Object.keys(overrides)) {
    if (!Object.hasOwn(declared, name)) {
      problems.push({
        code: 'unknown_param',
        path: `params.${name}`,
        message: `param '${name}' is not declared by this pipeline${didYouMean(name, Object.keys(declared))}`,
        hint: Object.keys(declared).length ? `declared params: ${Object.keys(declared).join(', ')}` : 'the pipeline declares no params',
      });
    }
  }
  for (const [name, spec] of Object.entries(declared)) {
    const raw = Object.hasOwn(overrides, name) ? overrides[name] : spec.default;
    if (raw === undefined) {
      problems.push({ code: 'invalid_param', path: `params.${name}`, message: `param '${name}' has no default and no value was given`, hint: `pass --param ${name}=...` });
      continue;
    }
    const v = coerceParam(spec.type, raw);
    if (v === undefined || 'refused' in v) {
      const why = v && 'refused' in v ? `: ${v.refused}` : '';
      problems.push({ code: 'invalid_param', path: `params.${name}`, message: `param '${name}' expects a ${spec.type}, got ${JSON.stringify(raw)}${why}`, hint: PARAM_HINTS[spec.type] });
      continue;
    }
    entries.push([name, v]);
  }
  return { values: Object.fromEntries(entries), problems };
}

const PARAM_HINTS: Partial<Record<PipelineParam['type'], string>> = {
  date: 'write dates as YYYY-MM-DD',
  number: 'write the number in decimal digits, as in 42, -1.5 or 2.5e3 (not hex, binary, octal, Infinity or NaN)',
  boolean: 'write true or false',
};

export type ParamValue =
  | { type: 'string'; value: string }
  /** `text`: as written (paths keep it: 007 stays 007); `decimal`: the exact canonical value SQL gets. */
  | { type: 'number'; value: number; text: string; decimal: string }
  | { type: 'boolean'; value: boolean }
  | { type: 'date'; value: string };

/** The widest number DuckDB keeps exactly: HUGEINT integers and DECIMAL(38, s). */
const MAX_DIGITS = 38;

/**
 * The canonical exact decimal a number written in decimal notation stands for (`+007.50` → `7.5`,
 * `2.5e3` → `2500`), or why it cannot be used: only decimal digits, and no more than DuckDB keeps
 * exactly; a value is never rounded without a word.
 */
export function exactDecimal(written: string): { decimal: string } | { refused: string } {
  const m = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?$/.exec(written.trim());
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return { refused: 'not a decimal number' };
  const exp = Number(m[4] ?? '0');
  if (Math.abs(exp) > 1000) return { refused: `its exponent is beyond what DuckDB can hold exactly (${MAX_DIGITS} digits)` };
  // digits × 10^-scale
  let digits = (m[2] ?? '') + (m[3] ?? '');
  let scale = (m[3] ?? '').length - exp;
  if (scale < 0) {
    digits += '0'.repeat(-scale);
    scale = 0;
  }
  digits = digits.padStart(scale + 1, '0');
  let int = digits.slice(0, digits.length - scale).replace(/^0+(?=[0-9])/, '');
  const frac = digits.slice(digits.length - scale).replace(/0+$/, '');
  if (int === '') int = '0';
  const width = int.length + frac.length;
  if (width > MAX_DIGITS) return { refused: `it has ${width} digits; DuckDB keeps at most ${MAX_DIGITS} exactly, and a rounded value would select other rows` };
  const zero = int === '0' && frac === '';
  return { decimal: `${m[1] === '-' && !zero ? '-' : ''}${int}${frac ? `.${frac}` : ''}` };
}

/** A param's value as its type reads it; `refused` says why a value of the right kind cannot be one. */
export function coerceParam(type: PipelineParam['type'], raw: string | number | boolean): ParamValue | { refused: string } | undefined {
  switch (type) {
    case 'string':
      // DuckDB text cannot hold it, so neither can a param that may go into SQL.
      if (String(raw).includes('\u0000')) return { refused: 'a text cannot hold the NUL character (U+0000)' };
      return { type, value: String(raw) };
    case 'number': {
      if (typeof raw === 'boolean') return undefined;
      if (typeof raw === 'number' && !Number.isFinite(raw)) return { refused: 'not a finite number' };
      // A JSON default is already a JS number: its shortest spelling is the value it holds.
      const text = typeof raw === 'number' ? String(raw) : raw.trim();
      if (text === '') return { refused: 'the value is empty' };
      const exact = exactDecimal(text);
      if ('refused' in exact) return exact;
      return { type, value: Number(exact.decimal), text, decimal: exact.decimal };
    }
    case 'boolean':
      if (raw === true || raw === 'true') return { type, value: true };
      if (raw === false || raw === 'false') return { type, value: false };
      return undefined;
    case 'date': {
      const s = String(raw);
      if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return undefined;
      const d = new Date(`${s}T00:00:00Z`);
      return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s) ? { type, value: s } : undefined;
    }
  }
}
