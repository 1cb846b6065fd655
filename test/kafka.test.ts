import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { caudal } from './support/cli.js';
import { tempDir } from './support/pipeline.js';
import { SERVICES } from './support/services.js';
import { inDb } from './support/duckdb.js';
import { kafkaSandbox, readCommitted } from './support/kafka.js';

/**
 * source.kafka and sink.kafka against the real broker (test/services/up.sh): bounded reads that
 * acknowledge only after the run committed, previews that consume nothing, rejects, and transactional
 * writes that readers see only when the run commits.
 */
const root = await tempDir('caudal-kafka-');
const { kafka, producer, suffix, topic: newTopic } = await kafkaSandbox('caudal-test');
const topic = (name: string, partitions = 3) => newTopic(name, partitions);

async function produce(t: string, from: number, to: number, value = (i: number) => JSON.stringify({ id: i, name: `n${i}`, amount: i * 1.5 })): Promise<void> {
  const messages = [];
  for (let i = from; i < to; i++) messages.push({ key: String(i), value: value(i) });
  for (let i = 0; i < messages.length; i += 5000) await producer.send({ topic: t, messages: messages.slice(i, i + 5000) });
}

async function project(name: string, doc: object): Promise<{ dir: string; run: (...args: string[]) => ReturnType<typeof caudal> }> {
  const dir = path.join(root, name);
  await mkdir(dir, { recursive: true });
  await writeFile(
    path.join(dir, 'caudal.connections.json'),
    JSON.stringify({ format: 'caudal.connections/1', connections: { bus: { type: 'kafka', brokers: SERVICES.kafkaBrokers.join(','), client_id: 'caudal-test' } } }),
  );
  await writeFile(path.join(dir, 'pipeline.json'), JSON.stringify({ format: 'caudal.pipeline/1', name, params: {}, connections: { bus: { type: 'kafka' } }, ...doc }, null, 2));
  const env = { CAUDAL_RUNTIME_DIR: path.join(dir, 'runtime'), CAUDAL_CONFIG_DIR: path.join(dir, 'config') };
  return { dir, run: (...args) => caudal(['run', 'pipeline.json', ...args], { cwd: dir, env }) };
}

const query = inDb;

const toWarehouse = (from: string, extra: object[] = [], edges: object[] = []) => ({
  nodes: [{ id: 'events', type: 'source.kafka', params: { connection: 'bus', topics: [from] } }, { id: 'load', type: 'sink.duckdb', params: { database: 'wh.duckdb', table: 'events', mode: 'append' } }, ...extra],
  edges: edges.length ? edges : [{ from: 'events:out', to: 'load:in' }],
});

describe('source.kafka', () => {
  it('reads what the topic holds, once: a second run reads only what arrived since', async () => {
    const t = await topic('once');
    await produce(t, 0, 1000);
    const p = await project('once', toWarehouse(t));
    const first = await p.run('-q');
    expect(first.code, first.stderr).toBe(0);
    const wh = path.join(p.dir, 'wh.duckdb');
    expect(await query(wh, 'SELECT count(*)::INT AS n, count(DISTINCT id)::INT AS d, sum(amount) AS s FROM events')).toEqual([{ n: 1000, d: 1000, s: 749250 }]);
    expect(await query(wh, `SELECT DISTINCT _topic FROM events`)).toEqual([{ _topic: t }]);
    expect((await p.run('-q')).code).toBe(0);
    expect(await query(wh, 'SELECT count(*)::INT AS n FROM events')).toEqual([{ n: 1000 }]);
    await produce(t, 1000, 1500);
    expect((await p.run('-q')).code).toBe(0);
    expect(await query(wh, 'SELECT count(*)::INT AS n, count(DISTINCT id)::INT AS d FROM events')).toEqual([{ n: 1500, d: 1500 }]);
  });

  it('a failed run acknowledges nothing: the fixed pipeline reads the same messages again', async () => {
    const t = await topic('replay');
    await produce(t, 0, 300);
    const failing = toWarehouse(t, [{ id: 'check', type: 'transform.derive', params: { columns: [{ name: 'ok', expression: `CASE WHEN id = 150 THEN error('poison row') ELSE 1 END` }] } }], [
      { from: 'events:out', to: 'check:in' },
      { from: 'check:out', to: 'load:in' },
    ]);
    const p = await project('replay', failing);
    const r = await p.run('-q');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('poison row');
    await writeFile(path.join(p.dir, 'pipeline.json'), JSON.stringify({ format: 'caudal.pipeline/1', name: 'replay', params: {}, connections: { bus: { type: 'kafka' } }, ...toWarehouse(t) }, null, 2));
    expect((await p.run('-q')).code).toBe(0);
    expect(await query(path.join(p.dir, 'wh.duckdb'), 'SELECT count(*)::INT AS n, count(DISTINCT id)::INT AS d FROM events')).toEqual([{ n: 300, d: 300 }]);
  });

  it('a run killed after its sinks committed but before acknowledging reads the batch again: at-least-once, never lost', async () => {
    const t = await topic('replayed');
    await produce(t, 0, 400);
    const p = await project('replayed', toWarehouse(t));
    const killed = await caudal(['run', 'pipeline.json', '-q'], { cwd: p.dir, env: { CAUDAL_RUNTIME_DIR: path.join(p.dir, 'runtime'), CAUDAL_CONFIG_DIR: path.join(p.dir, 'config'), CAUDAL_FAILPOINT: 'before-acknowledge' } });
    expect(killed.signal).toBe('SIGKILL');
    expect((await p.run('-q')).code).toBe(0);
    // The append sink holds the batch twice; an upsert by key would hold it once.
    expect(await query(path.join(p.dir, 'wh.duckdb'), 'SELECT count(*)::INT AS n, count(DISTINCT id)::INT AS d FROM events')).toEqual([{ n: 800, d: 400 }]);
    expect((await p.run('-q')).code).toBe(0);
    expect(await query(path.join(p.dir, 'wh.duckdb'), 'SELECT count(*)::INT AS n FROM events')).toEqual([{ n: 800 }]);
  });

  it('"run up to here" on the source acknowledges nothing: no sink received the batch, so the next full run reads it', async () => {
    const t = await topic('up-to-here');
    await produce(t, 0, 250);
    const p = await project('up-to-here', toWarehouse(t));
    const partial = await p.run('--node', 'events', '-q');
    expect(partial.code, partial.stderr).toBe(0);
    expect((await p.run('-q')).code).toBe(0);
    expect(await query(path.join(p.dir, 'wh.duckdb'), 'SELECT count(*)::INT AS n, count(DISTINCT id)::INT AS d FROM events')).toEqual([{ n: 250, d: 250 }]);
  });

  it('previews the latest messages without consuming them', async () => {
    const t = await topic('peek', 1);
    await produce(t, 0, 250);
    const p = await project('peek', toWarehouse(t));
    const preview = await caudal(['preview', 'pipeline.json', '--node', 'events', '--limit', '3', '--json'], { cwd: p.dir, env: { CAUDAL_CONFIG_DIR: path.join(p.dir, 'config') } });
    expect(preview.code, preview.stderr).toBe(0);
    const shown = JSON.parse(preview.stdout) as { rows: Array<{ id: number }>; sampled: boolean };
    expect(shown.rows.length).toBe(3);
    expect(shown.sampled).toBe(true);
    expect((await p.run('-q')).code).toBe(0);
    expect(await query(path.join(p.dir, 'wh.duckdb'), 'SELECT count(*)::INT AS n FROM events')).toEqual([{ n: 250 }]);
  });

  it('sends values that are not JSON to the rejects port with topic, partition, offset and reason', async () => {
    const t = await topic('rejects', 1);
    await produce(t, 0, 10, (i) => (i === 4 ? 'not json {' : JSON.stringify({ id: i })));
    const doc = toWarehouse(t, [{ id: 'bad', type: 'sink.csv', params: { path: 'rejects.csv' } }], [
      { from: 'events:out', to: 'load:in' },
      { from: 'events:rejects', to: 'bad:in' },
    ]);
    (doc.nodes[0] as { params: Record<string, unknown> }).params.on_error = 'reject';
    (doc.nodes[0] as { params: Record<string, unknown> }).params.columns = [{ name: 'id', type: 'INTEGER' }];
    const p = await project('rejects', doc);
    const r = await p.run();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("1 message did not decode and was set aside on the 'rejects' port");
    const rejects = await query(':memory:', `SELECT _raw, _partition::INT AS p, _offset::INT AS o, _reason FROM '${path.join(p.dir, 'rejects.csv')}'`);
    expect(rejects).toEqual([{ _raw: 'not json {', p: 0, o: 4, _reason: expect.stringContaining('the value is not JSON') }]);
    expect(await query(path.join(p.dir, 'wh.duckdb'), 'SELECT count(*)::INT AS n FROM events')).toEqual([{ n: 9 }]);
  });

  it('reads a pretty-printed value as sent: integers beyond 2^53 and decimals sent as strings arrive exactly', async () => {
    const t = await topic('exact', 1);
    await produce(t, 0, 1, () => '{\n  "id": 9007199254740993,\n  "amount": "12345678901234567.891"\n}\n');
    const doc = toWarehouse(t);
    (doc.nodes[0] as { params: Record<string, unknown> }).params.columns = [{ name: 'id', type: 'BIGINT' }, { name: 'amount', type: 'DECIMAL(20,3)' }];
    const p = await project('exact', doc);
    const r = await p.run('-q');
    expect(r.code, r.stderr).toBe(0);
    expect(await query(path.join(p.dir, 'wh.duckdb'), 'SELECT id::VARCHAR AS id, amount::VARCHAR AS amount FROM events')).toEqual([{ id: '9007199254740993', amount: '12345678901234567.891' }]);
  });

  it('a JSON value that does not fit the columns is set aside with the reason, or stops the run naming the message', async () => {
    const t = await topic('unfit', 1);
    // 8.5 would be truncated to 8 by DuckDB's JSON reader: the node refuses it.
    const values = ['{"id": 1}', '{"id": "abc"}', '{"id": 3}', '{"id": 4, "id": 5}', '[6]', '{"id": 7}', '{"id": 8.5}'];
    await produce(t, 0, values.length, (i) => values[i]!);
    const doc = toWarehouse(t, [{ id: 'bad', type: 'sink.csv', params: { path: 'rejects.csv' } }], [
      { from: 'events:out', to: 'load:in' },
      { from: 'events:rejects', to: 'bad:in' },
    ]);
    const params = (doc.nodes[0] as { params: Record<string, unknown> }).params;
    params.columns = [{ name: 'id', type: 'INTEGER' }];

    // on_error fail (the default): nothing is written, the error says which message and why.
    const strict = await project('unfit-fail', doc);
    const failed = await strict.run('-q');
    expect(failed.code).toBe(1);
    // A value that is no JSON object is refused as the batch is spooled, before DuckDB reads any.
    expect(failed.stderr).toContain(`node 'events': message ${t}/0@4: the value is a JSON array, not an object: the value columns are read from the keys of a JSON object`);
    expect(failed.stderr).not.toContain('.ndjson');

    // on_error reject: the three that do not fit go to the rejects port; the rest load.
    params.on_error = 'reject';
    const lenient = await project('unfit-reject', doc);
    const r = await lenient.run();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("4 messages did not decode and were set aside on the 'rejects' port");
    expect(await query(path.join(lenient.dir, 'wh.duckdb'), 'SELECT id FROM events ORDER BY id')).toEqual([{ id: 1 }, { id: 3 }, { id: 7 }]);
    const rejects = await query(':memory:', `SELECT _raw, _offset::INT AS o, _reason FROM '${path.join(lenient.dir, 'rejects.csv')}' ORDER BY o`);
    expect(rejects).toEqual([
      { _raw: '{"id": "abc"}', o: 1, _reason: `the value does not fit the value columns: field id: '"abc"' is not a number of type INTEGER` },
      { _raw: '{"id": 4, "id": 5}', o: 3, _reason: expect.stringContaining('has duplicate key "id"') },
      { _raw: '[6]', o: 4, _reason: expect.stringContaining('the value is a JSON array, not an object') },
      { _raw: '{"id": 8.5}', o: 6, _reason: `the value does not fit the value columns: field id: '8.5' is not a whole number of type INTEGER` },
    ]);
  });

  it('reads every topic whose name matches a pattern, and says so when none does', async () => {
    const a = await topic('pattern-a', 1);
    const b = await topic('pattern-b', 1);
    const other = await topic('patternless', 1);
    await produce(a, 0, 5);
    await produce(b, 5, 12);
    await produce(other, 100, 103);
    const doc = toWarehouse(a);
    Object.assign((doc.nodes[0] as { params: Record<string, unknown> }).params, { topics: [], topic_pattern: `caudal-test-pattern-[ab]-${suffix}` });
    const p = await project('pattern', doc);
    const r = await p.run('-q');
    expect(r.code, r.stderr).toBe(0);
    expect(await query(path.join(p.dir, 'wh.duckdb'), 'SELECT _topic, count(*)::INT AS n FROM events GROUP BY _topic ORDER BY _topic')).toEqual([{ _topic: a, n: 5 }, { _topic: b, n: 7 }]);
    Object.assign((doc.nodes[0] as { params: Record<string, unknown> }).params, { topic_pattern: `caudal-test-nothing-${suffix}` });
    const none = await project('pattern-none', doc);
    const miss = await none.run('-q');
    expect(miss.code).toBe(2);
    expect(miss.stderr).toContain(`no topic matches the pattern 'caudal-test-nothing-${suffix}'`);
  });

  it('reads CSV values into the declared columns, typed, and sets aside lines with the wrong number of fields', async () => {
    const t = await topic('csv', 1);
    await produce(t, 0, 6, (i) => (i === 3 ? `${i};only two` : `${i};"Smith; ${i}";${i * 2.5};`));
    const doc = toWarehouse(t, [{ id: 'bad', type: 'sink.csv', params: { path: 'rejects.csv' } }], [
      { from: 'events:out', to: 'load:in' },
      { from: 'events:rejects', to: 'bad:in' },
    ]);
    Object.assign((doc.nodes[0] as { params: Record<string, unknown> }).params, {
      format: 'csv',
      csv_delimiter: ';',
      metadata: false,
      on_error: 'reject',
      columns: [{ name: 'id', type: 'INTEGER' }, { name: 'name', type: 'VARCHAR' }, { name: 'amount', type: 'DOUBLE' }, { name: 'note', type: 'VARCHAR' }],
    });
    const p = await project('csv', doc);
    const r = await p.run();
    expect(r.code, r.stderr).toBe(0);
    expect(await query(path.join(p.dir, 'wh.duckdb'), 'SELECT id, name, amount, note FROM events ORDER BY id')).toEqual([0, 1, 2, 4, 5].map((i) => ({ id: i, name: `Smith; ${i}`, amount: i * 2.5, note: null })));
    const rejects = await query(':memory:', `SELECT _raw, _reason FROM '${path.join(p.dir, 'rejects.csv')}'`);
    expect(rejects).toEqual([{ _raw: '3;only two', _reason: 'the value has 2 fields, not 4 (id, name, amount, note)' }]);
  });
});

describe('--watch through the engine API (what the studio\'s "Run continuously" uses)', () => {
  it('runs batch after batch with per-batch events; stop() finishes the current batch and commits it', async () => {
    const t = await topic('watch-api', 1);
    await produce(t, 0, 100);
    const dir = path.join(root, 'watch-api');
    await mkdir(dir, { recursive: true });
    const { startRun } = await import('../core/src/engine/engine.js');
    const events: Array<{ type: string; summary?: { batch?: number; rowsIn?: number; status?: string; batches?: { committed: number; rowsIn: number } } }> = [];
    const handle = startRun({
      pipeline: { format: 'caudal.pipeline/1', name: 'watch-api', params: {}, connections: { bus: { type: 'kafka' } }, ...toWarehouse(t) } as never,
      baseDir: dir,
      connections: { bus: { name: 'bus', type: 'kafka', config: { brokers: SERVICES.kafkaBrokers.join(','), client_id: 'caudal-test', ssl: false, sasl_mechanism: 'none', connect_timeout_s: 10 } } },
      watch: true,
      onEvent: (e) => events.push(e as never),
    });
    const until = async (check: () => boolean) => {
      for (let i = 0; i < 600 && !check(); i++) await new Promise((r) => setTimeout(r, 100));
    };
    await until(() => events.some((e) => e.type === 'batch_finished'));
    await produce(t, 100, 150);
    await until(() => events.filter((e) => e.type === 'batch_finished').length >= 2);
    handle.stop();
    const summary = await handle.done;
    expect(summary.status).toBe('cancelled');
    expect(summary.batches).toEqual({ committed: expect.any(Number), rowsIn: 150 });
    expect(summary.batches!.committed).toBeGreaterThanOrEqual(2);
    // Stopped while it waited for messages: no "batch in progress was finished" that never was.
    expect(summary.error?.message).toBe(`stopped after ${summary.batches!.committed} committed batches; every committed batch is in the destinations, and no batch was in progress (it was waiting for new data)`);
    expect(events.filter((e) => e.type === 'batch_finished').every((e) => e.summary?.status === 'succeeded')).toBe(true);
    expect(await query(path.join(dir, 'wh.duckdb'), 'SELECT count(*)::INT AS n FROM events')).toEqual([{ n: 150 }]);
  });
});

describe('sink.kafka', () => {
  it('refuses to publish a row with NaN or Infinity, which JSON cannot hold, naming the column; nothing is published', async () => {
    const out = await topic('nan', 1);
    const p = await project('publish-nan', {
      nodes: [
        { id: 'src', type: 'transform.sql', params: { query: `SELECT range AS id, range / (range - 7.0) * 0.0 AS ratio FROM range(10)` } },
        { id: 'pub', type: 'sink.kafka', params: { connection: 'bus', topic: out, key_column: 'id' } },
      ],
      edges: [{ from: 'src:out', to: 'pub:in' }],
    });
    const r = await p.run('-q');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('column "ratio" holds');
    expect(r.stderr).toContain('which JSON cannot represent');
    expect(await readCommitted(kafka, out)).toEqual([]);
  });

  it('publishes every row as JSON in one transaction; a failed run publishes nothing readers can see', async () => {
    const out = await topic('out', 2);
    const rows = `SELECT range AS id, 'n' || range AS name FROM range(200)`;
    const ok = await project('publish', {
      nodes: [
        { id: 'src', type: 'transform.sql', params: { query: rows } },
        { id: 'pub', type: 'sink.kafka', params: { connection: 'bus', topic: out, key_column: 'id' } },
      ],
      edges: [{ from: 'src:out', to: 'pub:in' }],
    });
    // The same rows, plus a CSV sink that fails after the Kafka sink staged.
    const failing = await project('publish-fails', {
      nodes: [
        { id: 'src', type: 'transform.sql', params: { query: rows } },
        { id: 'pub', type: 'sink.kafka', params: { connection: 'bus', topic: out, key_column: 'id' } },
        { id: 'bad', type: 'transform.derive', params: { columns: [{ name: 'x', expression: `CASE WHEN id = 199 THEN error('late failure') ELSE 1 END` }] } },
        { id: 'csv', type: 'sink.csv', params: { path: 'x.csv' } },
      ],
      edges: [
        { from: 'src:out', to: 'pub:in' },
        { from: 'src:out', to: 'bad:in' },
        { from: 'bad:out', to: 'csv:in' },
      ],
    });
    const f = await failing.run('-q');
    expect(f.code).toBe(1);
    expect(await readCommitted(kafka, out)).toEqual([]);
    expect((await ok.run('-q')).code).toBe(0);
    const seen = (await readCommitted(kafka, out)).map((v) => JSON.parse(v) as { id: number; name: string });
    expect(seen.length).toBe(200);
    expect(seen.map((m) => m.id).sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });
});
