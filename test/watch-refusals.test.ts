import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { caudal, startWatching } from './support/cli.js';
import { tempDir } from './support/pipeline.js';

/**
 * `caudal run --watch` refuses, before its first batch, what a continuous run cannot do: every
 * micro-batch is a whole run of the graph, acknowledged at the streaming sources once committed.
 * Nothing here needs a broker: the refusal comes before any connection.
 */
let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-watch-refusals-');
  await writeFile(path.join(dir, 'orders.csv'), 'id,amount\n1,10\n2,20\n');
  // A broker that is never reached: nothing listens on port 1.
  await writeFile(path.join(dir, 'caudal.connections.json'), JSON.stringify({ format: 'caudal.connections/1', connections: { bus: { type: 'kafka', brokers: '127.0.0.1:1' } } }));
});

const write = async (name: string, nodes: unknown[], edges: Array<[string, string]>) => {
  const file = path.join(dir, name);
  await writeFile(file, JSON.stringify({ format: 'caudal.pipeline/1', name, connections: { bus: { type: 'kafka' } }, nodes, edges: edges.map(([from, to]) => ({ from: `${from}:out`, to: `${to}:in` })) }));
  return file;
};

describe('caudal run --watch', () => {
  it('refuses a pipeline without a streaming source: it would read and write the same rows again and again', async () => {
    const file = await write('batch.json', [
      { id: 'orders', type: 'source.csv', params: { path: 'orders.csv' } },
      { id: 'load', type: 'sink.duckdb', params: { database: 'wh.duckdb', table: 'orders', mode: 'append' } },
    ], [['orders', 'load']]);
    const r = await caudal(['run', file, '--watch'], { timeoutMs: 60_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('a continuous run (--watch) needs a streaming source (source.kafka, source.rabbitmq or source.postgres_cdc): this pipeline has none');
    expect(r.stderr).toContain('run it without --watch, or on a schedule');
    expect(existsSync(path.join(dir, 'wh.duckdb'))).toBe(false);
  });

  it('refuses file sinks, which every batch would replace, naming each', async () => {
    await writeFile(path.join(dir, 'rejects.csv'), 'kept\n');
    const file = await write('stream-to-files.json', [
      { id: 'events', type: 'source.kafka', params: { connection: 'bus', topics: ['events'], columns: [{ name: 'id', type: 'INTEGER' }], on_error: 'reject' } },
      { id: 'archive', type: 'sink.parquet', params: { path: 'events.parquet' } },
      { id: 'bad', type: 'sink.csv', params: { path: 'rejects.csv', if_exists: 'overwrite' } },
    ], [['events', 'archive']]);
    const doc = JSON.parse(await readFile(file, 'utf8')) as { edges: Array<{ from: string; to: string }> };
    doc.edges.push({ from: 'events:rejects', to: 'bad:in' });
    await writeFile(file, JSON.stringify(doc));
    const r = await caudal(['run', file, '--watch'], { timeoutMs: 60_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("node 'archive' (sink.parquet) writes one file, which every micro-batch of a continuous run (--watch) would replace: only the last batch would remain");
    expect(r.stderr).toContain("node 'bad' (sink.csv) writes one file");
    expect(r.stderr).toContain('write the stream into a table');
    expect(r.stderr).not.toContain('needs a streaming source');
    expect(await readFile(path.join(dir, 'rejects.csv'), 'utf8')).toBe('kept\n');
    expect(existsSync(path.join(dir, 'events.parquet'))).toBe(false);
  });

  it('refuses a continuous run of some nodes with no sink among them: no batch could be acknowledged', async () => {
    const file = await write('watch-source-only.json', [
      { id: 'events', type: 'source.kafka', params: { connection: 'bus', topics: ['events'] } },
      { id: 'load', type: 'sink.duckdb', params: { database: 'wh.duckdb', table: 'events', mode: 'append' } },
    ], [['events', 'load']]);
    const r = await caudal(['run', file, '--watch', '--node', 'events'], { timeoutMs: 60_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("a continuous run (--watch) of 'events' writes nowhere: no sink is among the nodes it runs");
    expect(r.stderr).toContain('name a sink with --node');
  });

  it('refuses a continuous run that leaves out a sink reading the same stream: its batches could never be acknowledged', async () => {
    const file = await write('watch-one-of-two.json', [
      { id: 'events', type: 'source.kafka', params: { connection: 'bus', topics: ['events'] } },
      { id: 'load', type: 'sink.duckdb', params: { database: 'wh.duckdb', table: 'events', mode: 'append' } },
      { id: 'audit', type: 'sink.duckdb', params: { database: 'audit.duckdb', table: 'events', mode: 'append' } },
    ], [['events', 'load'], ['events', 'audit']]);
    const r = await caudal(['run', file, '--watch', '--node', 'load'], { timeoutMs: 60_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("a continuous run (--watch) of 'load' leaves out 'audit', which also reads the stream 'events': its batches could never be acknowledged");
    expect(r.stderr).toContain('add --node audit, or watch the whole pipeline');
    expect(existsSync(path.join(dir, 'wh.duckdb'))).toBe(false);
  });

  it('warns when a sink replaces its destination with every batch (a table holding the last batch only)', async () => {
    const file = await write('snapshot.json', [
      { id: 'events', type: 'source.kafka', params: { connection: 'bus', topics: ['events'], columns: [{ name: 'id', type: 'INTEGER' }] } },
      { id: 'latest', type: 'sink.duckdb', params: { database: 'wh.duckdb', table: 'latest' } },
      { id: 'log', type: 'sink.duckdb', params: { database: 'wh.duckdb', table: 'log', mode: 'append' } },
    ], [['events', 'latest'], ['events', 'log']]);
    let warned: ((events: string) => void) | undefined;
    const seen = new Promise<string>((resolve) => (warned = resolve));
    let out = '';
    const { child, result, running } = startWatching(['run', file, '--watch'], {
      onStdout: (chunk) => {
        out += chunk;
        if (out.includes('"type":"warning"')) warned?.(out);
      },
    });
    await running;
    const events = await Promise.race([seen, result.then((r) => r.stdout)]);
    child.kill('SIGTERM');
    await result;
    const warnings = events.split('\n').filter((l) => l.includes('"type":"warning"')).map((l) => JSON.parse(l) as { nodeId: string; message: string });
    expect(warnings).toEqual([
      expect.objectContaining({ nodeId: 'latest', message: "node 'latest' (sink.duckdb) replaces its destination's content with every micro-batch (mode replace): it will hold the last batch only; set mode to append or upsert to keep every batch" }),
    ]);
  });
});
