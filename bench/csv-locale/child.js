/**
 * One measured read of the Spanish-style file in its own process.
 * Usage: node child.js caudal|handwritten <file> <outFile>
 * Prints one JSON line: { wallMs, cpuMs, peakRssMb, rows }.
 */
const [mode, file, outFile] = process.argv.slice(2);
const t0 = performance.now();
let rows;
if (mode === 'caudal') {
  const { runPipeline } = await import('../../dist/core/src/engine/engine.js');
  const { parsePipelineObject } = await import('../../dist/core/src/model/load.js');
  const { pipeline } = parsePipelineObject({
    format: 'caudal.pipeline/1',
    name: 'csv-locale',
    nodes: [
      { id: 'src', type: 'source.csv', params: { path: file, decimal_separator: ',', thousands_separator: '.', date_format: '%d/%m/%Y' } },
      { id: 'out', type: 'sink.parquet', params: { path: outFile, if_exists: 'overwrite' } },
    ],
    edges: [{ from: 'src:out', to: 'out:in' }],
  });
  const summary = await runPipeline({ pipeline, baseDir: process.cwd() });
  if (summary.status !== 'succeeded') {
    console.error(JSON.stringify(summary.error));
    process.exit(1);
  }
  rows = summary.outputs[0]?.rows ?? null;
} else {
  // DuckDB's own options. Its `thousands` drops the character anywhere (12.34 reads as 1234):
  // fast, but not a check; this is the speed to compare with, not the behaviour.
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  const q = (s) => `'${s.replaceAll("'", "''")}'`;
  const sql = `COPY (SELECT * FROM read_csv(${q(file)}, encoding = 'latin-1', decimal_separator = ',', thousands = '.', dateformat = '%d/%m/%Y', types = {'importe': 'DOUBLE'})) TO ${q(outFile)} (FORMAT parquet)`;
  rows = Number((await conn.runAndReadAll(sql)).getRows()[0][0]);
  conn.closeSync();
  instance.closeSync();
}
const wallMs = performance.now() - t0;
const usage = process.resourceUsage();
console.log(JSON.stringify({ wallMs, cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000, peakRssMb: usage.maxRSS / 1024, rows }));
