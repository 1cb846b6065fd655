import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { pipeline, problemsOf, run, tempDir } from '../../../../test/support/pipeline.js';
import { stringLiteral } from '../../compiler/sql.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-sink-parquet-');
});

const SRC = `SELECT range AS id, 'José' AS name, (range % 3)::INTEGER AS grp, 12.50::DECIMAL(10,2) AS amount FROM range(1000)`;

function parquetPipeline(params: Record<string, unknown>, query = SRC) {
  return pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query } },
      { id: 'out', type: 'sink.parquet', params },
    ],
    ['src -> out'],
  );
}

/** Reads back with a DuckDB of the test's own, closed before returning. */
async function readBack(sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:');
  try {
    const conn = await instance.connect();
    try {
      return (await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
    } finally {
      conn.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

async function tree(folder: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(folder, { withFileTypes: true })) {
    if (e.isDirectory()) out.push(...(await tree(path.join(folder, e.name), `${prefix}${e.name}/`)));
    else out.push(`${prefix}${e.name}`);
  }
  return out.sort();
}

const lit = (...p: string[]) => stringLiteral(path.join(dir, ...p));

describe('sink.parquet', () => {
  it('writes every row with its types, zstd-compressed by default', async () => {
    const { summary } = await run(parquetPipeline({ path: 'lake/orders.parquet' }), dir);
    expect(summary.status).toBe('succeeded');
    expect(summary.outputs[0]?.rows).toBe(1000);
    const file = lit('lake/orders.parquet');
    expect(await readBack(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(${file}))`)).toEqual([
      { column_name: 'id', column_type: 'BIGINT' },
      { column_name: 'name', column_type: 'VARCHAR' },
      { column_name: 'grp', column_type: 'INTEGER' },
      { column_name: 'amount', column_type: 'DECIMAL(10,2)' },
    ]);
    // Same rows in the same order as the input.
    const diff = await readBack(
      `SELECT count(*) AS n FROM (SELECT row_number() OVER () AS r, * FROM read_parquet(${file})) a
       FULL JOIN (SELECT row_number() OVER () AS r, * FROM (${SRC})) b USING (r)
       WHERE a.id IS DISTINCT FROM b.id OR a.name IS DISTINCT FROM b.name OR a.grp IS DISTINCT FROM b.grp OR a.amount IS DISTINCT FROM b.amount`,
    );
    expect(diff).toEqual([{ n: '0' }]);
    expect(await readBack(`SELECT DISTINCT compression FROM parquet_metadata(${file})`)).toEqual([{ compression: 'ZSTD' }]);
    expect((await readdir(path.join(dir, 'lake'))).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('applies compression and row group size', async () => {
    // DuckDB cuts row groups at its 2,048-row vectors, so use enough rows to see several.
    const query = 'SELECT range AS id FROM range(20000)';
    const { summary } = await run(parquetPipeline({ path: 'snappy.parquet', compression: 'snappy', row_group_size: 4096 }, query), dir);
    expect(summary.status).toBe('succeeded');
    const meta = await readBack(`SELECT count(DISTINCT row_group_id) AS groups, min(compression) AS c, max(row_group_num_rows) AS biggest FROM parquet_metadata(${lit('snappy.parquet')})`);
    expect(meta[0]?.c).toBe('SNAPPY');
    expect(Number(meta[0]?.groups)).toBeGreaterThanOrEqual(4);
    expect(Number(meta[0]?.biggest)).toBeLessThanOrEqual(4096 + 2048);

    expect((await run(parquetPipeline({ path: 'gzip.parquet', compression: 'gzip' }, query), dir)).summary.status).toBe('succeeded');
    expect(await readBack(`SELECT count(DISTINCT row_group_id) AS groups, min(compression) AS c FROM parquet_metadata(${lit('gzip.parquet')})`)).toEqual([{ groups: '1', c: 'GZIP' }]);
  });

  it('partition_by writes a hive folder without the partition columns inside the files', async () => {
    const { summary } = await run(parquetPipeline({ path: 'parts/orders', partition_by: ['grp'] }), dir);
    expect(summary.status).toBe('succeeded');
    expect(summary.outputs[0]).toMatchObject({ rows: 1000, target: path.join(dir, 'parts/orders') });
    expect(await tree(path.join(dir, 'parts'))).toEqual(['orders/grp=0/data_0.parquet', 'orders/grp=1/data_0.parquet', 'orders/grp=2/data_0.parquet']);
    expect(await readBack(`SELECT column_name FROM (DESCRIBE SELECT * FROM read_parquet(${lit('parts/orders/grp=1/data_0.parquet')}, hive_partitioning = false))`)).toEqual([
      { column_name: 'id' },
      { column_name: 'name' },
      { column_name: 'amount' },
    ]);
    const back = await readBack(`SELECT grp, count(*) AS n, min(id) AS lo FROM read_parquet(${lit('parts/orders/**/*.parquet')}, hive_partitioning = true) GROUP BY grp ORDER BY grp`);
    expect(back).toEqual([
      { grp: '0', n: '334', lo: '0' },
      { grp: '1', n: '333', lo: '1' },
      { grp: '2', n: '333', lo: '2' },
    ]);
  });

  it('overwrite replaces the whole partitioned folder (stale partitions disappear)', async () => {
    const target = path.join(dir, 'repart');
    await mkdir(path.join(target, 'grp=9'), { recursive: true });
    await writeFile(path.join(target, 'grp=9/old.parquet'), 'stale');
    const failing = await run(parquetPipeline({ path: 'repart', partition_by: ['grp'] }), dir);
    expect(failing.summary.error?.problems?.[0]?.code).toBe('destination_exists');
    expect(await tree(target)).toEqual(['grp=9/old.parquet']);

    const { summary } = await run(parquetPipeline({ path: 'repart', partition_by: ['GRP'], if_exists: 'overwrite' }), dir);
    expect(summary.status).toBe('succeeded');
    expect(await tree(target)).toEqual(['grp=0/data_0.parquet', 'grp=1/data_0.parquet', 'grp=2/data_0.parquet']);
    expect((await readdir(dir)).filter((f) => f.includes('.caudal-'))).toEqual([]);
  });

  it('if_exists: fail keeps an existing file; overwrite replaces it', async () => {
    const target = path.join(dir, 'kept.parquet');
    await writeFile(target, 'not parquet at all');
    const failed = await run(parquetPipeline({ path: 'kept.parquet' }), dir);
    expect(failed.summary.status).toBe('failed');
    expect(failed.summary.error?.problems?.map((p) => p.code)).toEqual(['destination_exists']);
    expect(await readFile(target, 'utf8')).toBe('not parquet at all');

    expect((await run(parquetPipeline({ path: 'kept.parquet', if_exists: 'overwrite' }), dir)).summary.status).toBe('succeeded');
    expect(await readBack(`SELECT count(*) AS n FROM read_parquet(${stringLiteral(target)})`)).toEqual([{ n: '1000' }]);
  });

  it('reports unknown partition columns, all-column partitioning and a file in place of the folder', async () => {
    const unknown = await problemsOf(parquetPipeline({ path: 'p1', partition_by: ['grpp'] }), dir);
    expect(unknown).toHaveLength(1);
    expect(unknown[0]).toMatchObject({ code: 'unknown_column', nodeId: 'out', column: 'grpp' });
    expect(unknown[0]!.message).toContain("did you mean 'grp'");

    const all = await problemsOf(parquetPipeline({ path: 'p2', partition_by: ['id', 'name', 'grp', 'amount'] }), dir);
    expect(all.map((p) => p.code)).toEqual(['invalid_param']);

    await writeFile(path.join(dir, 'plain-file'), 'x');
    const kind = await problemsOf(parquetPipeline({ path: 'plain-file', partition_by: ['grp'], if_exists: 'overwrite' }), dir);
    expect(kind.map((p) => p.code)).toEqual(['destination_exists']);
    expect(kind[0]!.message).toContain('is a file');

    const twice = await problemsOf(parquetPipeline({ path: 'p3', partition_by: ['grp', 'GRP'] }), dir);
    expect(twice.map((p) => [p.code, p.path])).toEqual([['invalid_param', 'nodes[1].params.partition_by[1]']]);
  });

  it('a failing partitioned write leaves neither the folder nor a temp folder', async () => {
    const query = `SELECT range AS id, range % 2 AS grp, CASE WHEN range = 900 THEN CAST('x' AS INT) ELSE 1 END AS v FROM range(1000)`;
    const { summary } = await run(parquetPipeline({ path: 'broken-parts', partition_by: ['grp'] }, query), dir);
    expect(summary.status).toBe('failed');
    expect(existsSync(path.join(dir, 'broken-parts'))).toBe(false);
    expect((await readdir(dir)).filter((f) => f.includes('.caudal-'))).toEqual([]);
  });

  it("refuses partition values a folder name cannot keep: the text 'NULL' in any case, and __HIVE_DEFAULT_PARTITION__ (where missing values go)", async () => {
    await mkdir(path.join(dir, 'kept-parts', 'k=a'), { recursive: true });
    await writeFile(path.join(dir, 'kept-parts', 'k=a', 'data_0.parquet'), 'the previous run');
    for (const text of ['NULL', 'null', '__HIVE_DEFAULT_PARTITION__']) {
      const query = `SELECT * FROM (VALUES (1, NULL), (2, '${text}'), (3, 'x')) t(id, k)`;
      const { summary } = await run(parquetPipeline({ path: 'kept-parts', partition_by: ['k'], if_exists: 'overwrite' }, query), dir);
      expect(summary.status, text).toBe('failed');
      expect(summary.error?.message).toContain(`partition column "k" holds the text '${text}', which a partition folder cannot keep`);
      expect(await readFile(path.join(dir, 'kept-parts', 'k=a', 'data_0.parquet'), 'utf8')).toBe('the previous run');
    }
    // NULL itself, the empty text and other texts are fine.
    const query = `SELECT * FROM (VALUES (1, NULL), (2, ''), (3, 'nullable'), (4, 'N/A')) t(id, k)`;
    const { summary } = await run(parquetPipeline({ path: 'fine-parts', partition_by: ['k'] }, query), dir);
    expect(summary.status).toBe('succeeded');
    expect(await readBack(`SELECT id, k FROM read_parquet(${stringLiteral(path.join(dir, 'fine-parts', '**', '*.parquet'))}, hive_partitioning = true) ORDER BY id`)).toEqual([
      { id: 1, k: null },
      { id: 2, k: '' },
      { id: 3, k: 'nullable' },
      { id: 4, k: 'N/A' },
    ]);
  });

  it('writes 128-bit integers as DECIMAL(38,0), every digit kept (DuckDB would store a DOUBLE), also in structs and lists', async () => {
    const query = `SELECT 12345678901234567890123::HUGEINT AS account, 340282366920938463463374607431768211::UHUGEINT AS u,
      {'iban': 98765432109876543210987::HUGEINT, 'n': 1} AS s, [1::HUGEINT, -99999999999999999999999::HUGEINT, NULL] AS l, NULL::HUGEINT AS none`;
    const { summary } = await run(parquetPipeline({ path: 'wide.parquet' }, query), dir);
    expect(summary.status).toBe('succeeded');
    const file = stringLiteral(path.join(dir, 'wide.parquet'));
    expect(await readBack(`SELECT CAST(account AS VARCHAR) AS account, CAST(u AS VARCHAR) AS u, CAST(s.iban AS VARCHAR) AS iban, CAST(l AS VARCHAR) AS l, none FROM read_parquet(${file})`)).toEqual([
      { account: '12345678901234567890123', u: '340282366920938463463374607431768211', iban: '98765432109876543210987', l: '[1, -99999999999999999999999, NULL]', none: null },
    ]);
    expect((await readBack(`SELECT typeof(account) AS t FROM read_parquet(${file})`))[0]).toEqual({ t: 'DECIMAL(38,0)' });
  });

  it('refuses a 39-digit integer, which no Parquet type holds exactly, and keeps the old file', async () => {
    const target = path.join(dir, 'too-wide.parquet');
    await writeFile(target, 'old');
    const query = `SELECT range AS id, CASE WHEN range = 7 THEN 170141183460469231731687303715884105727::HUGEINT ELSE range END AS big FROM range(10)`;
    const { summary } = await run(parquetPipeline({ path: 'too-wide.parquet', if_exists: 'overwrite' }, query), dir);
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain('column "big" holds 170141183460469231731687303715884105727, more than the 38 digits a Parquet file keeps exactly');
    expect(await readFile(target, 'utf8')).toBe('old');
  });

  it('keeps 128-bit integers in map keys and values exactly too', async () => {
    const query = `SELECT map {'acct': 12345678901234567890123::HUGEINT, 'none': NULL} AS m, map {98765432109876543210987::HUGEINT: 'x'} AS k, NULL::MAP(VARCHAR, HUGEINT) AS empty`;
    const { summary } = await run(parquetPipeline({ path: 'maps.parquet' }, query), dir);
    expect(summary.status).toBe('succeeded');
    const file = stringLiteral(path.join(dir, 'maps.parquet'));
    expect(await readBack(`SELECT CAST(m['acct'] AS VARCHAR) AS acct, m['none'] AS none, CAST(map_keys(k)[1] AS VARCHAR) AS key, empty FROM read_parquet(${file})`)).toEqual([
      { acct: '12345678901234567890123', none: null, key: '98765432109876543210987', empty: null },
    ]);
  });

  it('refuses an interval with a fraction of a millisecond, which a Parquet INTERVAL does not keep; whole milliseconds go', async () => {
    const ok = await run(parquetPipeline({ path: 'ms.parquet' }, `SELECT INTERVAL '1 day 00:00:01.123' AS wait, [INTERVAL '2 months'] AS waits`), dir);
    expect(ok.summary.status).toBe('succeeded');
    expect(await readBack(`SELECT CAST(wait AS VARCHAR) AS wait FROM read_parquet(${stringLiteral(path.join(dir, 'ms.parquet'))})`)).toEqual([{ wait: '1 day 00:00:01.123' }]);
    const cut = await run(parquetPipeline({ path: 'us.parquet' }, `SELECT 1 AS id, {'wait': INTERVAL '00:00:01.123456'} AS s`), dir);
    expect(cut.summary.status).toBe('failed');
    expect(cut.summary.error?.message).toContain('column "s" holds 00:00:01.123456, whose fraction of a millisecond a Parquet INTERVAL does not keep');
    expect(existsSync(path.join(dir, 'us.parquet'))).toBe(false);
  });
});
