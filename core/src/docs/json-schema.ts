import { z } from 'zod';
import { nodeDefinitions } from '../nodes/index.js';
import { nodeSchema, pipelineSchema } from '../model/schema.js';

/**
 * The JSON Schema editors use to validate pipeline files (resources/schema/pipeline.schema.json).
 * Nodes are a union over the registry, so each node's params are checked by its own schema.
 */
export function pipelineJsonSchema(): Record<string, unknown> {
  const nodeVariants = nodeDefinitions.map((d) =>
    nodeSchema.extend({ type: z.literal(d.type), params: d.params as z.ZodType }).meta({ title: d.title, description: d.description }),
  );
  const [first, ...others] = nodeVariants;
  const nodes = first ? z.array(others.length > 0 ? z.discriminatedUnion('type', [first, ...others]) : first) : z.array(nodeSchema);
  const doc = pipelineSchema.extend({ nodes: nodes.default([]) });
  const schema = z.toJSONSchema(doc, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' }) as Record<string, unknown>;
  return schema;
}

export function pipelineJsonSchemaText(): string {
  return JSON.stringify(pipelineJsonSchema(), null, 2) + '\n';
}
