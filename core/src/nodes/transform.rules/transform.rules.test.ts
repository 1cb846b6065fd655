import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { inspect, pipeline, preview, problemsOf, run, tempDir } from '../../../../test/support/pipeline.js';
import { parseCsv } from './rules-file.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-rules-');
});

const SRC = `SELECT * FROM (VALUES
  (1::INTEGER, 'Ann', 'paid', 120.0::DOUBLE, 1::INTEGER),
  (2, 'José Muñoz', 'cancelled', 50.0, 3),
  (3, 'Zoë', 'paid', NULL, 12),
  (4, 'Bob', NULL, 800.0, 2),
  (5, 'Chloé', 'open', 30.0, NULL)
) t(id, "Customer Name", status, amount, qty)`;

type Params = Record<string, unknown>;
const rulesOver = (params: Params, query = SRC) =>
  pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query } },
      { id: 'r', type: 'transform.rules', params },
    ],
    ['src -> r'],
  );
const rows = async (params: Params, port: 'out' | 'rejects' = 'out', query = SRC) => (await preview(rulesOver(params, query), dir, 'r', { port })).rows;

/** The table the main tests share: a reject, a set with a new column, and tags. */
const RULES = [
  { name: 'cancelled', condition: "status = 'cancelled'", reject: 'order cancelled' },
  {
    name: 'big',
    condition: 'amount >= 500',
    set: [
      { column: 'amount', expression: '500' },
      { column: 'note', expression: "'capped at ' || amount" },
    ],
    tag: 'capped',
  },
  { name: 'bulk', condition: 'qty >= 10', tag: 'bulk' },
  { name: 'paid', condition: "status = 'paid'", tag: 'paid' },
];

/** Runs the rules with both outputs written to CSV; returns the rule node's metrics and the files' rows. */
async function runBoth(params: Params, query = SRC, tag = 'x') {
  const doc = pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query } },
      { id: 'r', type: 'transform.rules', params },
      { id: 'good', type: 'sink.csv', params: { path: `good-${tag}.csv`, if_exists: 'overwrite' } },
      { id: 'bad', type: 'sink.csv', params: { path: `bad-${tag}.csv`, if_exists: 'overwrite' } },
    ],
    ['src -> r', 'r:out -> good', 'r:rejects -> bad'],
  );
  const { summary } = await run(doc, dir);
  expect(summary.error).toBeUndefined();
  const written = (id: string) => summary.outputs.find((o) => o.nodeId === id)?.rows;
  return { metrics: summary.nodes.find((n) => n.nodeId === 'r')?.metrics, out: written('good'), rejects: written('bad') };
}

describe('transform.rules: hit policies', () => {
  it('first: only the first matching rule applies; values see the row as it came in', async () => {
    expect(await rows({ rules: RULES })).toEqual([
      { id: 1, 'Customer Name': 'Ann', status: 'paid', amount: 120, qty: 1, note: null, _caudal_tags: ['paid'] },
      // amount NULL: 'big' does not match (NULL is not a match); 'bulk' comes before 'paid'.
      { id: 3, 'Customer Name': 'Zoë', status: 'paid', amount: null, qty: 12, note: null, _caudal_tags: ['bulk'] },
      // status NULL: 'cancelled' does not match. The note reads the original amount, not the capped one.
      { id: 4, 'Customer Name': 'Bob', status: null, amount: 500, qty: 2, note: 'capped at 800.0', _caudal_tags: ['capped'] },
      { id: 5, 'Customer Name': 'Chloé', status: 'open', amount: 30, qty: null, note: null, _caudal_tags: [] },
    ]);
    expect(await rows({ rules: RULES }, 'rejects')).toEqual([
      { id: 2, 'Customer Name': 'José Muñoz', status: 'cancelled', amount: 50, qty: 3, _caudal_rule: 'cancelled', _caudal_reason: 'order cancelled' },
    ]);
  });

  it('all: every matching rule applies; tags are collected in table order', async () => {
    expect((await rows({ policy: 'all', rules: RULES })).map((r) => [r.id, r.amount, r._caudal_tags])).toEqual([
      [1, 120, ['paid']],
      [3, null, ['bulk', 'paid']],
      [4, 500, ['capped']],
      [5, 30, []],
    ]);
  });

  it('all: the lowest rule setting a column wins, and every rule sees the original values', async () => {
    const rules = [
      { name: 'everyone', condition: 'true', set: [{ column: 'status', expression: "'A:' || coalesce(status, '-')" }] },
      { name: 'late ids', condition: 'id >= 4', set: [{ column: 'status', expression: "'B:' || coalesce(status, '-')" }] },
      { name: 'sees original', condition: "status = 'paid'", tag: 'was paid' },
    ];
    expect((await rows({ policy: 'all', rules })).map((r) => [r.id, r.status, r._caudal_tags])).toEqual([
      [1, 'A:paid', ['was paid']],
      [2, 'A:cancelled', []],
      [3, 'A:paid', ['was paid']],
      [4, 'B:-', []],
      [5, 'B:open', []],
    ]);
    // The same table with `first`: the first rule shadows the others.
    expect((await rows({ policy: 'first', rules })).map((r) => r.status)).toEqual(['A:paid', 'A:cancelled', 'A:paid', 'A:-', 'A:open']);
  });

  it('all: a row any rule rejects goes to rejects, named after the first rejecting rule, without the other actions', async () => {
    const rules = [
      { name: 'tag all', condition: 'true', tag: 'seen' },
      { name: 'small', condition: 'amount < 100', reject: 'too small' },
      { name: 'no qty', condition: 'qty IS NULL', reject: 'quantity missing' },
    ];
    expect((await rows({ policy: 'all', rules })).map((r) => [r.id, r._caudal_tags])).toEqual([
      [1, ['seen']],
      [3, ['seen']],
      [4, ['seen']],
    ]);
    expect((await rows({ policy: 'all', rules }, 'rejects')).map((r) => [r.id, r._caudal_rule, r._caudal_reason])).toEqual([
      [2, 'small', 'too small'],
      [5, 'small', 'too small'],
    ]);
    // With `first`, 'tag all' matches every row first, so nothing is rejected.
    expect(await rows({ policy: 'first', rules }, 'rejects')).toEqual([]);
  });

  it('first: a rule without actions shields its rows from the rules below it', async () => {
    const rules = [
      { name: 'vip', condition: "\"Customer Name\" = 'Zoë'" },
      { name: 'bulk', condition: 'qty >= 10', reject: 'too many' },
    ];
    expect((await rows({ rules })).map((r) => r.id)).toEqual([1, 2, 3, 4, 5]);
    expect(await rows({ rules }, 'rejects')).toEqual([]);
    expect((await rows({ rules: [...rules].reverse() }, 'rejects')).map((r) => r.id)).toEqual([3]);
  });

  it('a rule never changes a column\'s type: a DOUBLE set into a BIGINT column is converted, and a value the column would change stops the run, naming the rule, column and value', async () => {
    const ids = (score: string) => `SELECT * FROM (VALUES (9007199254740993::BIGINT, 0.5::DOUBLE), (2, ${score})) t(id, score)`;
    const rules = [{ name: 'scored', condition: 'score > 5', set: [{ column: 'id', expression: 'score' }] }];
    const ok = await preview(rulesOver({ rules }, ids('7.0')), dir, 'r');
    expect(ok.columns[0]).toEqual({ name: 'id', type: 'BIGINT' });
    expect(ok.rows.map((x) => x.id)).toEqual(['9007199254740993', '7']);
    await expect(rows({ rules }, 'out', ids('7.25'))).rejects.toThrow(
      `rule 'scored' sets column "id" (BIGINT) to 7.25 (DOUBLE), which the column's type cannot hold exactly: it would become 7; make the rule set a BIGINT value`,
    );
  });

  it('a value of a wider decimal type is converted to the column\'s: rows no rule matched keep every place (20.75 stays 20.75)', async () => {
    const query = `SELECT * FROM (VALUES (1, 1500.00::DECIMAL(10,2), 1000::DECIMAL(38,0)), (2, 20.75, 1000), (3, 0.49, 1000)) t(id, amt, cap)`;
    const capped = await preview(rulesOver({ rules: [{ name: 'cap it', condition: 'amt > cap', set: [{ column: 'amt', expression: 'cap' }] }] }, query), dir, 'r');
    expect(capped.columns[1]).toEqual({ name: 'amt', type: 'DECIMAL(10,2)' });
    expect(capped.rows.map((x) => x.amt)).toEqual(['1000.00', '20.75', '0.49']);
    const constant = await rows({ rules: [{ name: 'r1', condition: 'id = 1', set: [{ column: 'amt', expression: 'CAST(5 AS DECIMAL(38,0))' }] }] }, 'out', query);
    expect(constant.map((x) => x.amt)).toEqual(['5.00', '20.75', '0.49']);
    // A value with places the column does not keep stops the run: 20.75 into DECIMAL(38,0) would be 21.
    const whole = `SELECT * FROM (VALUES (1, 10::DECIMAL(38,0), 20.75::DECIMAL(10,2))) t(id, amt, other)`;
    await expect(rows({ rules: [{ name: 'copy', condition: 'id = 1', set: [{ column: 'amt', expression: 'other' }] }] }, 'out', whole)).rejects.toThrow(
      `rule 'copy' sets column "amt" (DECIMAL(38,0)) to 20.75 (DECIMAL(10,2)), which the column's type cannot hold exactly: it would become 21`,
    );
  });

  it('a constant the column\'s type would change is refused before the run, naming the rule (2.55 into DECIMAL(38,0), 2 into BOOLEAN); 1 into BOOLEAN is true', async () => {
    const query = `SELECT * FROM (VALUES (1, 10::DECIMAL(38,0), true), (2, 20, false)) t(id, amt, flag)`;
    const set = (column: string, expression: string) => rulesOver({ rules: [{ name: 'r1', condition: 'id = 1', set: [{ column, expression }] }] }, query);
    expect(await problemsOf(set('amt', '2.55'), dir)).toEqual([
      expect.objectContaining({
        code: 'bind_error',
        path: 'nodes[1].params.rules[0].set[0].expression',
        column: 'amt',
        message: "the value for column 'amt' in rule 'r1' in node 'r' is 2.55 (DECIMAL(3,2)), which the column's type DECIMAL(38,0) would change: it would become 3",
      }),
    ]);
    expect((await problemsOf(set('flag', '2'), dir))[0]).toMatchObject({ column: 'flag', message: "the value for column 'flag' in rule 'r1' in node 'r' is 2 (INTEGER), which the column's type BOOLEAN would change: it would become true" });
    const r = await preview(set('flag', '1'), dir, 'r');
    expect(r.columns[2]).toEqual({ name: 'flag', type: 'BOOLEAN' });
    expect(r.rows.map((x) => x.flag)).toEqual([true, false]);
  });

  it('a new column set by several rules keeps the largest scale of their values; booleans and numbers cannot share it', async () => {
    const query = `SELECT * FROM (VALUES (1, 1000::DECIMAL(38,0), 20.75::DECIMAL(10,2)), (2, 1000, 20.75), (3, 1, 1)) t(id, big, amt)`;
    const both = [
      { name: 'big', condition: 'id = 1', set: [{ column: 'level', expression: 'big' }] },
      { name: 'small', condition: 'id = 2', set: [{ column: 'level', expression: 'amt' }] },
    ];
    const r = await preview(rulesOver({ rules: both }, query), dir, 'r');
    expect(r.columns.at(-1)).toEqual({ name: 'level', type: 'DECIMAL(38,2)' });
    expect(r.rows.map((x) => x.level)).toEqual(['1000.00', '20.75', null]);
    const mixed = [
      { name: 'flagged', condition: 'id = 1', set: [{ column: 'level', expression: 'true' }] },
      { name: 'counted', condition: 'id = 2', set: [{ column: 'level', expression: '5' }] },
    ];
    expect(await problemsOf(rulesOver({ rules: mixed }, query), dir)).toEqual([
      expect.objectContaining({ column: 'level', path: 'nodes[1].params.rules[1].set[0].expression', message: "the value for column 'level' in rule 'counted' in node 'r' is INTEGER, but rule 'flagged' sets it to BOOLEAN: as one column, true would become 1" }),
    ]);
  });

  it('a row matching no rule passes through unchanged; no tag column when no rule tags', async () => {
    const r = await preview(rulesOver({ rules: [{ name: 'never', condition: 'id > 100', set: [{ column: 'qty', expression: '0' }] }] }), dir, 'r');
    expect(r.columns.map((c) => `${c.name} ${c.type}`)).toEqual(['id INTEGER', 'Customer Name VARCHAR', 'status VARCHAR', 'amount DOUBLE', 'qty INTEGER']);
    expect(r.rows.map((x) => x.qty)).toEqual([1, 3, 12, 2, null]);
  });
});

describe('transform.rules: outputs and metrics', () => {
  it('every input row lands in exactly one of out and rejects; metrics count first matches exactly', async () => {
    const r = await runBoth({ rules: RULES }, SRC, 'first');
    expect(r.out! + r.rejects!).toBe(5);
    expect(r).toEqual({ out: 4, rejects: 1, metrics: { cancelled: 1, big: 1, bulk: 1, paid: 1 } });
  });

  it('with `all`, metrics count the rows each condition was true for', async () => {
    expect(await runBoth({ policy: 'all', rules: RULES }, SRC, 'all')).toEqual({ out: 4, rejects: 1, metrics: { cancelled: 1, big: 1, bulk: 1, paid: 2 } });
  });

  it('metrics are keyed by the rule names exactly, Unicode and quotes included; count_matches false leaves them out', async () => {
    const rules = [
      { name: "Zoë's orders", condition: "\"Customer Name\" = 'Zoë'", reject: "Zoë's orders wait" },
      { name: 'Grüße', condition: 'id = 1', set: [{ column: 'Customer Name', expression: "'Ann ✓'" }] },
    ];
    const r = await runBoth({ rules }, SRC, 'unicode');
    expect(r).toEqual({ out: 4, rejects: 1, metrics: { "Zoë's orders": 1, Grüße: 1 } });
    expect((await rows({ rules }, 'rejects'))[0]).toMatchObject({ 'Customer Name': 'Zoë', _caudal_rule: "Zoë's orders", _caudal_reason: "Zoë's orders wait" });
    expect((await rows({ rules }))[0]).toMatchObject({ id: 1, 'Customer Name': 'Ann ✓' });
    expect((await runBoth({ rules, count_matches: false }, SRC, 'nometrics')).metrics).toBeUndefined();
  });

  it('rejected rows with nothing connected to rejects are dropped with a warning that counts them', async () => {
    const warnings = async (edges: string[]) => {
      const doc = pipeline(
        [
          { id: 'src', type: 'transform.sql', params: { query: SRC } },
          { id: 'r', type: 'transform.rules', params: { rules: [{ name: 'small', condition: 'amount < 100', reject: 'too small' }, ...RULES.slice(1)] } },
          { id: 'good', type: 'sink.csv', params: { path: 'good-dropped.csv', if_exists: 'overwrite' } },
          ...(edges.includes('r:rejects -> bad') ? [{ id: 'bad', type: 'sink.csv', params: { path: 'bad-dropped.csv', if_exists: 'overwrite' } }] : []),
        ],
        edges,
      );
      const { summary, events } = await run(doc, dir);
      expect(summary.error, JSON.stringify(summary.error)).toBeUndefined();
      return events.flatMap((e) => (e.type === 'warning' && e.nodeId === 'r' ? [e.message] : []));
    };
    expect(await warnings(['src -> r', 'r:out -> good'])).toEqual([
      "2 rows were rejected by the rules; nothing is connected to 'rejects', so they are dropped: connect it to a sink to keep them",
    ]);
    expect(await warnings(['src -> r', 'r:out -> good', 'r:rejects -> bad'])).toEqual([]);
  });

  it('an empty input gives empty outputs and zero counts', async () => {
    const empty = `${SRC} WHERE false`;
    expect(await rows({ rules: RULES }, 'out', empty)).toEqual([]);
    expect(await runBoth({ rules: RULES }, empty, 'empty')).toEqual({ out: 0, rejects: 0, metrics: { cancelled: 0, big: 0, bulk: 0, paid: 0 } });
  });

  it('rejects has the input columns and the rule columns even when no rule rejects', async () => {
    const r = await preview(rulesOver({ rules: [{ name: 'bulk', condition: 'qty >= 10', tag: 'bulk' }] }), dir, 'r', { port: 'rejects' });
    expect(r.columns.map((c) => c.name)).toEqual(['id', 'Customer Name', 'status', 'amount', 'qty', '_caudal_rule', '_caudal_reason']);
    expect(r.rows).toEqual([]);
  });

  it('a second rules node appends to the tag list of the first', async () => {
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: SRC } },
        { id: 'a', type: 'transform.rules', params: { rules: [{ name: 'bulk', condition: 'qty >= 10', tag: 'bulk' }] } },
        { id: 'b', type: 'transform.rules', params: { policy: 'all', rules: [{ name: 'paid', condition: "status = 'paid'", tag: 'paid' }, { name: 'bulk again', condition: 'qty >= 10', tag: 'bulk' }] } },
      ],
      ['src -> a', 'a -> b'],
    );
    const r = await preview(doc, dir, 'b');
    expect(r.columns.at(-1)).toEqual({ name: '_caudal_tags', type: 'VARCHAR[]' });
    expect(r.rows.map((x) => x._caudal_tags)).toEqual([['paid'], [], ['bulk', 'paid', 'bulk'], [], []]);
  });

  it('keeps a replaced column\'s type, converting the values rules set (3.0 into INTEGER is 3, 4.5 stops the run), and honours a custom tag column', async () => {
    const half = (id: number) => ({ tag_column: 'Flags', rules: [{ name: 'half', condition: `id = ${id}`, set: [{ column: 'QTY', expression: 'qty * 1.5' }], tag: 'halved' }] });
    const r = await preview(rulesOver(half(4)), dir, 'r');
    expect(r.columns.map((c) => `${c.name} ${c.type}`).slice(4)).toEqual(['qty INTEGER', 'Flags VARCHAR[]']);
    expect(r.rows.map((x) => [x.qty, x.Flags])).toEqual([
      [1, []],
      [3, []],
      [12, []],
      [3, ['halved']],
      [null, []],
    ]);
    await expect(rows(half(2))).rejects.toThrow(`rule 'half' sets column "qty" (INTEGER) to 4.5 (DECIMAL(12,1)), which the column's type cannot hold exactly: it would become 5`);
  });

  it('substitutes pipeline params in conditions as literals', async () => {
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: SRC } },
        { id: 'r', type: 'transform.rules', params: { rules: [{ name: 'big', condition: 'amount >= $limit', reject: 'over the limit' }] } },
      ],
      ['src -> r'],
      { params: { limit: { type: 'number', default: 100 } } },
    );
    expect((await preview(doc, dir, 'r', { port: 'rejects' })).rows.map((x) => x.id)).toEqual([1, 4]);
  });
});

describe('transform.rules: rules files', () => {
  it('reads a JSON file: a list of rules, or {"rules": [...]}', async () => {
    await writeFile(path.join(dir, 'rules.json'), JSON.stringify(RULES));
    await writeFile(path.join(dir, 'wrapped.json'), JSON.stringify({ rules: RULES }));
    const inline = await rows({ rules: RULES });
    expect(await rows({ rules_file: 'rules.json' })).toEqual(inline);
    expect(await rows({ rules_file: 'wrapped.json' })).toEqual(inline);
    expect(await rows({ rules_file: path.join(dir, 'rules.json') }, 'rejects')).toEqual(await rows({ rules: RULES }, 'rejects'));
  });

  it('reads a CSV file: one rule per line, more columns to set on continuation lines, quoted commas', async () => {
    const csv = [
      '\uFEFFName,Condition,Set_Column,Set_Expression,Tag,Reject_Message,Description',
      'cancelled,status = \'cancelled\',,,,order cancelled,"stop, do not ship"',
      'big,amount >= 500,amount,500,capped,,',
      'big,,note,"\'capped at \' || amount",,,',
      '',
      'bulk,qty >= 10,,,bulk,,',
      'paid,"status = \'paid\'",,,paid,,',
    ].join('\r\n');
    await writeFile(path.join(dir, 'rules.csv'), csv);
    expect(await rows({ rules_file: 'rules.csv' })).toEqual(await rows({ rules: RULES }));
    expect(await rows({ rules_file: 'rules.csv' }, 'rejects')).toEqual(await rows({ rules: RULES }, 'rejects'));
    expect((await runBoth({ rules_file: 'rules.csv' }, SRC, 'csv')).metrics).toEqual({ cancelled: 1, big: 1, bulk: 1, paid: 1 });
  });

  it('reads a semicolon CSV as saved by Excel in European locales', async () => {
    await writeFile(path.join(dir, 'semi.csv'), 'name;condition;reject_message\nZoë;"""Customer Name"" = \'Zoë\'";Zoë wartet\n');
    expect(await rows({ rules_file: 'semi.csv' }, 'rejects')).toEqual([
      { id: 3, 'Customer Name': 'Zoë', status: 'paid', amount: null, qty: 12, _caudal_rule: 'Zoë', _caudal_reason: 'Zoë wartet' },
    ]);
  });

  it('parses CSV records with quotes, doubled quotes and newlines inside quotes, keeping line numbers', () => {
    expect(parseCsv('a,b\n"x, y","say ""hi""\nthere"\n\nz,\n', ',')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x, y', 'say "hi"\nthere'] },
      { line: 5, fields: ['z', ''] },
    ]);
  });

  it('names the file and line of a rule whose condition is wrong', async () => {
    await writeFile(path.join(dir, 'bad.csv'), "name,condition,tag\nok,qty > 1,many\nbroken,stauts = 'paid',paid\n");
    expect(await problemsOf(rulesOver({ rules_file: 'bad.csv' }), dir)).toEqual([
      expect.objectContaining({
        code: 'unknown_column',
        path: 'nodes[1].params.rules_file',
        message: "unknown column 'stauts' in the condition of rule 'broken' (bad.csv line 3) in node 'r' (did you mean 'status'?)",
      }),
    ]);
  });

  it('a continuation line whose name differs from the rule above only in case is named, with the exact name to write', async () => {
    await writeFile(path.join(dir, 'case.csv'), 'name,condition,set_column,set_expression\nbig discount,amount >= 500,amount,500\nBig Discount,,note,\'capped\'\n');
    expect(await problemsOf(rulesOver({ rules_file: 'case.csv' }), dir)).toEqual([
      expect.objectContaining({
        message: expect.stringContaining("line 3: rule 'Big Discount' has no condition"),
        hint: "a row continues the rule above only with exactly its name: write 'big discount' as on line 2",
      }),
    ]);
  });

  it('names the position of a bad rule in a JSON file', async () => {
    await writeFile(path.join(dir, 'bad.json'), JSON.stringify([{ name: 'a', condition: 'true' }, { name: 'b', condition: 'true', set: [{ column: 'x', expression: 'nope + 1' }] }]));
    expect(await problemsOf(rulesOver({ rules_file: 'bad.json' }), dir)).toEqual([
      expect.objectContaining({ path: 'nodes[1].params.rules_file', message: expect.stringContaining("unknown column 'nope' in the value for column 'x' in rule 'b' (bad.json, rules[1].set[0].expression)") }),
    ]);
    await writeFile(path.join(dir, 'shape.json'), JSON.stringify([{ name: 'a', conditon: 'true' }]));
    // Every problem of the file at once: the missing condition and the misspelt key.
    expect(await problemsOf(rulesOver({ rules_file: 'shape.json' }), dir)).toEqual([
      expect.objectContaining({ code: 'invalid_param', path: 'nodes[1].params.rules_file', message: "shape.json: rules[0].condition (rule 'a'): Invalid input: expected string, received undefined" }),
      expect.objectContaining({ code: 'invalid_param', path: 'nodes[1].params.rules_file', message: 'shape.json: rules[0] (rule \'a\'): Unrecognized key: "conditon"' }),
    ]);
  });

  it('reports file problems: missing file, bad CSV lines, repeated names', async () => {
    expect(await problemsOf(rulesOver({ rules_file: 'nowhere.csv' }), dir)).toEqual([
      expect.objectContaining({ code: 'io_error', path: 'nodes[1].params.rules_file', message: expect.stringContaining("node 'r': no rules file nowhere.csv") }),
    ]);
    await writeFile(path.join(dir, 'lines.csv'), 'name,condition,colour\n');
    expect((await problemsOf(rulesOver({ rules_file: 'lines.csv' }), dir))[0]).toMatchObject({ message: "lines.csv line 1: unknown column 'colour'" });
    await writeFile(path.join(dir, 'twice.csv'), 'name,condition,tag\na,true,x\nb,true,y\nA,false,z\n');
    expect((await problemsOf(rulesOver({ rules_file: 'twice.csv' }), dir))[0]).toMatchObject({
      message: "rule 'A' (twice.csv line 4): the name is used by an earlier rule, rule 'a' (twice.csv line 2)",
    });
    await writeFile(path.join(dir, 'cont.csv'), 'name,condition,set_column,set_expression\na,true,x,1\na,false,y,2\n');
    expect((await problemsOf(rulesOver({ rules_file: 'cont.csv' }), dir))[0]).toMatchObject({ message: expect.stringContaining("cont.csv line 3: rule 'a' continues the rule on line 2 but its condition differs") });
  });
});

describe('transform.rules: problems before the run', () => {
  it('names the rule whose condition has an unknown column, with the closest name', async () => {
    const rules = [RULES[0], { name: 'typo', condition: "stauts = 'paid'", tag: 'x' }, { name: 'fine', condition: 'qty > 1', tag: 'y' }];
    expect(await problemsOf(rulesOver({ rules }), dir)).toEqual([
      expect.objectContaining({
        code: 'unknown_column',
        path: 'nodes[1].params.rules[1].condition',
        column: 'stauts',
        message: "unknown column 'stauts' in the condition of rule 'typo' in node 'r' (did you mean 'status'?)",
      }),
    ]);
  });

  it('names the rule and column of a set value that does not bind or does not fit the column', async () => {
    const bad = [{ name: 'ok', condition: 'true', tag: 'x' }, { name: 'oops', condition: 'true', set: [{ column: 'qty', expression: 'qtty + 1' }] }];
    expect(await problemsOf(rulesOver({ rules: bad }), dir)).toEqual([
      expect.objectContaining({ path: 'nodes[1].params.rules[1].set[0].expression', message: "unknown column 'qtty' in the value for column 'qty' in rule 'oops' in node 'r' (did you mean 'qty'?)" }),
    ]);
    const clash = [
      { name: 'num', condition: 'id = 1', set: [{ column: 'qty', expression: 'qty + 1' }] },
      { name: 'text', condition: 'id = 2', set: [{ column: 'qty', expression: 'status' }] },
    ];
    expect(await problemsOf(rulesOver({ policy: 'all', rules: clash }), dir)).toEqual([
      expect.objectContaining({ code: 'bind_error', path: 'nodes[1].params.rules[1].set[0].expression', column: 'qty', message: expect.stringContaining("the value for column 'qty' in rule 'text' in node 'r' does not fit") }),
    ]);
  });

  it("names the rule of a text constant that the column's type would change ('12.5' into an INTEGER would be 13); text that converts exactly goes", async () => {
    const query = `SELECT 1::INTEGER AS id, 5::INTEGER AS qty, DATE '2024-01-01' AS due`;
    const changing = [{ name: 'bump', condition: 'id = 1', set: [{ column: 'qty', expression: "'12.5'" }, { column: 'due', expression: "'2024-01-05 10:30'" }] }];
    expect(await problemsOf(rulesOver({ rules: changing }, query), dir)).toEqual([
      expect.objectContaining({
        code: 'bind_error',
        path: 'nodes[1].params.rules[0].set[0].expression',
        column: 'qty',
        message: "the value for column 'qty' in rule 'bump' in node 'r' is the text '12.5', which the column's type INTEGER would change (a CASE converts it without a word: '12.5' becomes 13 in an INTEGER column, a time after a date is dropped)",
      }),
      expect.objectContaining({ path: 'nodes[1].params.rules[0].set[1].expression', column: 'due' }),
    ]);
    const dated = [{ name: 'bump', condition: 'id = 1', set: [{ column: 'due', expression: "'2024-01-05 10:30'" }] }];
    expect((await problemsOf(rulesOver({ rules: dated }, query), dir))[0]).toMatchObject({ path: 'nodes[1].params.rules[0].set[0].expression', column: 'due', message: expect.stringContaining("is the text '2024-01-05 10:30', which the column's type DATE would change") });
    // Next to a number another rule sets (a new column): converted to the number's type, whatever the policy (the order the column's CASE lists them in).
    const mixed = [
      { name: 'a', condition: 'id = 1', set: [{ column: 'level', expression: '2' }] },
      { name: 'b', condition: 'id = 2', set: [{ column: 'level', expression: "'2.5'" }] },
    ];
    for (const policy of ['first', 'all'])
      expect((await problemsOf(rulesOver({ policy, rules: mixed }, query), dir))[0]).toMatchObject({ column: 'level', path: 'nodes[1].params.rules[1].set[0].expression', message: expect.stringContaining("is the text '2.5'") });
    const exact = [{ name: 'ok', condition: 'id = 1', set: [{ column: 'qty', expression: "'12'" }, { column: 'due', expression: "'2024-01-05'" }] }];
    expect(await rows({ rules: exact }, 'out', query)).toEqual([{ id: 1, qty: 12, due: '2024-01-05' }]);
  });

  it('refuses a condition that is not true/false, and a second statement', async () => {
    expect(await problemsOf(rulesOver({ rules: [{ name: 'n', condition: 'qty', tag: 'x' }] }), dir)).toEqual([
      expect.objectContaining({ code: 'invalid_expression', path: 'nodes[1].params.rules[0].condition', message: "the condition of rule 'n' in node 'r' gives INTEGER, not true or false" }),
    ]);
    expect(await problemsOf(rulesOver({ rules: [{ name: 'n', condition: 'true; DROP TABLE x', tag: 'x' }] }), dir)).toEqual([
      expect.objectContaining({ code: 'invalid_expression', path: 'nodes[1].params.rules[0].condition' }),
    ]);
  });

  it('reports an undeclared $param once, at the rule that uses it', async () => {
    expect(await problemsOf(rulesOver({ rules: [{ name: 'ok', condition: 'true' }, { name: 'p', condition: 'amount > $limit', tag: 'x' }] }), dir)).toEqual([
      expect.objectContaining({ code: 'unknown_param', path: 'nodes[1].params.rules[1].condition' }),
    ]);
  });

  it('checks the params: rules or a file, unique names, reject alone, tag column', async () => {
    const problems = async (params: Params) =>
      (await problemsOf(rulesOver(params), dir)).map((p) => `${p.path}: ${p.message.replace("node 'r' (transform.rules): ", '')}`);
    expect(await problems({})).toEqual(['nodes[1].params.rules: no rules: list them here or give a rules file']);
    expect(await problems({ rules: RULES, rules_file: 'rules.csv' })).toEqual(['nodes[1].params.rules_file: give either rules or a rules file, not both']);
    expect(
      await problems({
        rules: [
          { name: 'a', condition: 'true', reject: 'no', tag: 'x' },
          { name: 'A', condition: 'true', set: [{ column: 'q', expression: '1' }, { column: 'Q', expression: '2' }, { column: '_caudal_tags', expression: '[]' }] },
        ],
      }),
    ).toEqual([
      "nodes[1].params.rules[0].reject: rule 'a' rejects rows, so it cannot also set columns or tag them",
      "nodes[1].params.rules[1].name: rule 'A': the name is used by an earlier rule, rule 'a'",
      "nodes[1].params.rules[1].set[1].column: rule 'A' sets column 'Q' twice",
      "nodes[1].params.rules[1].set[2].column: rule 'A' sets '_caudal_tags', which is the tag column",
    ]);
    expect(await problems({ tag_column: 'status', rules: [{ name: 'a', condition: 'true', tag: 'x' }] })).toEqual([
      "nodes[1].params.tag_column: node 'r': the input column 'status' is VARCHAR, so tags cannot be added to it",
    ]);
  });
});

describe('transform.rules: compiled SQL', () => {
  it('first and all compile to one pass over the input per output (snapshot)', async () => {
    const sql: Record<string, unknown> = {};
    for (const policy of ['first', 'all']) {
      const result = await inspect({ pipeline: rulesOver({ policy, rules: RULES }), baseDir: dir });
      expect(result.problems).toEqual([]);
      const node = result.nodes.find((n) => n.nodeId === 'r')!;
      sql[policy] = Object.fromEntries(node.outputs.map((o) => [o.port, o.sql]));
    }
    expect(sql).toMatchSnapshot();
  });
});
