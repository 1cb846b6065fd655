import type { z } from 'zod';
import type { ConnectionType } from '../connections/connection-type.js';
import type { Column, ExternalRecovery, ExternalStage, HookIo } from '../nodes/define.js';

/**
 * What a connector can do; nodes and the studio read these instead of checking connector types.
 * - pushdown: column selection and filters run in the remote system.
 * - upsert: the sink can merge on key columns.
 * - incremental: reads can start after a watermark.
 * - transactional: a load commits or rolls back as a whole.
 */
export interface ConnectorCapabilities {
  pushdown: boolean;
  upsert: boolean;
  incremental: boolean;
  transactional: boolean;
}

export interface RemoteColumn {
  name: string;
  /** The remote system's type, as it names it (e.g. `timestamp with time zone`). */
  remoteType: string;
  /** What it becomes in DuckDB. */
  type: string;
  nullable?: boolean;
}

export interface RemoteTable {
  schema: string;
  name: string;
  kind: 'table' | 'view';
  columns?: RemoteColumn[];
}

export type FilterOp = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not_in' | 'is_null' | 'not_null' | 'like';

export interface ReadFilter {
  column: string;
  op: FilterOp;
  value?: unknown;
}

/** What to read: a table with pushed-down columns and filters, or a query with bound params. */
export interface ReadSpec {
  table?: { schema: string; name: string };
  query?: string;
  /** Values for `$1`, `$2`, … in `query`; sent as bind parameters, never spliced into SQL. */
  queryParams?: unknown[];
  columns?: string[];
  filters?: ReadFilter[];
  /** Incremental reads: only rows with `column` above `after`. */
  watermark?: { column: string; after?: string };
  /** At most this many rows (previews). */
  limit?: number;
  /** Rows per round trip when streaming. */
  fetchSize?: number;
}

/** A planned read: the columns it yields, the statement the remote system will run, and how to run it. */
export interface PlannedRead {
  columns: RemoteColumn[];
  /** The remote statement with placeholders (shown by `caudal sql`, logged at debug level). */
  remoteSql: string;
  /**
   * Streams every row into a DuckDB-readable file at `file`, in chunks (memory stays bounded),
   * and returns the row count and the SQL that reads that file with the final column types.
   */
  fetch(io: HookIo, file: string): Promise<number>;
  /** SELECT over the fetched file producing the DuckDB-typed columns. */
  scanSql(file: string): string;
}

export type WriteMode = 'append' | 'replace' | 'upsert' | 'truncate_insert';

export interface WriteSpec {
  table: { schema: string; name: string };
  mode: WriteMode;
  keys?: string[];
  /**
   * Upsert only: a BOOLEAN column of the source (not written) that marks rows to delete by key
   * instead of upserting them (change data capture mirrors).
   */
  deleteFlag?: string;
  createTable: boolean;
  preSql?: string;
  postSql?: string;
}

export interface WriteContext {
  nodeId: string;
  /** The pipeline's name for the connection (recovery resolves it again; never a secret). */
  connection: string;
  runId: string;
}

/** The DuckDB side of a write: the relation to send and its columns. */
export interface WriteSource {
  /** Quoted DuckDB relation (view or table) name. */
  relation: string;
  columns: Column[];
  /** A folder for the transfer's temporary files. */
  tempDir: string;
}

/**
 * One interface for every external system (PostgreSQL, SQL Server, Redis, Elasticsearch, Kafka, RabbitMQ, REST, S3). A connector is a connection type
 * (fields, secrets, test) plus what the system supports: discovery (tables, topics, queues), table
 * reads into DuckDB, table writes from DuckDB, recovery of prepared writes. Systems that are not
 * tables (a message broker, an API) leave the table parts out; their nodes use the connector's own
 * module. Nodes (`source.<type>`, `sink.<type>`) are thin layers on it.
 */
export interface Connector<S extends z.ZodObject = z.ZodObject> extends ConnectionType<S> {
  capabilities: ConnectorCapabilities;
  /** Schemas/tables (or topics, queues…), or one table's columns, for pickers in the studio. */
  discover?(config: z.infer<S>, scope?: { schema?: string; table?: string }): Promise<RemoteTable[]>;
  /** Resolves columns and the remote statement (connects once); nothing is read yet. Absent when reads go through a node's own code (REST, S3, Kafka) and for sink-only systems. */
  planRead?(config: z.infer<S>, spec: ReadSpec, context: { nodeId: string; connection: string }): Promise<PlannedRead>;
  /**
   * Recovery of a write that a killed run left prepared or half published (see ExternalStage.prepare):
   * complete it (`commit`, the run had decided to commit) or undo it (`rollback`). Resolves quietly
   * when there is nothing left to do; throws when it cannot tell whether the work was completed (the
   * journal entry then stays pending). `committed`: the run journaled that it had committed it.
   * Returns `{ lost }` when the work is proven gone without having been committed (rolled back by
   * someone else): the run's incremental states are then not saved.
   */
  recover?(config: z.infer<S>, recovery: ExternalRecovery, action: 'commit' | 'rollback', opts?: { committed?: boolean }): Promise<void | { lost?: string; warning?: string }>;
  /**
   * What identifies the server and database a connection's config points at (never a secret): the
   * journal records it with each recoverable write, and recovery refuses a connection of the same
   * name that points elsewhere (another project's 'warehouse').
   */
  recoveryTarget?(config: z.infer<S>): Record<string, string | number>;
  /**
   * Stages a table write (e.g. inside an open transaction); the run prepares, then commits or rolls
   * it back. Systems without tables (Redis keys, search indices, brokers, object stores) have their own write functions,
   * called by their sink node, and leave this out.
   */
  write?(config: z.infer<S>, spec: WriteSpec, source: WriteSource, io: HookIo, context: WriteContext): Promise<ExternalStage>;
}
