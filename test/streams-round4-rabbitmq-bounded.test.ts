import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './support/pipeline.js';
import { rabbitmqSandbox } from './support/rabbitmq.js';

/**
 * `caudal run` (not --watch) of source.rabbitmq "consumes what is queued now": with a producer that
 * keeps adding messages, the run still ends promptly with the messages that were queued when it
 * started, and those sent after stay on the queue, undelivered, for the next run. Before, it read on
 * as long as messages kept arriving (until max_rows, 10,000), holding every one unacknowledged.
 * Through the engine, against the real broker.
 */
const root = await tempDir('caudal-streams-round4-rabbitmq-');
const { channel, queue, connections } = rabbitmqSandbox('r4bound');

type Row = Record<string, unknown>;

async function runDoc(name: string, nodes: object[], edges: Array<[string, string]>) {
  const dir = path.join(root, name);
  await mkdir(dir, { recursive: true });
  const { runPipeline } = await import('../core/src/engine/engine.js');
  const summary = await runPipeline({
    pipeline: { format: 'caudal.pipeline/1', name, params: {}, connections: { mq: { type: 'rabbitmq' } }, nodes, edges: edges.map(([from, to]) => ({ from, to })) } as never,
    baseDir: dir,
    connections: connections as never,
  });
  const rows = await readFile(path.join(dir, 'out.json'), 'utf8').then((x) => JSON.parse(x) as Row[], () => undefined);
  return { summary, rows };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `p`, or a failure saying `what` when it takes longer than `ms`. */
async function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(what)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

describe('source.rabbitmq plain run with a producer still sending', () => {
  it('ends promptly with the 10 messages queued at its start; the producer’s later messages stay queued, not redelivered', async () => {
    const qn = await queue('trickle');
    for (let i = 0; i < 10; i++) channel().sendToQueue(qn, Buffer.from(JSON.stringify({ id: i })));
    await channel().checkQueue(qn);
    // The producer: one message every 300 ms (ids from 100 on), until the test stops it.
    let stop = false;
    let sent = 0;
    const producer = (async () => {
      while (!stop) {
        channel().sendToQueue(qn, Buffer.from(JSON.stringify({ id: 100 + sent++ })));
        await sleep(300);
      }
    })();
    const t0 = Date.now();
    let result: Awaited<ReturnType<typeof runDoc>>;
    try {
      const run = runDoc('trickle', [
        { id: 'ev', type: 'source.rabbitmq', params: { connection: 'mq', queue: qn, columns: [{ name: 'id', type: 'INTEGER' }] } },
        { id: 'load', type: 'sink.json', params: { path: 'out.json', format: 'array' } },
      ], [['ev:out', 'load:in']]);
      result = await within(20_000, run, 'the plain run was still reading after 20 s, the producer still sending');
      // The producer keeps going a little after the run, as it would in production.
      await sleep(600);
    } finally {
      stop = true;
      await producer;
    }
    const { summary, rows } = result;
    expect(summary.status, summary.error?.message).toBe('succeeded');
    expect(Date.now() - t0).toBeLessThan(15_000);
    const ids = (rows ?? []).map((r) => r.id as number);
    // The queued messages, in order; at most the few the producer had added before the run counted
    // the queue (those were queued at its start too), none sent later.
    expect(ids.slice(0, 10)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const late = ids.slice(10);
    expect(late).toEqual(late.map((_, i) => 100 + i));
    expect(late.length).toBeLessThan(sent - 1);
    // Everything else the producer sent is still on the queue, in order, never delivered.
    await channel().checkQueue(qn);
    const left: Array<[number, boolean]> = [];
    for (let m = await channel().get(qn, { noAck: true }); m; m = await channel().get(qn, { noAck: true })) left.push([(JSON.parse(m.content.toString()) as { id: number }).id, m.fields.redelivered]);
    expect(left).toEqual(Array.from({ length: sent - late.length }, (_, i) => [100 + late.length + i, false]));
  }, 60_000);
});
