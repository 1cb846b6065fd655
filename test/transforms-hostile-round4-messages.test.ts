import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parsePipelineObject } from '../core/src/model/load.js';
import { inDb } from './support/duckdb.js';
import { pipeline, preview, problemsOf, run, tempDir } from './support/pipeline.js';

// Hostile params and data whose errors said the wrong thing, and a pivot cell that broke its docs.

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-hostile-messages-');
  await inDb(path.join(dir, 'empty.duckdb'), 'SELECT 1');
});

const source = (query: string) => ({ id: 'src', type: 'source.duckdb', params: { database: 'empty.duckdb', query } });
const over = (query: string, type: string, params: Record<string, unknown>) => pipeline([source(query), { id: 't', type, params }], ['src -> t']);
const problemAt = async (query: string, type: string, params: Record<string, unknown>, at: string) =>
  (await problemsOf(over(query, type, params), dir)).find((p) => p.path === at);

describe('a param of the wrong type is not called missing', () => {
  it('a value of the wrong type gets no "this field is required"', async () => {
    for (const [type, params, at] of [
      ['transform.limit', { count: 1.5 }, 'nodes[1].params.count'],
      ['transform.limit', { count: 'abc' }, 'nodes[1].params.count'],
      ['transform.sort', { by: 'id' }, 'nodes[1].params.by'],
      ['transform.derive', { columns: [{ name: 'x', expression: 5 }] }, 'nodes[1].params.columns[0].expression'],
    ] as const) {
      const p = await problemAt('SELECT 1 AS id', type, params, at);
      expect(p, `${type} ${JSON.stringify(params)}`).toMatchObject({ code: 'invalid_param', message: expect.stringContaining('Invalid input: expected') });
      expect(p!.hint, `${type} ${JSON.stringify(params)}`).toBeUndefined();
    }
  });

  it('a missing field still gets the hint', async () => {
    expect(await problemAt('SELECT 1 AS id', 'transform.limit', {}, 'nodes[1].params.count')).toMatchObject({ hint: 'this field is required' });
    expect(await problemAt('SELECT 1 AS id', 'transform.derive', { columns: [{ name: 'x' }] }, 'nodes[1].params.columns[0].expression')).toMatchObject({ hint: 'this field is required' });
  });

  it('in the document too: a node without a type is missing one, a node whose type is a number is not', () => {
    const doc = (node: Record<string, unknown>) => parsePipelineObject({ format: 'caudal.pipeline/1', name: 'p', nodes: [{ id: 'a', params: {}, ...node }], edges: [] });
    expect(doc({}).problems).toEqual([expect.objectContaining({ path: 'nodes[0].type', hint: 'this field is required' })]);
    expect(doc({ type: 5 }).problems).toEqual([expect.objectContaining({ path: 'nodes[0].type', hint: undefined })]);
  });

  it('the wrong value itself is never quoted back (it could be a secret)', async () => {
    const secret = 'sk_live_51Habcdefghijklmnop';
    const problems = await problemsOf(over('SELECT 1 AS id', 'transform.limit', { count: secret, offset: { token: secret } }), dir);
    expect(problems.length).toBeGreaterThan(0);
    expect(JSON.stringify(problems)).not.toContain(secret);
  });
});

describe('transform.window: a total past HUGEINT names the window column and the input column', () => {
  it('running_sum and moving_sum over an overflowing HUGEINT column', async () => {
    const q = `SELECT * FROM (VALUES (1, 1::HUGEINT, 170141183460469231731687303715884105727::HUGEINT), (2, 1::HUGEINT, 1::HUGEINT)) t(id, small, big)`;
    for (const fn of [{ function: 'running_sum' }, { function: 'moving_sum', rows: 2 }]) {
      const doc = pipeline(
        [
          source(q),
          { id: 't', type: 'transform.window', params: { order_by: [{ column: 'id' }], columns: [{ name: 'fine', function: 'running_sum', column: 'small' }, { name: 'total', column: 'big', ...fn }] } },
          { id: 'out', type: 'sink.json', params: { path: `out-${fn.function}.json` } },
        ],
        ['src -> t', 't -> out'],
      );
      const { summary } = await run(doc, dir);
      expect(summary.status).toBe('failed');
      expect(summary.error?.message).toContain("node 't' (transform.window)");
      expect(summary.error?.message).toContain('Overflow in HUGEINT addition');
      expect(summary.error?.message).toContain(`window column 'total' (${fn.function} of column 'big') overflows: the total is past what HUGEINT (128 bits) holds; convert 'big' to DOUBLE first (a Cast node) if an approximate total will do`);
    }
  });
});

describe('transform.rules: a bare NULL condition switches a rule off, as in transform.split', () => {
  it('is accepted and matches no row', async () => {
    for (const condition of ['NULL', ' (null) ']) {
      const doc = over('SELECT * FROM (VALUES (1), (2)) t(id)', 'transform.rules', { rules: [{ name: 'off', condition, tag: 'never' }, { name: 'two', condition: 'id = 2', tag: 'two' }] });
      expect(await problemsOf(doc, dir)).toEqual([]);
      const r = await preview(doc, dir, 't');
      expect(r.rows.sort((a, b) => Number(a.id) - Number(b.id))).toEqual([
        { id: 1, _caudal_tags: [] },
        { id: 2, _caudal_tags: ['two'] },
      ]);
    }
  });

  it('with the all policy, and for a rule that rejects', async () => {
    const doc = over('SELECT * FROM (VALUES (1), (2)) t(id)', 'transform.rules', { policy: 'all', rules: [{ name: 'off', condition: 'NULL', reject: 'never' }, { name: 'two', condition: 'id = 2', tag: 'two' }] });
    expect(await problemsOf(doc, dir)).toEqual([]);
    expect((await preview(doc, dir, 't')).rows).toHaveLength(2);
    expect((await preview(doc, dir, 't', { port: 'rejects' })).rows).toEqual([]);
  });

  it('a number is still refused', async () => {
    expect(await problemAt('SELECT 1 AS id', 'transform.rules', { rules: [{ name: 'n', condition: '1', tag: 'x' }] }, 'nodes[1].params.rules[0].condition')).toMatchObject({ message: "the condition of rule 'n' in node 't' gives INTEGER, not true or false" });
  });
});

describe('transform.pivot', () => {
  it('values: [null] says why and what to write instead', async () => {
    const p = await problemAt("SELECT 'a' AS k, 1 AS v", 'transform.pivot', { pivot_column: 'k', values: ['a', null], value_column: 'v' }, 'nodes[1].params.values[1]');
    expect(p?.message).toBe(
      "node 't' (transform.pivot): a value is a text, a number or a boolean, not null: a column is named after its value, and rows whose pivot column is NULL count for no cell; to give them a column, replace NULL first (a Fill nulls node, e.g. with \"none\") and list that value",
    );
  });

  // k: the pivot value; v: the value; o: the order. Group a is the reported case.
  const Q = `SELECT * FROM (VALUES
    ('a', 'x', 5, NULL), ('a', 'x', 3, NULL), ('a', 'x', NULL, 1),
    ('b', 'x', NULL, 1), ('b', 'x', 5, 2), ('b', 'x', 4, 3),
    ('c', 'x', 7, 2), ('c', 'x', 6, 2), ('c', 'x', 1, NULL),
    ('d', 'x', NULL, NULL)
  ) t(g, k, v, o)`;
  const sorted = (rows: Array<Record<string, unknown>>) => rows.sort((x, y) => String(x.g).localeCompare(String(y.g)));

  it('first skips rows whose value or order is NULL, as transform.aggregate\'s first does', async () => {
    const pivoted = sorted((await preview(over(Q, 'transform.pivot', { group_by: ['g'], pivot_column: 'k', values: ['x'], aggregate: 'first', value_column: 'v', order_by: 'o' }), dir, 't')).rows);
    expect(pivoted).toEqual([
      { g: 'a', x: null }, // no row has both a value and an order
      { g: 'b', x: 5 }, // the row ordered first has no value: the next one counts
      { g: 'c', x: 6 }, // a tie on the order: the smallest value
      { g: 'd', x: null },
    ]);
    const aggregated = sorted(
      (await preview(over(Q, 'transform.aggregate', { group_by: ['g'], aggregations: [{ name: 'x', function: 'first', column: 'v', order_by: 'o' }] }), dir, 't')).rows,
    );
    expect(pivoted).toEqual(aggregated);
  });
});
