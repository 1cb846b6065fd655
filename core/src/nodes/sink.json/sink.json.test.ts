import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { pipeline, run, tempDir } from '../../../../test/support/pipeline.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-sink-json-');
});

const SRC = `SELECT range AS id, 'José' AS name FROM range(1000)`;

function jsonPipeline(params: Record<string, unknown>, query = SRC) {
  return pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query } },
      { id: 'out', type: 'sink.json', params },
    ],
    ['src -> out'],
  );
}

const rows = Array.from({ length: 1000 }, (_, i) => ({ id: i, name: 'José' }));
const leftovers = async () => (await readdir(dir, { recursive: true })).filter((f) => f.includes('.caudal-'));

describe('sink.json', () => {
  it('writes JSON Lines by default: one object per line', async () => {
    const { summary } = await run(jsonPipeline({ path: 'out/orders.jsonl' }), dir);
    expect(summary.status).toBe('succeeded');
    expect(summary.outputs[0]?.rows).toBe(1000);
    expect(await readFile(path.join(dir, 'out/orders.jsonl'), 'utf8')).toBe(rows.map((r) => JSON.stringify(r) + '\n').join(''));
    expect(await leftovers()).toEqual([]);
  });

  it('refuses NaN and Infinity, which JSON cannot hold, naming the column; the old file stays as it was', async () => {
    await writeFile(path.join(dir, 'ratios.jsonl'), '{"old":true}\n');
    // In DuckDB 0.0 / 0.0 is NaN and 1 / 0.0 is Infinity: a ratio over an empty group gives them.
    const cases: Array<[string, string]> = [
      [`SELECT range AS id, CASE WHEN range = 500 THEN 0.0 / 0.0 ELSE range / 2 END AS ratio FROM range(1000)`, `column "ratio" holds nan, which JSON cannot represent`],
      [`SELECT 1 AS id, [1.5, 1 / 0.0] AS scores`, `column "scores" holds [1.5, inf], which JSON cannot represent`],
      [`SELECT 1 AS id, {'a': {'b': -1 / 0.0::FLOAT}} AS nested`, `column "nested" holds {'a': {'b': -inf}}, which JSON cannot represent`],
    ];
    for (const [query, message] of cases) {
      const { summary } = await run(jsonPipeline({ path: 'ratios.jsonl', if_exists: 'overwrite' }, query), dir);
      expect(summary.status).toBe('failed');
      expect(summary.error!.message).toContain(message);
      expect(await readFile(path.join(dir, 'ratios.jsonl'), 'utf8')).toBe('{"old":true}\n');
    }
    expect(await leftovers()).toEqual([]);
    const finite = await run(jsonPipeline({ path: 'ratios.jsonl', if_exists: 'overwrite' }, `SELECT 1 AS id, 0.5 / 2 AS ratio, NULL::DOUBLE AS missing, [2.5] AS scores`), dir);
    expect(finite.summary.status).toBe('succeeded');
    expect(JSON.parse(await readFile(path.join(dir, 'ratios.jsonl'), 'utf8'))).toEqual({ id: 1, ratio: 0.25, missing: null, scores: [2.5] });
  });

  it('refuses NaN and Infinity wherever they sit in a nested value: maps, unions, arrays and their combinations', async () => {
    const cases: Array<[string, string]> = [
      [`SELECT 1 AS id, MAP {'k': 'nan'::DOUBLE} AS m`, `column "m" holds {k=nan}, which JSON cannot represent`],
      [`SELECT 1 AS id, MAP {'inf'::DOUBLE: 'x'} AS m`, `column "m" holds {inf=x}, which JSON cannot represent`],
      [`SELECT 1 AS id, union_value(d := 'nan'::DOUBLE)::UNION(d DOUBLE, s VARCHAR) AS u`, `column "u" holds nan, which JSON cannot represent`],
      [`SELECT 1 AS id, [MAP {'a': {'u': union_value(f := '-inf'::FLOAT)::UNION(s VARCHAR, f FLOAT)}}] AS deep`, `column "deep" holds [{a={'u': -inf}}], which JSON cannot represent`],
      [`SELECT 1 AS id, [1.5::DOUBLE, 'inf'::DOUBLE]::DOUBLE[2] AS fixed`, `column "fixed" holds [1.5, inf], which JSON cannot represent`],
    ];
    for (const [query, message] of cases) {
      const { summary } = await run(jsonPipeline({ path: 'nested-ratios.jsonl', if_exists: 'overwrite' }, query), dir);
      expect(summary.status, query).toBe('failed');
      expect(summary.error!.message).toContain(message);
    }
    const finite = `SELECT MAP {'k': 2.5::DOUBLE} AS m, union_value(s := 'x')::UNION(d DOUBLE, s VARCHAR) AS u, union_value(d := 0.5::DOUBLE)::UNION(d DOUBLE, s VARCHAR) AS v`;
    expect((await run(jsonPipeline({ path: 'nested-ratios.jsonl', if_exists: 'overwrite' }, finite), dir)).summary.status).toBe('succeeded');
    expect(JSON.parse(await readFile(path.join(dir, 'nested-ratios.jsonl'), 'utf8'))).toEqual({ m: { k: 2.5 }, u: { s: 'x' }, v: { d: 0.5 } });
  });

  it('writes one array with format: array, keeping types and nulls', async () => {
    const query = `SELECT * FROM (VALUES (1, 12345678901234567890.12345::DECIMAL(38,5), DATE '2024-06-30', [1, 2], {'a': 'x'}, NULL::VARCHAR)) t(id, amount, d, list, obj, missing)`;
    expect((await run(jsonPipeline({ path: 'typed.json', format: 'array' }, query), dir)).summary.status).toBe('succeeded');
    const text = await readFile(path.join(dir, 'typed.json'), 'utf8');
    expect(JSON.parse(text)).toEqual([{ id: 1, amount: Number('12345678901234567890.12345'), d: '2024-06-30', list: [1, 2], obj: { a: 'x' }, missing: null }]);
    // Decimals keep all their digits (a double would round this one).
    expect(text).toContain('"amount":12345678901234567890.12345,');

    expect((await run(jsonPipeline({ path: 'all.json', format: 'array' }), dir)).summary.status).toBe('succeeded');
    expect(JSON.parse(await readFile(path.join(dir, 'all.json'), 'utf8'))).toEqual(rows);
  });

  it('if_exists: fail keeps the file, overwrite replaces it', async () => {
    const target = path.join(dir, 'kept.json');
    await writeFile(target, '{"old":true}\n');
    const failed = await run(jsonPipeline({ path: 'kept.json' }), dir);
    expect(failed.summary.error?.problems?.map((p) => p.code)).toEqual(['destination_exists']);
    expect(await readFile(target, 'utf8')).toBe('{"old":true}\n');

    expect((await run(jsonPipeline({ path: 'kept.json', if_exists: 'overwrite', format: 'array' }), dir)).summary.status).toBe('succeeded');
    expect(JSON.parse(await readFile(target, 'utf8'))).toEqual(rows);
    expect(await leftovers()).toEqual([]);
  });

  it('a failing run leaves the old file and no temp file', async () => {
    const target = path.join(dir, 'stays.json');
    await writeFile(target, '[]');
    const query = `SELECT CASE WHEN range = 900 THEN CAST('x' AS INT) ELSE range END AS id FROM range(1000)`;
    const { summary } = await run(jsonPipeline({ path: 'stays.json', if_exists: 'overwrite' }, query), dir);
    expect(summary.status).toBe('failed');
    expect(await readFile(target, 'utf8')).toBe('[]');
    expect(await leftovers()).toEqual([]);
  });
});
