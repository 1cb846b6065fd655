import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspect, pipeline, preview, problemsOf, tempDir } from '../../../../test/support/pipeline.js';
import { Db } from '../../compiler/db.js';
import { previewNode } from '../../engine/inspect.js';
import { literal } from '../../compiler/sql.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-dedupe-');
});

// Customers' orders: "Customer ID" 1 has a tie on the latest date, 2 has a NULL date, NULL is a key too.
const SRC = `SELECT * FROM (VALUES
  (1::INTEGER, 'José Muñoz', DATE '2025-01-05', 30::INTEGER),
  (1, 'José Muñoz', DATE '2025-03-01', 20),
  (1, 'José Muñoz', DATE '2025-03-01', 10),
  (2, 'Zoë', NULL, 5),
  (2, 'Zoë', DATE '2024-12-31', 7),
  (NULL, 'anon', DATE '2025-02-02', 1),
  (NULL, 'anon', DATE '2025-02-03', 2),
  (3, 'Ann', DATE '2025-01-01', 1),
  (3, 'Ann', DATE '2025-01-01', 1)
) t("Customer ID", name, "Order Date", amount)`;

const dedupeOver = (params: Record<string, unknown>, query = SRC) =>
  pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query } },
      { id: 'dd', type: 'transform.dedupe', params },
    ],
    ['src -> dd'],
  );
type Row = Record<string, unknown>;
const byJson = (a: Row, b: Row) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1);
const rowsOf = async (params: Record<string, unknown>, port = 'out', query = SRC) => (await preview(dedupeOver(params, query), dir, 'dd', { port })).rows.sort(byJson);

describe('transform.dedupe', () => {
  it('without keys removes rows equal in every column, NULLs included, and lists the extra copies on "removed"', async () => {
    const q = `SELECT * FROM (VALUES (1::INTEGER, 'a'), (1, 'a'), (1, 'a'), (2, NULL), (2, NULL), (2, 'b')) t(id, v)`;
    expect(await rowsOf({}, 'out', q)).toEqual([
      { id: 1, v: 'a' },
      { id: 2, v: 'b' },
      { id: 2, v: null },
    ]);
    expect(await rowsOf({}, 'removed', q)).toEqual([
      { id: 1, v: 'a' },
      { id: 1, v: 'a' },
      { id: 2, v: null },
    ]);
  });

  it('keeps the first row of each key in the order: latest date, NULL dates never win, NULL keys form one group', async () => {
    const out = await rowsOf({ keys: ['Customer ID'], keep: 'first', order_by: [{ column: 'Order Date', direction: 'desc' }] });
    expect(out).toEqual(
      [
        // the tie on 2025-03-01 is broken by the remaining columns ascending: name, then amount 10 before 20
        { 'Customer ID': 1, name: 'José Muñoz', 'Order Date': '2025-03-01', amount: 10 },
        { 'Customer ID': 2, name: 'Zoë', 'Order Date': '2024-12-31', amount: 7 },
        { 'Customer ID': 3, name: 'Ann', 'Order Date': '2025-01-01', amount: 1 },
        { 'Customer ID': null, name: 'anon', 'Order Date': '2025-02-03', amount: 2 },
      ].sort(byJson),
    );
  });

  it('"last" in ascending order keeps the same rows as "first" in descending order', async () => {
    const last = await rowsOf({ keys: ['Customer ID'], keep: 'last', order_by: [{ column: 'Order Date' }] });
    const first = await rowsOf({ keys: ['Customer ID'], keep: 'first', order_by: [{ column: 'Order Date', direction: 'desc' }] });
    expect(last).toEqual(first);
  });

  it('a second order column decides between rows tied on the first one', async () => {
    const out = await rowsOf({ keys: ['customer id'], keep: 'first', order_by: [{ column: 'Order Date', direction: 'desc' }, { column: 'amount', direction: 'desc' }] });
    expect(out.find((r) => r['Customer ID'] === 1)).toEqual({ 'Customer ID': 1, name: 'José Muñoz', 'Order Date': '2025-03-01', amount: 20 });
  });

  it('keeps the earliest row with "first" ascending, a NULL date only when the key has nothing else', async () => {
    const q = `SELECT * FROM (VALUES (1::INTEGER, NULL::DATE), (1, DATE '2025-01-02'), (2, NULL)) t(k, d)`;
    expect(await rowsOf({ keys: ['k'], keep: 'first', order_by: [{ column: 'd' }] }, 'out', q)).toEqual([
      { k: 1, d: '2025-01-02' },
      { k: 2, d: null },
    ]);
    expect(await rowsOf({ keys: ['k'], keep: 'last', order_by: [{ column: 'd' }] }, 'out', q)).toEqual([
      { k: 1, d: '2025-01-02' },
      { k: 2, d: null },
    ]);
  });

  it('"any" keeps the row that sorts first on the other columns, whatever order the input comes in', async () => {
    const expected = [
      { 'Customer ID': 1, name: 'José Muñoz', 'Order Date': '2025-01-05', amount: 30 },
      { 'Customer ID': 2, name: 'Zoë', 'Order Date': '2024-12-31', amount: 7 },
      { 'Customer ID': 3, name: 'Ann', 'Order Date': '2025-01-01', amount: 1 },
      { 'Customer ID': null, name: 'anon', 'Order Date': '2025-02-02', amount: 1 },
    ].sort(byJson);
    expect(await rowsOf({ keys: ['Customer ID'] })).toEqual(expected);
    expect(await rowsOf({ keys: ['Customer ID'] }, 'out', `SELECT * FROM (${SRC}) ORDER BY amount DESC`)).toEqual(expected);
  });

  it('"removed" holds exactly the rows that were not kept', async () => {
    const params = { keys: ['Customer ID'], keep: 'first', order_by: [{ column: 'Order Date', direction: 'desc' }] };
    const removed = await rowsOf(params, 'removed');
    expect(removed).toHaveLength(5);
    expect(removed).toContainEqual({ 'Customer ID': 2, name: 'Zoë', 'Order Date': null, amount: 5 });
    expect(removed).toContainEqual({ 'Customer ID': 3, name: 'Ann', 'Order Date': '2025-01-01', amount: 1 });
  });

  it('an empty input gives an empty output with the same columns', async () => {
    const r = await preview(dedupeOver({ keys: ['Customer ID'] }, `${SRC} WHERE false`), dir, 'dd');
    expect(r.rows).toEqual([]);
    expect(r.columns).toEqual([
      { name: 'Customer ID', type: 'INTEGER' },
      { name: 'name', type: 'VARCHAR' },
      { name: 'Order Date', type: 'DATE' },
      { name: 'amount', type: 'INTEGER' },
    ]);
  });

  it('reports an unknown key or order column with the closest name, before running', async () => {
    expect(await problemsOf(dedupeOver({ keys: ['Customer_ID'] }), dir)).toEqual([
      expect.objectContaining({ code: 'unknown_column', path: 'nodes[1].params.keys[0]', message: "unknown column 'Customer_ID' in node 'dd' (did you mean 'Customer ID'?)" }),
    ]);
    expect(await problemsOf(dedupeOver({ keys: ['name'], keep: 'last', order_by: [{ column: 'amuont' }] }), dir)).toEqual([
      expect.objectContaining({ code: 'unknown_column', path: 'nodes[1].params.order_by[0].column', message: expect.stringContaining("did you mean 'amount'?") }),
    ]);
  });

  it('refuses first/last without an order, an order without first/last, and a key used as order', async () => {
    const messages = async (params: Record<string, unknown>) => (await problemsOf(dedupeOver(params), dir)).map((p) => `${p.path}: ${p.message}`);
    expect(await messages({ keys: ['name'], keep: 'first' })).toEqual(["nodes[1].params.order_by: node 'dd' (transform.dedupe): keeping the first row of each key needs an order"]);
    expect(await messages({ keys: ['name'], order_by: [{ column: 'amount' }] })).toEqual(["nodes[1].params.order_by: node 'dd' (transform.dedupe): an order is only used when keeping the first or last row"]);
    expect(await messages({ keys: ['name'], keep: 'last', order_by: [{ column: 'NAME' }] })).toEqual([
      expect.stringContaining("nodes[1].params.order_by[0].column: node 'dd' (transform.dedupe): 'NAME' is a key column"),
    ]);
    expect(await messages({ keep: 'last', order_by: [{ column: 'amount' }] })).toEqual([expect.stringContaining('without key columns, duplicates are identical rows')]);
  });

  it('compiles to a partitioned min/max pre-filter and one row_number()', async () => {
    const result = await inspect({ pipeline: dedupeOver({ keys: ['Customer ID'], keep: 'first', order_by: [{ column: 'Order Date', direction: 'desc' }] }), baseDir: dir });
    expect(result.problems).toEqual([]);
    const node = result.nodes.find((n) => n.nodeId === 'dd')!;
    expect(Object.fromEntries(node.outputs.map((o) => [o.port, o.sql]))).toMatchSnapshot();
  });
});

// ---- properties, on random small tables, in-process (one DuckDB for all cases) ---------------

describe('transform.dedupe properties', () => {
  let db: Db;
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'caudal-dedupe-prop-'));
    db = await Db.open({ threads: 1 });
  });
  afterAll(async () => {
    db?.close();
    await rm(work, { recursive: true, force: true });
  });

  const cell = fc.option(fc.integer({ min: 0, max: 3 }), { nil: null, freq: 4 });
  const text = fc.option(fc.constantFrom('a', 'B', 'Zoë', ''), { nil: null, freq: 4 });
  const table = fc.array(fc.tuple(cell, text, cell, text), { maxLength: 25 });
  const config = fc.record({
    keys: fc.subarray(['k', 's', 'n', 't'], { minLength: 0, maxLength: 2 }),
    keep: fc.constantFrom('any', 'first', 'last'),
    direction: fc.constantFrom('asc', 'desc'),
  });
  const query = (rows: Array<[number | null, string | null, number | null, string | null]>) =>
    rows.length === 0
      ? 'SELECT NULL::INTEGER AS k, NULL::VARCHAR AS s, NULL::INTEGER AS n, NULL::VARCHAR AS t WHERE false'
      : `SELECT * FROM (VALUES ${rows.map((r) => `(${literal(r[0])}::INTEGER, ${literal(r[1])}::VARCHAR, ${literal(r[2])}::INTEGER, ${literal(r[3])}::VARCHAR)`).join(', ')}) t(k, s, n, t)`;
  const paramsFor = (c: { keys: string[]; keep: string; direction: string }) => {
    const orderCol = ['n', 't', 's', 'k'].find((x) => !c.keys.includes(x))!;
    if (c.keys.length === 0 || c.keep === 'any') return { keys: c.keys };
    return { keys: c.keys, keep: c.keep, order_by: [{ column: orderCol, direction: c.direction }] };
  };
  const rowsAt = async (doc: ReturnType<typeof pipeline>, nodeId: string) =>
    (await previewNode({ pipeline: doc, baseDir: work, nodeId, limit: 1000 }, db, work, () => false)).rows.map((r) => JSON.stringify(r)).sort();

  it('is idempotent, never grows, and keeps exactly one row per key', async () => {
    await fc.assert(
      fc.asyncProperty(table, config, async (rows, c) => {
        const params = paramsFor(c);
        const doc = pipeline(
          [
            { id: 'src', type: 'transform.sql', params: { query: query(rows) } },
            { id: 'once', type: 'transform.dedupe', params },
            { id: 'twice', type: 'transform.dedupe', params },
          ],
          ['src -> once', 'once -> twice'],
        );
        const input = await rowsAt(doc, 'src');
        const once = await rowsAt(doc, 'once');
        const twice = await rowsAt(doc, 'twice');
        expect(twice).toEqual(once);
        expect(once.length).toBeLessThanOrEqual(input.length);
        const keyOf = (json: string) => {
          const r = JSON.parse(json) as Row;
          return JSON.stringify(c.keys.length === 0 ? r : c.keys.map((k) => r[k]));
        };
        const inputKeys = new Set(input.map(keyOf));
        expect(once.map(keyOf).sort()).toEqual([...inputKeys].sort());
        // every kept row is an input row
        for (const r of once) expect(input).toContain(r);
      }),
      { numRuns: 60 },
    );
  });

  it('does not depend on the order the input rows arrive in', async () => {
    await fc.assert(
      fc.asyncProperty(table, config, async (rows, c) => {
        const params = paramsFor(c);
        const doc = (rs: typeof rows) =>
          pipeline(
            [
              { id: 'src', type: 'transform.sql', params: { query: query(rs) } },
              { id: 'dd', type: 'transform.dedupe', params },
            ],
            ['src -> dd'],
          );
        expect(await rowsAt(doc([...rows].reverse()), 'dd')).toEqual(await rowsAt(doc(rows), 'dd'));
      }),
      { numRuns: 40 },
    );
  });
});
