import type { Column, SparkRead, SparkSink } from '../../nodes/define.js';
import type { PlannedCheck } from '../../quality/types.js';

/**
 * The exported job (job.json), read by resources/spark/caudal_spark.py. Every SQL text in it is
 * Spark SQL already (translated at export time); view names are the DuckDB plan's, unquoted.
 */
export interface SparkJob {
  format: 'caudal.spark-job/1';
  pipeline: string;
  /** caudal and sqlglot versions that wrote it. */
  createdBy: { caudal: string; sqlglot: string };
  /**
   * Pipeline param values the job was exported with (substituted into its SQL and paths). A number
   * that a JSON number would not hold exactly (an integer beyond 2^53) is its exact decimal text.
   */
  params: Record<string, string | number | boolean>;
  /** Maven coordinates the job needs (JDBC drivers): passed as spark.jars.packages. */
  packages: string[];
  /** Each node's type, for the runtime's error messages (`node 'calc' (transform.derive) failed: …`). */
  nodeTypes?: Record<string, string>;
  steps: SparkStep[];
}

export type SparkStep =
  /** `read.schema` has Spark types when `applySchema`, else the DuckDB types the export bound against. */
  | { kind: 'read'; node: string; name: string; read: SparkRead }
  | {
      kind: 'view';
      node: string;
      name: string;
      sql: string;
      /** The output's column names as the DuckDB engine spells them (sqlglot lower-cases unquoted names). */
      columns: string[];
      /** checkpoint: computed exactly once (random samples, quarantine flags); cache: read by several consumers. */
      materialize?: 'checkpoint' | 'cache';
      /** The node's main output: its row count is reported. */
      output?: boolean;
    }
  | {
      kind: 'quality';
      node: string;
      sql: string;
      checks: PlannedCheck[];
      samples: Array<{ index: number; sql: string }>;
      sampleLimit: number;
      minScore?: number;
    }
  | { kind: 'sink'; node: string; input: string; columns: Column[]; sink: SparkSink };
