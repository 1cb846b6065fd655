import { mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parquetExactSelect } from '../core/src/nodes/sink.parquet/exact-integers.js';
import { oddKeys } from '../core/src/nodes/shared/stream-spool.js';
import { schemaDiff } from '../core/src/quality/schema-diff.js';
import { inDb } from './support/duckdb.js';
import { pipeline, preview, problemsOf, tempDir } from './support/pipeline.js';

// Hostile column names outside the transforms. DuckDB ignores the case of the ASCII letters A–Z
// only: `select 1 "é", 2 "É"` has two columns (and a file may hold tables "é" and "É"). These
// nodes matched names with JavaScript's toLowerCase, which folds every letter, and so read,
// partitioned or checked the wrong column, or refused input DuckDB takes.

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-hostile-names-5-');
  await inDb(path.join(dir, 'empty.duckdb'), 'SELECT 1');
  await inDb(
    path.join(dir, 'accents.duckdb'),
    `CREATE TABLE "é" AS SELECT 1 AS "ü", 2 AS "Ü", 3 AS id;
     CREATE TABLE "É" AS SELECT 10 AS "ü", 20 AS "Ü", 30 AS id;`,
  );
});

const fromFile = (params: Record<string, unknown>) => pipeline([{ id: 'src', type: 'source.duckdb', params: { database: 'accents.duckdb', ...params } }]);

describe('source.duckdb: tables and columns that differ only in the case of a non-ASCII letter are two', () => {
  it('reads the table named, not its other-case twin', async () => {
    expect((await preview(fromFile({ table: 'É' }), dir, 'src')).rows).toEqual([{ ü: 10, Ü: 20, id: 30 }]);
    expect((await preview(fromFile({ table: 'é' }), dir, 'src')).rows).toEqual([{ ü: 1, Ü: 2, id: 3 }]);
  });

  it('reads the columns named, in their order, and accepts ü and Ü as two', async () => {
    expect(await problemsOf(fromFile({ table: 'é', columns: ['Ü', 'ü'] }), dir)).toEqual([]);
    expect((await preview(fromFile({ table: 'é', columns: ['Ü', 'ID'] }), dir, 'src')).rows).toEqual([{ Ü: 2, id: 3 }]);
    expect((await preview(fromFile({ table: 'é', columns: ['ü'] }), dir, 'src')).rows).toEqual([{ ü: 1 }]);
  });

  it('still refuses a column listed twice in ASCII case', async () => {
    expect(await problemsOf(fromFile({ table: 'é', columns: ['id', 'ID'] }), dir)).toEqual([
      expect.objectContaining({ path: 'nodes[0].params.columns[1]', message: "node 'src' (source.duckdb): column 'ID' is listed twice" }),
    ]);
  });
});

const intoParquet = (query: string, params: Record<string, unknown>) =>
  pipeline(
    [
      { id: 'src', type: 'source.duckdb', params: { database: 'empty.duckdb', query } },
      { id: 'out', type: 'sink.parquet', params: { if_exists: 'overwrite', ...params } },
    ],
    ['src -> out'],
  );

describe('sink.parquet: partition columns that differ only in the case of a non-ASCII letter are two', () => {
  it('names the partition column listed, not its other-case twin', async () => {
    // Either name is refused (DuckDB percent-encodes it as the folder key): the message must say which.
    expect(await problemsOf(intoParquet(`SELECT 1 AS "É", 2 AS "é", 3 AS id`, { path: 'parts/one', partition_by: ['é'] }), dir)).toEqual([
      expect.objectContaining({ column: 'é', path: 'nodes[1].params.partition_by[0]', message: expect.stringContaining("partition column 'é' would be written as the folder key '%C3%A9'") }),
    ]);
  });

  it('é and É listed together are not one column listed twice', async () => {
    const problems = await problemsOf(intoParquet(`SELECT 1 AS "é", 2 AS "É", 3 AS id`, { path: 'parts/two', partition_by: ['é', 'É'] }), dir);
    expect(problems.map((p) => p.message)).not.toContainEqual(expect.stringContaining('listed twice'));
    expect(problems.map((p) => [p.column, p.path])).toEqual([
      ['é', 'nodes[1].params.partition_by[0]'],
      ['É', 'nodes[1].params.partition_by[1]'],
    ]);
    // ASCII case twins are still one column listed twice.
    expect(await problemsOf(intoParquet(`SELECT 1 AS k, 3 AS id`, { path: 'parts/three', partition_by: ['k', 'K'] }), dir)).toEqual([
      expect.objectContaining({ path: 'nodes[1].params.partition_by[1]', message: expect.stringContaining("column 'K' is listed twice in partition_by") }),
    ]);
  });

  it('a 128-bit integer next to a partition column of its other-case name is still written exactly', () => {
    const select = parquetExactSelect(
      [
        { name: 'é', type: 'HUGEINT' },
        { name: 'É', type: 'VARCHAR' },
      ],
      ['É'],
    );
    expect(select).toMatch(/CAST\("é" AS DECIMAL\(38,0\)\) END AS "é"/);
  });
});

describe('file sources: a folder key and a column that differ only in the case of a non-ASCII letter are two columns', () => {
  it('source.parquet reads é=1/ holding its own É, with both columns', async () => {
    await mkdir(path.join(dir, 'hive', 'é=1'), { recursive: true });
    await inDb(':memory:', `COPY (SELECT 5 AS "É") TO '${path.join(dir, 'hive', 'é=1', 'd.parquet')}' (FORMAT parquet)`);
    const r = await preview(pipeline([{ id: 'src', type: 'source.parquet', params: { path: 'hive/**/*.parquet' } }]), dir, 'src');
    expect(r.columns.map((c) => c.name)).toEqual(['É', 'é']);
    expect(r.rows).toEqual([{ É: 5, é: '1' }]);
  });

  it('a folder key in another ASCII case of a file\'s column is still refused', async () => {
    await mkdir(path.join(dir, 'hive-ascii', 'k=1'), { recursive: true });
    await inDb(':memory:', `COPY (SELECT 5 AS "K") TO '${path.join(dir, 'hive-ascii', 'k=1', 'd.parquet')}' (FORMAT parquet)`);
    expect(await problemsOf(pipeline([{ id: 'src', type: 'source.parquet', params: { path: 'hive-ascii/**/*.parquet' } }]), dir)).toEqual([
      expect.objectContaining({ path: 'nodes[0].params.hive_partitioning', message: expect.stringContaining("column 'K' is both in") }),
    ]);
  });

  it('source.json flattens a struct of é and É into two columns', async () => {
    await writeFile(path.join(dir, 'nested.ndjson'), '{"a": {"é": 1, "É": 2}}\n');
    const r = await preview(pipeline([{ id: 'src', type: 'source.json', params: { path: 'nested.ndjson', flatten: true } }]), dir, 'src');
    expect(r.rows).toEqual([{ a_é: '1', a_É: '2' }]);
    // In ASCII case they are one name, and refused.
    await writeFile(path.join(dir, 'nested-ascii.ndjson'), '{"a": {"k": 1}, "A_K": 2}\n');
    expect(await problemsOf(pipeline([{ id: 'src', type: 'source.json', params: { path: 'nested-ascii.ndjson', flatten: true } }]), dir)).toEqual([
      expect.objectContaining({ path: 'nodes[0].params.flatten', message: expect.stringContaining('flattening gives several columns the same name') }),
    ]);
  });

  it('a stream message value may have keys é and É (two inferred columns), not a and A', () => {
    expect(oddKeys({ é: 1, É: 2, nested: { σ: 1, Σ: 2 } })).toBeUndefined();
    // The Kelvin sign K is not the ASCII K for DuckDB, though JavaScript lower-cases it to k.
    expect(oddKeys({ '\u212A': 1, k: 2 })).toBeUndefined();
    expect(oddKeys({ a: 1, A: 2 })).toContain("keys 'a' and 'A'");
  });
});

describe('schemas are compared name by name as DuckDB names columns', () => {
  it('the schema check matches é and É each to its own column', () => {
    const actual = [
      { name: 'é', type: 'INTEGER' },
      { name: 'É', type: 'VARCHAR' },
    ];
    expect(schemaDiff(actual, [{ name: 'é', type: 'INTEGER' }, { name: 'É', type: 'VARCHAR' }], false)).toEqual([]);
    expect(schemaDiff(actual, [{ name: 'é', type: 'INTEGER' }], false)).toEqual(["extra column 'É' (VARCHAR)"]);
    expect(schemaDiff([{ name: 'é', type: 'INTEGER' }], [{ name: 'É' }], true)).toEqual(["missing column 'É'"]);
    expect(schemaDiff([{ name: 'Id', type: 'INTEGER' }], [{ name: 'ID', type: 'INTEGER' }], false)).toEqual([]);
  });

  it('a source pinned to é INTEGER and É VARCHAR reads them without drift', async () => {
    const doc = pipeline([{ id: 'src', type: 'source.duckdb', params: { database: 'empty.duckdb', query: `SELECT 1 AS "é", 'x' AS "É"`, expect_schema: [{ name: 'é', type: 'INTEGER' }, { name: 'É', type: 'VARCHAR' }] } }]);
    expect(await problemsOf(doc, dir)).toEqual([]);
  });
});

describe('transform.http_enrich: a {column} means the column DuckDB would read under that name', () => {
  let server: http.Server;
  let base = '';
  const asked: Array<{ url: string; who: unknown; body: string }> = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        asked.push({ url: req.url!, who: req.headers['x-who'], body });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ name: `at ${req.url}` }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const look = (query: string, params: Record<string, unknown>) =>
    pipeline(
      [
        { id: 'src', type: 'source.duckdb', params: { database: 'empty.duckdb', query } },
        { id: 'look', type: 'transform.http_enrich', params: { url: `${base}/lookup/{id}`, outputs: [{ name: 'name', path: 'name' }], cache: { enabled: false }, retries: 0, ...params } },
      ],
      ['src -> look'],
    );
  const lookedUp = async (query: string, params: Record<string, unknown>) => {
    const before = asked.length;
    const r = await preview(look(query, params), dir, 'look');
    return { rows: r.rows, asked: asked.slice(before) };
  };

  it('{ID} sends the value of column id (not "undefined"), in the URL, a param, a header and the body', async () => {
    const { rows, asked: sent } = await lookedUp(`SELECT 7::BIGINT AS id`, {
      url: `${base}/lookup/{ID}`,
      method: 'POST',
      params: { q: 'k{Id}' },
      headers: { 'X-Who': 'u{iD}' },
      body: JSON.stringify({ whole: '{ID}', inside: 'n{ID}' }),
    });
    expect(sent).toEqual([{ url: '/lookup/7?q=k7', who: 'u7', body: '{"whole":7,"inside":"n7"}' }]);
    expect(rows).toEqual([{ id: '7', name: 'at /lookup/7?q=k7' }]);
  });

  it('{É} with only a column é is an unknown column, as in DuckDB; with both, each sends its own', async () => {
    expect(await problemsOf(look(`SELECT 'x' AS "é"`, { url: `${base}/lookup/{É}` }), dir)).toEqual([
      expect.objectContaining({ code: 'unknown_column', column: 'É', message: expect.stringContaining("the request uses column 'É', which is not in the input") }),
    ]);
    const { asked: sent } = await lookedUp(`SELECT 'lower' AS "é", 'upper' AS "É"`, { url: `${base}/lookup/{É}/{é}` });
    expect(sent.map((a) => a.url)).toEqual(['/lookup/upper/lower']);
  });

  it('an output column É may sit next to an input column é (an ASCII twin is still refused)', async () => {
    const { rows } = await lookedUp(`SELECT 1 AS id, 'x' AS "é"`, { outputs: [{ name: 'É', path: 'name' }] });
    expect(rows).toEqual([{ id: 1, é: 'x', É: 'at /lookup/1' }]);
    expect(await problemsOf(look(`SELECT 1 AS id, 'x' AS "name"`, { outputs: [{ name: 'NAME', path: 'name' }] }), dir)).toEqual([
      expect.objectContaining({ path: 'nodes[1].params.outputs[0].name', message: "node 'look': output column 'NAME' is already in the input" }),
    ]);
  });
});
