import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Db } from '../core/src/compiler/db.js';
import type { RunSummary } from '../core/src/engine/protocol.js';
import { CaudalError } from '../core/src/util/errors.js';
import { tempDir } from './support/pipeline.js';
import { connectTo, SERVICES } from './support/services.js';

/**
 * One Ctrl-C or SIGTERM during sink.rabbitmq's commit left 43,008 of 300,000 messages published and
 * failed the run with "DuckDB ended the rows after 43008 of 300000 without an error": the run
 * ignores a cancel once its commit has begun (`run --help`: "the run finishes it instead"), but the
 * engine worker still interrupted DuckDB, which cut the rows the sink streams while it publishes.
 */

describe('Db.stream and interrupts', () => {
  let db: Db;
  beforeAll(async () => {
    db = await Db.open({ threads: 1 });
    await db.run('CREATE TABLE t AS SELECT range AS n FROM range(300000)');
  });
  afterAll(() => db.close());

  it('says that an interrupt cut the rows, not that DuckDB ended them without an error', async () => {
    let streamed = 0;
    const error = await (async () => {
      for await (const chunk of db.stream('SELECT n FROM t ORDER BY n', 'js')) {
        if (streamed === 0) db.interrupt();
        streamed += chunk.length;
      }
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(streamed).toBeLessThan(300000);
    expect(error).toBeInstanceOf(CaudalError);
    expect((error as CaudalError).kind).toBe('cancelled');
    expect((error as Error).message).toMatch(/^the rows stopped after \d+: DuckDB's query was interrupted because the run was cancelled/);
    expect((error as Error).message).not.toContain('without an error');
  });

  it('is not interrupted while interrupts are held (a run that is committing): every row comes', async () => {
    const release = db.holdInterrupts();
    let streamed = 0;
    try {
      expect(db.interruptible).toBe(false);
      for await (const chunk of db.stream('SELECT n FROM t ORDER BY n', 'js')) {
        expect(db.interrupt()).toBe(false);
        streamed += chunk.length;
      }
    } finally {
      release();
    }
    expect(streamed).toBe(300000);
    expect(db.interruptible).toBe(true);
  });
});

describe('a cancel during the commit of a sink that streams its rows while it publishes (sink.rabbitmq)', () => {
  const url = new URL(SERVICES.amqpUrl);
  const connections = {
    mq: { name: 'mq', type: 'rabbitmq', config: { host: url.hostname, port: Number(url.port), vhost: '/', user: decodeURIComponent(url.username), password: decodeURIComponent(url.password), tls: false, heartbeat_s: 30 } },
  };
  const queue = `s39e_${randomUUID().slice(0, 8)}`;
  let conn: ChannelModel;
  let ch: Channel;
  beforeAll(async () => {
    conn = await connectTo('rabbitmq', `${url.hostname}:${url.port}`, () => amqp.connect(SERVICES.amqpUrl));
    ch = await conn.createChannel();
    await ch.assertQueue(queue, { durable: true });
  });
  afterAll(async () => {
    await ch?.deleteQueue(queue).catch(() => undefined);
    await conn?.close();
  });

  it('is ignored: the run finishes the commit, every message is published and the run succeeds', async () => {
    const rows = 150_000;
    const dir = path.join(await tempDir('caudal-round6-commit-cancel-'), 'p');
    await mkdir(dir, { recursive: true });
    const { startRun } = await import('../core/src/engine/engine.js');
    const handle = startRun({
      pipeline: {
        format: 'caudal.pipeline/1',
        name: 'commit-cancel',
        params: {},
        connections: { mq: { type: 'rabbitmq' } },
        nodes: [
          { id: 'src', type: 'transform.sql', params: { query: `SELECT range AS id FROM range(${rows})` } },
          { id: 'pub', type: 'sink.rabbitmq', params: { connection: 'mq', routing_key: queue } },
        ],
        edges: [{ from: 'src:out', to: 'pub:in' }],
      } as never,
      baseDir: dir,
      stateDir: path.join(dir, 'state'),
      connections: connections as never,
    });
    let finished: RunSummary | undefined;
    const done = handle.done.then((s) => (finished = s));
    // The seam: messages reaching the queue, so the commit is publishing. Then Ctrl-C, again and
    // again (as a user would) until the run is over; the engine's own cancel, as `caudal run` sends it.
    let cancels = 0;
    while (!finished) {
      const depth = (await ch.checkQueue(queue)).messageCount;
      if (depth > 0 && depth < rows) {
        handle.cancel();
        cancels++;
      }
      await Promise.race([done, sleep(depth > 0 ? 20 : 5)]);
    }
    const summary = await done;
    expect(cancels).toBeGreaterThan(0);
    expect(summary.error?.message).toBeUndefined();
    expect(summary.status).toBe('succeeded');
    expect(summary.outputs).toEqual([expect.objectContaining({ nodeId: 'pub', rows })]);
    expect((await ch.checkQueue(queue)).messageCount).toBe(rows);
  }, 240_000);
});
