import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPipeline } from '../core/src/engine/engine.js';
import { pipeline, preview, run, tempDir } from './support/pipeline.js';

const numbers = (n = 100) => ({ id: 'nums', type: 'transform.sql', params: { query: `SELECT range AS n, range % 3 AS grp FROM range(${n})` } });

describe('engine', () => {
  it('previews never run sinks: the target is not created', async () => {
    const dir = await tempDir();
    const doc = pipeline(
      [numbers(), { id: 'odd', type: 'transform.filter', params: { condition: 'n % 2 = 1' } }, { id: 'out', type: 'sink.csv', params: { path: 'out.csv' } }],
      ['nums -> odd', 'odd -> out'],
    );
    const p = await preview(doc, dir, 'odd', { limit: 3 });
    expect(p.rows).toEqual([{ n: '1', grp: '1' }, { n: '3', grp: '0' }, { n: '5', grp: '2' }]);
    expect(existsSync(path.join(dir, 'out.csv'))).toBe(false);
    await expect(preview(doc, dir, 'out')).rejects.toThrow(/'out' is a sink and has no output to preview/);
    expect(existsSync(path.join(dir, 'out.csv'))).toBe(false);
  });

  it('emits typed events in order with rows in/out at sinks and at fan-out points', async () => {
    const dir = await tempDir();
    const doc = pipeline(
      [
        numbers(),
        { id: 'small', type: 'transform.filter', params: { condition: 'n < 10' } },
        { id: 'a', type: 'sink.csv', params: { path: 'a.csv' } },
        { id: 'b', type: 'sink.json', params: { path: 'b.json' } },
      ],
      ['nums -> small', 'small -> a', 'small -> b'],
    );
    const { summary, events } = await run(doc, dir);
    expect(summary.status).toBe('succeeded');
    expect(events[0]!.type).toBe('run_started');
    expect(events.at(-1)!.type).toBe('run_finished');
    const finished = Object.fromEntries(events.flatMap((e) => (e.type === 'node_finished' ? [[e.nodeId, e]] : [])));
    // 'small' feeds two sinks, so it is materialized once and counted.
    expect(finished.small).toMatchObject({ materialized: true, rowsOut: 10 });
    expect(finished.nums).toMatchObject({ materialized: false, rowsOut: null });
    expect(finished.a).toMatchObject({ rowsIn: 10, rowsOut: 10 });
    expect(summary.outputs.map((o) => [o.nodeId, o.rows])).toEqual([['a', 10], ['b', 10]]);
    const order = events.filter((e) => e.type === 'node_started').map((e) => (e as { nodeId: string }).nodeId);
    expect(order).toEqual(['nums', 'small', 'a', 'b']);
  });

  it('--metrics exact counts rows at every node', async () => {
    const dir = await tempDir();
    const doc = pipeline(
      [numbers(), { id: 'small', type: 'transform.filter', params: { condition: 'n < 10' } }, { id: 'out', type: 'sink.parquet', params: { path: 'o.parquet' } }],
      ['nums -> small', 'small -> out'],
    );
    const { summary } = await run(doc, dir, { metrics: 'exact' });
    expect(summary.nodes.map((n) => [n.nodeId, n.rowsIn, n.rowsOut])).toEqual([
      ['nums', null, 100],
      ['small', 100, 10],
      ['out', 10, 10],
    ]);
  });

  it('applies threads and memory_limit to the run and reports them', async () => {
    const dir = await tempDir();
    const events: string[] = [];
    const summary = await runPipeline({
      pipeline: pipeline([numbers(), { id: 'out', type: 'sink.csv', params: { path: 'o.csv' } }], ['nums -> out']),
      baseDir: dir,
      options: { threads: 1, memoryLimit: '256MB' },
      onEvent: (e) => e.type === 'log' && events.push(e.message),
    });
    expect(summary.status).toBe('succeeded');
    // 256 MB less the engine's own 128 MiB, but never under three quarters of the limit.
    expect(events).toContain("DuckDB threads=1 memory_limit=183.0 MiB (of the run's 256MB; the rest is for the engine itself)");
  });

  it('a failing node is named with its column and the cause; nothing is written', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'existing.csv'), 'keep me\n');
    const doc = pipeline(
      [
        numbers(),
        { id: 'typed', type: 'transform.derive', params: { columns: [{ name: 'code', expression: "CASE WHEN n = 42 THEN CAST('x' || n AS INTEGER) ELSE n END" }] } },
        { id: 'out', type: 'sink.csv', params: { path: 'existing.csv', if_exists: 'overwrite' } },
      ],
      ['nums -> typed', 'typed -> out'],
    );
    const { summary } = await run(doc, dir);
    expect(summary.status).toBe('failed');
    expect(summary.error).toMatchObject({ nodeId: 'typed', column: 'code' });
    expect(summary.error!.message).toMatch(/^node 'typed' \(transform.derive\), column 'code' failed: Conversion Error: Could not convert string 'x42' to INT32/);
    const { readFile, readdir } = await import('node:fs/promises');
    expect(await readFile(path.join(dir, 'existing.csv'), 'utf8')).toBe('keep me\n');
    expect((await readdir(dir)).filter((f) => f.includes('caudal'))).toEqual([]);
  });

  it('a pipeline with problems fails before running anything, listing every problem', async () => {
    const dir = await tempDir();
    const doc = pipeline(
      [numbers(), { id: 'f', type: 'transform.filter', params: { condition: 'nn > 1' } }, { id: 'g', type: 'transform.filter', params: { condition: 'grpp = 1' } }],
      ['nums -> f', 'nums -> g'],
    );
    const { summary, events } = await run(doc, dir);
    expect(summary.status).toBe('failed');
    expect(summary.error!.kind).toBe('validation');
    expect(summary.error!.problems!.map((p) => p.column)).toEqual(['nn', 'grpp']);
    expect(events.some((e) => e.type === 'node_started')).toBe(false);
  });
});
