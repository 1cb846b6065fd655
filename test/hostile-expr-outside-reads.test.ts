import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { pipeline, preview, problemsOf, tempDir } from './support/pipeline.js';

// A pipeline file is something people share. Its expressions and SQL ran with all of DuckDB's
// reach: a derive column `(SELECT content FROM read_text('~/.ssh/id_rsa'))` showed the key in the
// preview, `FROM '/etc/passwd'` in a SQL node read a file no source node names, and a URL in
// read_csv was fetched (DuckDB even downloaded its httpfs extension for it). User SQL now computes
// over the pipeline's rows only; files are read by source nodes, where a reader sees them.

const SECRET = 'caudal-secret-4f1e9a';
let dir: string;
let secretFile: string;
let server: Server;
let requests = 0;
let url: string;

beforeAll(async () => {
  dir = await tempDir('caudal-outside-reads-');
  secretFile = path.join(dir, 'secret.csv');
  await writeFile(secretFile, `token\n${SECRET}\n`);
  await writeFile(path.join(dir, 'orders.csv'), 'order_id,amount\n1,10\n2,20\n');
  server = createServer((_req, res) => {
    requests++;
    res.end(`token\n${SECRET}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/leak.csv`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const orders = { id: 'orders', type: 'source.csv', params: { path: 'orders.csv' } };
const after = (node: Record<string, unknown>) => pipeline([orders, { id: 'n', ...node } as never], ['orders -> n']);
const sqlNode = (query: string) => after({ type: 'transform.sql', params: { query } });

/** The problems of a pipeline, checked to hold neither the secret nor a fetch of the URL. */
async function refused(doc: ReturnType<typeof pipeline>) {
  const before = requests;
  const problems = await problemsOf(doc, dir);
  expect(JSON.stringify(problems)).not.toContain(SECRET);
  expect(requests).toBe(before);
  return problems;
}

describe('user SQL that would read a file or URL is refused before DuckDB binds it, naming what it reads', () => {
  const cases: Array<[string, () => ReturnType<typeof pipeline>, string, () => string]> = [
    ['a derive column reading a file in a subquery', () => after({ type: 'transform.derive', params: { columns: [{ name: 'x', expression: `(SELECT content FROM read_text('${secretFile}'))` }] } }), 'nodes[1].params.columns[0].expression', () => 'read_text(…)'],
    ['a derive column fetching a URL', () => after({ type: 'transform.derive', params: { columns: [{ name: 'x', expression: `(SELECT token FROM read_csv('${url}'))` }] } }), 'nodes[1].params.columns[0].expression', () => 'read_csv(…)'],
    ['a filter listing a folder', () => after({ type: 'transform.filter', params: { condition: `order_id IN (SELECT length(file) FROM glob('${dir}/*'))` } }), 'nodes[1].params.condition', () => 'glob(…)'],
    ['a split route reading a file', () => after({ type: 'transform.split', params: { routes: [{ when: `EXISTS (FROM read_csv('${secretFile}'))`, port: 'out_1' }] } }), 'nodes[1].params.routes[0].when', () => 'read_csv(…)'],
    ['a quality check expression', () => after({ type: 'quality.check', params: { checks: [{ kind: 'expression', name: 'leak', expression: `amount < (SELECT count(*) FROM read_text('${secretFile}'))` }] } }), 'nodes[1].params.checks[0].expression', () => 'read_text(…)'],
    ['a SQL node reading a file by its name (replacement scan)', () => sqlNode(`SELECT * FROM '${secretFile}'`), 'nodes[1].params.query', () => `'${secretFile}'`],
    ['a SQL node describing a file', () => sqlNode(`DESCRIBE '${secretFile}'`), 'nodes[1].params.query', () => `'${secretFile}'`],
    ['a SQL node summarizing a URL', () => sqlNode(`SUMMARIZE SELECT * FROM read_csv('${url}')`), 'nodes[1].params.query', () => 'read_csv(…)'],
    ['a SQL node running other SQL through query()', () => sqlNode("FROM query('SELECT 1 AS x')"), 'nodes[1].params.query', () => 'query(…)'],
    ['a SQL node reading the settings', () => sqlNode('SELECT name, value FROM duckdb_settings()'), 'nodes[1].params.query', () => 'duckdb_settings(…)'],
    ['a SQL node joining a table function in a CTE', () => sqlNode(`WITH t AS (FROM read_csv_auto('${secretFile}')) SELECT * FROM orders, t`), 'nodes[1].params.query', () => 'read_csv_auto(…)'],
  ];
  for (const [title, doc, at, whatOf] of cases)
    it(title, async () => {
      expect(await refused(doc())).toEqual([
        expect.objectContaining({
          path: at,
          message: expect.stringMatching(new RegExp(`^node 'n': the (expression|query) reads from outside the pipeline: ${whatOf().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `)),
          hint: expect.stringContaining('read a file with a source node'),
        }),
      ]);
    });

  it.each([
    ['the catalog of views (every node\'s SQL)', 'SELECT sql FROM duckdb_views', 'duckdb_views', "the database's catalog"],
    ['the information schema', 'SELECT table_name FROM information_schema.tables', 'information_schema.tables', "the database's catalog"],
    ['the SQLite-style catalog', 'SELECT * FROM main.sqlite_master', 'main.sqlite_master', "the database's catalog"],
    ["another node's rows by the planner's name for them", 'SELECT * FROM _n_secret__out', '_n_secret__out', 'connect that node to this one'],
  ])('a SQL node reading %s is refused, naming it', async (_, query, what, why) => {
    const doc = pipeline(
      [orders, { id: 'secret', type: 'transform.sql', params: { query: 'SELECT 42 AS pin' } }, { id: 'n', type: 'transform.sql', params: { query } }],
      ['orders -> n'],
    );
    expect(await refused(doc)).toEqual([expect.objectContaining({ path: 'nodes[2].params.query', message: expect.stringContaining(`reads from outside the pipeline: ${what}: `) })]);
    expect((await refused(doc))[0]!.message).toContain(why);
  });

  it('a CTE named like a catalog view is the query\'s own', async () => {
    const r = await preview(sqlNode('WITH duckdb_views AS (SELECT order_id FROM orders) SELECT * FROM duckdb_views'), dir, 'n');
    expect(r.rows).toEqual([{ order_id: '1' }, { order_id: '2' }]);
  });

  it('a PIVOT whose values come from the data (DuckDB runs a query of its own for them) is refused, saying to list them', async () => {
    expect(await refused(sqlNode(`PIVOT '${secretFile}' ON token USING count(*)`))).toEqual([
      expect.objectContaining({ path: 'nodes[1].params.query', message: expect.stringContaining('a PIVOT must list its values: ON column IN (…)') }),
    ]);
  });

  it('a preview of such a node shows nothing of the file', async () => {
    const doc = after({ type: 'transform.derive', params: { columns: [{ name: 'x', expression: `(SELECT content FROM read_text('${secretFile}'))` }] } });
    const error = await preview(doc, dir, 'n').then(
      (r) => JSON.stringify(r),
      (e: Error) => e.message,
    );
    expect(error).not.toContain(SECRET);
    expect(error).toContain('read_text(…)');
  });

  it("a DuckDB source's query reading a file beside the database", async () => {
    const instance = await DuckDBInstance.create(path.join(dir, 'warehouse.duckdb'));
    const conn = await instance.connect();
    await conn.run('CREATE TABLE sales AS SELECT 1 AS id');
    conn.closeSync();
    instance.closeSync();
    const doc = pipeline([{ id: 'n', type: 'source.duckdb', params: { database: 'warehouse.duckdb', query: `SELECT * FROM sales, read_text('${secretFile}')` } }]);
    expect(await refused(doc)).toEqual([expect.objectContaining({ path: 'nodes[0].params.query', message: expect.stringContaining('read_text(…)') })]);
  });
});

describe('user SQL keeps what computes without reading anything', () => {
  it('table functions that only generate rows (range, generate_series, unnest) and the inputs by name', async () => {
    const doc = sqlNode('SELECT o.order_id, g.i, u.v FROM orders AS o, range(2) AS g(i), (SELECT unnest([7]) AS v) AS u WHERE o.order_id IN (FROM generate_series(1, 1))');
    const r = await preview(doc, dir, 'n');
    expect(r.rows).toEqual([
      { order_id: '1', i: '0', v: 7 },
      { order_id: '1', i: '1', v: 7 },
    ]);
  });

  it('a subquery over range in a derive column, and text that merely looks like a path', async () => {
    const doc = after({ type: 'transform.derive', params: { columns: [{ name: 'x', expression: "(SELECT sum(i) FROM range(4) t(i)) || '/etc/passwd.csv'" }] } });
    const r = await preview(doc, dir, 'n');
    expect(r.rows.map((row) => row.x)).toEqual(['6/etc/passwd.csv', '6/etc/passwd.csv']);
  });
});
