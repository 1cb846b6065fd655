import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { startRun } from '../core/src/engine/engine.js';
import type { RunEvent, RunSummary } from '../core/src/engine/protocol.js';
import { inDb } from './support/duckdb.js';
import { busConnections, busPipeline, kafkaSandbox } from './support/kafka.js';
import { tempDir } from './support/pipeline.js';

/**
 * `caudal run --watch` re-reads its file sources (a lookup joined to a stream) in every batch. Each
 * batch is planned when it starts, and read after the streaming source waited for its messages: a
 * file rewritten meanwhile was read by position with the planned columns, so a lookup whose columns
 * were swapped or renamed stored one column's values under another's name, without an error. A
 * truncated file ended the watch with DuckDB's sniffer's twenty lines. Now the batch stops before
 * anything is written, naming the file and what changed.
 */
const root = await tempDir('caudal-watch-files-');
const { producer, suffix, groups, topic } = await kafkaSandbox('caudal-wfc');

interface Watched {
  summary: RunSummary;
  batches: Array<Extract<RunEvent, { type: 'batch_finished' }>['summary']>;
  labels: unknown[];
}

/**
 * A watch of `name`: batch 1 reads a message with the lookup as first written; while batch 2 waits
 * for its message (planned already), `change` rewrites the lookup, then the message comes.
 * `lookupFirst` lists the lookup before the stream, so its turn (and the check before its read)
 * comes before the wait, and only the check before the commit sees the change.
 */
async function watchWhileLookupChanges(name: string, change: (file: string) => Promise<void>, lookupFirst = false, format: 'csv' | 'json' | 'parquet' = 'csv'): Promise<Watched> {
  const dir = path.join(root, name);
  await mkdir(dir, { recursive: true });
  const t = await topic(name);
  const group = `caudal-wfc-${name}-${suffix}`;
  groups.push(group);
  const lookup = path.join(dir, `lookup.${format}`);
  await writeLookup(lookup, format, { k: 'x', label: 'L1' });
  const src = { id: 'src', type: 'source.kafka', params: { connection: 'bus', topics: [t], group_id: group, start_from: 'earliest', columns: [{ name: 'id', type: 'INTEGER' }], max_wait_ms: 200, metadata: false } };
  const lk = { id: 'lk', type: `source.${format}`, params: { path: `lookup.${format}` } };
  const doc = busPipeline(
    name,
    [
      ...(lookupFirst ? [lk, src] : [src, lk]),
      { id: 'j', type: 'transform.sql', params: { query: 'SELECT src.id, (SELECT max(label) FROM lk) AS label FROM src' } },
      { id: 'dst', type: 'sink.duckdb', params: { database: 'wh.duckdb', table: 'enriched', mode: 'append' } },
    ],
    [
      ['src:out', 'j:in'],
      ['lk:out', 'j:in'],
      ['j:out', 'dst:in'],
    ],
  );
  const events: RunEvent[] = [];
  const handle = startRun({ pipeline: doc as never, baseDir: dir, connections: busConnections as never, watch: true, onEvent: (e) => events.push(e) });
  const batchOf = (n: number) => events.find((e) => e.type === 'batch_finished' && e.summary.batch === n);
  await producer.send({ topic: t, messages: [{ value: JSON.stringify({ id: 1 }) }] });
  while (!batchOf(1)) await sleep(50);
  // Batch 2 is planned and its stream is waiting for a message.
  const waiting = () => events.findIndex((e) => e.type === 'batch_started' && e.batch === 2);
  while (waiting() < 0 || !events.slice(waiting()).some((e) => e.type === 'node_started' && e.nodeId === 'src')) await sleep(50);
  await sleep(500);
  await change(lookup);
  await producer.send({ topic: t, messages: [{ value: JSON.stringify({ id: 2 }) }] });
  for (let i = 0; i < 600 && !batchOf(2); i++) await sleep(50);
  handle.stop();
  const summary = await handle.done;
  const batches = events.flatMap((e) => (e.type === 'batch_finished' ? [e.summary] : []));
  const labels = (await inDb(path.join(dir, 'wh.duckdb'), 'SELECT id, label FROM enriched ORDER BY id')).map((r) => `${String(r.id)}:${String(r.label)}`);
  return { summary, batches, labels };
}

async function writeLookup(file: string, format: 'csv' | 'json' | 'parquet', row: Record<string, string>, order = Object.keys(row)): Promise<void> {
  if (format === 'csv') await writeFile(file, `${order.join(',')}\n${order.map((c) => row[c]).join(',')}\n`);
  else if (format === 'json') await writeFile(file, JSON.stringify([Object.fromEntries(order.map((c) => [c, row[c]]))]));
  else {
    const select = order.map((c) => `'${row[c]!}' AS ${c}`).join(', ');
    await inDb(':memory:', `COPY (SELECT ${select}) TO '${file.replaceAll("'", "''")}' (FORMAT parquet)`);
  }
}

describe('--watch: a lookup file rewritten between the plan of a batch and its read', () => {
  it('columns swapped (k,label → label,k): the batch stops before writing, naming the file and its new header', async () => {
    const w = await watchWhileLookupChanges('swapped', (f) => writeFile(f, 'label,k\nL2,y\n'));
    expect(w.batches.map((b) => b.status)).toEqual(['succeeded', 'failed']);
    expect(w.batches[1]!.error!.message).toMatch(/^node 'lk': \S+lookup\.csv changed since the run was planned \(header k, label\): its header is now label, k\. It is read by position with the planned columns, so nothing was written$/);
    expect(w.summary.status).toBe('failed');
    expect(w.labels).toEqual(['1:L1']);
  });

  it('a column renamed (k,label → k,other): the batch stops, rather than writing other under label', async () => {
    const w = await watchWhileLookupChanges('renamed', (f) => writeFile(f, 'k,other\ny,O2\n'));
    expect(w.batches[1]!.error!.message).toMatch(/lookup\.csv changed since the run was planned \(header k, label\): its header is now k, other\./);
    expect(w.labels).toEqual(['1:L1']);
  });

  it('the file truncated by its writer: a clear error, not the sniffer\'s dump', async () => {
    const w = await watchWhileLookupChanges('truncated', (f) => writeFile(f, ''));
    expect(w.batches[1]!.error!.message).toMatch(/lookup\.csv changed since the run was planned \(header k, label\): it is empty now\./);
    expect(w.batches[1]!.error!.message).not.toMatch(/sniff/i);
    expect(w.labels).toEqual(['1:L1']);
  });

  it('the rows refreshed under the same header: read as they are now', async () => {
    const w = await watchWhileLookupChanges('refreshed', (f) => writeFile(f, 'k,label\nx,L2\n'));
    expect(w.batches.map((b) => b.status)).toEqual(['succeeded', 'succeeded']);
    expect(w.labels).toEqual(['1:L1', '2:L2']);
  });

  it('a lookup read before the stream waited: the check before the commit rolls the batch back', async () => {
    const w = await watchWhileLookupChanges('before-wait', (f) => writeFile(f, 'label,k\nL2,y\n'), true);
    expect(w.batches[1]!.error!.message).toMatch(/lookup\.csv changed while the run read it \(header k, label\): its header is now label, k\./);
    expect(w.labels).toEqual(['1:L1']);
  });
});
