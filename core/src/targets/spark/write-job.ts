import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../../util/atomic-write.js';
import type { SparkJob } from './job.js';
import { sparkResources } from './python.js';

const RUN_SH_MARK = '# Submits the exported pipeline';

/** The files a job folder holds, and how to tell an earlier export's from the user's own. */
export function sparkJobFiles(dir: string): Array<{ file: string; isGenerated(text: string): boolean }> {
  return [
    { file: path.join(dir, 'job.json'), isGenerated: (text) => /^\{\s*"format":\s*"caudal\.spark-job\//.test(text) },
    { file: path.join(dir, 'caudal_spark.py'), isGenerated: (text) => text.startsWith('"""Runs a Caudal pipeline exported by `caudal export spark`') },
    { file: path.join(dir, 'run.sh'), isGenerated: (text) => text.startsWith(`#!/bin/sh\n${RUN_SH_MARK} `) },
  ];
}

/**
 * Writes a self-contained job folder: job.json (the steps, Spark SQL), caudal_spark.py (the runtime,
 * pyspark only) and run.sh (spark-submit with the JDBC driver packages the job needs). Each file is
 * replaced whole, so a job folder a scheduler may start at any moment never holds a torn file.
 */
export async function writeSparkJob(job: SparkJob, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files = sparkJobFiles(dir).map((f) => f.file);
  await writeFileAtomic(files[0]!, JSON.stringify(job, null, 2) + '\n');
  await writeFileAtomic(files[1]!, await readFile(path.join(sparkResources(), 'caudal_spark.py'), 'utf8'));
  const packages = job.packages.length > 0 ? ` \\\n  --packages ${job.packages.join(',')}` : '';
  await writeFileAtomic(
    files[2]!,
    `#!/bin/sh
${RUN_SH_MARK} "${job.pipeline.replace(/[^\w .,:()-]/g, '')}" to Spark. Pass spark-submit options first, e.g.
#   ./run.sh --master yarn --deploy-mode cluster
# JDBC passwords come from the environment (CAUDAL_SECRET_<CONNECTION>_PASSWORD).
here=$(cd "$(dirname "$0")" && pwd)
exec "\${SPARK_SUBMIT:-spark-submit}" "$@"${packages} \\
  --files "$here/job.json" \\
  "$here/caudal_spark.py" "$here/job.json"
`,
    { mode: 0o755 },
  );
  return files;
}
