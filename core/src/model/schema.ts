import { z } from 'zod';

export const FORMAT_V1 = 'caudal.pipeline/1';
export const CURRENT_FORMAT = FORMAT_V1;

export const ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
/** No control characters, Unicode line breaks or bidi controls: for names printed in logs and terminals. */
export const PRINTABLE_NAME = /^[^\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]*$/u;
/** Connection names: as ids, and `-` too (`warehouse-eu`), as `caudal connections add` accepts them. */
export const CONNECTION_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;
export const CONNECTION_NAME_RULE = 'connection names use letters, digits, _ and -, starting with a letter or _';
/** The record's error for a connection name that breaks the rule (zod's own says only "Invalid key in record"). */
export const connectionNameError = (issue: { code?: string }) => (issue.code === 'invalid_key' ? CONNECTION_NAME_RULE : undefined);

/**
 * A connection name (or secret field) as it appears in the environment variables of headless runs,
 * `CAUDAL_SECRET_<NAME>_<FIELD>`: upper case, every other character run an underscore. Names that
 * differ only in case or in `-` and `_` (`dw-eu`, `DW_EU`) share one variable.
 */
export const envNamePart = (s: string) => s.toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_|_$/g, '');

/** Two connection names that would read one set of secret variables: one of the two would log in with the other's secrets. */
function sharedSecretNames(names: string[], ctx: z.RefinementCtx): void {
  const seen = new Map<string, string>();
  for (const name of names) {
    const other = seen.get(envNamePart(name));
    if (other !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message: `connections '${other}' and '${name}' differ only in case or in - and _, so headless runs would read both secrets from the same variables (CAUDAL_SECRET_${envNamePart(name)}_*): rename one`,
      });
    else seen.set(envNamePart(name), name);
  }
}
const id = z
  .string()
  .regex(ID_PATTERN, 'ids start with a letter or _ and use only letters, digits and _ (at most 63 characters)');

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

export const pipelineParamSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('string'), default: z.string().optional(), description: z.string().optional() }).strict(),
  z.object({ type: z.literal('number'), default: z.union([z.number(), z.string().min(1)], { error: 'a number default is a number, or a string of its exact digits ("9007199254740993") for one JSON would round' }).optional(), description: z.string().optional() }).strict(),
  z.object({ type: z.literal('boolean'), default: z.boolean().optional(), description: z.string().optional() }).strict(),
  z
    .object({
      type: z.literal('date'),
      default: z.string().regex(ISO_DATE, 'dates are written YYYY-MM-DD').optional(),
      description: z.string().optional(),
    })
    .strict(),
]);
export type PipelineParam = z.infer<typeof pipelineParamSchema>;
export type PipelineParamType = PipelineParam['type'];

export const connectionRefSchema = z
  .object({
    type: z.string().min(1).meta({ description: 'Connector type, e.g. postgres' }),
    description: z.string().optional(),
  })
  .strict();

export const endpointSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*:[A-Za-z_][A-Za-z0-9_]*$/, 'an endpoint is written "nodeId:port", e.g. "orders:out"');

export const nodeSchema = z
  .object({
    id,
    type: z.string().min(1).meta({ description: 'Node type, e.g. source.csv' }),
    name: z.string().optional().meta({ description: 'Display name on the canvas' }),
    description: z.string().optional(),
    params: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export const edgeSchema = z.object({ from: endpointSchema, to: endpointSchema }).strict();

export const layoutSchema = z
  .object({
    nodes: z.record(z.string(), z.object({ x: z.number(), y: z.number() }).strict()).default({}),
    viewport: z.object({ x: z.number(), y: z.number(), zoom: z.number() }).strict().optional(),
  })
  .strict();

export const pipelineSchema = z
  .object({
    $schema: z.string().optional(),
    format: z.literal(FORMAT_V1),
    // Printed in every log line and made a folder name: a line break or an escape code in it would
    // forge output (a fake "✔ succeeded" line, terminal colours), a bidi control reorder it.
    name: z
      .string()
      .min(1)
      .regex(PRINTABLE_NAME, 'a pipeline name holds no control characters (line breaks, tabs, escape codes, bidi controls): it is printed in logs and becomes a folder name'),
    description: z.string().optional(),
    params: z.record(z.string().regex(ID_PATTERN), pipelineParamSchema).default({}),
    connections: z
      .record(z.string().regex(CONNECTION_NAME_PATTERN, CONNECTION_NAME_RULE), connectionRefSchema, { error: connectionNameError })
      .superRefine((c, ctx) => sharedSecretNames(Object.keys(c), ctx))
      .default({}),
    nodes: z.array(nodeSchema).default([]),
    edges: z.array(edgeSchema).default([]),
    layout: layoutSchema.optional(),
  })
  .strict()
  .meta({ title: 'Caudal pipeline', description: 'A Caudal pipeline document (format caudal.pipeline/1).' });

export type Pipeline = z.infer<typeof pipelineSchema>;
export type PipelineNode = z.infer<typeof nodeSchema>;
export type PipelineEdge = z.infer<typeof edgeSchema>;
export type PipelineInput = z.input<typeof pipelineSchema>;

export function parseEndpoint(endpoint: string): { nodeId: string; port: string } {
  const i = endpoint.indexOf(':');
  return { nodeId: endpoint.slice(0, i), port: endpoint.slice(i + 1) };
}
