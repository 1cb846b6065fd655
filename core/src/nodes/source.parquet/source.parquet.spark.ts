import type { SparkForm } from '../define.js';
import { selectColumns, sparkPaths } from '../shared/spark-files.js';

type Params = { path: string; columns: string[]; filename_column?: string; hive_partitioning: 'auto' | boolean; union_by_name: boolean };

/** Spark: its Parquet reader over the same files, selecting the columns the DuckDB plan found. */
export const parquetSourceSpark: SparkForm<Params> = {
  kind: 'custom',
  compile(ctx) {
    const p = ctx.params;
    const { paths, options } = sparkPaths(ctx, ctx.path(p.path));
    const columns = ctx.outputColumns();
    const raw = ctx.auxName('raw');
    return {
      read: {
        name: raw,
        format: 'parquet',
        paths,
        options: { ...options, ...(p.union_by_name ? { mergeSchema: 'true' } : {}) },
        schema: columns,
        ...(p.filename_column ? { fileColumn: p.filename_column } : {}),
      },
      outputs: { out: selectColumns(raw, columns) },
    };
  },
};
