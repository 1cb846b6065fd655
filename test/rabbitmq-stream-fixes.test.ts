import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './support/pipeline.js';
import { rabbitmqSandbox } from './support/rabbitmq.js';

/**
 * source.rabbitmq and sink.rabbitmq against the real broker, through the engine API: value keys
 * named like metadata columns do not push the metadata aside, a refused login says what to do with
 * declared columns too, and a text value column is labelled text/plain.
 */
const root = await tempDir('caudal-rabbitmq-fixes-');
const { channel, queue, connections } = rabbitmqSandbox('rfx');

type Row = Record<string, unknown>;

async function runDoc(name: string, nodes: object[], edges: Array<[string, string]>, conns: object = connections) {
  const dir = path.join(root, name);
  await mkdir(dir, { recursive: true });
  const { runPipeline } = await import('../core/src/engine/engine.js');
  const warnings: string[] = [];
  const summary = await runPipeline({
    pipeline: { format: 'caudal.pipeline/1', name, params: {}, connections: { mq: { type: 'rabbitmq' } }, nodes, edges: edges.map(([from, to]) => ({ from, to })) } as never,
    baseDir: dir,
    connections: conns as never,
    onEvent: (e) => void (e.type === 'warning' && warnings.push(e.message)),
  });
  const rows = await readFile(path.join(dir, 'out.json'), 'utf8').then((x) => JSON.parse(x) as Row[], () => undefined);
  return { summary, warnings, rows };
}

const toJson = (qn: string, params: object = {}): object[] => [
  { id: 'ev', type: 'source.rabbitmq', params: { connection: 'mq', queue: qn, ...params } },
  { id: 'load', type: 'sink.json', params: { path: 'out.json', format: 'array' } },
];

describe('source.rabbitmq value keys named like metadata columns', () => {
  it('the metadata keeps its name, the value key is read as value_<key>, with a warning', async () => {
    const qn = await queue('spoof');
    channel().sendToQueue(qn, Buffer.from(JSON.stringify({ id: 1, _routing_key: 'spoofed', _redelivered: true })));
    const { summary, rows, warnings } = await runDoc('spoof', toJson(qn, { columns: [{ name: 'id', type: 'INTEGER' }, { name: '_routing_key', type: 'VARCHAR' }, { name: '_redelivered', type: 'BOOLEAN' }] }), [['ev:out', 'load:in']]);
    expect(summary.status, summary.error?.message).toBe('succeeded');
    expect(rows?.map((r) => [r.id, r._routing_key, r._redelivered, r.value__routing_key, r.value__redelivered])).toEqual([[1, qn, false, 'spoofed', true]]);
    expect(warnings.join('\n')).toContain("'_routing_key' as 'value__routing_key'");
  }, 60_000);
});

describe('source.rabbitmq refused login', () => {
  it('with declared columns, a wrong password fails naming the queue and saying to check the user and password', async () => {
    const qn = await queue('login');
    const wrong = { mq: { ...connections.mq, config: { ...connections.mq.config, password: 'not-the-password' } } };
    const { summary } = await runDoc('login', toJson(qn, { columns: [{ name: 'id', type: 'INTEGER' }] }), [['ev:out', 'load:in']], wrong);
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain(`cannot consume queue '${qn}'`);
    expect(summary.error?.hint).toContain('check the user and password');
  }, 60_000);
});

describe('source.rabbitmq on a quorum queue', () => {
  it('a run whose inference finds messages a preview delivered warns that previews count as deliveries', async () => {
    const qn = await queue('quorum', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    channel().sendToQueue(qn, Buffer.from(JSON.stringify({ id: 1 })));
    const dir = path.join(root, 'quorum');
    await mkdir(dir, { recursive: true });
    const { previewPipeline } = await import('../core/src/engine/engine.js');
    const pipeline = { format: 'caudal.pipeline/1', name: 'quorum', params: {}, connections: { mq: { type: 'rabbitmq' } }, nodes: toJson(qn, { columns: [{ name: 'id', type: 'INTEGER' }] }), edges: [{ from: 'ev:out', to: 'load:in' }] };
    await previewPipeline({ pipeline: pipeline as never, baseDir: dir, nodeId: 'ev', connections: connections as never } as never);
    // The run's inference of the columns peeks again, and sees the preview's delivery counted.
    const { summary, warnings, rows } = await runDoc('quorum-run', toJson(qn), [['ev:out', 'load:in']]);
    expect(summary.status, summary.error?.message).toBe('succeeded');
    expect(rows?.map((r) => r.id)).toEqual([1]);
    expect(warnings.join('\n')).toContain(`queue '${qn}' counts deliveries (a quorum queue)`);
  }, 60_000);
});

describe('sink.rabbitmq content type', () => {
  it('a text value column is text/plain; rows as JSON and a JSON column are application/json', async () => {
    const qs = { text: await queue('ctype-text'), json: await queue('ctype-json'), rows: await queue('ctype-rows') };
    const source = { id: 'src', type: 'transform.sql', params: { query: `SELECT 'hello' AS greeting, '{"a":1}'::JSON AS doc` } };
    const publish = (id: keyof typeof qs, params: object) => ({ id, type: 'sink.rabbitmq', params: { connection: 'mq', exchange: '', routing_key: qs[id], ...params } });
    const { summary } = await runDoc('ctype', [source, publish('text', { value_column: 'greeting' }), publish('json', { value_column: 'doc' }), publish('rows', {})], [
      ['src:out', 'text:in'],
      ['src:out', 'json:in'],
      ['src:out', 'rows:in'],
    ]);
    expect(summary.status, summary.error?.message).toBe('succeeded');
    const first = async (qn: string) => {
      const m = await channel().get(qn, { noAck: true });
      return m ? [m.content.toString(), m.properties.contentType as unknown] : undefined;
    };
    expect(await first(qs.text)).toEqual(['hello', 'text/plain; charset=utf-8']);
    expect(await first(qs.json)).toEqual(['{"a":1}', 'application/json']);
    expect(await first(qs.rows)).toEqual(['{"greeting":"hello","doc":{"a":1}}', 'application/json']);
  }, 60_000);
});
