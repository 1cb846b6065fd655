import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { runPipeline } from '../core/src/engine/engine.js';
import type { RunEvent } from '../core/src/engine/protocol.js';
import type { NodeQualityResult } from '../core/src/quality/types.js';
import { pipeline, tempDir } from './support/pipeline.js';

/**
 * The optimized evaluation (one aggregate scan with grouping sets, or a second scan grouping the
 * keys when the checked output is stored; quarantine flags set by UPDATE; bounded sample queries;
 * the checked output materialized once) against the straightforward one
 * (a row-level flag per check, `unique` as a window over the whole relation), on generated data:
 * same failing counts, same routing of every row to `out` or `rejected` with the same reasons, and
 * samples that are failing rows.
 */

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-quality-eval-');
});

/** Rows with repeated and NULL keys, NULL and out-of-range values, bad e-mails, unknown countries. */
const source = (rows: number, mod: number) => `SELECT
  CASE WHEN i % 97 = 0 THEN NULL ELSE i % ${mod} END AS id,
  CASE WHEN i % 13 = 0 THEN NULL ELSE i % 7 END AS part,
  CASE WHEN i % 11 = 0 THEN NULL WHEN i % 5 = 0 THEN 'bad-' || i ELSE 'user' || i || '@example.com' END AS email,
  CASE WHEN i % 17 = 0 THEN NULL ELSE CAST((i * 7919) % 1200 - 100 AS DOUBLE) END AS amount,
  ['ES', 'FR', 'DE', 'ZZ', NULL][1 + i % 5] AS country
FROM range(${rows}) t(i)`;
const COUNTRIES = "SELECT * FROM (VALUES ('ES'), ('FR'), ('DE')) t(code)";

type Sev = 'warn' | 'quarantine';
/** The checks, and each one's straightforward row-level predicate (true = the row passes). */
const checks = (sev: { unique: Sev; pair: Sev; email: Sev }) => [
  { check: { name: 'id unique', kind: 'unique', columns: ['id'], severity: sev.unique }, ok: 'id IS NULL OR count(*) OVER (PARTITION BY id) = 1' },
  { check: { name: 'id+part unique', kind: 'unique', columns: ['id', 'part'], severity: sev.pair }, ok: 'id IS NULL OR part IS NULL OR count(*) OVER (PARTITION BY id, part) = 1' },
  // The same key set twice (in another order): it must not be counted twice.
  { check: { name: 'part+id unique', kind: 'unique', columns: ['part', 'id'], severity: 'warn' }, ok: 'id IS NULL OR part IS NULL OR count(*) OVER (PARTITION BY part, id) = 1' },
  { check: { name: 'amount range', kind: 'between', column: 'amount', min: 0, max: 1000, severity: 'warn' }, ok: 'amount IS NULL OR (amount >= 0 AND amount <= 1000)' },
  { check: { name: 'email shape', kind: 'matches_regex', column: 'email', pattern: '[a-z0-9]+@[a-z.]+', severity: sev.email }, ok: "email IS NULL OR regexp_full_match(email, '[a-z0-9]+@[a-z.]+')" },
  { check: { name: 'country present', kind: 'not_null', column: 'country', severity: 'warn' }, ok: 'country IS NOT NULL' },
  { check: { name: 'known country', kind: 'references', column: 'country', reference_column: 'code', severity: 'warn' }, ok: 'country IS NULL OR country IN (SELECT code FROM countries)' },
  { check: { name: 'big amount', kind: 'expression', expression: 'amount > 10', severity: 'warn' }, ok: 'amount > 10' },
];

let n = 0;
async function runCaudal(rows: number, mod: number, sev: { unique: Sev; pair: Sev; email: Sev }, sinks: 0 | 1 | 2) {
  const id = ++n;
  const file = (name: string) => path.join(dir, `${name}_${id}.parquet`);
  const doc = pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query: source(rows, mod) } },
      { id: 'countries', type: 'transform.sql', params: { query: COUNTRIES } },
      { id: 'q', type: 'quality.check', params: { checks: checks(sev).map((c) => c.check), samples: 7 } },
      ...(sinks > 0 ? [{ id: 'good', type: 'sink.parquet', params: { path: file('good') } }] : []),
      { id: 'bad', type: 'sink.parquet', params: { path: file('bad') } },
      ...(sinks === 2 ? [{ id: 'good_too', type: 'sink.parquet', params: { path: file('good_too') } }] : []),
    ],
    ['src -> q', 'countries -> q:reference', ...(sinks > 0 ? ['q:out -> good'] : []), 'q:rejected -> bad', ...(sinks === 2 ? ['q:out -> good_too'] : [])],
  );
  const events: RunEvent[] = [];
  const summary = await runPipeline({ pipeline: doc, baseDir: dir, stateDir: path.join(dir, `state_${id}`), artifactsDir: path.join(dir, `art_${id}`), onEvent: (e) => events.push(e) });
  expect(summary.error).toBeUndefined();
  return { result: summary.quality!.nodes[0] as NodeQualityResult, good: file('good'), bad: file('bad'), events };
}

/** The straightforward evaluation, in plain DuckDB: one flag per row check, windows for unique. */
async function reference(rows: number, mod: number, sev: { unique: Sev; pair: Sev; email: Sev }) {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const list = checks(sev);
    await conn.run(`CREATE TABLE countries AS ${COUNTRIES}`);
    await conn.run(`CREATE TABLE src AS ${source(rows, mod)}`);
    await conn.run(`CREATE TABLE flagged AS SELECT *, ${list.map((c, i) => `coalesce((${c.ok}), false) AS ok${i}`).join(', ')} FROM src`);
    const quarantined = list.map((c, i) => (c.check.severity === 'quarantine' ? `ok${i}` : undefined)).filter(Boolean);
    const keep = quarantined.length > 0 ? quarantined.join(' AND ') : 'true';
    const flags = list.map((_, i) => `ok${i}`).join(', ');
    const json = async (sql: string) => (await conn.runAndReadAll(sql)).getRowObjectsJson();
    const counts = (await json(`SELECT ${list.map((_, i) => `count(*) FILTER (WHERE NOT ok${i}) AS f${i}`).join(', ')} FROM flagged`))[0]!;
    const failing = await Promise.all(list.map((_, i) => json(`SELECT * EXCLUDE (${flags}) FROM flagged WHERE NOT ok${i}`)));
    const reasons = `list_filter([${list.map((c, i) => `CASE WHEN NOT ok${i} THEN '${c.check.name}' END`).join(', ')}], x -> x IS NOT NULL)`;
    const out = await json(`SELECT * EXCLUDE (${flags}) FROM flagged WHERE ${keep} ORDER BY ALL`);
    const rejected = await json(`SELECT * EXCLUDE (${flags}), ${reasons} AS _caudal_reasons FROM flagged WHERE NOT (${keep}) ORDER BY ALL`);
    return { list, failed: list.map((_, i) => Number(counts[`f${i}`])), failing, out, rejected };
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

async function readSorted(file: string) {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    return (await conn.runAndReadAll(`SELECT * FROM '${file.replaceAll("'", "''")}' ORDER BY ALL`)).getRowObjectsJson();
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

const cases: Array<{ name: string; rows: number; mod: number; sev: { unique: Sev; pair: Sev; email: Sev }; sinks: 0 | 1 | 2 }> = [
  { name: 'warn only, nothing reads the checked rows (one scan, keys as grouping sets)', rows: 3000, mod: 2500, sev: { unique: 'warn', pair: 'warn', email: 'warn' }, sinks: 0 },
  { name: 'warn only, one consumer (stored output: keys grouped by a second scan)', rows: 3000, mod: 2500, sev: { unique: 'warn', pair: 'warn', email: 'warn' }, sinks: 1 },
  { name: 'warn only, two consumers (materialized once)', rows: 5000, mod: 4999, sev: { unique: 'warn', pair: 'warn', email: 'warn' }, sinks: 2 },
  { name: 'quarantine on unique and e-mail', rows: 4000, mod: 3100, sev: { unique: 'quarantine', pair: 'warn', email: 'quarantine' }, sinks: 2 },
  { name: 'quarantine on a composite key only', rows: 2000, mod: 1500, sev: { unique: 'warn', pair: 'quarantine', email: 'warn' }, sinks: 1 },
  { name: 'no repeated keys at all', rows: 1000, mod: 100000, sev: { unique: 'quarantine', pair: 'warn', email: 'warn' }, sinks: 1 },
];

describe('quality evaluation: the optimized plan gives the straightforward results', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const [got, want] = await Promise.all([runCaudal(c.rows, c.mod, c.sev, c.sinks), reference(c.rows, c.mod, c.sev)]);
      expect(got.result.rows).toBe(c.rows);
      const plan = got.events.find((e) => e.type === 'plan');
      const how = plan?.type === 'plan' ? plan.nodes.find((x) => x.nodeId === 'q')!.notes.join(' ') : '';
      if (c.sev.unique === 'warn' && c.sev.pair === 'warn' && c.sev.email === 'warn') expect(how).toContain(c.sinks === 0 ? 'unique keys as grouping sets of the same scan' : 'unique keys grouped by a second scan');
      expect(got.result.checks.map((r) => [r.name, r.rowsFailed])).toEqual(want.list.map((x, i) => [x.check.name, want.failed[i]]));
      // The data makes every check fail somewhere, except unique keys in the last case.
      expect(want.failed.filter((f) => f > 0).length).toBeGreaterThanOrEqual(5);
      // Routing: the same rows on each port, with the same reasons.
      if (c.sinks > 0) expect(await readSorted(got.good)).toEqual(want.out);
      expect(await readSorted(got.bad)).toEqual(want.rejected);
      expect(got.result.rejectedRows ?? 0).toBe(want.rejected.length);
      // Samples: as many as asked (or all failing rows), each one a failing row of that check.
      for (const [i, r] of got.result.checks.entries()) {
        const failing = new Set(want.failing[i]!.map((row) => JSON.stringify(row)));
        expect(r.samples).toHaveLength(Math.min(7, want.failed[i]!));
        for (const s of r.samples) expect(failing.has(JSON.stringify(s)), `${r.name}: ${JSON.stringify(s)} is not a failing row`).toBe(true);
      }
    }, 60_000);
  }
});
