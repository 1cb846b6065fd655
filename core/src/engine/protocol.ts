import type { Pipeline } from '../model/schema.js';
import type { Column, ResolvedConnection } from '../nodes/define.js';
import type { ExecutionInfo } from '../compiler/materialize.js';
import type { Problem, SerializedError } from '../util/errors.js';
import type { NodeQualityResult, RunQualitySummary } from '../quality/types.js';
import type { ProfileRequest, ProfileResult } from '../quality/profile/types.js';
import type { ProjectConnections } from './commit/other-projects.js';

export interface EngineOptions {
  threads?: number;
  memoryLimit?: string;
  /**
   * `fast` materializes only where needed (fan-out, rejects, sinks) so DuckDB fuses each chain
   * into one query; rows are counted at those points. `exact` materializes every node to count
   * rows everywhere, at the cost of writing each intermediate result.
   */
  metrics?: 'fast' | 'exact';
  /**
   * Runs: when another run holds the pipeline or one of its destinations, wait for it (`--wait`)
   * instead of failing at once with a `busy` error.
   */
  wait?: boolean;
}

/** What every request carries: the document and how to resolve it. */
export interface PipelineRequest {
  pipeline: Pipeline;
  /** Folder that relative paths in the pipeline resolve against (the pipeline file's folder). */
  baseDir: string;
  /** The pipeline file, when the request comes from one (the commit journal names it for `caudal clean`). */
  pipelineFile?: string;
  params?: Record<string, string | number | boolean>;
  options?: EngineOptions;
  /**
   * The connections the pipeline declares, resolved by the host (connections file + secret stores).
   * Holds secrets: it crosses only into the engine worker, which redacts them from everything it sends.
   */
  connections?: Record<string, ResolvedConnection>;
  /**
   * Folder for state that outlives a run (incremental watermarks, quality history), one folder per
   * pipeline inside it. Default: `<pipeline folder>/.caudal/state` (see `defaultStateDir`).
   */
  stateDir?: string;
}

export interface RunRequest extends PipelineRequest {
  runId: string;
  /** Run only these nodes and what they depend on (e.g. "run up to here"). */
  targets?: string[];
  /** Folder for this run's artifacts (quality.json, quality.html, ...). Default: `<pipeline folder>/.caudal/runs/<runId>`. */
  artifactsDir?: string;
  /**
   * Run continuously (`caudal run --watch`): micro-batches from the streaming sources through the
   * whole graph, each committed before the next, until stopped. The pipeline needs a streaming source.
   */
  watch?: boolean;
  /**
   * Connections of the projects of other pipelines' killed runs, resolved by the host so that this
   * run can finish what they left on a server before it starts (engine/commit/other-projects.ts).
   */
  recoveryConnections?: ProjectConnections;
}

export interface PreviewRequest extends PipelineRequest {
  nodeId: string;
  port?: string;
  limit?: number;
}

export interface InspectRequest extends PipelineRequest {
  nodeIds?: string[];
}

export type NodeStatus = 'ok' | 'failed' | 'skipped' | 'cancelled';

export interface NodeSummary {
  nodeId: string;
  nodeType: string;
  status: NodeStatus;
  rowsIn: number | null;
  rowsOut: number | null;
  elapsedMs: number;
  materialized: boolean;
  /** Node-specific figures (e.g. unmatched_keys), when the node reports any. */
  metrics?: Record<string, number>;
}

export interface OutputSummary {
  nodeId: string;
  target: string;
  rows: number;
}

export type RunStatus = 'succeeded' | 'failed' | 'cancelled';

export interface RunSummary {
  runId: string;
  pipeline: string;
  status: RunStatus;
  startedAt: string;
  elapsedMs: number;
  nodes: NodeSummary[];
  outputs: OutputSummary[];
  error?: SerializedError;
  /** Quality checks evaluated in the run: score, per-node results, report files. */
  quality?: RunQualitySummary;
  /** `--watch` runs: batches committed, and rows they read from the streaming sources. */
  batches?: { committed: number; rowsIn: number };
}

/** One micro-batch of a `--watch` run. */
export interface BatchSummary {
  batch: number;
  status: RunStatus;
  /** Rows read from the streaming sources in this batch. */
  rowsIn: number;
  outputs: OutputSummary[];
  /** From the first row read to the commit. */
  latencyMs: number;
  /** Messages waiting behind this batch when it was read, when the source can tell (Kafka). */
  lag?: number;
  error?: SerializedError;
  /**
   * A failed batch whose sinks had committed (its source could not acknowledge it afterwards): its
   * rows are in the destinations, and the next start reads them again.
   */
  reachedDestinations?: true;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** One node of the execution plan: how it is computed and why (compiler/materialize.ts). */
export type PlanStep = { nodeId: string; nodeType: string } & ExecutionInfo;

export type RunEvent =
  | { type: 'run_started'; runId: string; pipeline: string; nodes: number; at: string }
  | { type: 'plan'; runId: string; nodes: PlanStep[] }
  | { type: 'node_started'; runId: string; nodeId: string; nodeType: string; at: string }
  | { type: 'node_progress'; runId: string; nodeId: string; percent: number; rowsProcessed: number }
  | ({ type: 'node_finished'; runId: string } & NodeSummary)
  | { type: 'log'; runId: string; level: LogLevel; message: string; nodeId?: string }
  | { type: 'warning'; runId: string; message: string; nodeId?: string }
  | { type: 'quality_result'; runId: string; nodeId: string; result: NodeQualityResult }
  | { type: 'run_finished'; runId: string; summary: RunSummary }
  | { type: 'batch_started'; runId: string; batch: number; at: string }
  | { type: 'batch_finished'; runId: string; summary: BatchSummary }
  /** A streaming source's figures for the batch it read (rows, lag). */
  | { type: 'stream_read'; runId: string; nodeId: string; rows: number; lag?: number; waitedMs: number };

export interface PlannedOutputInfo {
  port: string;
  columns: Column[];
  sql: string;
}

export interface NodeInspection {
  nodeId: string;
  nodeType: string;
  outputs: PlannedOutputInfo[];
  /** Statements run before the outputs exist (materialized scans, transcoding). */
  setup: string[];
  /** Queries run once the outputs exist (a quality node's evaluation reads its own output). */
  after: string[];
  sink?: { target: string; stage: string[]; commit: string[] };
}

export interface InspectResult {
  problems: Problem[];
  nodes: NodeInspection[];
  /** How a run would compute each node (materialized or fused, and why). */
  plan?: PlanStep[];
  /** What a run would warn about before it starts (e.g. schema drift with on_drift: warn). */
  warnings?: Array<{ nodeId: string; message: string }>;
}

export interface PreviewResult {
  nodeId: string;
  port: string;
  columns: Column[];
  rows: Record<string, unknown>[];
  /** True when the preview read only part of an input (e.g. a transcoded prefix). */
  sampled: boolean;
  elapsedMs: number;
  sql: string;
}

// ---- messages between the host and an engine worker ---------------------------------------

export type WorkerRequest =
  | { kind: 'run'; request: RunRequest }
  | { kind: 'preview'; request: PreviewRequest }
  | { kind: 'inspect'; request: InspectRequest }
  | { kind: 'profile'; request: ProfileRequest };

/** `stop`: a `--watch` run finishes its current batch and ends; `cancel` rolls the current one back. */
export type HostToWorker = WorkerRequest | { kind: 'cancel' } | { kind: 'stop' };

export type WorkerToHost =
  | { kind: 'event'; event: RunEvent }
  | { kind: 'result'; result: RunSummary | PreviewResult | InspectResult | ProfileResult }
  | { kind: 'error'; error: SerializedError };
