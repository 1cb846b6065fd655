import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { tempDir } from './support/pipeline.js';
import { rabbitmqSandbox } from './support/rabbitmq.js';

/**
 * sink.rabbitmq publishing a message over the broker's max_message_size (RabbitMQ 3.x: 128 MiB by
 * default, 4.x: 16 MiB): the broker closes the channel. The run's error must say what happened to
 * the messages before it, truly. Through the engine API (the sources under test, no build).
 */
const root = await tempDir('caudal-hostile-mq-sink-size-');
const mq = rabbitmqSandbox('hms');
const connections = mq.connections;

describe('sink.rabbitmq: a message over the broker\'s size limit', () => {
  it('fails naming the message, its size and the limit, and says truly how many earlier messages the queues hold', async () => {
    const qn = await mq.queue('size', { durable: false });
    const dir = path.join(root, 'size');
    await mkdir(dir, { recursive: true });
    const { runPipeline } = await import('../core/src/engine/engine.js');
    // 128 MiB + 1 byte: over RabbitMQ 3.x's default max_message_size (the test broker keeps the default).
    const sql = `SELECT CASE WHEN i = 3 THEN repeat('x', 134217729) ELSE 'small ' || i END AS body FROM range(1, 6) t(i) ORDER BY i`;
    const summary = await runPipeline({
      pipeline: {
        format: 'caudal.pipeline/1',
        name: 'size',
        params: {},
        connections: { mq: { type: 'rabbitmq' } },
        nodes: [{ id: 'src', type: 'transform.sql', params: { query: sql } }, { id: 'pub', type: 'sink.rabbitmq', params: { connection: 'mq', routing_key: qn, value_column: 'body' } }],
        edges: [{ from: 'src:out', to: 'pub:in' }],
      } as never,
      baseDir: dir,
      connections: connections as never,
    });
    await sleep(300);
    const held = (await mq.channel().checkQueue(qn)).messageCount;
    expect(summary.status).toBe('failed');
    // Rows 1 and 2 reached the queue; the broker refused row 3 and discarded 4 and 5 with the channel.
    expect(held).toBe(2);
    const message = summary.error?.message ?? '';
    expect(message).toMatch(/row 3 of the input \(message id pub-[0-9a-f]+-1\) is 134217729 bytes, over the broker's max_message_size of 134217728 bytes/);
    expect(message).toMatch(/no message after it was published; of the 2 sent before it, 2 were confirmed and stay published/);
    expect(message).not.toMatch(/5 of 5 messages were (published|sent)/);
    expect(summary.error?.hint).toMatch(/raise max_message_size/);
  }, 120_000);
});
