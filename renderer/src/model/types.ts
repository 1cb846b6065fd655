/**
 * Types the renderer shares with core: the pipeline document (plain JSON) and the node catalogue
 * entry the host sends (param JSON Schema with UI metadata). Type-only imports of the host contract.
 */
export type { Pipeline, PipelineNode, PipelineEdge, PipelineParam } from '../../../core/src/model/schema.js';

export type {
  NodeTypeInfo,
  HostProblem as Problem,
  HostColumn as Column,
  PreviewData,
  NodeSchemas,
  RunRecord,
  HostRunEvent,
  HostRunSummary,
  HostConnectionInfo,
  DocRef,
  ScheduledJob,
} from '../../../core/src/host-api/contract.js';

/** A JSON Schema node with the `.meta()` keys the form generator reads. */
export interface ParamJsonSchema {
  type?: string | string[];
  properties?: Record<string, ParamJsonSchema>;
  required?: string[];
  items?: ParamJsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: ParamJsonSchema[];
  oneOf?: ParamJsonSchema[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  minLength?: number;
  pattern?: string;
  additionalProperties?: boolean | ParamJsonSchema;
  label?: string;
  help?: string;
  widget?: string;
  group?: string;
  placeholder?: string;
  port?: string;
  /** Shown only when a sibling setting has one of some values, or an input port is connected. */
  visibleWhen?: { key: string; values: string[] } | { port: string };
  description?: string;
  [key: string]: unknown;
}

