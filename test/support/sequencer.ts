import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Two files run at a time. On a fresh clone vitest has no durations cached and starts the largest
 * files first, so a long but small file could start last and run alone while the other worker idles.
 * The files measured slowest in CI start first, in this order; the rest keep vitest's own order.
 * Each Spark file keeps both cores busy with its JVM, and two of them side by side each took 10-35 %
 * longer (CI of 2026-12-06): they are spaced out with files that mostly wait on servers between
 * them, sized so that the other worker is on those when the next Spark file starts. Only the order
 * changes, never what runs.
 */
const SLOWEST_FIRST = [
  'test/spark/conformance.test.ts', // ~145 s (vitest of 2026-12-07, 03:00, the built engine worker)
  'test/rest-source.test.ts', // ~27 s
  'test/kafka-watch.test.ts', // ~90 s
  'test/kafka.test.ts', // ~77 s
  'test/spark/crash.test.ts', // ~112 s
  'test/pg-source-hostile-watermark.test.ts',
  'test/postgres-sink.test.ts',
  'test/postgres-sink-values.test.ts',
  'test/cdc-hostile.test.ts', // ~29 s
  'test/spark/postgres-loads.test.ts', // ~85 s
  'test/redis-sink.test.ts',
  'test/quality.test.ts',
  'test/postgres-cdc-safety.test.ts',
  'test/airflow-export.test.ts', // ~38 s: the other worker is still on postgres-loads
  'test/spark/cli.test.ts', // ~60 s
  'test/postgres-incremental.test.ts',
  'test/quality-hostile.test.ts',
  'test/hostile-export-airflow.test.ts',
  'test/spark/params-paths.test.ts',
  'test/postgres-cdc.test.ts',
  'test/s3.test.ts',
  'test/kafka-rebalance-commit.test.ts',
  'test/kafka-commit-failure.test.ts',
  'core/src/nodes/sink.parquet/sink.parquet.test.ts',
];

export default class SlowestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = SLOWEST_FIRST.indexOf(relative(this.ctx.config.root, f.moduleId).replaceAll('\\', '/'));
      return i < 0 ? SLOWEST_FIRST.length : i;
    };
    // Array.prototype.sort is stable: files of equal rank keep vitest's order.
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}
