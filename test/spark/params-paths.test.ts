import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { pipeline, tempDir } from '../support/pipeline.js';
import { exportJob, readOutput, runSparkJobs } from './support.js';

/**
 * End to end on a local Spark: a path param's value names files literally on Spark as on DuckDB.
 * `data[1]` reads the file `data[1].csv` (as a pattern it would read `data1.csv`), and a folder
 * named `in{a,b}` is that folder (Hadoop's glob would read `ina` or `inb`).
 */
let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-spark-param-paths-');
  await writeFile(path.join(dir, 'data[1].csv'), 'id,v\n1,named\n');
  await writeFile(path.join(dir, 'data1.csv'), 'id,v\n2,matched by the pattern\n');
  await mkdir(path.join(dir, 'in{a,b}'), { recursive: true });
  await writeFile(path.join(dir, 'in{a,b}', 'x.csv'), 'id,v\n3,in the folder\n');
});

const job = (name: string, source: string) =>
  pipeline(
    [
      { id: 'src', type: 'source.csv', params: { path: source } },
      { id: 'sink', type: 'sink.csv', params: { path: `out/${name}.csv`, if_exists: 'overwrite' } },
    ],
    ['src -> sink'],
    { name, params: { name: { type: 'string', default: 'x' } } },
  );

describe('caudal run --engine spark: path params', () => {
  it('reads the files the DuckDB engine reads', async () => {
    await exportJob(job('file', '${name}.csv'), dir, path.join(dir, 'job-file'), { name: 'data[1]' });
    await exportJob(job('folder', '${name}/*.csv'), dir, path.join(dir, 'job-folder'), { name: 'in{a,b}' });
    const results = await runSparkJobs([
      { jobDir: path.join(dir, 'job-file'), reportDir: path.join(dir, 'report-file') },
      { jobDir: path.join(dir, 'job-folder'), reportDir: path.join(dir, 'report-folder') },
    ]);
    expect(results.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
    expect((await readOutput(path.join(dir, 'out', 'file.csv'))).rows).toEqual(['["1","named"]']);
    expect((await readOutput(path.join(dir, 'out', 'folder.csv'))).rows).toEqual(['["3","in the folder"]']);
  }, 240_000);
});
