import { beforeAll, describe, expect, it } from 'vitest';
import type { CompileContext, Relation } from '../define.js';
import type { RunEvent } from '../../engine/protocol.js';
import { joinNode } from './transform.join.node.js';
import { inspect, pipeline, preview, problemsOf, run, tempDir } from '../../../../test/support/pipeline.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-join-');
});

const ORDERS = `SELECT * FROM (VALUES (1::INTEGER, 10::INTEGER, 'fr', 'o1'), (2, 20, 'fr', 'o2'), (3, 10, 'de', 'o3'), (4, 99, 'fr', 'o4'), (5, NULL, 'fr', 'o5')) t(order_id, "Customer Id", shop, note)`;
const CUSTOMERS = `SELECT * FROM (VALUES (10::BIGINT, 'fr', 'José Muñoz', 'vip'), (20, 'fr', 'Zoë', NULL), (30, 'fr', 'Ann', 'new'), (NULL, 'fr', 'Null Key', 'x')) t(id, shop, name, note)`;
const joinOver = (params: Record<string, unknown>, left = ORDERS, right = CUSTOMERS) =>
  pipeline(
    [
      { id: 'orders', type: 'transform.sql', params: { query: left } },
      { id: 'customers', type: 'transform.sql', params: { query: right } },
      { id: 'j', type: 'transform.join', params },
    ],
    ['orders -> j:left', 'customers -> j:right'],
  );
const byId = (a: Record<string, unknown>, b: Record<string, unknown>) => Number(a.order_id ?? 1e9) - Number(b.order_id ?? 1e9) || String(a.name).localeCompare(String(b.name));
const result = async (params: Record<string, unknown>, left = ORDERS, right = CUSTOMERS) => {
  const r = await preview(joinOver(params, left, right), dir, 'j');
  return { columns: r.columns.map((c) => `${c.name} ${c.type}`), rows: [...r.rows].sort(byId) };
};
const ON = [{ left: 'Customer Id', right: 'id' }];

describe('transform.join', () => {
  it('inner: matching rows, left columns first, key once under its left name, clashing right names suffixed', async () => {
    expect(await result({ on: ON })).toEqual({
      columns: ['order_id INTEGER', 'Customer Id INTEGER', 'shop VARCHAR', 'note VARCHAR', 'shop_right VARCHAR', 'name VARCHAR', 'note_right VARCHAR'],
      rows: [
        { order_id: 1, 'Customer Id': 10, shop: 'fr', note: 'o1', shop_right: 'fr', name: 'José Muñoz', note_right: 'vip' },
        { order_id: 2, 'Customer Id': 20, shop: 'fr', note: 'o2', shop_right: 'fr', name: 'Zoë', note_right: null },
        { order_id: 3, 'Customer Id': 10, shop: 'de', note: 'o3', shop_right: 'fr', name: 'José Muñoz', note_right: 'vip' },
      ],
    });
  });

  it('left: every left row; unmatched and NULL keys get NULL right columns', async () => {
    const r = await result({ kind: 'left', on: ON, suffix: '_c' });
    expect(r.columns.slice(4)).toEqual(['shop_c VARCHAR', 'name VARCHAR', 'note_c VARCHAR']);
    expect(r.rows.map((x) => [x.order_id, x['Customer Id'], x.name])).toEqual([
      [1, 10, 'José Muñoz'],
      [2, 20, 'Zoë'],
      [3, 10, 'José Muñoz'],
      [4, 99, null],
      [5, null, null],
    ]);
  });

  it('right: every right row, the key taken from the right side', async () => {
    const r = await result({ kind: 'right', on: ON });
    expect(r.columns[1]).toBe('Customer Id BIGINT');
    expect(r.rows.map((x) => [x.order_id, x['Customer Id'], x.name])).toEqual([
      [1, '10', 'José Muñoz'],
      [2, '20', 'Zoë'],
      [3, '10', 'José Muñoz'],
      [null, '30', 'Ann'],
      [null, null, 'Null Key'],
    ]);
  });

  it('full: rows of both sides, the key coalesced so unmatched rows keep theirs', async () => {
    const r = await result({ kind: 'full', on: ON });
    expect(r.columns[1]).toBe('Customer Id BIGINT');
    expect(r.rows.map((x) => [x.order_id, x['Customer Id'], x.name])).toEqual([
      [1, '10', 'José Muñoz'],
      [2, '20', 'Zoë'],
      [3, '10', 'José Muñoz'],
      [4, '99', null],
      [5, null, null],
      [null, '30', 'Ann'],
      [null, null, 'Null Key'],
    ]);
  });

  it('full: decimal keys of different scales keep every place in the coalesced key (DECIMAL(38,0) with DECIMAL(38,2) is DECIMAL(38,2))', async () => {
    const left = `SELECT * FROM (VALUES (3::DECIMAL(38,0), 'a'), (10, 'b')) t(k, x)`;
    const right = `SELECT * FROM (VALUES (2.5::DECIMAL(38,2), 'A'), (10.4, 'B'), (7.77, 'C'), (3, 'D')) t(k, name)`;
    const r = await preview(joinOver({ kind: 'full', on: [{ left: 'k' }] }, left, right), dir, 'j');
    expect(r.columns.map((c) => `${c.name} ${c.type}`)).toEqual(['k DECIMAL(38,2)', 'x VARCHAR', 'name VARCHAR']);
    expect(r.rows.map((x) => [x.k, x.x, x.name]).sort()).toEqual([
      ['10.00', 'b', null],
      ['10.40', null, 'B'],
      ['2.50', null, 'A'],
      ['3.00', 'a', 'D'],
      ['7.77', null, 'C'],
    ]);
    // DuckDB compares the keys as DECIMAL(38,2) already: a left key with more digits before the point than it holds stops the run.
    const long = `SELECT 1234567890123456789012345678901234567::DECIMAL(38,0) AS k, 'z' AS x`;
    await expect(preview(joinOver({ kind: 'full', on: [{ left: 'k' }] }, long, right), dir, 'j')).rejects.toThrow(/"1234567890123456789012345678901234567" to type DECIMAL\(38,2\) failed: value is out of range/);
  });

  it('full: a BOOLEAN key meeting a number key is refused before the run (the coalesced key would turn true into 1)', async () => {
    const problems = await problemsOf(joinOver({ kind: 'full', on: [{ left: 'k' }] }, `SELECT true AS k`, `SELECT 1 AS k`), dir);
    expect(problems).toEqual([
      expect.objectContaining({
        path: 'nodes[2].params.on[0]',
        message: "node 'j': the left key \"k\" is BOOLEAN and the right key \"k\" is INTEGER: a full join's key would hold both, as a number (true would become 1)",
      }),
    ]);
    expect(await problemsOf(joinOver({ kind: 'inner', on: [{ left: 'k' }] }, `SELECT true AS k`, `SELECT 1 AS k`), dir)).toEqual([]);
  });

  it('a FLOAT key meeting a DOUBLE key is refused before the run: compared as DOUBLE, 0.1 would never match 0.1', async () => {
    const left = `SELECT * FROM (VALUES (0.1::FLOAT, 'a'), (0.5, 'b'), (1.1, 'c')) t(k, x)`;
    const right = `SELECT * FROM (VALUES (0.1::DOUBLE, 'A'), (0.5, 'B'), (1.1, 'C')) t(k, name)`;
    expect(await problemsOf(joinOver({ on: [{ left: 'k' }] }, left, right), dir)).toEqual([
      expect.objectContaining({
        code: 'invalid_param',
        path: 'nodes[2].params.on[0]',
        message: "node 'j': the left key \"k\" is FLOAT and the right key \"k\" is DOUBLE: compared as DOUBLE, a FLOAT holds 0.1 as 0.10000000149011612, so it would never match the DOUBLE 0.1",
        hint: 'give both keys one type first with a Cast node: both to the same DECIMAL (e.g. DECIMAL(18,6)), or the DOUBLE key "k" to FLOAT',
      }),
    ]);
  });

  it('semi and anti: left rows with / without a match, left columns only, never repeated', async () => {
    const semi = await result({ kind: 'semi', on: ON }, ORDERS, `${CUSTOMERS} UNION ALL SELECT 10, 'fr', 'José again', NULL`);
    expect(semi.columns).toEqual(['order_id INTEGER', 'Customer Id INTEGER', 'shop VARCHAR', 'note VARCHAR']);
    expect(semi.rows.map((x) => x.order_id)).toEqual([1, 2, 3]);
    // A NULL key matches nothing, so anti keeps it (unlike NOT IN).
    expect((await result({ kind: 'anti', on: ON })).rows.map((x) => x.order_id)).toEqual([4, 5]);
  });

  it('matches on several key pairs (names may differ or be shared)', async () => {
    const r = await result({ on: [...ON, { left: 'shop' }] });
    expect(r.columns).toEqual(['order_id INTEGER', 'Customer Id INTEGER', 'shop VARCHAR', 'note VARCHAR', 'name VARCHAR', 'note_right VARCHAR']);
    expect(r.rows.map((x) => x.order_id)).toEqual([1, 2]);
  });

  it('NULL keys match each other only when asked', async () => {
    const r = await result({ on: ON, null_keys_match: true });
    expect(r.rows.map((x) => [x.order_id, x.name])).toEqual([
      [1, 'José Muñoz'],
      [2, 'Zoë'],
      [3, 'José Muñoz'],
      [5, 'Null Key'],
    ]);
  });

  it('a BIGINT key meeting a DOUBLE key: matches as usual, but a key the DOUBLE would change stops the run instead of matching another', async () => {
    const left = (big: string) => `SELECT * FROM (VALUES (1, 7::BIGINT), (2, ${big}::BIGINT)) t(order_id, cid)`;
    const right = `SELECT * FROM (VALUES (7.0::DOUBLE, 'Ann'), (9007199254740992.0::DOUBLE, 'Big')) t(cid, name)`;
    const on = [{ left: 'cid' }];
    expect((await result({ on }, left('9007199254740992'), right)).rows.map((r) => r.name)).toEqual(['Ann', 'Big']);
    await expect(result({ on }, left('9007199254740993'), right)).rejects.toThrow(
      `column "cid" holds 9007199254740993 (BIGINT in the left input), which the DOUBLE that the right key "cid" is compared as cannot hold exactly: it would become 9007199254740992.0; give both keys one type first`,
    );
  });

  it('a text key meeting a BIGINT key: matches the numbers it spells, but a code DuckDB would read as another number stops the run', async () => {
    const left = (code: string) => `SELECT * FROM (VALUES (1, '7'), (2, ${code}), (3, NULL)) t(order_id, cid)`;
    const right = `SELECT * FROM (VALUES (7::BIGINT, 'Ann'), (12::BIGINT, 'Bob')) t(cid, name)`;
    const on = [{ left: 'cid' }];
    expect((await result({ kind: 'left', on }, left("'12'"), right)).rows.map((r) => r.name)).toEqual(['Ann', 'Bob', null]);
    // '007' read as a number is 7: it would match Ann's row, although it is another code.
    for (const [code, becomes] of [["'007'", '7'], ["'7.0'", '7'], ["' 12'", '12']]) {
      await expect(result({ kind: 'left', on }, left(code!), right)).rejects.toThrow(
        `column "cid" holds ${code!.slice(1, -1)} (VARCHAR in the left input), which the right key "cid" (BIGINT) it is compared with cannot hold exactly: it would become ${becomes}; DuckDB compares a text key with a key of type BIGINT by converting the text, so different codes would match; give both keys one type first with a Cast node`,
      );
    }
    await expect(result({ kind: 'left', on }, left("'C-12'"), right)).rejects.toThrow('column "cid" holds C-12 (VARCHAR in the left input), which the right key "cid" (BIGINT) it is compared with cannot hold exactly: it does not convert');
    // An ENUM key is compared with text as text: a value outside the ENUM matches nothing, and that is all.
    const moods = `SELECT * FROM (VALUES ('happy'::ENUM('happy', 'sad'), 'Ann')) t(cid, name)`;
    expect((await result({ kind: 'left', on }, left("'angry'"), moods)).rows.map((r) => r.name)).toEqual([null, null, null]);
  });

  it('a suffixed name that is taken too gets a number', async () => {
    const left = `SELECT 1 AS id, 'a' AS name, 'b' AS name_right`;
    const right = `SELECT 1 AS id, 'c' AS "NAME"`;
    expect((await result({ on: [{ left: 'id' }] }, left, right)).columns).toEqual(['id INTEGER', 'name VARCHAR', 'name_right VARCHAR', 'NAME_right_2 VARCHAR']);
  });

  it('an empty input gives an empty result with the full schema', async () => {
    const r = await result({ kind: 'left', on: ON }, `SELECT * FROM (${ORDERS}) WHERE false`);
    expect(r.rows).toEqual([]);
    expect(r.columns).toHaveLength(7);
  });

  it('warns in a run when a many-to-many join multiplies rows', async () => {
    const left = `SELECT range % 2 AS k, range AS i FROM range(4)`;
    const right = `SELECT range % 2 AS k, range AS j FROM range(6)`;
    const withSink = (params: Record<string, unknown>) =>
      pipeline(
        [
          { id: 'orders', type: 'transform.sql', params: { query: left } },
          { id: 'customers', type: 'transform.sql', params: { query: right } },
          { id: 'j', type: 'transform.join', params },
          { id: 'out', type: 'sink.csv', params: { path: 'joined.csv', if_exists: 'overwrite' } },
        ],
        ['orders -> j:left', 'customers -> j:right', 'j -> out'],
      );
    const warnings = (events: RunEvent[]) => events.flatMap((e) => (e.type === 'warning' ? [e.message] : []));
    // 4 left rows × 3 right rows per key = 12 rows > 2 × 4.
    const hit = await run(withSink({ on: [{ left: 'k' }] }), dir);
    expect(hit.summary.outputs[0]?.rows).toBe(12);
    expect(warnings(hit.events)).toEqual([
      "many-to-many join: keys that repeat in both inputs produce 12 rows, and the join yields more than 2× the left input's rows; check the join keys, or remove duplicates on one side first",
    ]);
    expect(warnings((await run(withSink({ on: [{ left: 'k' }], growth_warning: 4 }), dir)).events)).toEqual([]);
    expect(warnings((await run(withSink({ on: [{ left: 'k' }], growth_warning: null }), dir)).events)).toEqual([]);
    // One-to-many (left keys unique) is an ordinary join: no warning even though rows grow 3×.
    const oneToMany = pipeline(
      [
        { id: 'orders', type: 'transform.sql', params: { query: 'SELECT range AS k FROM range(2)' } },
        { id: 'customers', type: 'transform.sql', params: { query: right } },
        { id: 'j', type: 'transform.join', params: { on: [{ left: 'k' }] } },
        { id: 'out', type: 'sink.csv', params: { path: 'joined.csv', if_exists: 'overwrite' } },
      ],
      ['orders -> j:left', 'customers -> j:right', 'j -> out'],
    );
    const r = await run(oneToMany, dir);
    expect(r.summary.outputs[0]?.rows).toBe(6);
    expect(warnings(r.events)).toEqual([]);
  });

  it('reports unknown key columns with the side and the closest name', async () => {
    expect(await problemsOf(joinOver({ on: [{ left: 'Customer ID', right: 'idd' }] }), dir)).toEqual([
      expect.objectContaining({ code: 'unknown_column', path: 'nodes[2].params.on[0].right', message: "unknown column 'idd' in node 'j' (did you mean 'id'?)", hint: 'right input columns: id, shop, name, note' }),
    ]);
    expect(await problemsOf(joinOver({ on: [{ left: 'customer_idd', right: 'id' }] }), dir)).toEqual([
      expect.objectContaining({ code: 'unknown_column', path: 'nodes[2].params.on[0].left', message: "unknown column 'customer_idd' in node 'j' (did you mean 'Customer Id'?)" }),
    ]);
  });

  it('compiles to one join with a cheap many-to-many check (snapshot)', async () => {
    const r = await inspect({ pipeline: joinOver({ kind: 'full', on: ON }), baseDir: dir });
    expect(r.problems).toEqual([]);
    const node = r.nodes.find((n) => n.nodeId === 'j')!;
    expect(node.outputs[0]!.sql).toMatchSnapshot();
  });

  it('the many-to-many check reads only key columns, right-side repeats first (snapshot)', async () => {
    const rel = (name: string, cols: string[]): Relation => ({ ref: `"${name}"`, nodeId: name, port: 'out', columns: cols.map((c) => ({ name: c, type: 'BIGINT' })) });
    const inputs: Record<string, Relation> = { left: rel('L', ['k', 'a']), right: rel('R', ['k2', 'b']) };
    const ctx = { nodeId: 'j', mode: 'run', params: joinNode.params.parse({ on: [{ left: 'k', right: 'k2' }] }), input: (port: string) => inputs[port]! } as unknown as CompileContext<never>;
    const compiled = await joinNode.compile!(ctx);
    expect(compiled.notices?.map((n) => n.countSql)).toMatchSnapshot();
  });

  it('the many-to-many check runs only when the other side repeats a key, reading that side alone', async () => {
    const rel = (name: string, cols: string[]): Relation => ({ ref: `"${name}"`, nodeId: name, port: 'out', columns: cols.map((c) => ({ name: c, type: 'BIGINT' })) });
    const inputs: Record<string, Relation> = { left: rel('L', ['k', 'a']), right: rel('R', ['k2', 'b']) };
    const ctx = { nodeId: 'j', mode: 'run', params: joinNode.params.parse({ on: [{ left: 'k', right: 'k2' }] }), input: (port: string) => inputs[port]! } as unknown as CompileContext<never>;
    const [notice] = (await joinNode.compile!(ctx)).notices!;
    // The kept side (L) is the big one in the usual join on a dimension: the gate never reads it.
    expect(notice!.gateSql).toBe('SELECT count(*) FROM (SELECT "k2" AS "k0" FROM "R" GROUP BY ALL HAVING count(*) > 1 LIMIT 1)');
  });
});
