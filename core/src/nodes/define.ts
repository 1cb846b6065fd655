import type { z } from 'zod';
import type { Db } from '../compiler/db.js';
import type { Problem } from '../util/errors.js';
import type { ConvertedEncoding } from '../util/transcode.js';
import type { QualityPlan } from '../quality/types.js';

export type NodeCategory = 'source' | 'transform' | 'quality' | 'sink';

export interface PortSpec {
  name: string;
  label?: string;
  description?: string;
  /** Accepts several edges (e.g. transform.sql, union). Single-input ports refuse a second edge. */
  multiple?: boolean;
  /** The node compiles without anything connected here. */
  optional?: boolean;
}

/** UI metadata attached to param schemas with `.meta(...)`; the studio's form generator reads it. */
export type Widget =
  | 'text'
  | 'textarea'
  | 'number'
  | 'boolean'
  | 'select'
  | 'sql'
  | 'sql-query'
  | 'column'
  | 'columns'
  | 'path'
  | 'key-value'
  | 'list'
  | 'connection';

export interface ParamMeta {
  label: string;
  help?: string;
  widget?: Widget;
  group?: string;
  placeholder?: string;
  /** For column pickers: which input port's schema feeds the choices. */
  port?: string;
}

/** See NodeDefinition.rowOrder. */
export type RowOrder = 'arbitrary' | 'follows';

export interface Column {
  name: string;
  /** DuckDB type name, e.g. VARCHAR, BIGINT, DECIMAL(10,2), STRUCT(a INTEGER). */
  type: string;
}

/** An upstream output as seen by a compiling node. */
export interface Relation {
  /** Quoted relation name to put after FROM. */
  ref: string;
  columns: Column[];
  nodeId: string;
  port: string;
  /**
   * The rows come in no particular order: a DISTINCT or GROUP BY upstream, and only row-wise nodes
   * since (NodeDefinition.rowOrder). A sink may then write them without keeping their order.
   */
  orderArbitrary?: boolean;
}

export type CompileMode = 'plan' | 'preview' | 'run';

export interface CompileContext<P> {
  nodeId: string;
  params: P;
  mode: CompileMode;
  /** `spark` while `caudal export spark` plans with DuckDB: setup steps must then be CREATE … AS SELECT (no UPDATE). */
  target: 'duckdb' | 'spark';
  /** The relation connected to a single-input port. */
  input(port?: string): Relation;
  /** All relations connected to a port, in edge order. */
  inputs(port?: string): Relation[];
  /** A user SQL expression with `$param` references replaced by literals; `field` names the param for errors. */
  expr(sql: string, field: string): string;
  /** A full user query (transform.sql) with `$param` substituted; must be a single statement. */
  query(sql: string, field: string): string;
  /** Text with `${param}` references interpolated (paths, names: values that go into literals later). */
  text(s: string): string;
  /** A file path: interpolated, then resolved against the pipeline file's folder. */
  path(p: string): string;
  /** Expands a glob pattern (already resolved) to the matching files, sorted. */
  glob(pattern: string): Promise<string[]>;
  /** A name unique to this node for helper tables and views (already quoted). */
  auxName(suffix: string): string;
  /**
   * The quoted relation name of one of this node's own outputs, for queries that run after the node
   * (quality evaluation): it reads the materialized table when the planner materializes the output.
   */
  outputRef(port: string): string;
  /** A path in the run's private temp folder. */
  tempPath(name: string): string;
  /** Column names and types of a query, without running it. */
  describe(sql: string): Promise<Column[]>;
  /** A small read-only query for facts compile needs (e.g. sniff_csv); rows as JSON-safe objects. */
  rows(sql: string): Promise<Record<string, unknown>[]>;
  /** Something the user should know that does not stop the run: shown by validate, emitted when a run starts. */
  warn(message: string): void;
  /**
   * Whether the run was cancelled while this node plans: a node that waits on a server while
   * planning (source.rest's first page) stops at once, not after its retries. False where the
   * planner is given no cancel (PlanOptions.isCancelled).
   */
  isCancelled(): boolean;
  /**
   * A line for the run's log, naming the node, written while planning (HookIo.log exists only once
   * the run reaches the node): retries, a next link sent without credentials. Dropped where the
   * planner keeps no log (PlanOptions.log: validate, previews).
   */
  log(message: string): void;
  /**
   * A connection the pipeline declares under `connections`, with its secrets, resolved by the host.
   * Throws a validation error naming the node and connection when it is not declared or not resolved.
   */
  connection(name: string, expectedType: string): ResolvedConnection;
  /**
   * This node's persisted state from earlier runs (e.g. an incremental watermark) for what it reads
   * now (`key`), if any. A state saved before states had keys is adopted, once, by the first key
   * that asks for it (`adopted`: say so in the run's log).
   */
  readState(key: StateKey): Promise<{ state: NodeState; adopted: boolean } | undefined>;
  /**
   * A folder this node may keep files in between runs and previews (e.g. an HTTP response cache):
   * `<state folder>/<pipeline>/<node>.<name>`. Not created; `caudal state reset` removes it.
   */
  nodeFolder(name: string): string;
  /** The pipeline's name (e.g. for default consumer group names). */
  pipelineName: string;
}

/**
 * What a stateful node reads, as its state is kept by: one state per key, so the same pipeline
 * run against another schema, table or server keeps its own watermark. Never holds secrets.
 */
/** Where node state lives between runs, as the planner hands it to each node (CompileContext). */
export interface NodeStateStore {
  /** A node's state for `key`; undefined when there is none or the request keeps no state. */
  read(pipeline: string, nodeId: string, key: StateKey): Promise<{ state: NodeState; adopted: boolean } | undefined>;
  /** See CompileContext.nodeFolder. */
  folder(pipeline: string, nodeId: string, name: string): string;
}

export interface StateKey {
  /** A short hash of the resolved source (connection identity, table or query after params, ...). */
  key: string;
  /** The resolved source in words, for `caudal state show`, e.g. `postgres 127.0.0.1:5432/test, table "a"."events"`. */
  source: string;
}

/** A named connection with every field, secrets included. Lives only in the engine worker. */
export interface ResolvedConnection {
  name: string;
  type: string;
  config: Record<string, unknown>;
}

/** What a node keeps between runs: written only after every sink of a successful run committed. */
export interface NodeState {
  /** e.g. { column: 'updated_at', watermark: '2024-01-01 00:00:00+00' } */
  [key: string]: unknown;
}

/** What code steps (connector reads and writes) get from the executor. */
export interface HookIo {
  db: Db;
  isCancelled(): boolean;
  log(message: string): void;
  /** Something the user should know that does not stop the run (a `warning` event naming the node). */
  warn?(message: string): void;
  /** Rows done so far, for progress events. */
  progress(rows: number): void;
  /**
   * When a destination is busy with another run (a lock held elsewhere): wait for it (`--wait`)
   * rather than fail at once.
   */
  waitForLocks?: boolean;
  /** Long-lived connections (streaming sources and sinks), kept across the batches of a `--watch` run. */
  sessions?: Sessions;
  /** Streaming sources: how to bound a read (see StreamControl). */
  stream?: StreamControl;
}

/**
 * A cache of open connections for one run (one `--watch` session: every batch). `get` opens on first
 * use; everything is closed when the run (or the watch) ends, also after a failure.
 */
export interface Sessions {
  get<T>(key: string, open: () => Promise<T>, close: (value: T) => Promise<void>): Promise<T>;
}

/**
 * How a streaming source bounds one read. A plain run (`caudal run`) reads what is available now,
 * up to the node's limits, and may find nothing. A `--watch` batch waits for the first message, then
 * collects up to the node's limits (rows, wait). `stopping()` turns true when the user asked a watch
 * to stop after the current batch: a source still waiting for its first message then throws a
 * `cancelled` error, so no empty batch runs.
 */
export interface StreamControl {
  watch: boolean;
  stopping(): boolean;
  /** Reports what the source read for this batch (rows, messages still waiting behind it). */
  read(figures: { rows: number; lag?: number; waitedMs: number }): void;
}

export type SetupStep =
  | {
      kind: 'sql';
      /** Executed when the pipeline runs (materializes data). */
      sql: string;
      /** Executed instead when planning or previewing: creates the same objects without reading everything. */
      dry: string;
      description: string;
      /** Reports the statement's row count as the node's rows out. */
      countsRows?: boolean;
      /**
       * Executed instead of `sql` for a preview: the same objects over the first `rows` rows only,
       * so a preview never scans a whole file. When it yields `rows` rows, the preview says it is sampled.
       */
      preview?: { sql: string; rows: number };
    }
  | {
      /** Code that fills helper objects from outside DuckDB (a database read). */
      kind: 'hook';
      description: string;
      /** In a run; returns the rows loaded when `countsRows`. */
      run(io: HookIo): Promise<number>;
      /**
       * When planning or previewing: create the same objects cheaply (an empty table of the right
       * shape, or a sample for previews; return `{ sampled: true }` then).
       */
      dry(io: HookIo): Promise<{ sampled?: boolean } | void>;
      countsRows?: boolean;
      /** A preview runs `dry` again after the node's SQL steps filled their tables (it reads what they scanned). */
      rerunInPreview?: boolean;
    }
  | {
      kind: 'transcode';
      from: string;
      to: string;
      encoding: ConvertedEncoding;
      description: string;
    };

/** What a node's `explainError` may use: the time it has, and the run's DuckDB to try a query on. */
export interface ExplainIo {
  deadline: number;
  isCancelled(): boolean;
  /** Whether `sql` fails on the run's DuckDB (reads data: within the deadline only). */
  fails(sql: string): Promise<boolean>;
}

export interface CompiledNode {
  /** Output port → SELECT statement over inputs / helper objects. */
  outputs: Record<string, string>;
  setup?: SetupStep[];
  /**
   * Output port → SQL to execute in a run when it differs from the SQL used to bind and preview.
   * Example: a CSV source binds with its detected dialect stated and detection off (binding is then
   * free) but runs with detection on, which gives DuckDB's optimizer a row estimate for joins.
   * Both must produce the same columns.
   */
  runOutputs?: Partial<Record<string, string>>;
  /**
   * Counts taken after the setup steps of a run; a non-zero count becomes a warning event, e.g.
   * "3 malformed rows were set aside". `{count}` in the message is replaced by the count, `{s}` by
   * "s" unless it is 1 and `{were}` by "was" or "were" ("{count} row{s} {were} set aside"). When
   * `port` is given and nothing is connected to it, the warning says those rows are dropped.
   * `{names}` is replaced by the first values of `namesSql`'s first column (e.g. the keys involved).
   */
  notices?: Array<{
    countSql: string;
    message: string;
    port?: string;
    /** Said only when nothing is connected to `port`: the node reports its count some other way. */
    onlyWhenDropped?: boolean;
    namesSql?: string;
    /**
     * A cheap query run first; `countSql` runs only when it returns a non-zero count. For a count
     * that would re-read a big upstream but can only be non-zero in rare cases (a join whose other
     * side repeats keys).
     */
    gateSql?: string;
  }>;
  /**
   * Figures reported with the node's result in a run (`node_finished.metrics`), e.g. unmatched keys
   * or rows matched per rule: one query returning one row whose columns are the metrics (numbers).
   * It runs after the node, so it reads the node's output again unless the node is materialized:
   * keep it cheap, or read a helper table the node's setup already filled.
   */
  metricsSql?: string;
  /**
   * A run failed on a value error that this node may have raised: say more than DuckDB's message,
   * in the node's terms: where the value is in the input (a file's line) or which param to change.
   * Called only after a failure, within a time budget; undefined when the message is not the node's.
   */
  explainError?(message: string, io: ExplainIo): Promise<string | undefined>;
  /** Forces the main output to be materialized (e.g. the result depends on random numbers). */
  materialize?: boolean;
  /**
   * Every output reads only helper tables that the setup filled, never the inputs: reading the
   * outputs several times does not recompute the upstream, so the planner never materializes them
   * again for a fan-out, and the setup is the one statement that reads the inputs.
   */
  outputsReadSetupTables?: boolean;
  /** Quality checks the executor evaluates after the node's setup (quality.check; see core/src/quality/). */
  quality?: QualityPlan;
  /**
   * The node's next state (e.g. the highest watermark it loaded), computed after it ran and saved
   * only once every sink of the run committed. Undefined leaves the state as it was.
   */
  nextState?(io: HookIo): Promise<NodeState | undefined>;
  /**
   * Called once every sink of the run staged, just before the commit: a source checks that what it
   * read did not change while the run read it (a file rewritten since it was planned) and throws to
   * roll the whole run back. Not called for a run that failed or was cancelled before.
   */
  beforeCommit?(io: HookIo): Promise<void>;
  /**
   * Streaming sources: called once every sink of the run committed, to acknowledge what was read
   * (Kafka offsets, RabbitMQ acks, a replication slot's LSN). A failure here is a warning: what was
   * not acknowledged is delivered again (at-least-once).
   */
  onCommitted?(io: HookIo): Promise<void>;
  /** Streaming sources: the run did not commit; release what was read without acknowledging it. */
  onAborted?(io: HookIo): Promise<void>;
  /** Marks a streaming source (Kafka, RabbitMQ, change capture): `--watch` needs at least one. */
  streaming?: boolean;
  /** The key the next state is saved under (what the node read); see StateKey. */
  stateKey?: StateKey;
}

/**
 * How a sink's staged output becomes its destination. The engine runs every sink of a run through
 * one commit protocol (core/src/engine/commit/): stage everything, prepare every destination to its
 * last reversible step, then publish them together, undoing what it can if a late step fails.
 *
 * - `file`: the staged file (or folder) `temp` is renamed over `target` (same folder, so the rename
 *   is atomic); a replaced target is first moved aside under `aside`, and put back if a later
 *   destination fails to commit.
 * - `duckdb`: `apply` runs inside one transaction on the database file (every sink into the same file
 *   shares it), opened when the run prepares and committed with the run; `discard` removes the staged
 *   tables when the run does not commit.
 */
export type Publish =
  | { kind: 'file'; temp: string; target: string; aside: string; replace: boolean }
  | {
      kind: 'duckdb';
      /** The database file (absolute path), and the name the run attaches it under. */
      file: string;
      alias: string;
      /** ATTACH statement (the file under its run alias); DETACH ends the run's use of it. */
      attach: string;
      detach: string;
      /** Statements that publish the staged rows, e.g. DROP the old table and RENAME the staged one. */
      apply: string[];
      /**
       * Statements that remove what staging wrote (the staging table, a schema the run created); one
       * with `when` runs only if that query returns true.
       */
      discard: Array<string | { sql: string; when: string }>;
      /** The staging tables (schema and name inside the file), for recovery after a crash. */
      stageTables: Array<{ schema: string; table: string }>;
      /** The run created the file: it is removed again when the run does not commit. */
      createdFile: boolean;
    };

/** What a destination is, for locks between runs and for "two sinks write the same thing" checks. */
export interface Destination {
  /** Canonical identity, e.g. `file:/abs/path` or `postgres:host:5432/db/schema.table`. */
  key: string;
  /** How messages name it. */
  label: string;
  /**
   * What runs take in turn when it is wider than the destination (engine/commit/locks.ts): a
   * DuckDB database file, which one process at a time may write, for a sink into one of its tables.
   */
  lock?: { key: string; label: string };
}

export interface SinkPlan {
  /** What the user would recognize: a path, db file and table. */
  target: string;
  /** Identity of what the sink writes; two sinks of one run may not share it. */
  destination: Destination;
  /** Problems that should stop the run before anything is read (e.g. destination exists). */
  preflight: Problem[];
  /** Statements that write to a staging place; the last one returns the row count. */
  stage: string[];
  /**
   * The input's order is arbitrary anyway (Relation.orderArbitrary): the engine runs `stage` with
   * DuckDB's `preserve_insertion_order` off, which writes large files faster and with less memory.
   */
  unordered?: boolean;
  /**
   * A query that reads back exactly what `stage` wrote (the input's rows, column names and types),
   * valid while the staged output exists, i.e. until the commit. When the sink's input is read by
   * other statements too, the planner lets this sink's statement compute it and the other readers
   * read this query instead of a temp table (compiler/materialize.ts, strategy `sink-file`).
   * Offered only by sinks that stage one file of a type-keeping format (Parquet).
   */
  readBack?: string;
  /**
   * Runs after `stage` with the rows it reported; throws when the staged output does not hold them
   * (partition folders that a file system merged: shared/partition-folders.ts).
   */
  verifyStaged?: (rows: number, io: HookIo) => Promise<void>;
  /** How the staged output is published (SQL and file sinks); external sinks publish themselves. */
  publish?: Publish;
  /** Folders the sink created for its target (run mode); removed again, if still empty, when the run does not commit. */
  createdFolders?: string[];
  /**
   * A load into an external system (a database) instead of `stage` SQL: it stages (e.g. inside an
   * open transaction) and returns how to prepare, commit or undo. `describe` is shown by `caudal sql`.
   */
  external?: { describe: string[]; stage(io: HookIo): Promise<ExternalStage> };
}

/**
 * An external sink's part in the run's commit. The engine calls `prepare` on every external sink
 * before it publishes anything, then `commit` on each, or `rollback` on every one when the run does
 * not commit. A prepared stage must be able to commit without new reasons to fail (checks done,
 * deferred constraints checked, ideally a two-phase PREPARE).
 */
export interface ExternalStage {
  rows: number;
  /**
   * The last reversible step. `twoPhase` asks for a durable two-phase prepare when the system has
   * one (the run has other destinations to keep in step). Returns how recovery can find the prepared
   * or published work if the process dies before the run is over (e.g. a PostgreSQL prepared
   * transaction id, or the staging prefix of an object store).
   */
  prepare(opts: { twoPhase: boolean }): Promise<{ twoPhase: boolean; recovery?: ExternalRecovery }>;
  /**
   * What recovery needs if the process dies *inside* prepare (e.g. the id a PostgreSQL prepared
   * transaction is about to get): the run journals it before prepare runs, so a kill between the
   * server's PREPARE and the journal's next write leaves nothing unknown on the server. Recovery
   * must treat it as possibly absent.
   */
  recoveryIntent?(opts: { twoPhase: boolean }): ExternalRecovery | undefined;
  commit(): Promise<void>;
  /**
   * commit() ends one server-side transaction (a PostgreSQL or SQL Server COMMIT, a Kafka
   * transaction): a process killed during it leaves all of the load or none of it, never part, so
   * a kill there is reported as "committed whole or not at all", not as partly published.
   */
  wholeOrNone?: boolean;
  /** Must leave the target as it was before the run; never throws past the executor. */
  rollback(): Promise<void>;
  /**
   * When present, a commit can be undone until the run is over (e.g. objects copied into place with
   * the ones they replaced kept aside): the sink publishes with the files, before any database
   * commits, and is undone if a later destination fails.
   */
  undo?(): Promise<void>;
  /**
   * After a commit or undo that failed half-way: true when the target could not be put back as it
   * was (what it had is kept in staging). The run then keeps its journal entry, so the next run or
   * `caudal clean` finishes the undo through the connector's `recover`.
   */
  unrestored?(): boolean;
  /** After every destination committed: drop what was kept for undo. Returns warnings. */
  finalize?(): Promise<string[]>;
}

/**
 * Enough to finish or undo an external stage from another process after a crash (no secrets):
 * the pipeline's connection name, resolved again with its secrets by whoever recovers, and a
 * connector-defined reference (a PostgreSQL prepared-transaction id, a staging prefix…) that the
 * connector's `recover` interprets.
 */
export interface ExternalRecovery {
  connection: string;
  ref: Record<string, string | number | boolean | string[]>;
  /**
   * Which server and database the work is on (e.g. host, port, database and user; never a secret),
   * from the connector's `recoveryTarget`: recovery acts on it only through a connection that
   * resolves to the same one, whatever that connection is called in the project that recovers.
   */
  target?: Record<string, string | number>;
}

export interface SinkContext<P> extends CompileContext<P> {
  runId: string;
}

export interface NodeDefinition<S extends z.ZodType = z.ZodType> {
  type: string;
  version: number;
  category: NodeCategory;
  title: string;
  description: string;
  aliases?: string[];
  /** Reads a stream (its compile marks `CompiledNode.streaming`): the studio offers "Run continuously". */
  streaming?: boolean;
  /**
   * A sink writing one file or object that each run replaces whole. A `--watch` run, each of whose
   * micro-batches is a run, refuses it: only the last batch would remain.
   */
  wholeTarget?: boolean;
  /**
   * For sinks that can also add to their destination: true when these params make each run
   * replace its content (a table recreated or emptied, an index or namespace swapped). A `--watch`
   * run warns: the destination will hold the last batch only.
   */
  replacesContent?(params: z.output<S>): boolean;
  inputs: PortSpec[];
  outputs: PortSpec[];
  params: S;
  /** Markdown for the generated docs page (after the generated parameter table). */
  docs: string;
  example: { params: z.input<S>; description: string };
  /** Extra checks that need the whole params object (zod already checked shapes). */
  check?(params: z.output<S>): Array<{ path: string; message: string; hint?: string }>;
  compile?(ctx: CompileContext<z.output<S>>): CompiledNode | Promise<CompiledNode>;
  sink?(ctx: SinkContext<z.output<S>>): SinkPlan | Promise<SinkPlan>;
  /**
   * Checks the columns the node's main output produces against its params before anything runs
   * (the registry gives every source the schema pin: quality/schema-pin.ts): a problem stops the
   * run, a warning is told at its start.
   */
  /**
   * What the node does to the order of its rows, for sinks that need not keep an order that means
   * nothing (SinkPlan.unordered). `arbitrary`: its output has no order (DISTINCT, GROUP BY).
   * `follows`: adds no ORDER BY; its output is in no order when the rows of its main input (the
   * first port: a join's left side, a lookup's `in`; every edge into it) are in none. Unset (sort,
   * SQL, limit, sample, …): the output's order may mean something. A function decides from the
   * params (fill_nulls is row-wise unless it fills along an order).
   */
  rowOrder?: RowOrder | ((params: z.output<S>) => RowOrder | undefined);
  checkColumns?(nodeId: string, nodePath: string, params: unknown, columns: Column[]): { problem?: Problem; warning?: string };
  /**
   * How the node runs on Apache Spark (`caudal export spark`, core/src/targets/spark): its Spark form
   * lives next to the DuckDB one in `<type>.spark.ts`. Absent means no Spark form yet; validate
   * --engine spark says so.
   */
  spark?: SparkForm<z.output<S>>;
}

// ---------------------------------------------------------------------------------------------
// The Spark target. A node's Spark form produces DuckDB-dialect SQL written with constructs that
// sqlglot translates to Spark SQL (the export translates every statement), plus the reads, writes
// and quality checks the exported PySpark job performs. Relation names are the DuckDB plan's.

/**
 * - `portable`: the node's DuckDB outputs (and `CREATE TEMP TABLE … AS` setup steps) translate as
 *   they are.
 * - `unsupported`: no Spark form; `reason` tells the user why and what to do instead.
 * - `custom`: `compile` builds the Spark steps itself.
 */
export type SparkForm<P> =
  | {
      kind: 'portable';
      /** What differs on Spark, for the node's generated docs page. */
      notes?: string;
      /** Settings of this node that have no Spark form (e.g. a check kind), as problems on params paths. */
      refuse?(params: P): Array<{ path: string; message: string; hint?: string }>;
    }
  | { kind: 'unsupported'; reason: string }
  | { kind: 'custom'; notes?: string; compile(ctx: SparkCompileContext<P>): SparkCompiled | Promise<SparkCompiled> };

export interface SparkCompileContext<P> {
  nodeId: string;
  params: P;
  /** Inputs as the DuckDB plan saw them (names of the views the Spark job registers, columns). */
  input(port?: string): Relation;
  inputs(port?: string): Relation[];
  /** The node's output columns in the DuckDB plan; a Spark form produces the same names. */
  outputColumns(port?: string): Column[];
  /** The node's DuckDB compilation (outputs, setup, quality plan), for forms that reuse parts of it. */
  duckdb: CompiledNode | undefined;
  /** A user SQL expression with `$param` replaced by literals (DuckDB dialect, translated later). */
  expr(sql: string, field: string): string;
  query(sql: string, field: string): string;
  text(s: string): string;
  /** A path resolved against the pipeline's folder; URLs (s3a://, hdfs://, abfss://…) are kept as they are. */
  path(p: string): string;
  /** Name of a helper view unique to this node (quoted, DuckDB dialect). */
  auxName(suffix: string): string;
  /** Small DuckDB queries at export time (e.g. sniff_csv on a local file). */
  rows(sql: string): Promise<Record<string, unknown>[]>;
  /** The node's sink plan from the DuckDB engine (sinks only). */
  duckdbSink: SinkPlan | undefined;
  /** Non-secret fields of a declared connection; the job reads secret fields from the environment. */
  connection(name: string, expectedType: string): ResolvedConnection;
  /** Stops the export with a problem on `field` (a params path such as `on_error`). */
  unsupported(field: string, message: string, hint?: string): never;
}

/** A Spark data source read by the job (sources). */
export interface SparkRead {
  format: 'csv' | 'parquet' | 'json' | 'jdbc';
  /** Files, folders or glob patterns (local paths or URLs). */
  paths: string[];
  /** DataFrameReader options (values as text). */
  options: Record<string, string>;
  /** The columns the read gives (DuckDB types): the export binds the node's SQL against them. */
  schema?: Column[];
  /** Read with `schema` stated (converted to Spark types) instead of the format's own. */
  applySchema?: boolean;
  /** JDBC reads: the connection (secrets come from the environment) and a table or query. */
  jdbc?: SparkJdbc & { table?: string; query?: string };
  /** Adds a column with the source file of each row. */
  fileColumn?: string;
}

export interface SparkJdbc {
  /** jdbc:postgresql://host:port/db */
  url: string;
  driver: string;
  /** The pipeline's connection name. */
  connection: string;
  /** Non-secret properties (user, ssl…). */
  properties: Record<string, string>;
  /** Secret properties: JDBC property name → the environment variable the job reads it from. */
  secrets: Record<string, string>;
  /** Maven coordinates of the driver (spark.jars.packages). */
  package: string;
  /** The server and database (never a secret), journaled so that only a connection to them recovers a killed run's load. */
  recoveryTarget?: Record<string, string | number>;
}

export interface SparkSink {
  format: 'csv' | 'parquet' | 'json' | 'jdbc';
  /** File sinks: the target (file or folder, local path or URL). */
  target?: string;
  ifExists?: 'fail' | 'overwrite';
  options?: Record<string, string>;
  partitionBy?: string[];
  /** The DuckDB sink writes one file: the job writes one part and renames it to the target. */
  singleFile?: boolean;
  /** The input is sorted (set by the export): one file is written without reshuffling the rows. */
  ordered?: boolean;
  /** A SELECT over the input giving the rows to write (e.g. dates formatted); default: the input as is. */
  sql?: string;
  /** JDBC sinks: staged into a table, then published in one transaction on the driver. */
  jdbc?: SparkJdbc & {
    schema: string;
    table: string;
    mode: 'append' | 'replace' | 'upsert' | 'truncate_insert';
    keys: string[];
    createTable: boolean;
    preSql?: string;
    postSql?: string;
    /** Column types for CREATE TABLE, in the database's dialect. */
    columnTypes: Array<{ name: string; type: string }>;
    /**
     * The server-side lock the driver holds from the start of the job until its commit (PostgreSQL
     * advisory lock, SQL Server application lock): the name DuckDB runs take (connectors/table-lock.ts).
     */
    lockKey: string;
    /** Default postgres: the job builds the statements itself. Others bring them in `statements`. */
    dialect?: 'postgres' | 'sqlserver';
    /** The statements that create the staging table, publish it into the target, and drop it (after a failure). */
    statements?: { stage: SparkSqlPart[][]; publish: SparkSqlPart[][]; drop: SparkSqlPart[][] };
  };
}

/** Part of a statement the job runs on the driver: SQL text, or the place of the staging table's quoted name. */
export type SparkSqlPart = string | { stage: true };

export interface SparkCompiled {
  /** Helper views created before the outputs, in order (name as from auxName, DuckDB SQL). */
  setup?: Array<{ name: string; sql: string; materialize?: boolean }>;
  /** Output port → DuckDB-dialect SELECT that sqlglot translates (transforms, and sources after `read`). */
  outputs?: Record<string, string>;
  /** Sources: the raw read, registered as the view `read.name` (an auxName) that outputs select from. */
  read?: SparkRead & { name: string };
  sink?: SparkSink;
  quality?: QualityPlan;
  /** The output must be computed once (e.g. random samples): the job checkpoints it. */
  materialize?: boolean;
}

/** Typed identity: keeps `params` inferred from the zod schema in compile and sink hooks. */
export function defineNode<S extends z.ZodType>(def: NodeDefinition<S>): NodeDefinition<S> {
  if (def.category === 'sink' && !def.sink) throw new Error(`${def.type}: a sink needs a sink() hook`);
  if (def.category !== 'sink' && !def.compile) throw new Error(`${def.type}: a ${def.category} needs compile()`);
  return def;
}

export type AnyNodeDefinition = NodeDefinition<z.ZodType>;
