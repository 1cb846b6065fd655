import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPipeline } from '../core/src/engine/engine.js';
import { tempDir } from './support/pipeline.js';
import { busConnections, busPipeline, kafkaSandbox } from './support/kafka.js';

/**
 * The default consumer group of source.kafka belongs to one copy of the pipeline (its state
 * folder). It was `caudal.<pipeline>.<node>` for every copy: a copy in a second folder read nothing
 * the first had read, and two watches split the messages between their destinations, silently.
 */
const root = await tempDir('caudal-kafka-default-group-');
const { admin, producer, suffix, groups, topic } = await kafkaSandbox('caudal-kdg');

type Row = Record<string, unknown>;
const ids = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ value: JSON.stringify({ id: from + i }) }));

/** Runs `name` in folder `folder` (its state under it), with the node's default group. */
async function run(folder: string, name: string, t: string): Promise<{ ids: unknown[]; warnings: string[] }> {
  const dir = path.join(root, folder);
  await mkdir(dir, { recursive: true });
  const pipeline = busPipeline(
    name,
    [
      { id: 'ev', type: 'source.kafka', params: { connection: 'bus', topics: [t], columns: [{ name: 'id', type: 'BIGINT' }] } },
      { id: 'load', type: 'sink.json', params: { path: 'out.json', format: 'array', if_exists: 'overwrite' } },
    ],
    [['ev:out', 'load:in']],
  );
  const warnings: string[] = [];
  const summary = await runPipeline({ pipeline: pipeline as never, baseDir: dir, connections: busConnections as never, onEvent: (e) => void (e.type === 'warning' && warnings.push(e.message)) });
  expect(summary.status, summary.error?.message).toBe('succeeded');
  const rows = await readFile(path.join(dir, 'out.json'), 'utf8').then((x) => JSON.parse(x) as Row[], () => []);
  return { ids: rows.map((r) => r.id), warnings };
}

/** The groups Caudal made for pipeline `name`, for the sandbox to delete. */
const forget = async (name: string) => groups.push(...(await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(`caudal.${name}.`)));

describe('source.kafka default consumer group', () => {
  it('copies of one pipeline in two folders each read every message', async () => {
    const t = await topic('copies');
    const name = `kdg_copies_${suffix}`;
    await producer.send({ topic: t, messages: ids(5) });
    expect((await run('first', name, t)).ids).toEqual([0, 1, 2, 3, 4]);
    expect((await run('second', name, t)).ids).toEqual([0, 1, 2, 3, 4]);
    // Each copy goes on from its own position.
    await producer.send({ topic: t, messages: ids(1, 5) });
    expect((await run('first', name, t)).ids).toEqual([5]);
    expect((await run('second', name, t)).ids).toEqual([5]);
    await forget(name);
  }, 120_000);

  it('a pipeline whose group had the earlier default name reads on from where that group stands, once, and says so', async () => {
    const t = await topic('upgrade');
    const name = `kdg_upgrade_${suffix}`;
    const legacy = `caudal.${name}.ev`;
    await producer.send({ topic: t, messages: ids(5) });
    // Where an earlier version's runs left the group: 3 messages read.
    await admin.setOffsets({ groupId: legacy, topic: t, partitions: [{ partition: 0, offset: '3' }] });
    const first = await run('upgraded', name, t);
    expect(first.ids).toEqual([3, 4]);
    expect(first.warnings).toEqual([expect.stringContaining(`starts where group '${legacy}' stands`)]);
    // The copy's own group holds its position now; the earlier group is left as it was.
    await producer.send({ topic: t, messages: ids(2, 5) });
    const second = await run('upgraded', name, t);
    expect(second.ids).toEqual([5, 6]);
    expect(second.warnings).toEqual([]);
    expect((await admin.fetchOffsets({ groupId: legacy, topics: [t] }))[0]!.partitions[0]!.offset).toBe('3');
    await forget(name);
  }, 120_000);
});
