import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { inDb } from './support/duckdb.js';
import { pipeline, problemsOf, run, tempDir } from './support/pipeline.js';

/**
 * Hostile partition values and partition column names for sink.parquet's hive folders: what a
 * folder name cannot hold must stop the run (or the plan) naming the column, and never write
 * outside the target or leave debris.
 */
let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-fsh-parts-');
});

const parts = (query: string, params: Record<string, unknown>) =>
  pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query } },
      { id: 'out', type: 'sink.parquet', params },
    ],
    ['src -> out'],
  );

async function tree(folder: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(folder, { withFileTypes: true })) {
    if (e.isDirectory()) out.push(...(await tree(path.join(folder, e.name), `${prefix}${e.name}/`)));
    else out.push(`${prefix}${e.name}`);
  }
  return out.sort();
}

const debris = async () => (await readdir(dir)).filter((f) => f.includes('.caudal-'));

describe('partition values that would name a path', () => {
  it("stay inside the target: '/', '\\', '..', '%2F', NUL and leading dots are percent-encoded and read back as written", async () => {
    const values = ['../../escape', '..', '.', 'a\\b', 'a%2Fb', `a${'\u0000'}b`, '.hidden', 'a/b'];
    const query = `SELECT * FROM (VALUES ${values.map((v, i) => `(${i}, ${`'${v.replace(/'/g, "''").replace('\u0000', "' || chr(0) || '")}'`})`).join(', ')}) t(id, k)`;
    const { summary } = await run(parts(query, { path: 'inside/out', partition_by: ['k'] }), dir);
    expect(summary.status).toBe('succeeded');
    expect(await readdir(path.join(dir, 'inside'))).toEqual(['out']);
    expect(await tree(path.join(dir, 'inside', 'out'))).toEqual(
      ['k=.', 'k=..', 'k=..%2F..%2Fescape', 'k=.hidden', 'k=a%00b', 'k=a%252Fb', 'k=a%2Fb', 'k=a%5Cb'].map((f) => `${f}/data_0.parquet`).sort(),
    );
    const back = await inDb(':memory:', `SELECT id, k FROM read_parquet('${path.join(dir, 'inside', 'out')}/**/*.parquet', hive_partitioning = true) ORDER BY id`);
    expect(back.map((r) => r.k)).toEqual(values);
  });
});

describe('partition values longer than a folder name can be', () => {
  it.each([
    ['300 ASCII letters', `repeat('x', 300)`, 'x'.repeat(40)],
    ['120 accented letters (6 bytes each once percent-encoded)', `repeat('é', 120)`, 'é'.repeat(40)],
  ])('%s: the run stops naming the column and the length, the old folder is kept, no debris', async (_what, long, shown) => {
    const target = path.join(dir, 'long', 'out');
    await mkdir(path.join(target, 'k=a'), { recursive: true });
    await writeFile(path.join(target, 'k=a', 'data_0.parquet'), 'the previous run');
    const query = `SELECT * FROM (VALUES (1, 'short'), (2, ${long})) t(id, k)`;
    const { summary } = await run(parts(query, { path: 'long/out', partition_by: ['k'], if_exists: 'overwrite' }), dir);
    expect(summary.status).toBe('failed');
    expect(summary.error?.nodeId).toBe('out');
    expect(summary.error?.message).toContain(`partition column "k" holds the text '${shown}`);
    expect(summary.error?.message).toMatch(/whose folder name k=… would be \d+ bytes, more than the 255 a file system allows/);
    expect(await readFile(path.join(target, 'k=a', 'data_0.parquet'), 'utf8')).toBe('the previous run');
    expect(await readdir(path.join(dir, 'long'))).toEqual(['out']);
    expect(await debris()).toEqual([]);
  });

  it('a value just within 255 bytes with its key is written', async () => {
    const query = `SELECT 1 AS id, repeat('y', 253) AS k`;
    const { summary } = await run(parts(query, { path: 'edge', partition_by: ['k'] }), dir);
    expect(summary.status).toBe('succeeded');
    expect(await tree(path.join(dir, 'edge'))).toEqual([`k=${'y'.repeat(253)}/data_0.parquet`]);
  });
});

describe('partition column names that DuckDB percent-encodes', () => {
  it.each(['order date', 'año', 'a/b', 'a=b'])("'%s' is refused before the run: DuckDB readers would name the column after its encoded folder key", async (name) => {
    const query = `SELECT 1 AS id, 'x' AS "${name}"`;
    const problems = await problemsOf(parts(query, { path: `names/${encodeURIComponent(name)}`, partition_by: [name] }), dir);
    const encoded = encodeURIComponent(name).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
    expect(problems).toEqual([
      expect.objectContaining({
        nodeId: 'out',
        column: name,
        path: expect.stringContaining('params.partition_by'),
        message: `node 'out': partition column '${name}' would be written as the folder key '${encoded}', and DuckDB (source.parquet included) reads the column back under that name`,
        hint: expect.stringContaining('rename the column'),
      }),
    ]);
  });

  it('names of letters, digits, _ . - ~ in any case are fine', async () => {
    const query = `SELECT 1 AS id, 'x' AS "Order_Date.v-1~"`;
    expect(await problemsOf(parts(query, { path: 'names/fine', partition_by: ['order_date.v-1~'] }), dir)).toEqual([]);
  });
});

describe('a BLOB partition column', () => {
  it('is refused before the run, naming the column (DuckDB fails on bytes that are not UTF-8)', async () => {
    const query = `SELECT 1 AS id, '\\x00\\xFF'::BLOB AS k`;
    const problems = await problemsOf(parts(query, { path: 'blob-parts', partition_by: ['k'] }), dir);
    expect(problems).toEqual([
      expect.objectContaining({ nodeId: 'out', column: 'k', message: expect.stringContaining("partition column 'k' is a BLOB"), hint: expect.stringContaining('hex(k)') }),
    ]);
    expect(existsSync(path.join(dir, 'blob-parts'))).toBe(false);
  });
});

describe('two sinks of one run writing nested destinations', () => {
  it('are refused before the run, naming both (the run failed at its commit, moving one inside the other)', async () => {
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: "SELECT 1 AS k, 'x' AS v" } },
        { id: 'lake', type: 'sink.parquet', params: { path: 'nested/lake', partition_by: ['k'], if_exists: 'overwrite' } },
        { id: 'extra', type: 'sink.csv', params: { path: 'nested/lake/k=1/extra.csv', if_exists: 'overwrite' } },
      ],
      ['src -> lake', 'src -> extra'],
    );
    const problems = await problemsOf(doc, dir);
    expect(problems).toEqual([
      expect.objectContaining({ nodeId: 'extra', message: expect.stringMatching(/^nodes 'lake' and 'extra' write nested destinations: .*nested\/lake\/k=1\/extra\.csv is inside .*nested\/lake, which a run replaces as a whole$/) }),
    ]);
  });

  it('side by side in one folder are fine', async () => {
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: "SELECT 1 AS k, 'x' AS v" } },
        { id: 'a', type: 'sink.parquet', params: { path: 'beside/lake', partition_by: ['k'], if_exists: 'overwrite' } },
        { id: 'b', type: 'sink.csv', params: { path: 'beside/lake2.csv', if_exists: 'overwrite' } },
      ],
      ['src -> a', 'src -> b'],
    );
    expect(await problemsOf(doc, dir)).toEqual([]);
  });
});
