import { beforeAll, describe, expect, it } from 'vitest';
import { inspect, pipeline, preview, problemsOf, run, tempDir } from '../../../../test/support/pipeline.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-lookup-');
});

const ORDERS = `SELECT * FROM (VALUES (1::INTEGER, 10::BIGINT, 'fr'), (2, 20, 'fr'), (3, 10, 'de'), (4, 99, 'fr'), (5, NULL, 'fr'), (6, 99, 'de')) t(order_id, "Customer Id", shop)`;
const CUSTOMERS = `SELECT * FROM (VALUES (10::BIGINT, 'José Muñoz', 'ES', DATE '2024-01-01'), (20, 'Zoë', NULL, DATE '2024-02-01'), (30, 'Ann', 'GB', NULL)) t(id, name, country, since)`;
const lookupOver = (params: Record<string, unknown>, ref = CUSTOMERS, input = ORDERS, sink = false) =>
  pipeline(
    [
      { id: 'orders', type: 'transform.sql', params: { query: input } },
      { id: 'customers', type: 'transform.sql', params: { query: ref } },
      { id: 'lk', type: 'transform.lookup', params },
      ...(sink ? [{ id: 'out', type: 'sink.csv', params: { path: 'looked-up.csv', if_exists: 'overwrite' } }] : []),
    ],
    ['orders -> lk:in', 'customers -> lk:reference', ...(sink ? ['lk -> out'] : [])],
  );
const result = async (params: Record<string, unknown>, ref = CUSTOMERS, input = ORDERS) => {
  const r = await preview(lookupOver(params, ref, input), dir, 'lk');
  return { columns: r.columns.map((c) => `${c.name} ${c.type}`), rows: [...r.rows].sort((a, b) => Number(a.order_id) - Number(b.order_id)) };
};
const KEYS = [{ column: 'Customer Id', reference: 'id' }];

describe('transform.lookup', () => {
  it('brings in the picked columns (renamed), one output row per input row, NULL when not found', async () => {
    expect(await result({ keys: KEYS, columns: [{ column: 'name', as: 'Customer Name' }, { column: 'country' }] })).toEqual({
      columns: ['order_id INTEGER', 'Customer Id BIGINT', 'shop VARCHAR', 'Customer Name VARCHAR', 'country VARCHAR'],
      rows: [
        { order_id: 1, 'Customer Id': '10', shop: 'fr', 'Customer Name': 'José Muñoz', country: 'ES' },
        { order_id: 2, 'Customer Id': '20', shop: 'fr', 'Customer Name': 'Zoë', country: null },
        { order_id: 3, 'Customer Id': '10', shop: 'de', 'Customer Name': 'José Muñoz', country: 'ES' },
        { order_id: 4, 'Customer Id': '99', shop: 'fr', 'Customer Name': null, country: null },
        { order_id: 5, 'Customer Id': null, shop: 'fr', 'Customer Name': null, country: null },
        { order_id: 6, 'Customer Id': '99', shop: 'de', 'Customer Name': null, country: null },
      ],
    });
  });

  it('defaults fill rows without a match (typed as the column), not matched NULLs', async () => {
    const r = await result({ keys: KEYS, columns: [{ column: 'country', default: '??' }, { column: 'since', default: '1970-01-01' }, { column: 'id', as: 'cid', default: -1 }] });
    expect(r.columns.slice(3)).toEqual(['country VARCHAR', 'since DATE', 'cid BIGINT']);
    expect(r.rows.map((x) => [x.order_id, x.country, x.since, x.cid])).toEqual([
      [1, 'ES', '2024-01-01', '10'],
      [2, null, '2024-02-01', '20'],
      [3, 'ES', '2024-01-01', '10'],
      [4, '??', '1970-01-01', '-1'],
      [5, '??', '1970-01-01', '-1'],
      [6, '??', '1970-01-01', '-1'],
    ]);
  });

  it('a default that does not fit the column type is reported before the run', async () => {
    const problems = await problemsOf(lookupOver({ keys: KEYS, columns: [{ column: 'since', default: 'soon' }] }), dir);
    expect(problems).toEqual([
      expect.objectContaining({ code: 'invalid_param', path: 'nodes[2].params.columns[0].default', message: `node 'lk': the default "soon" for 'since' is not a valid DATE (or would change converting to it)` }),
    ]);
    // DuckDB's cast would take the date and drop the time.
    const withTime = await problemsOf(lookupOver({ keys: KEYS, columns: [{ column: 'since', default: '2024-01-01 10:00' }] }), dir);
    expect(withTime.map((p) => p.path)).toEqual(['nodes[2].params.columns[0].default']);
  });

  it('matches on several keys and keeps an empty input empty', async () => {
    const ref = `SELECT * FROM (VALUES (10::BIGINT, 'fr', 'FR-10'), (10, 'de', 'DE-10')) t(id, shop, label)`;
    const r = await result({ keys: [...KEYS, { column: 'shop' }], columns: [{ column: 'label' }] }, ref);
    expect(r.rows.map((x) => [x.order_id, x.label])).toEqual([
      [1, 'FR-10'],
      [2, null],
      [3, 'DE-10'],
      [4, null],
      [5, null],
      [6, null],
    ]);
    expect((await result({ keys: KEYS, columns: [{ column: 'name' }] }, CUSTOMERS, `SELECT * FROM (${ORDERS}) WHERE false`)).rows).toEqual([]);
  });

  it('a DOUBLE key in the reference and a BIGINT key in the input: a key the DOUBLE would change stops the run instead of finding another row', async () => {
    const ref = `SELECT * FROM (VALUES (9007199254740992.0::DOUBLE, 'Big')) t(id, name)`;
    const input = (big: string) => `SELECT * FROM (VALUES (1, ${big}::BIGINT)) t(order_id, "Customer Id")`;
    const params = { keys: KEYS, columns: [{ column: 'name' }] };
    expect((await result(params, ref, input('9007199254740992'))).rows).toEqual([{ order_id: 1, 'Customer Id': '9007199254740992', name: 'Big' }]);
    await expect(result(params, ref, input('9007199254740993'))).rejects.toThrow(
      `column "Customer Id" holds 9007199254740993 (BIGINT in the main input), which the DOUBLE that the reference key "id" is compared as cannot hold exactly`,
    );
  });

  it('a FLOAT key meeting a DOUBLE key is refused before the run: compared as DOUBLE, 0.1 would never find 0.1', async () => {
    const input = `SELECT * FROM (VALUES (0.1::FLOAT, 'a'), (0.5, 'b'), (1.1, 'c')) t(k, x)`;
    const ref = `SELECT * FROM (VALUES (0.1::DOUBLE, 'A'), (0.5, 'B'), (1.1, 'C')) t(id, name)`;
    expect(await problemsOf(lookupOver({ keys: [{ column: 'k', reference: 'id' }], columns: [{ column: 'name' }] }, ref, input), dir)).toEqual([
      expect.objectContaining({
        code: 'invalid_param',
        path: 'nodes[2].params.keys[0]',
        message: "node 'lk': the main key \"k\" is FLOAT and the reference key \"id\" is DOUBLE: compared as DOUBLE, a FLOAT holds 0.1 as 0.10000000149011612, so it would never match the DOUBLE 0.1",
        hint: 'give both keys one type first with a Cast node: both to the same DECIMAL (e.g. DECIMAL(18,6)), or the DOUBLE key "id" to FLOAT',
      }),
    ]);
  });

  it('a text key in the reference and a BIGINT key in the input: a code read as another number stops the run instead of finding its row', async () => {
    const ref = (code: string) => `SELECT * FROM (VALUES (${code}, 'Ann')) t(id, name)`;
    const input = `SELECT * FROM (VALUES (1, 7::BIGINT)) t(order_id, "Customer Id")`;
    const params = { keys: KEYS, columns: [{ column: 'name' }] };
    expect((await result(params, ref("'7'"), input)).rows).toEqual([{ order_id: 1, 'Customer Id': '7', name: 'Ann' }]);
    await expect(result(params, ref("'007'"), input)).rejects.toThrow(`column "id" holds 007 (VARCHAR in the reference input), which the main key "Customer Id" (BIGINT) it is compared with cannot hold exactly: it would become 7`);
  });

  it('in a run that counts unmatched rows, a key that does not convert stops it with the same words as the preview', async () => {
    const input = `SELECT * FROM (VALUES (1, 'abc'), (2, '7')) t(order_id, "Customer Id")`;
    const { summary } = await run(lookupOver({ keys: KEYS, columns: [{ column: 'name' }] }, CUSTOMERS, input, true), dir);
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain(`column "Customer Id" holds abc (VARCHAR in the main input), which the reference key "id" (BIGINT) it is compared with cannot hold`);
    expect(summary.error?.message).not.toContain('Conversion Error');
  });

  it('a reference with a repeated key stops the run, naming the key', async () => {
    const dup = `${CUSTOMERS} UNION ALL SELECT 20, 'Zoë again', 'FR', NULL`;
    const { summary } = await run(lookupOver({ keys: KEYS, columns: [{ column: 'name' }] }, dup, ORDERS, true), dir);
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain("node 'lk': the reference input has 2 rows for id = 20; a lookup needs at most one row per key (remove duplicates first, or use a Join)");
  });

  it('repeated NULL keys in the reference are ignored (they match nothing)', async () => {
    const withNulls = `${CUSTOMERS} UNION ALL SELECT NULL, 'a', 'X', NULL UNION ALL SELECT NULL, 'b', 'Y', NULL`;
    expect((await result({ keys: KEYS, columns: [{ column: 'name' }] }, withNulls)).rows.map((x) => x.name)).toEqual(['José Muñoz', 'Zoë', 'José Muñoz', null, null, null]);
  });

  it('reports unmatched rows and keys as metrics in a run', async () => {
    const { summary } = await run(lookupOver({ keys: KEYS, columns: [{ column: 'name' }] }, CUSTOMERS, ORDERS, true), dir);
    expect(summary.status).toBe('succeeded');
    expect(summary.outputs[0]?.rows).toBe(6);
    expect(summary.nodes.find((n) => n.nodeId === 'lk')?.metrics).toEqual({ unmatched_rows: 3, unmatched_keys: 1 });
    const off = await run(lookupOver({ keys: KEYS, columns: [{ column: 'name' }], count_unmatched: false }, CUSTOMERS, ORDERS, true), dir);
    expect(off.summary.nodes.find((n) => n.nodeId === 'lk')?.metrics).toBeUndefined();
  });

  it('refuses a looked-up name that the input already has', async () => {
    expect(await problemsOf(lookupOver({ keys: KEYS, columns: [{ column: 'name', as: 'SHOP' }] }), dir)).toEqual([
      expect.objectContaining({ code: 'invalid_param', path: 'nodes[2].params.columns[0]', message: "node 'lk': output column 'SHOP' already exists in the input" }),
    ]);
  });

  it('reports unknown key and picked columns with the closest name', async () => {
    expect(await problemsOf(lookupOver({ keys: KEYS, columns: [{ column: 'nmae' }] }), dir)).toEqual([
      expect.objectContaining({ code: 'unknown_column', path: 'nodes[2].params.columns[0].column', message: "unknown column 'nmae' in node 'lk' (did you mean 'name'?)" }),
    ]);
    expect(await problemsOf(lookupOver({ keys: [{ column: 'customer_idd', reference: 'id' }], columns: [{ column: 'name' }] }), dir)).toEqual([
      expect.objectContaining({ code: 'unknown_column', path: 'nodes[2].params.keys[0].column', message: "unknown column 'customer_idd' in node 'lk' (did you mean 'Customer Id'?)" }),
    ]);
  });

  it('compiles to a left join on the reference grouped by key (snapshot)', async () => {
    const r = await inspect({ pipeline: lookupOver({ keys: KEYS, columns: [{ column: 'name', as: 'Customer Name' }, { column: 'country', default: "it's unknown" }] }), baseDir: dir });
    expect(r.problems).toEqual([]);
    expect(r.nodes.find((n) => n.nodeId === 'lk')!.outputs[0]!.sql).toMatchSnapshot();
  });
});
