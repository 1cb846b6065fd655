import { getConnector } from '../connectors/registry.js';
import { z } from 'zod';
import { connectionTypes } from '../connections/registry.js';
import type { NodeTypeInfo } from '../host-api/contract.js';
import { nodeDefinitions } from '../nodes/index.js';

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  // `.meta()` UI metadata (label, widget, help, ...) is emitted inline on each property.
  const out = z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' }) as Record<string, unknown>;
  delete out.$schema;
  return out;
}

let nodesCache: NodeTypeInfo[] | undefined;

/** The palette, derived once from the node registry. */
export function nodeCatalog(): NodeTypeInfo[] {
  nodesCache ??= nodeDefinitions.map((d) => ({
    type: d.type,
    version: d.version,
    category: d.category,
    title: d.title,
    description: d.description,
    aliases: d.aliases ?? [],
    ...(d.streaming ? { streaming: true } : {}),
    inputs: d.inputs.map((p) => ({ ...p })),
    outputs: d.outputs.map((p) => ({ ...p })),
    paramsSchema: jsonSchema(d.params),
    example: { params: d.example.params, description: d.example.description },
    docs: d.docs,
  }));
  return nodesCache;
}

export function connectionTypeCatalog() {
  return connectionTypes.map((t) => ({
    type: t.type,
    label: t.label,
    fieldsSchema: jsonSchema(t.fields),
    secretFields: [...t.secrets],
    capabilities: { ...getConnector(t.type)?.capabilities },
  }));
}
