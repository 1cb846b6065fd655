/**
 * "Run continuously" against the real RabbitMQ broker (test/services/up.sh rabbitmq): messages
 * published while the run is live show up in the counters and the canvas, Stop ends the run as
 * stopped after committing, and the warehouse holds every message once. A broker that does not
 * answer fails the run with the reason in the studio's words.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { DuckDBInstance } from '@duckdb/node-api';
import { test, expect } from './fixtures.js';
import { launchTo, node, screenshot } from './helpers.js';
import { seriousViolations } from './axe.js';
import { connectTo, SERVICES } from '../support/services.js';

const url = new URL(SERVICES.amqpUrl);
// `caudal serve` (started by the fixture) reads the connection's password from its environment.
process.env.CAUDAL_SECRET_MQ_PASSWORD = decodeURIComponent(url.password);

let conn: ChannelModel;
let ch: Channel;
const queue = `caudal-e2e-continuous-${randomUUID().slice(0, 8)}`;

test.beforeAll(async () => {
  conn = await connectTo('rabbitmq', `${url.hostname}:${url.port}`, () => amqp.connect(SERVICES.amqpUrl));
  ch = await conn.createChannel();
  await ch.assertQueue(queue, { durable: true });
});

test.afterAll(async () => {
  await ch?.deleteQueue(queue).catch(() => undefined);
  await conn?.close();
});

/** Messages `from`..`to`-1 as JSON, generated here. */
function publish(from: number, to: number): void {
  for (let i = from; i < to; i++) ch.sendToQueue(queue, Buffer.from(JSON.stringify({ id: i, seq: i * 10, label: `event ${i}` })), { persistent: true });
}

function writePipeline(workspace: string, port: number): string {
  writeFileSync(
    path.join(workspace, 'caudal.connections.json'),
    JSON.stringify({ format: 'caudal.connections/1', connections: { mq: { type: 'rabbitmq', host: url.hostname, port, user: decodeURIComponent(url.username) } } }),
  );
  const file = path.join(workspace, 'events.caudal.json');
  writeFileSync(
    file,
    JSON.stringify({
      format: 'caudal.pipeline/1',
      name: 'Events',
      connections: { mq: { type: 'rabbitmq' } },
      nodes: [
        {
          id: 'mq',
          type: 'source.rabbitmq',
          params: { connection: 'mq', queue, columns: [{ name: 'id', type: 'INTEGER' }, { name: 'seq', type: 'BIGINT' }, { name: 'label', type: 'VARCHAR' }], metadata: false, max_wait_ms: 200 },
        },
        { id: 'load', type: 'sink.duckdb', params: { database: 'wh.duckdb', table: 'events', mode: 'append' } },
      ],
      edges: [{ from: 'mq:out', to: 'load:in' }],
      layout: { nodes: { mq: { x: 0, y: 0 }, load: { x: 300, y: 0 } } },
    }),
  );
  return file;
}

async function warehouse(file: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(file);
  try {
    const c = await db.connect();
    try {
      return (await c.runAndReadAll('SELECT count(*)::INT AS n, count(DISTINCT id)::INT AS ids, min(id)::INT AS lo, max(id)::INT AS hi, sum(seq)::BIGINT::VARCHAR AS seqs FROM events')).getRowObjectsJson() as Record<string, unknown>[];
    } finally {
      c.closeSync();
    }
  } finally {
    db.closeSync();
  }
}

test('run continuously: counters rise as messages arrive, Stop commits and ends the run as stopped', async ({ studioPage: page, workspace, studio }) => {
  const file = writePipeline(workspace, Number(url.port));
  await launchTo(page, studio.url, file, 2);
  await page.getByRole('button', { name: 'Run continuously' }).click();
  await expect(page.getByTestId('live-status')).toContainText('live');
  await expect(page.getByRole('button', { name: 'Stop', exact: true })).toBeEnabled();
  await expect(page.getByTestId('live-pill')).toContainText('live');

  publish(0, 30);
  await expect(page.getByTestId('live-read')).toContainText('30', { timeout: 30_000 });
  await expect(page.getByTestId('live-written-load')).toContainText('30');
  const firstCommit = await page.getByTestId('live-last-commit').textContent();
  expect(firstCommit).toMatch(/\d\d:\d\d:\d\d/);
  await expect(page.getByTestId('live-latency')).toContainText(/\d+ (ms|s)/);

  publish(30, 75);
  await expect(page.getByTestId('live-read')).toContainText('75', { timeout: 30_000 });
  await expect(page.getByTestId('live-written-load')).toContainText('75');
  const committed = Number((await page.getByTestId('live-committed').locator('.live-value').textContent())!.replace(/,/g, ''));
  expect(committed).toBeGreaterThanOrEqual(2);
  await expect(node(page, 'mq').getByTestId('live-badge')).toHaveText('75 rows read');
  await expect(node(page, 'load').getByTestId('live-badge')).toHaveText('75 rows written');
  await expect(page.getByTestId('live-failed')).toHaveCount(0);
  await screenshot(page, 'continuous-run');
  expect(await seriousViolations(page, 'continuous run, live')).toEqual([]);

  await page.getByRole('button', { name: 'Stop', exact: true }).click();
  await expect(page.getByTestId('live-status')).toContainText('stopped', { timeout: 30_000 });
  await expect(page.getByTestId('run-status')).toContainText('stopped');
  await expect(page.getByRole('button', { name: 'Run continuously' })).toBeEnabled();
  await expect(page.locator('.toast', { hasText: /^Stopped after \d+ batches: 75 rows written\.$/ })).toBeVisible();

  // Every message once, and none left on the queue (acknowledged after each commit).
  expect(await warehouse(path.join(workspace, 'wh.duckdb'))).toEqual([{ n: 75, ids: 75, lo: 0, hi: 74, seqs: String(10 * ((74 * 75) / 2)) }]);
  expect((await ch.checkQueue(queue)).messageCount).toBe(0);

  await page.getByRole('tab', { name: 'Run history' }).click();
  await expect(page.getByRole('table', { name: 'Run history' }).locator('tbody tr').first().locator('td').nth(1)).toHaveText('stopped');
});

test('a continuous run whose broker does not answer fails with the reason in words', async ({ studioPage: page, workspace, studio }) => {
  const file = writePipeline(workspace, 1);
  await launchTo(page, studio.url, file, 2);
  await page.getByRole('button', { name: 'Run continuously' }).click();
  await expect(page.getByTestId('live-status')).toContainText('failed', { timeout: 30_000 });
  await expect(page.getByTestId('live-error')).toContainText('Nothing answers at 127.0.0.1:1 (connection refused)');
  await expect(page.getByTestId('live-failed')).toContainText('1');
  await expect(page.getByTestId('run-status')).toContainText(/failed · .* · Nothing answers at 127\.0\.0\.1:1/);
  await expect(page.locator('.toast.error', { hasText: 'The continuous run failed in batch 1: Nothing answers at 127.0.0.1:1 (connection refused)' })).toBeVisible();
  await expect(node(page, 'mq').getByTestId('run-badge')).toContainText('failed');
  expect(await seriousViolations(page, 'continuous run, failed')).toEqual([]);
  await expect(page.getByRole('button', { name: 'Run continuously' })).toBeEnabled();
});
