import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Two files run at a time; on a fresh clone vitest has no durations cached and starts the largest
 * files first, so a long, small file (the Spark conformance corpus lives in another file) could
 * start last and run alone while the other worker idles: about a minute of CI. The files measured
 * slowest in CI start first; the rest keep vitest's own order. Only the order changes.
 */
const SLOWEST_FIRST = [
  'test/spark/conformance.test.ts',
  'test/spark/crash.test.ts',
  'test/rest-source.test.ts',
  'test/spark/postgres-loads.test.ts',
  'test/kafka-watch.test.ts',
  'test/kafka.test.ts',
  'test/postgres-sink.test.ts',
  'test/quality.test.ts',
  'test/postgres-sink-values.test.ts',
  'test/spark/cli.test.ts',
  'test/redis-sink.test.ts',
  'test/airflow-export.test.ts',
  'test/postgres-incremental.test.ts',
  'test/postgres-cdc-safety.test.ts',
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
