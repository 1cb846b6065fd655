import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { inDb } from './support/duckdb.js';
import { pipeline, preview, run, tempDir } from './support/pipeline.js';

/**
 * Partition folders become columns whose type DuckDB infers from the folder values (the first of
 * DATE, TIMESTAMP and BIGINT they all cast to), and the cast changed text without a word: a text
 * column `code` written by sink.parquet as `code=0x10`, `code=0b11` and `code=-0` came back as
 * BIGINT 16, 3 and 0, and `d=2024-1-5` as the DATE 2024-01-05. A partition column whose values do
 * not all come back as the same text from the inferred type is now read as VARCHAR, each value as
 * the folder writes it; values that do (`year=2024`, `d=2024-02-03`) keep their BIGINT or DATE.
 */
let dir: string;

async function write(name: string, content: string | Buffer): Promise<void> {
  const file = path.join(dir, name);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
}

/** Text rows written by sink.parquet into a folder partitioned by `by`, as a pipeline would. */
async function partitionedLake(folder: string, csv: string, by: string[]): Promise<void> {
  await write(`${folder}.csv`, csv);
  const doc = pipeline(
    [
      { id: 'rows', type: 'source.csv', params: { path: `${folder}.csv`, all_varchar: true } },
      { id: 'lake', type: 'sink.parquet', params: { path: folder, partition_by: by } },
    ],
    ['rows -> lake'],
  );
  expect((await run(doc, dir)).summary.status).toBe('succeeded');
}

const source = (type: string, params: Record<string, unknown>) => pipeline([{ id: 'src', type, params }]);

async function read(type: string, pattern: string, column: string) {
  const r = await preview(source(type, { path: pattern }), dir, 'src');
  return { type: r.columns.find((c) => c.name === column)?.type, values: r.rows.map((row) => String(row[column])).sort() };
}

beforeAll(async () => {
  dir = await tempDir('caudal-hive-values-');
  await partitionedLake('codes', 'code,n\n0x10,1\n0b11,2\n-0,3\n', ['code']);
  await partitionedLake('padded', 'code,n\n007,1\n12,2\n', ['code']);
  await partitionedLake('dates', 'd,n\n2024-1-5,1\n2024-02-03,2\n', ['d']);
  await partitionedLake('plain', 'year,d,x,n\n2024,2024-02-03,12,1\n2025,2025-12-31,-7,2\n', ['year', 'd', 'x']);
  // sink.parquet writes the colons percent-encoded (%3A), which DuckDB already read as text: a
  // folder made by hand, or by a writer that leaves them, is what DuckDB read as a TIMESTAMP.
  await mkdir(path.join(dir, 'stamps/at=2024-02-03T10:00:00'), { recursive: true });
  await inDb(':memory:', `COPY (SELECT 1 AS n) TO '${path.join(dir, 'stamps/at=2024-02-03T10:00:00/part.parquet')}'`);
  for (const [folder, v] of [['csv-codes', '0x10'], ['csv-codes', '-0'], ['csv-plain', '2024'], ['csv-plain', '2025']] as const) {
    await write(`${folder}/k=${v}/part.csv`, 'n\n1\n');
    await write(`${folder}/k=${v}/part.json`, '{"n": 1}\n');
  }
  await write('cp1252/k=0x10/names.csv', Buffer.from('name\nJos\xe9\n', 'latin1'));
});

describe('source.parquet reading partition folders written by sink.parquet', () => {
  it('reads text values that a BIGINT would change (0x10, 0b11, -0) as VARCHAR, as the folders write them', async () => {
    expect(await read('source.parquet', 'codes/**/*.parquet', 'code')).toEqual({ type: 'VARCHAR', values: ['-0', '0b11', '0x10'] });
  });

  it('reads dates that a DATE would rewrite (2024-1-5 as 2024-01-05) as VARCHAR, every value as written', async () => {
    expect(await read('source.parquet', 'dates/**/*.parquet', 'd')).toEqual({ type: 'VARCHAR', values: ['2024-02-03', '2024-1-5'] });
  });

  it('reads timestamps that a TIMESTAMP would rewrite (2024-02-03T10:00:00 without its T) as VARCHAR', async () => {
    expect(await read('source.parquet', 'stamps/**/*.parquet', 'at')).toEqual({ type: 'VARCHAR', values: ['2024-02-03T10:00:00'] });
  });

  it('keeps leading zeros (007) as VARCHAR, as DuckDB already did', async () => {
    expect(await read('source.parquet', 'padded/**/*.parquet', 'code')).toEqual({ type: 'VARCHAR', values: ['007', '12'] });
  });

  it('keeps BIGINT and DATE for values that come back as the same text (year=2024, d=2024-02-03, x=-7)', async () => {
    const r = await preview(source('source.parquet', { path: 'plain/**/*.parquet' }), dir, 'src');
    expect(Object.fromEntries(r.columns.map((c) => [c.name, c.type]))).toEqual({ n: 'VARCHAR', year: 'BIGINT', d: 'DATE', x: 'BIGINT' });
    expect(r.rows.map((row) => [Number(row.year), String(row.d), Number(row.x)]).sort()).toEqual([
      [2024, '2024-02-03', 12],
      [2025, '2025-12-31', -7],
    ]);
  });

  it('reads the values as text in a run too', async () => {
    const doc = pipeline(
      [
        { id: 'src', type: 'source.parquet', params: { path: 'codes/**/*.parquet' } },
        { id: 'out', type: 'sink.parquet', params: { path: 'codes-out.parquet' } },
      ],
      ['src -> out'],
    );
    expect((await run(doc, dir)).summary.status).toBe('succeeded');
    const rows = await inDb(':memory:', `SELECT code, typeof(code) AS type FROM read_parquet('${path.join(dir, 'codes-out.parquet')}') ORDER BY code`);
    expect(rows).toEqual([
      { code: '-0', type: 'VARCHAR' },
      { code: '0b11', type: 'VARCHAR' },
      { code: '0x10', type: 'VARCHAR' },
    ]);
  });

  it('leaves partition folders alone with hive_partitioning false', async () => {
    const r = await preview(source('source.parquet', { path: 'codes/**/*.parquet', hive_partitioning: false }), dir, 'src');
    expect(r.columns.map((c) => c.name)).toEqual(['n']);
  });
});

describe.each([
  ['source.csv', 'csv'],
  ['source.json', 'json'],
])('%s reading partition folders (the same partition logic)', (type, ext) => {
  it('reads values a BIGINT would change (0x10, -0) as VARCHAR', async () => {
    expect(await read(type, `csv-codes/**/*.${ext}`, 'k')).toEqual({ type: 'VARCHAR', values: ['-0', '0x10'] });
  });

  it('keeps BIGINT for values that come back as the same text (2024, 2025)', async () => {
    expect(await read(type, `csv-plain/**/*.${ext}`, 'k')).toEqual({ type: 'BIGINT', values: ['2024', '2025'] });
  });
});

describe('source.csv reading a file converted from Windows-1252 first', () => {
  it('reads its folder value as text too (the converted copy keeps its folders)', async () => {
    const r = await preview(source('source.csv', { path: 'cp1252/**/*.csv' }), dir, 'src');
    expect(r.columns.find((c) => c.name === 'k')?.type).toBe('VARCHAR');
    expect(r.rows).toEqual([{ name: 'José', k: '0x10' }]);
  });
});
