import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Db } from '../../core/src/compiler/db.js';
import type { Pipeline } from '../../core/src/model/schema.js';
import type { ResolvedConnection } from '../../core/src/nodes/define.js';
import { exportSpark } from '../../core/src/targets/spark/export.js';
import { writeSparkJob } from '../../core/src/targets/spark/write-job.js';
import { SERVICES } from '../support/services.js';

/** Spark's Python (pyspark + sqlglot, from test/services/up.sh); the export translates with it too. */
export function useSparkPython(): string {
  process.env.CAUDAL_SPARK_PYTHON ??= SERVICES.sparkPython;
  // Test jobs are short, so the JVM's start dominates them: compiling with C1 only and collecting
  // with one thread cut a spark-submit run's CPU time by about 40 % (test/spark/cli.test.ts: 94 s
  // to 55 s of user CPU on 2 cores). Only the tests' JVMs; `caudal run --engine spark` keeps Java's defaults.
  process.env.JDK_JAVA_OPTIONS ??= '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC';
  return process.env.CAUDAL_SPARK_PYTHON;
}

/** A small deterministic generator, so a failing comparison can be reproduced. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const COUNTRIES = ['Spain', 'spain ', 'España', 'France', 'FRANCE', 'Germany', 'Deutschland', 'Italy', 'Portugal', ''];
const STATUSES = ['completed', ' Completed', 'shipped', 'cancelled', 'returned', 'pending  review', 'SHIPPED'];
const NAMES = ['josé muñoz', 'ANNA  schmidt', 'Zoë Faure', 'li wei', 'ólafur  arnalds', 'Marie-Claire dupont', 'Ngozi Okafor'];

const csvField = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/**
 * Test data for the conformance cases: orders with text needing cleaning, NULLs, duplicates, dates in
 * three layouts, decimals and timestamps; customers; a country mapping; the orders as Parquet and JSON.
 */
export async function writeTestData(dir: string, rows = 400): Promise<void> {
  const r = rng(20240611);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  const lines = ['order_id,customer_id,order_date,ordered_at,status,quantity,unit_price,discount,country,note,channel'];
  for (let i = 1; i <= rows; i++) {
    const day = 1 + Math.floor(r() * 28);
    const month = 1 + Math.floor(r() * 12);
    const layout = r();
    const date = layout < 0.6 ? `2024-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}` : layout < 0.85 ? `${day}/${month}/2024` : 'not a date';
    const at = `2024-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')} ${String(Math.floor(r() * 24)).padStart(2, '0')}:${String(Math.floor(r() * 60)).padStart(2, '0')}:00`;
    const qty = r() < 0.05 ? '' : String(Math.floor(r() * 20) - 1);
    const price = (r() * 500 + 0.5).toFixed(2);
    const discount = r() < 0.5 ? '' : (Math.floor(r() * 30) / 100).toFixed(2);
    const note = r() < 0.3 ? 'rush, "gift" wrap' : r() < 0.5 ? '' : 'ok';
    const line = [String(i), String(1 + Math.floor(r() * 30)), date, at, pick(STATUSES), qty, price, discount, pick(COUNTRIES), note, pick(['web', 'store', 'phone'])];
    lines.push(line.map(csvField).join(','));
    if (r() < 0.05) lines.push(line.map(csvField).join(',')); // exported twice
  }
  await writeFile(path.join(dir, 'orders.csv'), lines.join('\n') + '\n');
  const customers = ['customer_id,name,email,segment'];
  for (let c = 1; c <= 32; c++) customers.push([String(c), pick(NAMES), `  User${c}@Example.COM `, pick(['retail', 'b2b', ''])].map(csvField).join(','));
  await writeFile(path.join(dir, 'customers.csv'), customers.join('\n') + '\n');
  // ISO dates and timestamps, detected as DATE and TIMESTAMP: both engines read them strictly.
  const events = ['event_id,day,at'];
  for (let e = 1; e <= 40; e++) events.push(`${e},2024-${String(1 + (e % 12)).padStart(2, '0')}-${String(1 + (e % 28)).padStart(2, '0')},2024-05-06 ${String(e % 24).padStart(2, '0')}:30:00`);
  await writeFile(path.join(dir, 'events.csv'), events.join('\n') + '\n');
  // One value each that a lenient cast would change: both engines must refuse it.
  await writeFile(path.join(dir, 'offset.csv'), 'event_id,at\n1,2024-05-06 10:30:00\n2,2024-05-06 10:30:00+05\n');
  await writeFile(path.join(dir, 'date_time.csv'), 'event_id,day\n1,2024-05-06\n2,2024-05-06 10:30\n');
  await writeFile(path.join(dir, 'decimals.csv'), 'event_id,amount\n1,12.30\n2,12.345\n');
  // As Excel saves CSV on Japanese Windows (Windows-31J, where ～ and ① are its own), and on Western Windows.
  // sjis.csv holds these lines, encoded with Python's cp932 codec: id,name,note / 1,山田太郎,ラーメン～ / 2,佐藤①,ｶﾀｶﾅ / 3,Ann,plain
  await writeFile(path.join(dir, 'sjis.csv'), Buffer.from('69642c6e616d652c6e6f74650a312c8e52936391be98592c8389815b8381839381600a322c8db293a187402cb6c0b6c50a332c416e6e2c706c61696e0a', 'hex'));
  // Excel on Russian Windows: id,name,city / 1,Иванов Пётр,Москва / 2,Ольга Сидорова,Санкт-Петербург (Python's cp1251 codec).
  await writeFile(path.join(dir, 'cp1251.csv'), Buffer.from('69642c6e616d652c636974790a312cc8e2e0edeee220cfb8f2f02ccceef1eae2e00a322cceebfce3e020d1e8e4eef0eee2e02cd1e0edeaf22dcfe5f2e5f0e1f3f0e30a', 'hex'));
  // Excel on a Mac ("Comma Separated Values"): id,name / 1,Crème brûlée / 2,Ça été (Python's mac_roman codec).
  await writeFile(path.join(dir, 'macroman.csv'), Buffer.from('69642c6e616d650a312c43728f6d652062729e6c8e650a322c8261208e748e0a', 'hex'));
  await writeFile(path.join(dir, 'cp1252.csv'), Buffer.from('id,name,word\n1,Jos\xe9 Mu\xf1oz,\x80uro\n2,Zo\xeb,\x93quoted\x94 \x96 dash\n', 'latin1'));
  // One array of objects, pretty-printed, and the same saved with a UTF-8 byte-order mark (PowerShell, .NET).
  const array = JSON.stringify([{ event_id: 1, name: 'José' }, { event_id: 2, name: 'Zoë' }], null, 2);
  await writeFile(path.join(dir, 'array.json'), array);
  await writeFile(path.join(dir, 'bom-array.json'), '\uFEFF' + array);
  await writeFile(path.join(dir, 'bom.jsonl'), '\uFEFF{"event_id":1,"name":"José"}\n{"event_id":2,"name":"Zoë"}\n');
  await writeFile(path.join(dir, 'decimals.jsonl'), '{"event_id":1,"amount":12.30}\n{"event_id":2,"amount":12.345}\n');
  // The same in a struct field: Spark's reader would round it there too.
  await writeFile(path.join(dir, 'nested-decimals.jsonl'), '{"event_id":1,"order":{"amount":12.30,"note":"a"}}\n{"event_id":2,"order":{"amount":12.345,"note":"b"}}\n');
  await writeFile(path.join(dir, 'nested-decimals-ok.jsonl'), '{"event_id":1,"order":{"amount":12.30,"note":"a"}}\n{"event_id":2,"order":{"amount":"7.5","note":null}}\n{"event_id":3,"order":null}\n{"event_id":4,"order":{"amount":null,"note":"d"}}\n');
  await writeFile(path.join(dir, 'decimals-ok.jsonl'), '{"event_id":1,"amount":12.30}\n{"event_id":2,"amount":"7.5"}\n{"event_id":3,"amount":null}\n');
  // JSON values that the listed types would change: a fraction in an integer, a time after a date.
  await writeFile(path.join(dir, 'fraction.jsonl'), '{"event_id":1,"qty":3}\n{"event_id":2,"qty":2.5}\n');
  await writeFile(path.join(dir, 'date_time.jsonl'), '{"event_id":1,"day":"2024-05-06"}\n{"event_id":2,"day":"2024-05-06 10:30"}\n');
  // Quoted empty fields ("") are empty texts, unquoted ones NULL, on both engines.
  await writeFile(path.join(dir, 'quoted-empty.csv'), 'id,a,b\n1,"",x\n2,,""\n3,"NA",y\n');
  await writeFile(path.join(dir, 'countries.csv'), 'from,to\nspain,ES\nespana,ES\nfrance,FR\ngermany,DE\ndeutschland,DE\nitaly,IT\n');
  const db = await Db.open({ threads: 1 });
  try {
    const src = `read_csv(${sqlString(path.join(dir, 'orders.csv'))}, all_varchar = true)`;
    await db.run(`COPY (SELECT CAST(order_id AS BIGINT) AS order_id, CAST(customer_id AS INTEGER) AS customer_id, CAST(ordered_at AS TIMESTAMP) AS ordered_at, trim(status) AS status, TRY_CAST(quantity AS INTEGER) AS quantity, CAST(unit_price AS DECIMAL(10,2)) AS unit_price, TRY_CAST(discount AS DOUBLE) AS discount, country, channel FROM ${src}) TO ${sqlString(path.join(dir, 'orders.parquet'))} (FORMAT parquet)`);
    await db.run(`COPY (SELECT CAST(order_id AS BIGINT) AS order_id, CAST(customer_id AS BIGINT) AS customer_id, status, TRY_CAST(quantity AS BIGINT) AS quantity, CAST(unit_price AS DOUBLE) AS unit_price, channel FROM ${src}) TO ${sqlString(path.join(dir, 'orders.jsonl'))} (FORMAT json)`);
  } finally {
    db.close();
  }
}

const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** Exports a pipeline for Spark into `jobDir`; throws with the problems when it cannot. */
export async function exportJob(doc: Pipeline, baseDir: string, jobDir: string, params: Record<string, string> = {}, connections?: Record<string, ResolvedConnection>): Promise<void> {
  useSparkPython();
  const result = await exportSpark(doc, { baseDir, params, ...(connections ? { connections } : {}) });
  if (!result.job) throw new Error(`export of '${doc.name}' failed:\n${result.problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`);
  await writeSparkJob(result.job, jobDir);
}

export interface SparkResult {
  status: 'succeeded' | 'failed' | 'cancelled';
  error?: { kind: string; message: string; nodeId?: string };
  nodes: Record<string, { rowsWritten: number }>;
  quality: Array<{ nodeId: string; score: number; rows: number; rejectedRows?: number; checks: Array<{ name: string; passed: boolean; rowsFailed: number | null; samples?: unknown[] }> }>;
}

/** Runs exported jobs one after the other in one local SparkSession; returns each job's result. */
export async function runSparkJobs(jobs: Array<{ jobDir: string; reportDir: string; runId?: string }>, master = 'local[2]'): Promise<SparkResult[]> {
  const python = useSparkPython();
  const script = path.join(import.meta.dirname, 'run-jobs.py');
  const request = { master, jobs: jobs.map((j) => ({ job: path.join(j.jobDir, 'job.json'), reportDir: j.reportDir, runId: j.runId })) };
  const log: string[] = [];
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(python, [script], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => log.push(d.toString()));
    child.stderr.on('data', (d: Buffer) => log.push(d.toString()));
    child.on('close', resolve);
    child.stdin.end(JSON.stringify(request));
  });
  if (code !== 0) throw new Error(`run-jobs.py exited ${code}:\n${log.join('').slice(-4000)}`);
  return await Promise.all(jobs.map(async (j) => JSON.parse(await readFile(path.join(j.reportDir, 'result.json'), 'utf8')) as SparkResult));
}

/** What a sink wrote, as comparable rows: a file, or a folder of part files / Hive partitions. */
export async function readOutput(target: string): Promise<{ columns: string[]; rows: string[] }> {
  const isDir = (await stat(target)).isDirectory();
  const ext = path.extname(target).toLowerCase() || path.extname((await listFiles(target))[0] ?? '').toLowerCase();
  const files = isDir ? `${sqlString(path.join(target, '**', '*'))}` : sqlString(target);
  const hive = isDir ? ', hive_partitioning = true' : '';
  const reader = ext === '.parquet' ? `read_parquet(${files}${hive})` : ext === '.json' || ext === '.jsonl' ? `read_json_auto(${files}${hive})` : `read_csv(${files}, all_varchar = true${hive})`;
  const db = await Db.open({ threads: 1 });
  try {
    const described = await db.rows(`DESCRIBE SELECT * FROM ${reader}`);
    const columns = described.map((d) => String(d.column_name)).filter((c) => !isDir || !c.startsWith('filename'));
    const numeric = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UBIGINT|UINTEGER|FLOAT|DOUBLE|DECIMAL.*)$/;
    const list = described
      .filter((d) => columns.includes(String(d.column_name)))
      .map((d) => {
        const c = `"${String(d.column_name).replace(/"/g, '""')}"`;
        return numeric.test(String(d.column_type)) ? `CAST(round(CAST(${c} AS DOUBLE), 6) AS VARCHAR)` : `CAST(${c} AS VARCHAR)`;
      });
    const rows = await db.rows(`SELECT ${list.join(', ')} FROM ${reader}`);
    return { columns: columns.map((c) => c.toLowerCase()), rows: rows.map((r) => JSON.stringify(Object.values(r))).sort() };
  } finally {
    db.close();
  }
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile() && !e.name.startsWith('.') && !e.name.startsWith('_')) out.push(path.join(e.parentPath, e.name));
  return out;
}

export { existsSync };
