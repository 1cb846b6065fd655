import type { Pipeline } from './schema.js';

const TOP = ['$schema', 'format', 'name', 'description', 'params', 'connections', 'nodes', 'edges', 'layout'];
const NODE = ['id', 'type', 'name', 'description', 'params'];

function ordered(obj: Record<string, unknown>, first: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of first) if (obj[k] !== undefined) out[k] = obj[k];
  for (const k of Object.keys(obj).sort()) if (!(k in out) && obj[k] !== undefined) out[k] = obj[k];
  return out;
}

/**
 * The parts of a JSON Schema (as `z.toJSONSchema` writes a node's params) that say which keys an
 * object has and in what order. Plain data, so the model needs no node registry to read it.
 */
export interface KeyOrderSchema {
  properties?: Record<string, KeyOrderSchema>;
  additionalProperties?: KeyOrderSchema | boolean;
  items?: KeyOrderSchema | KeyOrderSchema[];
  prefixItems?: KeyOrderSchema[];
  anyOf?: KeyOrderSchema[];
  oneOf?: KeyOrderSchema[];
  allOf?: KeyOrderSchema[];
  $ref?: string;
  $defs?: Record<string, KeyOrderSchema>;
  const?: unknown;
}

export interface SerializeOptions {
  /**
   * The params JSON Schema of a node type (the catalog's `paramsSchema`). The model sits below the
   * node registry (DESIGN.md §6.13), so whoever can reach the registry passes it in. Without it,
   * or for a type it does not know, params are ordered alphabetically.
   */
  paramsSchema?: (nodeType: string) => KeyOrderSchema | undefined;
}

type Plain = Record<string, unknown>;
const isPlain = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The schema and its union branches, flattened: a value's keys may come from any of them. */
function branches(s: KeyOrderSchema | undefined, root: KeyOrderSchema, depth = 0): KeyOrderSchema[] {
  if (!s || depth > 32) return [];
  if (s.$ref !== undefined) {
    // Only local refs: z.toJSONSchema writes `#` (recursion) and `#/$defs/<name>`.
    const target = s.$ref === '#' ? root : s.$ref.startsWith('#/$defs/') ? root.$defs?.[s.$ref.slice('#/$defs/'.length)] : undefined;
    return branches(target, root, depth + 1);
  }
  return [s, ...[...(s.anyOf ?? []), ...(s.oneOf ?? []), ...(s.allOf ?? [])].flatMap((b) => branches(b, root, depth + 1))];
}

/**
 * A value with every object's keys in canonical order, at every depth: first the keys the schema
 * names, in the schema's order; then the others (free-form maps such as headers, keys the schema
 * does not know) alphabetically. Arrays keep their order, which is content. Only the content
 * decides the order, never the order of edits, so the same params always give the same text.
 */
function canonical(v: unknown, s: KeyOrderSchema | undefined, root: KeyOrderSchema): unknown {
  const options = branches(s, root);
  if (Array.isArray(v)) {
    const tuple = options.find((b) => b.prefixItems)?.prefixItems;
    const items = options.find((b) => b.items !== undefined)?.items;
    return v.map((x, i) => canonical(x, tuple?.[i] ?? (Array.isArray(items) ? items[i] : items), root));
  }
  if (!isPlain(v)) return v;
  let shapes = options.filter((b) => b.properties);
  // A discriminated union (quality checks by `kind`): the branch whose constants this value has.
  const matching = shapes.filter((b) => Object.entries(b.properties!).every(([k, p]) => p.const === undefined || v[k] === p.const));
  if (matching.length > 0) shapes = matching;
  const keys: string[] = [];
  for (const shape of shapes) for (const k of Object.keys(shape.properties!)) if (Object.hasOwn(v, k) && !keys.includes(k)) keys.push(k);
  for (const k of Object.keys(v).sort()) if (!keys.includes(k)) keys.push(k);
  const open = options.map((b) => b.additionalProperties).find((a): a is KeyOrderSchema => isPlain(a));
  return Object.fromEntries(keys.map((k) => [k, canonical(v[k], shapes.find((b) => b.properties![k])?.properties![k] ?? open, root)]));
}

/**
 * The saved form of a pipeline: fixed key order, two-space indent, trailing newline, layout last
 * so moving boxes on the canvas changes only the bottom of the file.
 */
export function serializePipeline(doc: Pipeline, options: SerializeOptions = {}): string {
  const top = ordered(doc as unknown as Record<string, unknown>, TOP);
  top.nodes = doc.nodes.map((n) => {
    const schema = options.paramsSchema?.(n.type);
    return ordered({ ...n, params: canonical(n.params, schema, schema ?? {}) } as Record<string, unknown>, NODE);
  });
  top.edges = doc.edges.map((e) => ({ from: e.from, to: e.to }));
  if (doc.layout) {
    const nodes = Object.fromEntries(Object.keys(doc.layout.nodes).sort().map((k) => [k, doc.layout!.nodes[k]]));
    top.layout = ordered({ ...doc.layout, nodes }, ['nodes', 'viewport']);
  }
  return JSON.stringify(top, null, 2) + '\n';
}
