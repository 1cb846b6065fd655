import type { SparkForm } from '../define.js';
import { columnNamed } from '../shared/columns.js';
import { fileSink } from '../shared/spark-files.js';

type Params = { path: string; if_exists: 'fail' | 'overwrite'; compression: 'zstd' | 'snappy' | 'gzip' | 'uncompressed'; row_group_size?: number; partition_by: string[] };

/**
 * Spark: one Parquet file at the target, or with partition_by a folder of Hive partitions
 * (`country=ES/part-….parquet`; DuckDB names the files data_0.parquet). row_group_size is DuckDB's
 * (rows); Spark sizes row groups in bytes (parquet.block.size), so it is not passed on.
 */
export const parquetSinkSpark: SparkForm<Params> = {
  kind: 'custom',
  notes: 'Staged next to the target and renamed into place after every sink was written (atomic on local disks and HDFS, not on S3).',
  compile(ctx) {
    const p = ctx.params;
    const columns = ctx.input().columns;
    const partitionBy = p.partition_by.map((name) => columnNamed(columns, name)?.name ?? name);
    return fileSink(ctx, 'parquet', { compression: p.compression === 'uncompressed' ? 'none' : p.compression }, partitionBy.length > 0 ? { partitionBy } : {});
  },
};
