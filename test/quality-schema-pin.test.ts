import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { getNodeDefinition, nodeDefinitions } from '../core/src/nodes/index.js';
import { inspect, pipeline, problemsOf, run, tempDir } from './support/pipeline.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-schema-pin-');
  await writeFile(path.join(dir, 'v1.csv'), 'id,name,amount\n1,Ann,10.5\n2,Bob,3\n');
  // Next month's export: amount became text, name was dropped, a column was added.
  await writeFile(path.join(dir, 'v2.csv'), 'id,amount,country\n1,n/a,ES\n2,3,FR\n');
});

const PINNED = [
  { name: 'id', type: 'BIGINT' },
  { name: 'name', type: 'VARCHAR' },
  { name: 'amount', type: 'DOUBLE' },
];
const doc = (file: string, extra: Record<string, unknown> = {}) =>
  pipeline(
    [
      { id: 'src', type: 'source.csv', params: { path: file, expect_schema: PINNED, ...extra } },
      { id: 'out', type: 'sink.csv', params: { path: `out_${file}`, if_exists: 'overwrite' } },
    ],
    ['src -> out'],
  );

describe('schema pinning on sources', () => {
  it('every source type accepts expect_schema and on_drift', () => {
    const sources = nodeDefinitions.filter((d) => d.category === 'source');
    expect(sources.length).toBeGreaterThanOrEqual(4);
    for (const def of sources) expect(Object.keys((def.params as unknown as { shape: object }).shape), def.type).toEqual(expect.arrayContaining(['expect_schema', 'on_drift']));
    for (const type of ['source.csv', 'source.parquet', 'source.json']) {
      const def = getNodeDefinition(type)!;
      expect(def.params.safeParse({ path: 'x', expect_schema: [{ name: 'a' }], on_drift: 'warn' }).success, type).toBe(true);
    }
    expect(getNodeDefinition('transform.filter')!.params.safeParse({ condition: 'true', expect_schema: [{ name: 'a' }] }).success).toBe(false);
  });

  it('passes when the data matches the pin', async () => {
    expect(await problemsOf(doc('v1.csv'), dir)).toEqual([]);
    const r = await run(doc('v1.csv'), dir);
    expect(r.summary.status).toBe('succeeded');
    expect(r.events.filter((e) => e.type === 'warning')).toEqual([]);
  });

  it('on_drift error (default): the pipeline does not run, and the problem lists the differences', async () => {
    const problems = await problemsOf(doc('v2.csv'), dir);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ code: 'schema_drift', nodeId: 'src', path: 'nodes[0].params.expect_schema' });
    expect(problems[0]!.message).toBe(
      "node 'src': the data no longer matches the pinned schema (expect_schema): missing column 'name' (VARCHAR); column 'amount' is VARCHAR, expected DOUBLE; extra column 'country' (VARCHAR)",
    );
    const r = await run(doc('v2.csv'), dir);
    expect(r.summary.status).toBe('failed');
    expect(r.summary.error?.kind).toBe('validation');
    expect(r.events.some((e) => e.type === 'node_started')).toBe(false);
  });

  it('on_drift warn: the run starts with a warning that lists the differences', async () => {
    // `caudal validate` reports it too, without failing.
    const checked = await inspect({ pipeline: doc('v2.csv', { on_drift: 'warn' }), baseDir: dir });
    expect(checked.problems).toEqual([]);
    expect(checked.warnings).toEqual([{ nodeId: 'src', message: expect.stringContaining("extra column 'country' (VARCHAR)") }]);
    const r = await run(doc('v2.csv', { on_drift: 'warn' }), dir);
    expect(r.summary.status).toBe('succeeded');
    const warnings = r.events.filter((e) => e.type === 'warning');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ nodeId: 'src', message: expect.stringContaining("missing column 'name' (VARCHAR); column 'amount' is VARCHAR, expected DOUBLE") });
    // Before any node ran.
    expect(r.events.findIndex((e) => e.type === 'warning')).toBeLessThan(r.events.findIndex((e) => e.type === 'node_started'));
  });
});
