/**
 * THE contract between the studio UI and core (DESIGN.md §1). Every call the renderer makes is one
 * of these methods: zod input and output, plain JSON both ways, so Electron IPC, HTTP + WebSocket
 * (`caudal serve`) and in-process calls are interchangeable transports.
 *
 * The renderer imports this file: keep it to zod and types (no node:*, no engine code).
 *
 * Conventions
 * - A pipeline being edited travels as `{ document, path }`: the document as the renderer holds it
 *   and the file it was opened from (`null` when never saved). Relative paths inside the pipeline
 *   (CSV sources, sinks) resolve against the file's folder, or the host's workspace folder when
 *   `path` is null.
 * - A failed call rejects with a `HostCallError` whose `error` is a `HostError` (kind, message,
 *   hint, problems). Messages say what to fix; they never contain a secret.
 * - Methods that would show a native dialog (`pipeline.open` without `path`, `pipeline.saveAs`
 *   without `path`, `pipeline.export` without `path`) return `null` when the user cancels. In
 *   browser mode there is no native dialog (`app.info().nativeDialogs === false`): the renderer
 *   passes a path, which it can let the user pick with `fs.list` (a server-side file browser).
 */
import { z } from 'zod';
import { pipelineSchema } from '../model/schema.js';

// ---- shared shapes ------------------------------------------------------------------------

export const problemSchema = z.object({
  /** Stable code, e.g. unknown_column, invalid_param, missing_input (core/src/util/errors.ts). */
  code: z.string(),
  /** JSON path into the document, e.g. `nodes[2].params.condition`. */
  path: z.string(),
  message: z.string(),
  hint: z.string().optional(),
  /** The node the problem belongs to (filled from the path when the engine did not say). */
  nodeId: z.string().optional(),
  /** The node param it is about, e.g. `condition` or `columns[1]` (from the path). */
  field: z.string().optional(),
  column: z.string().optional(),
});
export type HostProblem = z.infer<typeof problemSchema>;

/** Every failure crossing a transport has this shape. */
export const hostErrorSchema = z.object({
  /** validation | execution | cancelled | usage | io | quality | busy (new kinds may appear: treat unknown ones as execution). */
  kind: z.string(),
  message: z.string(),
  hint: z.string().optional(),
  nodeId: z.string().optional(),
  column: z.string().optional(),
  problems: z.array(problemSchema).optional(),
});
export type HostError = z.infer<typeof hostErrorSchema>;

export const columnSchema = z.object({
  name: z.string(),
  /** DuckDB type name, e.g. VARCHAR, BIGINT, DECIMAL(10,2). */
  type: z.string(),
});
export type HostColumn = z.infer<typeof columnSchema>;

export const documentSchema = pipelineSchema;
export type PipelineDocument = z.infer<typeof documentSchema>;

const paramValue = z.union([z.string(), z.number(), z.boolean()]);

/** A pipeline being edited, plus the values of its params (`caudal run --param`). */
export const docRefSchema = z.object({
  document: documentSchema,
  /** The file the document was opened from or saved to; null for a new, unsaved pipeline. */
  path: z.string().nullable(),
  params: z.record(z.string(), paramValue).optional(),
});
export type DocRef = z.infer<typeof docRefSchema>;

export const portSpecSchema = z.object({
  name: z.string(),
  label: z.string().optional(),
  description: z.string().optional(),
  /** Accepts several edges (union, sql). */
  multiple: z.boolean().optional(),
  /** The node works with nothing connected here. */
  optional: z.boolean().optional(),
});

export const nodeTypeInfoSchema = z.object({
  type: z.string(),
  version: z.number(),
  category: z.enum(['source', 'transform', 'quality', 'sink']),
  title: z.string(),
  description: z.string(),
  aliases: z.array(z.string()),
  /** A streaming source (Kafka, RabbitMQ, change capture): a pipeline with one can run continuously (`run.start` with `watch`). */
  streaming: z.boolean().optional(),
  inputs: z.array(portSpecSchema),
  outputs: z.array(portSpecSchema),
  /**
   * JSON Schema (draft 2020-12, input side) of the node's params. Each property carries the UI
   * metadata of `ParamMeta` inline: `label`, `help`, `widget`, `group`, `placeholder`, `port`
   * (for column pickers: the input port whose columns are the choices).
   */
  paramsSchema: z.record(z.string(), z.unknown()),
  /** Params of a working example: good defaults for a node dropped on the canvas. */
  example: z.object({ params: z.unknown(), description: z.string() }),
  /** Markdown reference (the same text as docs/nodes/<type>.md after the param table). */
  docs: z.string(),
});
export type NodeTypeInfo = z.infer<typeof nodeTypeInfoSchema>;

/** An opened pipeline file. `document` is null when the file could not be parsed (see problems). */
export const openedFileSchema = z.object({
  path: z.string(),
  document: documentSchema.nullable(),
  problems: z.array(problemSchema),
  /** Format migrations applied while loading (the file is rewritten only on save). */
  migrationsApplied: z.array(z.string()),
  /** A fingerprint of the file's text as read: pass it to `pipeline.save` as `expectedHash`. */
  fileHash: z.string(),
});
export type OpenedFile = z.infer<typeof openedFileSchema>;

/** A copy of a document with unsaved edits, kept by the host so a crash or kill does not lose them (host/unsaved-copies.ts). */
export const unsavedCopySchema = z.object({
  /** The studio's name for the open document in its session: `file:<session>:<path>`, or one per unsaved new document. */
  key: z.string().min(1),
  /** The studio session (one page load) that kept it. */
  session: z.string().min(1),
  /** The file the document came from; null for a document never saved. */
  path: z.string().nullable(),
  /** The file's fingerprint when the edits began: a restored copy's save asks if the file changed since. */
  fileHash: z.string().nullable(),
  /** When it was kept (ISO). */
  at: z.string(),
  document: documentSchema,
});
export type UnsavedCopy = z.infer<typeof unsavedCopySchema>;

export const savedFileSchema = z.object({
  path: z.string(),
  /** Exactly the bytes written: what `caudal run <path>` executes. */
  text: z.string(),
  /** The fingerprint of `text`: the `expectedHash` of the next save to this path. */
  fileHash: z.string(),
});

export const portSchemaInfo = z.object({
  port: z.string(),
  columns: z.array(columnSchema),
  /** The DuckDB SQL of this output (shown in the inspector). */
  sql: z.string(),
});

export const nodeSchemasSchema = z.object({
  nodeId: z.string(),
  nodeType: z.string(),
  /** Each connected input port with the columns arriving there (for column pickers). */
  inputs: z.array(z.object({ port: z.string(), from: z.string(), columns: z.array(columnSchema) })),
  /** Each output port with its inferred columns (edge hover, downstream pickers). */
  outputs: z.array(portSchemaInfo),
});
export type NodeSchemas = z.infer<typeof nodeSchemasSchema>;

export const previewSchema = z.object({
  nodeId: z.string(),
  port: z.string(),
  columns: z.array(columnSchema),
  /** Rows as JSON objects (big integers and decimals arrive as strings, dates as ISO text). */
  rows: z.array(z.record(z.string(), z.unknown())),
  /** True when only part of an input was read (e.g. a transcoded prefix). */
  sampled: z.boolean(),
  elapsedMs: z.number(),
  sql: z.string(),
});
export type PreviewData = z.infer<typeof previewSchema>;

const valueCount = z.object({ value: z.unknown(), count: z.number() });

/** One column's profile (core/src/quality/profile). Optional fields depend on the column's category. */
export const columnProfileSchema = z.object({
  name: z.string(),
  /** DuckDB type. */
  type: z.string(),
  category: z.enum(['number', 'date', 'string', 'boolean', 'other']),
  /** Rows profiled, NULLs included. */
  count: z.number(),
  nulls: z.number(),
  nullPercent: z.number(),
  distinct: z.number(),
  /** False when `distinct` is an estimate (HyperLogLog; sampled profiles only). */
  distinctExact: z.boolean(),
  /** With an estimate: its relative standard error (0.13 = ±13%). */
  distinctError: z.number().optional(),
  min: z.unknown().optional(),
  max: z.unknown().optional(),
  mean: z.number().nullable().optional(),
  stddev: z.number().nullable().optional(),
  /** Numbers: p05, p25, p50, p75, p95. */
  quantiles: z.array(z.object({ p: z.number(), value: z.unknown() })).optional(),
  /** Most frequent values with exact counts (ties by value). */
  topValues: z.array(valueCount),
  /** Why there are no top values (every value distinct). */
  topValuesSkipped: z.string().optional(),
  /** The candidates came from an estimate (sampled profiles only): a value as frequent may be missing. */
  topValuesEstimated: z.boolean().optional(),
  /** Numbers and dates: equal-width bins, each with its inclusive upper bound. */
  histogram: z.array(z.object({ upper: z.unknown(), count: z.number() })).optional(),
  /** Text: length in characters of non-NULL values. */
  lengths: z.object({ min: z.number(), max: z.number(), mean: z.number() }).optional(),
  /** Text: value shapes (X upper, x lower, 9 digit) with counts. */
  patterns: z.array(valueCount).optional(),
  patternsFrom: z.number().optional(),
  /** A guess when most values look alike (email, url, phone, ...). */
  semanticType: z.object({ type: z.string(), share: z.number() }).optional(),
});
export type ColumnProfile = z.infer<typeof columnProfileSchema>;

export const profileSchema = z.object({
  nodeId: z.string(),
  port: z.string(),
  /** Rows the profile read: all of them, or the sample. */
  rows: z.number(),
  sampled: z.boolean(),
  /** How the rows were chosen, in words ("all 10,000 rows", "system sample of about 1% ..."). */
  method: z.string(),
  quantiles: z.enum(['exact', 'approximate']),
  elapsedMs: z.number(),
  columns: z.array(columnProfileSchema),
});
export type ProfileData = z.infer<typeof profileSchema>;

/** One quality.check node's outcome in a run (core/src/quality/types.ts NodeQualityResult). */
export const qualityResultSchema = z.looseObject({
  nodeId: z.string(),
  /** Percent of checks passed, weighted. */
  score: z.number(),
  rows: z.number(),
  checks: z.array(
    z.looseObject({
      name: z.string(),
      kind: z.string(),
      severity: z.string(),
      passed: z.boolean(),
      expected: z.string(),
      rowsEvaluated: z.number(),
      rowsFailed: z.number().nullable(),
      failedPercent: z.number().nullable(),
      observed: z.string().optional(),
      details: z.array(z.string()),
      samples: z.array(z.record(z.string(), z.unknown())),
    }),
  ),
  rejectedRows: z.number().optional(),
  evaluatedAt: z.string(),
});
export type QualityResult = z.infer<typeof qualityResultSchema>;

export const runStatusSchema = z.enum(['running', 'succeeded', 'failed', 'cancelled']);

export const nodeSummarySchema = z.object({
  nodeId: z.string(),
  nodeType: z.string(),
  status: z.enum(['ok', 'failed', 'skipped', 'cancelled']),
  rowsIn: z.number().nullable(),
  rowsOut: z.number().nullable(),
  elapsedMs: z.number(),
  materialized: z.boolean(),
  metrics: z.record(z.string(), z.number()).optional(),
});

export const runSummarySchema = z.object({
  runId: z.string(),
  pipeline: z.string(),
  status: z.enum(['succeeded', 'failed', 'cancelled']),
  startedAt: z.string(),
  elapsedMs: z.number(),
  nodes: z.array(nodeSummarySchema),
  outputs: z.array(z.object({ nodeId: z.string(), target: z.string(), rows: z.number() })),
  error: hostErrorSchema.optional(),
  /** Present when the pipeline has quality.check nodes: the run's weighted score (percent) and each node's result. */
  quality: z.object({ score: z.number(), nodes: z.array(qualityResultSchema), artifacts: z.object({ json: z.string(), html: z.string() }).optional() }).optional(),
  /** `--watch` runs: batches committed and rows they read from the streaming sources. */
  batches: z.object({ committed: z.number(), rowsIn: z.number() }).optional(),
});
export type HostRunSummary = z.infer<typeof runSummarySchema>;

/** One line of run history (the run's run.json, kept up to date while it runs). */
export const runRecordSchema = z.object({
  runId: z.string(),
  /** The pipeline's `name`. */
  pipeline: z.string(),
  /** The pipeline file the run was started from; null for an unsaved pipeline. */
  pipelinePath: z.string().nullable(),
  status: runStatusSchema,
  startedAt: z.string(),
  /** Null while running. */
  elapsedMs: z.number().nullable(),
  /** Rows written by all sinks; null while running. */
  rows: z.number().nullable(),
  /** 0..100: the run's weighted quality score when it has quality.check nodes, else null. */
  qualityScore: z.number().nullable(),
  /** "Run up to here" targets; empty for a whole run. */
  targets: z.array(z.string()),
  params: z.record(z.string(), paramValue),
  /** The folder holding run.json, events.jsonl and the artifacts. */
  dir: z.string(),
  error: hostErrorSchema.optional(),
  /** Runs of a scheduled job (caudal.project.json): the job, what started it, which attempt, the slot it is for. */
  job: z.string().optional(),
  trigger: z.enum(['schedule', 'catchup', 'dependency', 'manual']).optional(),
  attempt: z.number().optional(),
  slot: z.string().nullable().optional(),
  /** The process running it (host tag and pid): a record left "running" by a process that is gone never finishes. */
  owner: z.object({ host: z.string(), pid: z.number(), started: z.string().optional() }).optional(),
});
export type RunRecord = z.infer<typeof runRecordSchema>;

export const artifactSchema = z.object({
  /** File name inside the run folder, e.g. quality.html. */
  name: z.string(),
  bytes: z.number(),
});

/** Engine events of a run, as `caudal run --json` prints them (core/src/engine/protocol.ts). */
export const runEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('run_started'), runId: z.string(), pipeline: z.string(), nodes: z.number(), at: z.string() }),
  /** How the run computes each node: fused into other statements (`view`), materialized once (`table`), computed by a sink that writes a file its other readers read back (`sink-file`), … and why. */
  z.object({
    type: z.literal('plan'),
    runId: z.string(),
    nodes: z.array(
      z.object({
        nodeId: z.string(),
        nodeType: z.string(),
        strategy: z.enum(['view', 'table', 'sink-file', 'setup', 'sink']),
        /** For `sink-file`: the sink whose statement computes the node's output. */
        writtenBy: z.string().optional(),
        reason: z.string(),
        statements: z.array(z.string()),
        notes: z.array(z.string()),
      }),
    ),
  }),
  z.object({ type: z.literal('node_started'), runId: z.string(), nodeId: z.string(), nodeType: z.string(), at: z.string() }),
  z.object({ type: z.literal('node_progress'), runId: z.string(), nodeId: z.string(), percent: z.number(), rowsProcessed: z.number() }),
  nodeSummarySchema.extend({ type: z.literal('node_finished'), runId: z.string() }),
  z.object({ type: z.literal('log'), runId: z.string(), level: z.enum(['debug', 'info', 'warn', 'error']), message: z.string(), nodeId: z.string().optional() }),
  z.object({ type: z.literal('warning'), runId: z.string(), message: z.string(), nodeId: z.string().optional() }),
  /** A quality.check node's results (core/src/quality/types.ts NodeQualityResult): badge the node with `score` and failing checks. */
  z.object({
    type: z.literal('quality_result'),
    runId: z.string(),
    nodeId: z.string(),
    result: z.looseObject({
      nodeId: z.string(),
      score: z.number(),
      rows: z.number(),
      checks: z.array(z.looseObject({ name: z.string(), kind: z.string(), severity: z.enum(['warn', 'error', 'quarantine']), passed: z.boolean() })),
    }),
  }),
  z.object({ type: z.literal('run_finished'), runId: z.string(), summary: runSummarySchema }),
  /** `--watch` runs: one micro-batch started / committed (or failed); rows, latency and lag per batch. */
  z.object({ type: z.literal('batch_started'), runId: z.string(), batch: z.number(), at: z.string() }),
  z.object({
    type: z.literal('batch_finished'),
    runId: z.string(),
    summary: z.object({
      batch: z.number(),
      status: z.enum(['succeeded', 'failed', 'cancelled']),
      rowsIn: z.number(),
      outputs: z.array(z.object({ nodeId: z.string(), target: z.string(), rows: z.number() })),
      latencyMs: z.number(),
      lag: z.number().optional(),
      error: hostErrorSchema.optional(),
      /** A failed batch whose sinks had committed (its source could not acknowledge it): its rows are in the destinations. */
      reachedDestinations: z.literal(true).optional(),
    }),
  }),
  z.object({ type: z.literal('stream_read'), runId: z.string(), nodeId: z.string(), rows: z.number(), lag: z.number().optional(), waitedMs: z.number() }),
]);
export type HostRunEvent = z.infer<typeof runEventSchema>;

/**
 * Events as they travel: the known ones above, or a newer engine event type (the renderer ignores
 * types it does not know), so adding an engine event never breaks run.logs.
 */
export const runEventWireSchema = z.custom<HostRunEvent>(
  (v) => typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string' && typeof (v as { runId?: unknown }).runId === 'string',
  'a run event has a string type and runId',
);

export const connectionInfoSchema = z.object({
  name: z.string(),
  type: z.string(),
  /** Non-secret fields as stored. */
  fields: z.record(z.string(), z.unknown()),
  /** For each secret field, whether a store holds a value, e.g. `{ password: true }`. Never the value. */
  secrets: z.record(z.string(), z.boolean()),
  /**
   * Secret fields that a store failed to answer for (a locked or refusing keychain), with the
   * store's reason: not "missing", since the value may well be there. Never the value.
   */
  unreadable: z.record(z.string(), z.string()).optional(),
  /** 'project' when it comes from the project's caudal.connections.json, else 'user'. */
  scope: z.enum(['user', 'project']),
  file: z.string(),
});
export type HostConnectionInfo = z.infer<typeof connectionInfoSchema>;

export const connectionTypeInfoSchema = z.object({
  type: z.string(),
  label: z.string(),
  /** JSON Schema of every field (secret ones included, as form fields) with UI meta (label, help, widget). */
  fieldsSchema: z.record(z.string(), z.unknown()),
  /** Fields that go to the OS keychain and are never returned. */
  secretFields: z.array(z.string()),
  /** What the connector can do (pushdown, upsert, incremental, transactional). */
  capabilities: z.record(z.string(), z.boolean()).optional(),
});

export const remoteTableSchema = z.object({
  schema: z.string(),
  name: z.string(),
  kind: z.enum(['table', 'view']),
  columns: z.array(z.object({ name: z.string(), remoteType: z.string(), type: z.string(), nullable: z.boolean().optional() })).optional(),
});

const connectionInput = z.object({
  name: z.string().min(1),
  type: z.string().min(1),
  /** Non-secret fields, e.g. `{ host, port, database, user }`. */
  fields: z.record(z.string(), z.unknown()),
  /** Secret fields to store in the keychain, e.g. `{ password }`. On update, omitted secrets are kept. */
  secrets: z.record(z.string(), z.string()).default({}),
});

export const fsEntrySchema = z.object({
  name: z.string(),
  path: z.string(),
  kind: z.enum(['dir', 'file']),
  bytes: z.number().nullable(),
});

const empty = z.object({}).strict();

/**
 * The caller's name for what a preview or profile shows, e.g. one node's port in one studio window:
 * a newer call of the same method with the same key cancels the one still running under it (the
 * studio reloads a preview 150 ms after the last keystroke; the older query's answer is no use).
 */
const jobKeySchema = z.string().min(1).max(2000).optional();

const jobRunStatus = z.enum(['succeeded', 'failed', 'cancelled', 'timed_out', 'busy', 'interrupted']);

/** One job of a project (caudal.project.json) as the Schedules view shows it. */
export const scheduledJobSchema = z.object({
  name: z.string(),
  pipeline: z.string(),
  description: z.string().optional(),
  /** Cron expression, or null for jobs that run after others (dependsOn) or on demand. */
  schedule: z.string().nullable(),
  timezone: z.string(),
  dependsOn: z.array(z.string()),
  paused: z.boolean(),
  nextRunAt: z.string().nullable(),
  running: z.object({ runId: z.string(), startedAt: z.string(), attempt: z.number(), pid: z.number().nullable() }).nullable(),
  retryAt: z.string().nullable(),
  queued: z.boolean(),
  lastRun: z
    .object({
      runId: z.string(),
      status: jobRunStatus,
      startedAt: z.string(),
      finishedAt: z.string(),
      elapsedMs: z.number(),
      attempt: z.number(),
      trigger: z.string(),
      slot: z.string().nullable(),
      rows: z.number().nullable(),
      qualityScore: z.number().nullable(),
      error: z.object({ kind: z.string(), message: z.string(), hint: z.string().optional() }).optional(),
    })
    .nullable(),
});
export type ScheduledJob = z.infer<typeof scheduledJobSchema>;

// ---- methods ------------------------------------------------------------------------------

export const hostMethods = {
  /** Version, transport and what the host can do. */
  'app.info': {
    input: empty,
    output: z.object({
      version: z.string(),
      /** Which transport serves the contract. */
      mode: z.enum(['electron', 'browser', 'in-process']),
      /** Native open/save dialogs exist (Electron); otherwise pass paths (see fs.list). */
      nativeDialogs: z.boolean(),
      platform: z.string(),
      /** Where unsaved pipelines resolve relative paths and keep their runs. */
      workspaceDir: z.string(),
      homeDir: z.string(),
      /** True once core's column profiler is available (profile.node). */
      profiling: z.boolean(),
    }),
  },

  /** The palette: every node type from the registry (core/src/nodes/index.ts). */
  'nodes.list': { input: empty, output: z.object({ nodes: z.array(nodeTypeInfoSchema) }) },

  /** A new, empty, unsaved pipeline document. */
  'pipeline.new': {
    input: z.object({ name: z.string().min(1).optional() }),
    output: z.object({ document: documentSchema, path: z.null() }),
  },
  /** Opens a pipeline file (a native dialog when `path` is omitted; null if cancelled). Migrations run; the file is not rewritten. */
  /** Opens a regular file up to 20 MB; a file that is not a pipeline gives problems that never quote it. */
  'pipeline.open': { input: z.object({ path: z.string().optional() }), output: openedFileSchema.nullable() },
  /**
   * Writes the document to `path` with the canonical serializer (model/serialize.ts), atomically.
   * Without `overwrite: true` (ask the user, then call again with it), the call fails:
   * - with a `would_overwrite` problem when an existing file is not a Caudal pipeline;
   * - with a `changed_on_disk` problem when `expectedHash` (the `fileHash` of the open or last
   *   save) is given and the file's text is no longer that: someone else changed it since.
   */
  'pipeline.save': {
    input: z.object({ document: documentSchema, path: z.string(), expectedHash: z.string().optional(), overwrite: z.boolean().optional() }),
    output: savedFileSchema,
  },
  /** Like save, to a new file chosen with a dialog (or `path`); null if cancelled. A native dialog's own "replace?" counts as the confirmation. */
  'pipeline.saveAs': {
    input: z.object({ document: documentSchema, path: z.string().optional(), suggestedName: z.string().optional(), overwrite: z.boolean().optional() }),
    output: savedFileSchema.nullable(),
  },
  /**
   * The `fileHash` of a pipeline file as it is on disk now (null when it is gone): the studio asks
   * when its window comes back into view, to reload a file someone else changed while it has no
   * unsaved edits, or to say that saving will ask.
   */
  'pipeline.fileHash': { input: z.object({ path: z.string() }), output: z.object({ fileHash: z.string().nullable() }) },
  /**
   * Unsaved edits that survive a crash: the studio keeps a copy of a document with unsaved edits
   * (one per `key`, replaced by each call) a moment after each edit, drops it once the document is
   * saved or its edits discarded, and at its next start lists what is left to offer it back.
   */
  'pipeline.keepUnsaved': { input: unsavedCopySchema.omit({ at: true }), output: z.object({ kept: z.literal(true) }) },
  'pipeline.unsaved': { input: empty, output: z.object({ copies: z.array(unsavedCopySchema) }) },
  'pipeline.dropUnsaved': { input: z.object({ key: z.string().min(1) }), output: z.object({ dropped: z.literal(true) }) },
  /** Recently opened or saved pipeline files, newest first (files that no longer exist are dropped). */
  'pipeline.recent': {
    input: empty,
    output: z.object({ files: z.array(z.object({ path: z.string(), name: z.string(), at: z.string() })) }),
  },
  /**
   * Exports the pipeline: `sql` writes a DuckDB script of every node's SQL (views in run order);
   * `json` writes a copy of the canonical file. A dialog asks where unless `to` is given; null if cancelled.
   * An existing file at `to` is replaced only with `overwrite: true` (a `would_overwrite` problem
   * otherwise); a native dialog's own "replace?" counts as the confirmation.
   */
  'pipeline.export': {
    input: docRefSchema.extend({ format: z.enum(['sql', 'json']), to: z.string().optional(), overwrite: z.boolean().optional() }),
    output: z.object({ path: z.string(), bytes: z.number() }).nullable(),
  },
  /** Every problem of the document: structure, params, and expressions bound against the data's schemas. */
  'pipeline.validate': {
    input: docRefSchema,
    output: z.object({
      valid: z.boolean(),
      problems: z.array(problemSchema),
      /** The same problems grouped by node id (problems not about one node are under "(pipeline)"). */
      byNode: z.record(z.string(), z.array(problemSchema)),
    }),
  },
  /** Inferred input and output columns per node (all nodes, or `nodeIds`), plus problems found on the way. */
  'pipeline.schemas': {
    input: docRefSchema.extend({ nodeIds: z.array(z.string()).optional() }),
    output: z.object({ nodes: z.array(nodeSchemasSchema), problems: z.array(problemSchema) }),
  },

  /**
   * First rows of a node's output port (e.g. `out`, `rejects`). Sinks never run. Fails with kind
   * `cancelled` when a newer preview with the same `key` replaced it, or when its request was
   * closed before the answer (browser mode: the page went away or the fetch was aborted); its
   * DuckDB query is interrupted either way. A few previews and profiles run at once; others wait.
   */
  'preview.node': {
    input: docRefSchema.extend({ nodeId: z.string(), port: z.string().optional(), limit: z.int().min(0).max(10_000).default(100), key: jobKeySchema }),
    output: previewSchema,
  },
  /**
   * Column profile of a node's output (nulls, distinct values, min/max, quantiles, top values,
   * histogram, patterns). `sample` (default) answers fast from a labelled sample; `exact` reads every row.
   * Cancelled like a preview: by a newer profile with the same `key`, or a closed request.
   */
  'profile.node': {
    input: docRefSchema.extend({ nodeId: z.string(), port: z.string().optional(), mode: z.enum(['sample', 'exact']).default('sample'), key: jobKeySchema }),
    output: profileSchema,
  },

  /**
   * Starts a run (all sinks, or only `targets` and their upstream). Returns at once; progress
   * arrives as `run` events with this runId; the record is in run.history.
   */
  'run.start': {
    input: docRefSchema.extend({
      targets: z.array(z.string()).optional(),
      options: z.object({ threads: z.int().positive().optional(), memoryLimit: z.string().optional(), metrics: z.enum(['fast', 'exact']).optional() }).optional(),
      /** Run continuously (`caudal run --watch`): micro-batches from the streaming sources until stopped (run.stop). */
      watch: z.boolean().optional(),
    }),
    output: z.object({ runId: z.string(), dir: z.string() }),
  },
  /** Cancels a running run; destinations stay as they were. `cancelled: false` if it had already finished. */
  'run.cancel': { input: z.object({ runId: z.string() }), output: z.object({ cancelled: z.boolean() }) },
  /** A continuous run finishes and commits its current batch, then ends (a plain run: same as run.cancel). */
  'run.stop': { input: z.object({ runId: z.string() }), output: z.object({ stopping: z.boolean() }) },
  /** Runs of a pipeline file (or of unsaved pipelines when path is null), newest first. */
  'run.history': {
    input: z.object({ path: z.string().nullable(), limit: z.int().positive().max(1000).default(50) }),
    output: z.object({ runs: z.array(runRecordSchema) }),
  },
  /** One run: its record, the engine's summary once finished, and its artifact files. */
  'run.get': {
    input: z.object({ runId: z.string(), path: z.string().nullable().optional() }),
    output: z.object({ record: runRecordSchema, summary: runSummarySchema.nullable(), artifacts: z.array(artifactSchema) }),
  },
  /** A run's events (events.jsonl) from line `offset`; poll with `next` to follow a file. */
  'run.logs': {
    input: z.object({ runId: z.string(), path: z.string().nullable().optional(), offset: z.int().min(0).default(0), limit: z.int().positive().max(10_000).default(1000) }),
    output: z.object({ events: z.array(runEventWireSchema), next: z.number(), done: z.boolean() }),
  },
  /** The text of one artifact (quality.json, quality.html...), at most 5 MB. */
  'run.artifact': {
    input: z.object({ runId: z.string(), path: z.string().nullable().optional(), name: z.string() }),
    output: z.object({ name: z.string(), mediaType: z.string(), text: z.string() }),
  },

  /** Connection types and their form fields. */
  'connections.types': { input: empty, output: z.object({ types: z.array(connectionTypeInfoSchema) }) },
  /** Named connections (the user's file, plus the project's next to `projectDir`). Secrets appear only as flags. */
  'connections.list': {
    input: z.object({ projectDir: z.string().optional() }),
    output: z.object({ connections: z.array(connectionInfoSchema) }),
  },
  /** Adds a connection (fails if the name exists); secrets go to the OS keychain. */
  'connections.add': { input: connectionInput.extend({ projectDir: z.string().optional() }), output: connectionInfoSchema },
  /** Replaces an existing connection's fields; secrets not given are kept. */
  'connections.update': { input: connectionInput.extend({ projectDir: z.string().optional() }), output: connectionInfoSchema },
  /** Connects and asks the server its version. A failure is a result, not an error. */
  'connections.test': {
    input: z.object({ name: z.string(), projectDir: z.string().optional() }),
    output: z.union([
      z.object({ ok: z.literal(true), serverVersion: z.string(), latencyMs: z.number() }),
      z.object({ ok: z.literal(false), message: z.string(), hint: z.string().optional() }),
    ]),
  },
  /** Tables and views of a connection (optionally one schema), or one table's columns: for pickers. */
  'connections.discover': {
    input: z.object({ name: z.string(), projectDir: z.string().optional(), schema: z.string().optional(), table: z.string().optional() }),
    output: z.object({ tables: z.array(remoteTableSchema) }),
  },
  /** Removes the definition and its keychain secrets. */
  'connections.remove': { input: z.object({ name: z.string(), projectDir: z.string().optional() }), output: z.object({ removed: z.literal(true) }) },

  /**
   * Asks for a file with the native dialog (Electron): `open` an existing one, or `save` to a new
   * one; `path` is null when the user cancels. Hosts without dialogs (`app.info().nativeDialogs`
   * false) refuse: the browser lets the user pick with `fs.list` instead.
   */
  'fs.pick': {
    input: z.object({ mode: z.enum(['open', 'save']), title: z.string().optional(), extensions: z.array(z.string()).optional(), defaultPath: z.string().optional() }),
    output: z.object({ path: z.string().nullable() }),
  },

  /** The sample pipelines that ship with Caudal (resources/examples), for "open an example". */
  'examples.list': {
    input: empty,
    output: z.object({ examples: z.array(z.object({ id: z.string(), folder: z.string(), name: z.string(), description: z.string() })) }),
  },
  /**
   * Copies an example's folder into the workspace (`<workspace>/examples/<folder>`; files already
   * there are kept), generates its data when the example ships a `generate-data.js` and has no
   * `data/` folder yet, and answers with the pipeline file to open.
   */
  'examples.open': {
    input: z.object({ id: z.string() }),
    output: z.object({ path: z.string(), generated: z.boolean() }),
  },

  /**
   * A project's jobs (caudal.project.json): schedules, next runs, what runs now, last outcomes, and
   * whether a scheduler (`caudal schedule`) is running for it. Without `path`, the project file is
   * looked for in `near` (or the workspace folder) and its parents.
   */
  'schedules.open': {
    input: z.object({ path: z.string().optional(), near: z.string().optional() }),
    output: z.object({
      path: z.string(),
      name: z.string(),
      scheduler: z.object({ pid: z.number(), since: z.string() }).nullable(),
      jobs: z.array(scheduledJobSchema),
    }),
  },
  /** Recorded runs of a project's jobs (one job, or all), newest first: durations, rows, quality for the history chart. */
  'schedules.history': {
    input: z.object({ path: z.string(), job: z.string().optional(), limit: z.int().positive().max(1000).default(50) }),
    output: z.object({ runs: z.array(runRecordSchema) }),
  },
  /** Runs a job now: through the project's running scheduler when there is one (it keeps runs from overlapping), else directly. */
  'schedules.runNow': {
    input: z.object({ path: z.string(), job: z.string() }),
    output: z.object({ via: z.enum(['scheduler', 'studio']), runId: z.string().nullable() }),
  },
  /** Pauses (its scheduled runs are skipped) or resumes a job; a running scheduler applies it at once. */
  'schedules.pause': {
    input: z.object({ path: z.string(), job: z.string(), paused: z.boolean() }),
    output: z.object({ paused: z.boolean() }),
  },

  /** Lists a folder on the host (browser mode's file picker). Defaults to the workspace folder. */
  'fs.list': {
    input: z.object({ dir: z.string().optional(), extensions: z.array(z.string()).optional() }),
    output: z.object({ dir: z.string(), parent: z.string().nullable(), entries: z.array(fsEntrySchema) }),
  },
} as const;

export type HostMethods = typeof hostMethods;
export type MethodName = keyof HostMethods;
/** What a caller passes (defaults may be omitted). */
export type MethodInput<M extends MethodName> = z.input<HostMethods[M]['input']>;
/** What the host returns. */
export type MethodOutput<M extends MethodName> = z.output<HostMethods[M]['output']>;
export const methodNames = Object.keys(hostMethods) as MethodName[];

export function isMethodName(name: string): name is MethodName {
  return Object.prototype.hasOwnProperty.call(hostMethods, name);
}

// ---- events -------------------------------------------------------------------------------

export const hostEvents = {
  /** Every engine event of every run this host started (filter by runId). */
  run: runEventWireSchema,
  /** A run's record changed (started, finished): refresh the history list of that pipeline. */
  'history.changed': z.object({ runId: z.string(), pipelinePath: z.string().nullable(), status: runStatusSchema }),
} as const;

export type HostEvents = typeof hostEvents;
export type EventName = keyof HostEvents;
export type EventPayload<E extends EventName> = z.output<HostEvents[E]>;
/** One event as it travels over a transport. */
export type HostEventMessage = { [E in EventName]: { event: E; payload: EventPayload<E> } }[EventName];

// ---- the client the renderer uses ---------------------------------------------------------

/** Method name → function. Call as `client['pipeline.open']({ path })` or `client.invoke('pipeline.open', { path })`. */
export type HostApi = { [M in MethodName]: (input: MethodInput<M>) => Promise<MethodOutput<M>> };

export type HostClient = HostApi & {
  invoke<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>>;
  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends EventName>(event: E, cb: (payload: EventPayload<E>) => void): () => void;
};

/** What a transport carries back for one call. */
export type CallResult = { ok: true; result: unknown } | { ok: false; error: HostError };

/** The two primitives every transport offers (Electron's preload exposes exactly these as `window.caudal`). */
export interface HostTransport {
  /** Never rejects for a method's own failure: that comes back as `{ ok: false, error }`. */
  invoke(method: string, input: unknown): Promise<CallResult>;
  /** Receives every host event; returns the unsubscribe function. */
  subscribe(listener: (message: HostEventMessage) => void): () => void;
}

/** How a call fails on the renderer side: `error` is the host's structured error. */
export class HostCallError extends Error {
  constructor(
    readonly method: string,
    readonly error: HostError,
  ) {
    super(error.message);
    this.name = 'HostCallError';
  }
}

/** Builds the typed HostClient over any transport (Electron IPC, HTTP + WebSocket, in-process). */
export function makeHostClient(transport: HostTransport): HostClient {
  const call = async (method: string, input: unknown): Promise<unknown> => {
    const r = await transport.invoke(method, input);
    if (!r.ok) throw new HostCallError(method, r.error);
    return r.result;
  };
  const invoke = <M extends MethodName>(method: M, input: MethodInput<M>) => call(method, input) as Promise<MethodOutput<M>>;
  const api = Object.fromEntries(methodNames.map((m) => [m, (input: unknown) => call(m, input)])) as HostApi;
  return {
    ...api,
    invoke,
    on: (event, cb) =>
      transport.subscribe((m) => {
        if (m.event === event) (cb as (payload: unknown) => void)(m.payload);
      }),
  };
}
