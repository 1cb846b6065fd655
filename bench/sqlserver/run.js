/**
 * bench/sqlserver: the bulk path of sink.sqlserver on a real server (gated: no SQL Server runs on
 * the project's machines). Loads N generated rows (mode replace) and prints the time, the bulk
 * batches the sink reported and the process's peak RSS, for two batch sizes.
 *
 *   npm run build && CAUDAL_TEST_MSSQL_URL='mssql://sa:…@127.0.0.1:1433/master?trustServerCertificate=true' \
 *     node bench/sqlserver/run.js [--rows 1000000] [--batch 10000,50000]
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { runPipeline } from '../../dist/core/src/engine/engine.js';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '1000000' }, batch: { type: 'string', default: '10000,50000' } } });
const url = process.env.CAUDAL_TEST_MSSQL_URL;
if (!url) {
  console.log('bench/sqlserver needs a server: set CAUDAL_TEST_MSSQL_URL (see docs/testing.md)');
  process.exit(0);
}
const u = new URL(url);
const config = {
  host: u.hostname,
  port: u.port ? Number(u.port) : undefined,
  database: decodeURIComponent(u.pathname.slice(1)) || 'master',
  user: decodeURIComponent(u.username),
  password: decodeURIComponent(u.password),
  encrypt: u.searchParams.get('encrypt') !== 'false',
  trust_server_certificate: u.searchParams.get('trustServerCertificate') === 'true',
};
const N = Number(values.rows);
console.log(`${N.toLocaleString('en-US')} rows (6 columns) into SQL Server ${u.hostname}, ${os.cpus().length} cores, node ${process.version}\n`);
for (const batch of values.batch.split(',').map(Number)) {
  const logs = [];
  const t0 = performance.now();
  const s = await runPipeline({
    pipeline: {
      format: 'caudal.pipeline/1',
      name: 'bench sqlserver',
      params: {},
      connections: { erp: { type: 'sqlserver' } },
      nodes: [
        { id: 'rows', type: 'transform.sql', params: { query: `SELECT range AS id, 'customer ' || range AS name, (range * 1.37)::DECIMAL(18,2) AS amount, DATE '2024-01-01' + (range % 365)::INT AS day, TIMESTAMP '2024-01-01' + to_seconds(range) AS at, range % 2 = 0 AS even FROM range(${N})` } },
        { id: 'load', type: 'sink.sqlserver', params: { connection: 'erp', schema: 'dbo', table: 'caudal_bench', mode: 'replace', batch_rows: batch } },
      ],
      edges: [{ from: 'rows:out', to: 'load:in' }],
    },
    baseDir: os.tmpdir(),
    connections: { erp: { name: 'erp', type: 'sqlserver', config } },
    onEvent: (e) => e.type === 'log' && /bulk copy/.test(e.message) && logs.push(e.message),
  });
  if (s.status !== 'succeeded') throw new Error(JSON.stringify(s.error));
  const ms = performance.now() - t0;
  console.log(`batch_rows ${batch}: ${(ms / 1000).toFixed(1)} s, ${Math.round(N / (ms / 1000)).toLocaleString('en-US')} rows/s; ${logs.join('; ')}; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
}
