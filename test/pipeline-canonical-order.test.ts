import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nodeCatalog } from '../core/src/host/catalog.js';
import { parsePipelineText } from '../core/src/model/load.js';
import type { Pipeline } from '../core/src/model/schema.js';
import { type KeyOrderSchema, serializePipeline } from '../core/src/model/serialize.js';

// What a host that can reach the node registry passes in: the catalog's params schemas.
const paramsSchema = (type: string) => nodeCatalog().find((n) => n.type === type)?.paramsSchema as KeyOrderSchema | undefined;
const withSchemas = { paramsSchema };

const doc = (nodes: Array<{ id: string; type: string; params: Record<string, unknown> }>): Pipeline => {
  const r = parsePipelineText(JSON.stringify({ format: 'caudal.pipeline/1', name: 'p', nodes, edges: [] }));
  expect(r.problems).toEqual([]);
  return r.pipeline!;
};
const savedParams = (text: string, i = 0) => (JSON.parse(text) as { nodes: Array<{ params: Record<string, unknown> }> }).nodes[i]!.params;

/** The same object with its keys reversed at every depth (arrays keep their order). */
const reversed = (v: unknown): unknown =>
  Array.isArray(v) ? v.map(reversed) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reversed(x)])) : v;

// The two orders the studio produced from the same values set in two different orders.
const checkA = { kind: 'not_null', name: 'id present', column: 'id', severity: 'warn', mostly: 0.9, weight: 2, description: 'ids' };
const checkB = { kind: 'not_null', name: 'id present', column: 'id', severity: 'warn', description: 'ids', weight: 2, mostly: 0.9 };
const editedOneWay = doc([{ id: 'q', type: 'quality.check', params: { checks: [checkA], samples: 3, min_score: 90 } }]);
const editedOtherWay = doc([{ id: 'q', type: 'quality.check', params: { checks: [checkB], min_score: 90, samples: 3 } }]);

describe('saved params are canonical: the content decides the key order, not the order of edits', () => {
  it('a quality check set up in two orders saves as the same text, in the order of the node schema', () => {
    const text = serializePipeline(editedOneWay, withSchemas);
    expect(serializePipeline(editedOtherWay, withSchemas)).toBe(text);
    const schema = paramsSchema('quality.check') as { properties: Record<string, { items: { oneOf: Array<{ properties: Record<string, { const?: unknown }> }> } }> };
    const params = savedParams(text);
    expect(Object.keys(params)).toEqual(Object.keys(schema.properties).filter((k) => k in params));
    const notNull = schema.properties.checks!.items.oneOf.find((b) => b.properties.kind!.const === 'not_null')!;
    const check = (params.checks as Array<Record<string, unknown>>)[0]!;
    expect(Object.keys(check)).toEqual(Object.keys(notNull.properties).filter((k) => k in check));
  });

  it('without schemas (or for a type none describes) every depth is alphabetical', () => {
    const text = serializePipeline(editedOneWay);
    expect(serializePipeline(editedOtherWay)).toBe(text);
    const params = savedParams(text);
    expect(Object.keys(params)).toEqual(['checks', 'min_score', 'samples']);
    expect(Object.keys((params.checks as object[])[0]!)).toEqual(['column', 'description', 'kind', 'mostly', 'name', 'severity', 'weight']);
  });

  it('free-form maps (headers, query params) are alphabetical inside the schema order; arrays keep theirs', () => {
    const rest = { url: 'https://api.example.com/o', headers: { 'X-b': '2', Accept: 'application/json', 'x-a': '1' }, params: { z: '1', a: '2' } };
    const one = serializePipeline(doc([{ id: 'r', type: 'source.rest', params: rest }]), withSchemas);
    expect(serializePipeline(doc([{ id: 'r', type: 'source.rest', params: reversed(rest) as Record<string, unknown> }]), withSchemas)).toBe(one);
    const params = savedParams(one);
    const restKeys = Object.keys((paramsSchema('source.rest') as { properties: object }).properties);
    expect(Object.keys(params)).toEqual(restKeys.filter((k) => k in params));
    expect(Object.keys(params.headers as object)).toEqual(['Accept', 'X-b', 'x-a']);
    expect(Object.keys(params.params as object)).toEqual(['a', 'z']);

    const derive = { columns: [{ expression: 'b + 1', name: 'b2' }, { name: 'a2', expression: 'a + 1' }] };
    const derived = savedParams(serializePipeline(doc([{ id: 'd', type: 'transform.derive', params: derive }]), withSchemas));
    expect(derived.columns).toEqual([{ name: 'b2', expression: 'b + 1' }, { name: 'a2', expression: 'a + 1' }]);
    expect((derived.columns as object[]).map((c) => Object.keys(c))).toEqual([['name', 'expression'], ['name', 'expression']]);
  });

  it('keys the schema does not name come after the ones it does, alphabetically', () => {
    const params = savedParams(serializePipeline(doc([{ id: 'f', type: 'transform.filter', params: { zeta: 1, condition: 'x > 1', alpha: { b: 1, a: 2 } } }]), withSchemas));
    expect(JSON.stringify(params)).toBe('{"condition":"x > 1","alpha":{"a":2,"b":1},"zeta":1}');
  });

  const examples = new URL('../resources/examples/', import.meta.url);
  const pipelines = readdirSync(examples, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.json') && !f.includes('data/') && readFileSync(new URL(f, examples), 'utf8').includes('"caudal.pipeline/1"'));

  it('finds the bundled examples', () => expect(pipelines.length).toBeGreaterThan(3));

  it.each(pipelines)('example %s saves the same text whatever order its keys were in', (file) => {
    const raw = JSON.parse(readFileSync(new URL(file, examples), 'utf8')) as Record<string, unknown>;
    const text = serializePipeline(parsePipelineText(JSON.stringify(raw)).pipeline!, withSchemas);
    const shuffled = { ...raw, nodes: (raw.nodes as Array<Record<string, unknown>>).map((n) => ({ ...n, params: reversed(n.params) })) };
    expect(serializePipeline(parsePipelineText(JSON.stringify(shuffled)).pipeline!, withSchemas)).toBe(text);
    // And saving what was saved changes nothing.
    expect(serializePipeline(parsePipelineText(text).pipeline!, withSchemas)).toBe(text);
  });

  it('params written in the schema order keep it: the e-commerce example saves its params as written', () => {
    const text = readFileSync(new URL('ecommerce/pipeline.json', examples), 'utf8');
    const raw = JSON.parse(text) as { nodes: Array<{ params: unknown }> };
    const saved = JSON.parse(serializePipeline(parsePipelineText(text).pipeline!, withSchemas)) as { nodes: Array<{ params: unknown }> };
    expect(saved.nodes.map((n) => JSON.stringify(n.params))).toEqual(raw.nodes.map((n) => JSON.stringify(n.params)));
  });
});
