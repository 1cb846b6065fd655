import { beforeAll, describe, expect, it } from 'vitest';
import { pipeline, preview, problemsOf, tempDir } from './support/pipeline.js';

// Hostile queries for the SQL node: statements that are not a query (PRAGMA, SET, ATTACH, COPY,
// INSTALL, …) were refused only by DuckDB's parser, as "syntax error at or near ')'", since the node
// wraps the query in SELECT * FROM (…); a query with an unbalanced ')' closed that wrapper and ran;
// and two output columns of one name were renamed x_1 by DuckDB without a word.

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-hostile-sql-');
});

const orders = { id: 'orders', type: 'transform.sql', params: { query: 'SELECT * FROM (VALUES (1, 10), (2, 20)) t(order_id, customer_id)' } };
const customers = { id: 'customers', type: 'transform.sql', params: { query: "SELECT * FROM (VALUES (10, 'ES'), (20, 'FR')) t(customer_id, country)" } };
const withQuery = (query: string) => pipeline([orders, customers, { id: 'q', type: 'transform.sql', params: { query } }], ['orders -> q', 'customers -> q']);

describe('transform.sql refuses statements that are not a query, naming the statement', () => {
  const statements: Array<[string, string]> = [
    ['PRAGMA version', 'PRAGMA'],
    ['pragma enable_profiling', 'PRAGMA'],
    ["/* harmless */ SET memory_limit = '1GB'", 'SET'],
    ["-- comment\nATTACH ':memory:' AS other", 'ATTACH'],
    ["COPY (SELECT * FROM orders) TO '/tmp/caudal-hostile-copy.csv'", 'COPY'],
    ['Install httpfs', 'INSTALL'],
    ['LOAD httpfs', 'LOAD'],
    ['CALL pragma_version()', 'CALL'],
    ['CREATE TABLE t AS SELECT * FROM orders', 'CREATE'],
    ['INSERT INTO orders VALUES (3, 30)', 'INSERT'],
    ['DELETE FROM orders', 'DELETE'],
    ['EXPLAIN SELECT * FROM orders', 'EXPLAIN'],
    ['((  DETACH other))', 'DETACH'],
    ['/* a /* nested */ comment */ EXPORT DATABASE \'/tmp/x\'', 'EXPORT'],
  ];
  for (const [query, keyword] of statements)
    it(JSON.stringify(query), async () => {
      expect(await problemsOf(withQuery(query), dir)).toEqual([
        expect.objectContaining({
          path: 'nodes[2].params.query',
          message: `node 'q': the query starts with ${keyword}; a SQL node runs one query (SELECT, WITH … SELECT, FROM, VALUES, PIVOT or UNPIVOT) and nothing else`,
          hint: expect.stringContaining('settings, attached databases, files written and extensions are not a SQL node'),
        }),
      ]);
    });
});

describe('transform.sql refuses a query whose parentheses do not balance', () => {
  it("a ')' that would close the node's own wrapper", async () => {
    expect(await problemsOf(withQuery('SELECT order_id FROM orders) AS t, (SELECT country FROM customers'), dir)).toEqual([
      expect.objectContaining({ path: 'nodes[2].params.query', message: "node 'q': unbalanced ')' at character 28 of the query" }),
    ]);
  });

  it("an unclosed '(' (DuckDB would read the node's own ')')", async () => {
    expect(await problemsOf(withQuery('SELECT (order_id FROM orders'), dir)).toEqual([
      expect.objectContaining({ path: 'nodes[2].params.query', message: "node 'q': 1 unclosed '(' in the query" }),
    ]);
  });
});

describe('transform.sql refuses two output columns with one name', () => {
  it('t.* of both inputs of a join (DuckDB renamed the second customer_id to customer_id_1)', async () => {
    expect(await problemsOf(withQuery('SELECT o.*, c.* FROM orders o JOIN customers c ON o.customer_id = c.customer_id'), dir)).toEqual([
      expect.objectContaining({
        path: 'nodes[2].params.query',
        message: "node 'q': the query's output has more than one column named 'customer_id' (columns 2 and 3); DuckDB would rename the later ones (customer_id_1) without a word",
        hint: 'give each output column its own name (AS), or leave one out (USING, or c.* EXCLUDE (customer_id))',
      }),
    ]);
  });

  it('names that differ only in case (DuckDB names are case-insensitive)', async () => {
    expect(await problemsOf(withQuery('SELECT order_id AS id, customer_id AS "ID" FROM orders'), dir)).toEqual([
      expect.objectContaining({ message: expect.stringContaining("more than one column named 'id' (columns 1 and 2)") }),
    ]);
  });

  it('also inside a query that has its own CTEs', async () => {
    expect(await problemsOf(withQuery('WITH x AS (SELECT * FROM orders) SELECT order_id, order_id FROM x'), dir)).toEqual([
      expect.objectContaining({ message: expect.stringContaining("more than one column named 'order_id'") }),
    ]);
  });
});

describe('transform.sql still runs every kind of query', () => {
  const queries: Array<[string, unknown[]]> = [
    ['SELECT order_id FROM orders ORDER BY 1', [{ order_id: 1 }, { order_id: 2 }]],
    ['  -- leading comment\n  select order_id from orders order by 1;', [{ order_id: 1 }, { order_id: 2 }]],
    ['WITH x AS (SELECT * FROM orders) SELECT count(*)::INTEGER AS n FROM x', [{ n: 2 }]],
    ['WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 2) SELECT n FROM r ORDER BY n', [{ n: 1 }, { n: 2 }]],
    ['WITH orders AS (SELECT 7 AS order_id) SELECT order_id FROM orders', [{ order_id: 7 }]],
    ['FROM customers SELECT country ORDER BY country', [{ country: 'ES' }, { country: 'FR' }]],
    ['(SELECT 1 AS n) UNION ALL (SELECT 2) ORDER BY n', [{ n: 1 }, { n: 2 }]],
    ["VALUES ('a')", [{ col0: 'a' }]],
    ["PIVOT customers ON country IN ('ES') USING count(*)::INTEGER", [{ customer_id: 10, ES: 1 }, { customer_id: 20, ES: 0 }]],
    ['SELECT o.*, c.country FROM orders o JOIN customers c USING (customer_id) ORDER BY 1', [
      { order_id: 1, customer_id: 10, country: 'ES' },
      { order_id: 2, customer_id: 20, country: 'FR' },
    ]],
    ["SELECT 'set' AS \"SET\", ')' AS paren", [{ SET: 'set', paren: ')' }]],
  ];
  for (const [query, rows] of queries)
    it(JSON.stringify(query), async () => {
      const doc = withQuery(query);
      expect(await problemsOf(doc, dir)).toEqual([]);
      const r = await preview(doc, dir, 'q');
      if (query.startsWith('PIVOT')) r.rows.sort((a, b) => Number(a.customer_id) - Number(b.customer_id));
      expect(r.rows).toEqual(rows);
    });
});
