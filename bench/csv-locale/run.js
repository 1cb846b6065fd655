/**
 * bench/csv-locale: a Spanish-style export (`;`, 1.234,56, 31/12/2025, Latin-1) read by the CSV
 * source with decimal_separator, thousands_separator and date_format (encoding detected and the file
 * converted; numbers read as text, their grouping checked, then converted) vs one hand-written DuckDB
 * read_csv with its own options (its latin-1 decoder, its lax thousands).
 *
 *   npm run build && node bench/csv-locale/run.js [--rows 5000000] [--reps 3]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '5000000' }, reps: { type: 'string', default: '3' } } });
const rows = Number(values.rows);
const reps = Number(values.reps);
const dir = path.join(os.tmpdir(), `caudal-bench-csv-locale-${rows}`);
const file = path.join(dir, 'ventas.csv');
mkdirSync(dir, { recursive: true });

/** Deterministic rows: id;cliente;importe;fecha;nota, amounts from 0,00 to 9.999.999,99, Latin-1 text. */
if (!existsSync(`${file}.complete`)) {
  rmSync(file, { force: true });
  const names = ['José Núñez', 'Peña', 'Muñoz', 'Ibáñez', 'Zoë', 'Ana'];
  const group = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, '.');
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  appendFileSync(file, Buffer.from('id;cliente;importe;fecha;nota\r\n', 'latin1'));
  for (let start = 0; start < rows; start += 100_000) {
    const lines = [];
    for (let i = start; i < Math.min(rows, start + 100_000); i++) {
      const cents = Math.floor(rnd() * 1e9);
      const day = new Date(Date.UTC(2024, 0, 1) + Math.floor(rnd() * 730) * 86400000);
      const fecha = `${String(day.getUTCDate()).padStart(2, '0')}/${String(day.getUTCMonth() + 1).padStart(2, '0')}/${day.getUTCFullYear()}`;
      lines.push(`${i + 1};${names[i % names.length]};${group(Math.floor(cents / 100))},${String(cents % 100).padStart(2, '0')};${fecha};pago ${i % 7 === 0 ? 'señal' : 'año'}`);
    }
    // Latin-1 bytes (no €: DuckDB's own latin-1 decoder, used by the hand-written side, rejects 0x80-0x9F).
    appendFileSync(file, Buffer.from(lines.join('\r\n') + '\r\n', 'latin1'));
  }
  writeFileSync(`${file}.complete`, '');
}
console.log(`input: ${(statSync(file).size / 1e6).toFixed(0)} MB, ${rows.toLocaleString('en-US')} rows, ${os.cpus().length} cores, node ${process.version}\n`);

const outDir = path.join(os.tmpdir(), 'caudal-bench-out');
mkdirSync(outDir, { recursive: true });
const variants = [
  { name: 'hand-written read_csv (lax thousands)', mode: 'handwritten' },
  { name: 'Caudal source.csv (checked)', mode: 'caudal' },
];
const results = new Map(variants.map((v) => [v.mode, []]));
for (let rep = 0; rep < reps; rep++) {
  for (const v of rep % 2 === 0 ? variants : [...variants].reverse()) {
    const out = path.join(outDir, `csv-locale-${v.mode}.parquet`);
    rmSync(out, { force: true });
    const r = spawnSync(process.execPath, [path.join(import.meta.dirname, 'child.js'), v.mode, file, out], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${v.mode} failed: ${r.stderr}`);
    const m = JSON.parse(r.stdout.trim().split('\n').at(-1));
    results.get(v.mode).push({ ...m, out });
    console.log(`  rep ${rep + 1}: ${v.name.padEnd(38)} ${(m.wallMs / 1000).toFixed(2)} s  CPU ${(m.cpuMs / 1000).toFixed(2)} s  ${m.peakRssMb.toFixed(0)} MB`);
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const hand = results.get('handwritten');
const caudal = results.get('caudal');
console.log('\nvariant                                  wall s    CPU s   peak RSS MB');
for (const v of variants) {
  const rs = results.get(v.mode);
  console.log(`${v.name.padEnd(40)} ${median(rs.map((r) => r.wallMs / 1000)).toFixed(2).padStart(6)}   ${median(rs.map((r) => r.cpuMs / 1000)).toFixed(2).padStart(6)}   ${Math.max(...rs.map((r) => r.peakRssMb)).toFixed(0).padStart(6)}`);
}
const ratios = (k) => median(caudal.map((c, i) => c[k] / hand[i][k])).toFixed(3);
console.log(`\nmedian of per-repetition ratios (Caudal / hand-written): wall ${ratios('wallMs')}, CPU ${ratios('cpuMs')}`);

// Same answer? Both outputs: same rows, same amounts (to the cent), same dates.
const db = await DuckDBInstance.create(':memory:');
const conn = await db.connect();
const q = (s) => `'${s.replaceAll("'", "''")}'`;
const diff = await conn.runAndReadAll(
  `SELECT count(*) FROM ((SELECT id, round(importe, 2), fecha, nota FROM ${q(hand[0].out)} EXCEPT ALL SELECT id, round(importe, 2), fecha, nota FROM ${q(caudal[0].out)})
   UNION ALL (SELECT id, round(importe, 2), fecha, nota FROM ${q(caudal[0].out)} EXCEPT ALL SELECT id, round(importe, 2), fecha, nota FROM ${q(hand[0].out)}))`,
);
console.log(`outputs: ${caudal[0].rows} rows each, ${diff.getRows()[0][0]} differing rows (must be 0)`);
