import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { pipeline, preview, problemsOf, run, tempDir } from './support/pipeline.js';

// Hostile inputs for Lookup, Map values and Business rules: column names that clash with the
// nodes' own helper names, unknown columns, and rules files as spreadsheets save them.

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-hostile-lookup-');
});

const sql = (id: string, query: string) => ({ id, type: 'transform.sql', params: { query } });

describe('transform.lookup: a reference whose columns are named like the node\'s helper columns', () => {
  const lookupOver = (input: string, reference: string, params: Record<string, unknown>) =>
    pipeline([sql('orders', input), sql('ref', reference), { id: 'lk', type: 'transform.lookup', params }], ['orders -> lk:in', 'ref -> lk:reference']);

  it('a reference column named _k0 is an ordinary column: the lookup still matches on the key', async () => {
    const doc = lookupOver(
      `SELECT * FROM (VALUES (1, 10), (2, 99)) t(order_id, customer_id)`,
      `SELECT * FROM (VALUES (10, 'Ann', 'x'), (20, 'Bob', 'y')) t(id, name, _k0)`,
      { keys: [{ column: 'customer_id', reference: 'id' }], columns: [{ column: 'name' }, { column: '_k0', as: 'legacy' }] },
    );
    expect(await problemsOf(doc, dir)).toEqual([]);
    const r = await preview(doc, dir, 'lk');
    expect([...r.rows].sort((a, b) => Number(a.order_id) - Number(b.order_id))).toEqual([
      { order_id: 1, customer_id: 10, name: 'Ann', legacy: 'x' },
      { order_id: 2, customer_id: 99, name: null, legacy: null },
    ]);
  });

  it('a repeated key is named by its own column and value, whatever the reference columns are called', async () => {
    // The reference keys are called _k1 and _k0: the message must not swap them.
    const doc = lookupOver(
      `SELECT 1 AS a, 2 AS b`,
      `SELECT * FROM (VALUES (1, 2, 'x'), (1, 2, 'y')) t(_k1, _k0, name)`,
      { keys: [{ column: 'a', reference: '_k1' }, { column: 'b', reference: '_k0' }], columns: [{ column: 'name' }] },
    );
    await expect(preview(doc, dir, 'lk')).rejects.toThrow("node 'lk': the reference input has 2 rows for _k1 = 1, _k0 = 2;");
  });
});

describe('transform.map_values: an unknown column is named before the run, with the closest name', () => {
  const src = sql('src', `SELECT 1 AS id, 'Paris' AS city`);
  it('with typed-in pairs', async () => {
    const doc = pipeline([src, { id: 'm', type: 'transform.map_values', params: { column: 'ctiy', mappings: [{ from: 'Paris', to: 'FR' }] } }], ['src -> m']);
    expect(await problemsOf(doc, dir)).toEqual([
      expect.objectContaining({ code: 'unknown_column', path: 'nodes[1].params.column', message: "unknown column 'ctiy' in node 'm' (did you mean 'city'?)" }),
    ]);
  });

  it('with a mapping table (DuckDB said: Values list "i" does not have a column named ...)', async () => {
    const doc = pipeline(
      [src, sql('codes', `SELECT 'Paris' AS "from", 'FR' AS "to"`), { id: 'm', type: 'transform.map_values', params: { column: 'ctiy' } }],
      ['src -> m', 'codes -> m:mapping'],
    );
    expect(await problemsOf(doc, dir)).toEqual([
      expect.objectContaining({ code: 'unknown_column', path: 'nodes[2].params.column', message: "unknown column 'ctiy' in node 'm' (did you mean 'city'?)" }),
    ]);
    const table = (params: Record<string, unknown>) =>
      pipeline([src, sql('codes', `SELECT 'Paris' AS "value", 'FR' AS code`), { id: 'm', type: 'transform.map_values', params: { column: 'city', ...params } }], ['src -> m', 'codes -> m:mapping']);
    expect(await problemsOf(table({ from_column: 'valeu', to_column: 'code' }), dir)).toEqual([
      expect.objectContaining({ code: 'unknown_column', path: 'nodes[2].params.from_column', message: "unknown column 'valeu' in node 'm' (did you mean 'value'?)", hint: 'mapping table columns: value, code' }),
    ]);
    expect(await problemsOf(table({ from_column: 'value', to_column: 'cod' }), dir)).toEqual([
      expect.objectContaining({ code: 'unknown_column', path: 'nodes[2].params.to_column', message: "unknown column 'cod' in node 'm' (did you mean 'code'?)" }),
    ]);
    expect((await preview(table({ from_column: 'VALUE', to_column: 'Code' }), dir, 'm')).rows).toEqual([{ id: 1, city: 'FR' }]);
  });
});

describe('transform.rules: the rejects columns never overwrite an input column', () => {
  const rulesOver = (input: string, params: Record<string, unknown>, sink = false) =>
    pipeline(
      [sql('src', input), { id: 'r', type: 'transform.rules', params }, ...(sink ? [{ id: 'bad', type: 'sink.csv', params: { path: 'rejected.csv', if_exists: 'overwrite' } }] : [])],
      ['src -> r', ...(sink ? ['r:rejects -> bad'] : [])],
    );

  it('an input column named _caudal_rule (the rejects of an earlier rules node) stops planning, naming it', async () => {
    // Before: the rejects output replaced the earlier node's rule name with this node's, silently.
    const earlier = `SELECT 10 AS qty, 'first check' AS _caudal_rule, 'qty too high' AS "_CAUDAL_REASON"`;
    const problems = await problemsOf(rulesOver(earlier, { rules: [{ name: 'second check', condition: 'qty > 5', reject: 'still too high' }] }, true), dir);
    expect(problems).toEqual([
      expect.objectContaining({
        code: 'invalid_param',
        path: 'nodes[1].params.rules[0].reject',
        column: '_caudal_rule',
        message: "node 'r': the input already has columns '_caudal_rule', '_CAUDAL_REASON', which the rejects output adds (the rejecting rule and its message): rule 'second check' rejects rows, so they would be overwritten",
      }),
    ]);
    const { summary } = await run(rulesOver(earlier, { rules: [{ name: 'second check', condition: 'qty > 5', reject: 'still too high' }] }, true), dir);
    expect(summary.status).toBe('failed');
  });

  it('without a rejecting rule such input columns pass through untouched', async () => {
    const r = await preview(rulesOver(`SELECT 10 AS qty, 'first check' AS _caudal_rule`, { rules: [{ name: 'big', condition: 'qty > 5', tag: 'big' }] }), dir, 'r');
    expect(r.rows).toEqual([{ qty: 10, _caudal_rule: 'first check', _caudal_tags: ['big'] }]);
  });
});

describe('transform.rules: CSV rules files as spreadsheets save them', () => {
  const rulesOver = (params: Record<string, unknown>) =>
    pipeline([sql('src', `SELECT * FROM (VALUES (1, 12), (2, 3)) t(id, qty)`), { id: 'r', type: 'transform.rules', params }], ['src -> r']);

  it('rows of empty cells (Excel writes ",,," for a cleared row) are skipped like empty lines', async () => {
    await writeFile(path.join(dir, 'cleared.csv'), 'name,condition,tag\r\nbulk,qty >= 10,bulk\r\n,,\r\n , ,\r\nsmall,qty < 5,small\r\n,,\r\n');
    await writeFile(path.join(dir, 'cleared-semi.csv'), 'name;condition;tag\nbulk;qty >= 10;bulk\n;;\nsmall;qty < 5;small\n');
    for (const file of ['cleared.csv', 'cleared-semi.csv']) {
      expect(await problemsOf(rulesOver({ rules_file: file }), dir)).toEqual([]);
      expect((await preview(rulesOver({ rules_file: file }), dir, 'r')).rows).toEqual([
        { id: 1, qty: 12, _caudal_tags: ['bulk'] },
        { id: 2, qty: 3, _caudal_tags: ['small'] },
      ]);
    }
  });

  it('a row with a condition but no name is still an error, on its line', async () => {
    await writeFile(path.join(dir, 'nameless.csv'), 'name,condition,tag\nbulk,qty >= 10,bulk\n,qty < 5,small\n');
    expect(await problemsOf(rulesOver({ rules_file: 'nameless.csv' }), dir)).toEqual([
      expect.objectContaining({ path: 'nodes[1].params.rules_file', message: 'nameless.csv line 3: the rule has no name' }),
    ]);
  });
});

describe('transform.rules: a window function in a rule is refused before the run, naming the rule', () => {
  const SRC = `SELECT * FROM (VALUES (1, 10), (2, 20), (3, 30), (4, 40)) t(id, qty)`;
  const rulesOver = (params: Record<string, unknown>) =>
    pipeline(
      [sql('src', SRC), { id: 'r', type: 'transform.rules', params }, { id: 'out', type: 'sink.csv', params: { path: 'windowed.csv', if_exists: 'overwrite' } }],
      ['src -> r', 'r -> out'],
    );

  it('in a condition (before: checked and previewed fine, then the run failed counting matches: "Cannot group on a window clause")', async () => {
    const doc = rulesOver({ rules: [{ name: 'tiny', condition: 'qty < 5', tag: 'tiny' }, { name: 'above average', condition: 'qty > avg(qty) OVER ()', tag: 'above' }] });
    expect(await problemsOf(doc, dir)).toEqual([
      expect.objectContaining({
        code: 'invalid_expression',
        path: 'nodes[1].params.rules[1].condition',
        message: "the condition of rule 'above average' in node 'r' uses a window function (OVER): a rule sees one row at a time, and which rows a window would see depends on the other rules",
        hint: 'compute the window value first (a Window node, or a SQL node: avg(x) OVER () AS avg_x) and use that column in the rule',
      }),
    ]);
    const { summary } = await run(doc, dir);
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain("rule 'above average'");
  });

  it('in a value (before: with a rejecting rule, sum(qty) OVER () silently summed only the rows not rejected)', async () => {
    const doc = rulesOver({
      rules: [
        { name: 'tiny', condition: 'qty < 15', reject: 'too small' },
        { name: 'share', condition: 'true', set: [{ column: 'share', expression: 'qty / sum(qty) OVER ()' }] },
      ],
    });
    expect(await problemsOf(doc, dir)).toEqual([
      expect.objectContaining({ code: 'invalid_expression', path: 'nodes[1].params.rules[1].set[0].expression', message: expect.stringContaining("the value for column 'share' in rule 'share' in node 'r' uses a window function (OVER)") }),
    ]);
  });

  it('a window inside a subquery is computed over the subquery alone, so it is allowed', async () => {
    const doc = rulesOver({ rules: [{ name: 'top', condition: 'qty = (SELECT max(v) FROM (SELECT max(x) OVER () AS v FROM (VALUES (40)) t(x)))', tag: 'top' }] });
    expect(await problemsOf(doc, dir)).toEqual([]);
    expect((await preview(doc, dir, 'r')).rows.map((x) => x._caudal_tags)).toEqual([[], [], [], ['top']]);
  });
});

describe('transform.rules: a value that fails during the run is traced to the rules reading it', () => {
  const SRC = `SELECT * FROM (VALUES (1, '12', 'x'), (2, 'n/a', '7')) t(id, "Unit Price", code)`;
  const rulesOver = (rules: unknown[]) =>
    pipeline(
      [sql('src', SRC), { id: 'r', type: 'transform.rules', params: { rules } }, { id: 'out', type: 'sink.csv', params: { path: 'traced.csv', if_exists: 'overwrite' } }],
      ['src -> r', 'r -> out'],
    );

  it("names the rule whose condition converts the column (before: only \"column '_caudal_tags' failed\")", async () => {
    const { summary } = await run(rulesOver([{ name: 'fine', condition: 'id < 0', tag: 'neg' }, { name: 'expensive', condition: 'CAST("Unit Price" AS INTEGER) > 10', tag: 'expensive' }]), dir);
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain(
      "Could not convert string 'n/a' to INT32 when casting from source column Unit Price (the condition of rule 'expensive' reads column 'Unit Price': use TRY_CAST(... AS type), which gives NULL for a value that does not convert, or clean the column first)",
    );
  });

  it('names every rule reading the column, in table order', async () => {
    const { summary } = await run(rulesOver([{ name: 'a', condition: 'id > 0', set: [{ column: 'n', expression: 'code::INTEGER' }] }, { name: 'b', condition: 'code::INTEGER > 5', tag: 'b' }]), dir);
    expect(summary.error?.message).toContain("(rules reading column 'code': the value for column 'n' in rule 'a', the condition of rule 'b'; use TRY_CAST(... AS type)");
  });

  it("names the rule whose condition fails when DuckDB names no column (a conversion of an expression): it used to say only \"column '_caudal_tags' failed\"", async () => {
    const { summary } = await run(rulesOver([{ name: 'fine', condition: 'id < 0', tag: 'neg' }, { name: 'coded', condition: "CAST(code || '' AS INTEGER) > 5", tag: 'coded' }]), dir);
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toMatch(/Could not convert string 'x' to INT32 \(the condition of rule 'coded' fails on a row of the input: use TRY_CAST\(\.\.\. AS type\)/);
  });
});
