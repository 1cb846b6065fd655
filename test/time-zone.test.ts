import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { caudal } from './support/cli.js';
import { tempDir } from './support/pipeline.js';

/**
 * DuckDB takes the machine's time zone for TIMESTAMPTZ arithmetic, casts and text. A pipeline must
 * give the same rows on a laptop in Madrid and on a server in UTC (and on Spark, whose job runs in
 * UTC): the engine computes in UTC whatever the machine's zone.
 */
describe('the time zone of the machine', () => {
  it('does not change what a pipeline computes from instants', async () => {
    const dir = await tempDir('caudal-tz-');
    const query = `SELECT CAST(TIMESTAMPTZ '2024-01-01 23:30:00+00' AS TIMESTAMP) AS wall,
      CAST(date_trunc('day', TIMESTAMPTZ '2024-01-01 23:30:00+00') AS TIMESTAMP) AS day_start,
      CAST(TIMESTAMPTZ '2024-07-01 12:00:00+02' AS VARCHAR) AS shown`;
    await writeFile(
      path.join(dir, 'pipeline.json'),
      JSON.stringify({
        format: 'caudal.pipeline/1',
        name: 'tz',
        params: {},
        nodes: [
          { id: 'src', type: 'transform.sql', params: { query } },
          { id: 'out', type: 'sink.csv', params: { path: 'out.csv', if_exists: 'overwrite' } },
        ],
        edges: [{ from: 'src:out', to: 'out:in' }],
      }),
    );
    const outputs: string[] = [];
    for (const TZ of ['UTC', 'Europe/Madrid', 'America/Los_Angeles']) {
      const r = await caudal(['run', 'pipeline.json', '-q'], { cwd: dir, env: { TZ, CAUDAL_RUNTIME_DIR: path.join(dir, 'runtime') } });
      expect(r.code, r.stderr).toBe(0);
      outputs.push(await readFile(path.join(dir, 'out.csv'), 'utf8'));
    }
    expect(outputs[0]).toBe('wall,day_start,shown\n2024-01-01 23:30:00,2024-01-01 00:00:00,2024-07-01 10:00:00+00\n');
    expect(outputs[1]).toBe(outputs[0]);
    expect(outputs[2]).toBe(outputs[0]);
  });
});
