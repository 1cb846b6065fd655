import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CaudalError } from '../util/errors.js';
import { loadProject } from './load-project.js';

/** Project checks that would otherwise only show up when a job runs. */
const pipeline = {
  format: 'caudal.pipeline/1',
  name: 'p',
  params: { day: { type: 'date', default: '2026-01-01' } },
  nodes: [
    { id: 'src', type: 'transform.sql', params: { query: 'SELECT 1 AS x' } },
    { id: 'out', type: 'sink.csv', params: { path: 'out.csv' } },
  ],
  edges: [{ from: 'src:out', to: 'out:in' }],
};

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'caudal-project-'));
  await writeFile(path.join(dir, 'p.json'), JSON.stringify(pipeline));
  await writeFile(path.join(dir, 'data.csv'), 'a,b\n1,2\n');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function problems(jobs: Record<string, unknown>): Promise<string[]> {
  const file = path.join(dir, 'caudal.project.json');
  await writeFile(file, JSON.stringify({ format: 'caudal.project/1', name: 't', jobs }));
  const err = await loadProject(file).then(
    () => null,
    (e: CaudalError) => e,
  );
  return (err?.problems ?? []).map((p) => `${p.path}: ${p.message}`);
}

describe('project checks', () => {
  it('a valid project passes', async () => {
    expect(await problems({ a: { pipeline: 'p.json', schedule: '0 6 * * *', params: { day: '{scheduled_date}' } } })).toEqual([]);
  });

  it('a schedule that never fires', async () => {
    expect(await problems({ a: { pipeline: 'p.json', schedule: '0 0 30 2 *' }, b: { pipeline: 'p.json', schedule: '0 0 31 2,4,6,9,11 *' } })).toEqual([
      "jobs.a.schedule: the schedule '0 0 30 2 *' never fires (no date matches it)",
      "jobs.b.schedule: the schedule '0 0 31 2,4,6,9,11 *' never fires (no date matches it)",
    ]);
  });

  it('a param the pipeline does not declare, naming the job and the param', async () => {
    expect(await problems({ a: { pipeline: 'p.json', schedule: '0 6 * * *', params: { dya: 'x', nosuch: '1' } } })).toEqual([
      "jobs.a.params.dya: job 'a': param 'dya' is not declared by the pipeline p.json (did you mean 'day'?)",
      "jobs.a.params.nosuch: job 'a': param 'nosuch' is not declared by the pipeline p.json",
    ]);
  });

  it('a pipeline that is not a pipeline file: a CSV file, a folder', async () => {
    const csv = await problems({ a: { pipeline: 'data.csv', schedule: '0 6 * * *' } });
    expect(csv).toHaveLength(1);
    expect(csv[0]).toMatch(/^jobs\.a\.pipeline: .*data\.csv is not a Caudal pipeline/);
    const folder = await problems({ b: { pipeline: '.', schedule: '0 6 * * *' } });
    expect(folder).toHaveLength(1);
    expect(folder[0]).toMatch(/^jobs\.b\.pipeline: .* is a folder, not a pipeline file$/);
  });

  it('a param of the wrong type names the types a param can have', async () => {
    expect(await problems({ a: { pipeline: 'p.json', schedule: '0 6 * * *', params: { day: [1, 2] } } })).toEqual(['jobs.a.params.day: expected a string, a number or a boolean, got an array']);
  });
});
