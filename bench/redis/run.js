/**
 * bench/redis: 1M rows (5 columns) written as Redis hashes, one key per row, by sink.redis (upsert:
 * staged in batches, written onto the keys by Lua at commit; or --mode replace_namespace) vs a hand-written loop that streams the same
 * rows out of DuckDB and sends HSET in pipelines of one DuckDB chunk (2,048 rows), in the same run.
 * Both write under their own prefix in database --db; the keys are removed afterwards.
 *
 *   npm run build && node bench/redis/run.js [--rows 1000000] [--reps 2] [--url redis://127.0.0.1:6379] [--db 9] [--mode upsert|replace_namespace] [--value hash|string]
 *   node --import tsx bench/redis/run.js --src …   (the engine from the TypeScript sources, without a build)
 */
import os from 'node:os';
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { createClient } from 'redis';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    reps: { type: 'string', default: '2' },
    url: { type: 'string', default: 'redis://127.0.0.1:6379' },
    db: { type: 'string', default: '9' },
    mode: { type: 'string', default: 'upsert' },
    // string: one plain value per key (the row's name), SET instead of HSET on both sides.
    value: { type: 'string', default: 'hash' },
    src: { type: 'boolean', default: false },
  },
});
const { runPipeline } = await import(values.src ? '../../core/src/engine/engine.ts' : '../../dist/core/src/engine/engine.js');
const plain = values.value === 'string';
const N = Number(values.rows);
const reps = Number(values.reps);
const url = new URL(values.url);
const database = Number(values.db);
const work = path.join(os.tmpdir(), 'caudal-bench-redis');
mkdirSync(work, { recursive: true });
const parquet = path.join(work, `rows-${N}.parquet`);

const instance = await DuckDBInstance.create(':memory:');
const duck = await instance.connect();
await duck.run(`COPY (SELECT range AS id, 'customer ' || range AS name, ['Paris','Lyon','Lille'][range % 3 + 1] AS city, round(range * 1.37, 2) AS amount, DATE '2024-01-01' + (range % 365)::INT AS day FROM range(${N})) TO '${parquet}' (FORMAT parquet)`);

const client = createClient({ url: values.url, database });
await client.connect();
const server = /redis_version:(\S+)/.exec(await client.info('server'))[1];
console.log(`${N.toLocaleString('en-US')} rows (5 columns) as ${plain ? 'plain values (name)' : 'hashes'}, sink mode ${values.mode}, Redis ${server}, ${os.cpus().length} cores, node ${process.version}\n`);

async function clear(prefix) {
  for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 5000 })) if (keys.length) await client.unlink(keys);
}

async function handWritten(prefix) {
  const t0 = performance.now();
  const result = await duck.stream(`SELECT CAST(id AS VARCHAR), name, city, CAST(amount AS VARCHAR), CAST(day AS VARCHAR) FROM '${parquet}'`);
  const names = ['id', 'name', 'city', 'amount', 'day'];
  let inFlight;
  let n = 0;
  for await (const chunk of result.yieldRowsJs()) {
    const multi = client.multi();
    for (const row of chunk) {
      const cmd = plain ? ['SET', `${prefix}customer:${row[0]}`, row[1]] : ['HSET', `${prefix}customer:${row[0]}`];
      if (!plain) for (let i = 0; i < row.length; i++) if (row[i] !== null) cmd.push(names[i], row[i]);
      multi.addCommand(cmd);
    }
    if (inFlight) await inFlight;
    inFlight = multi.execAsPipeline();
    n += chunk.length;
  }
  await inFlight;
  return { ms: performance.now() - t0, rows: n };
}

/** Server time spent in EVAL so far (INFO commandstats): for upsert, the commit scripts; for replace_namespace, the writes. */
async function evalUsec() {
  const m = /cmdstat_eval:calls=\d+,usec=(\d+)/.exec(await client.info('commandstats'));
  return m ? Number(m[1]) : 0;
}

/** CPU seconds the server has used (INFO cpu, user + system): what a load costs the server, whatever else runs on the machine. */
async function serverCpu() {
  const info = await client.info('cpu');
  return Number(/used_cpu_user:([\d.]+)/.exec(info)[1]) + Number(/used_cpu_sys:([\d.]+)/.exec(info)[1]);
}

async function caudal(prefix) {
  const e0 = await evalUsec();
  const t0 = performance.now();
  const s = await runPipeline({
    pipeline: {
      format: 'caudal.pipeline/1',
      name: 'bench redis',
      params: {},
      connections: { cache: { type: 'redis' } },
      nodes: [
        { id: 'rows', type: 'source.parquet', params: { path: parquet } },
        {
          id: 'cache',
          type: 'sink.redis',
          params: {
            ...(values.mode === 'upsert' ? { connection: 'cache', key: `${prefix}customer:{id}` } : { connection: 'cache', key: 'customer:{id}', mode: 'replace_namespace', namespace: `${prefix}ns`, old_ttl_s: 0 }),
            ...(plain ? { value: 'string', value_column: 'name' } : {}),
          },
        },
      ],
      edges: [{ from: 'rows:out', to: 'cache:in' }],
    },
    baseDir: work,
    connections: { cache: { name: 'cache', type: 'redis', config: { host: url.hostname, port: Number(url.port || 6379), database, tls: 'disable', connect_timeout_s: 10 } } },
  });
  if (s.status !== 'succeeded') throw new Error(JSON.stringify(s.error));
  return { ms: performance.now() - t0, rows: s.outputs[0].rows, evalUs: (await evalUsec()) - e0 };
}

const results = { hand: [], caudal: [] };
const scripts = [];
const cpus = { hand: [], caudal: [] };
for (let r = 0; r < reps; r++) {
  const order = r % 2 === 0 ? ['hand', 'caudal'] : ['caudal', 'hand'];
  for (const v of order) {
    const prefix = `bench:${v}:${r}:`;
    const cpu0 = await serverCpu();
    const res = v === 'hand' ? await handWritten(prefix) : await caudal(prefix);
    res.cpu = (await serverCpu()) - cpu0;
    const keys = (await client.sendCommand(['EVAL', "return #redis.call('KEYS', ARGV[1])", '0', `${prefix}*`]));
    // replace_namespace: the keys of the version and the pointer `<namespace>:current`.
    const expected = v === 'caudal' && values.mode !== 'upsert' ? N + 1 : N;
    if (res.rows !== N || Number(keys) !== expected) throw new Error(`${v}: ${res.rows} rows reported, ${keys} keys found, expected ${N}`);
    results[v].push(res.ms);
    if (res.evalUs !== undefined) scripts.push(res.evalUs);
    cpus[v].push(res.cpu);
    const server = `  server CPU ${res.cpu.toFixed(2)} s${res.evalUs !== undefined ? `, EVAL ${(res.evalUs / 1e6).toFixed(2)} s (${(res.evalUs / N).toFixed(2)} µs/row)` : ''}`;
    console.log(`rep ${r + 1} ${v.padEnd(6)} ${(res.ms / 1000).toFixed(1)} s  ${Math.round(N / (res.ms / 1000)).toLocaleString('en-US')} rows/s${server}`);
    await clear(prefix);
  }
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const hand = median(results.hand);
const cau = median(results.caudal);
console.log(`\nmedian: hand-written ${Math.round(N / (hand / 1000)).toLocaleString('en-US')} rows/s, sink.redis ${Math.round(N / (cau / 1000)).toLocaleString('en-US')} rows/s, ratio ${(hand / cau).toFixed(2)}x (target >= 0.8)`);
const pairs = results.hand.map((h, i) => h / results.caudal[i]);
console.log(`per-repetition ratios (each pair back to back): ${pairs.map((x) => x.toFixed(2)).join(', ')}; median ${median(pairs).toFixed(2)}`);
console.log(`server CPU per row, median: hand-written ${((median(cpus.hand) / N) * 1e6).toFixed(2)} µs, sink.redis ${((median(cpus.caudal) / N) * 1e6).toFixed(2)} µs; sink.redis time in EVAL (the Lua scripts) ${(median(scripts) / N).toFixed(2)} µs/row`);
await client.quit();
duck.closeSync();
instance.closeSync();
