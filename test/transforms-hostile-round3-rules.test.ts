import { beforeAll, describe, expect, it } from 'vitest';
import { pipeline, preview, problemsOf, run, tempDir } from './support/pipeline.js';

/**
 * Business rules (transform.rules), round 3: a new column whose values have several types gets a
 * type decided from all of them, whatever the order of the rules, and each value must convert to it
 * exactly; and a rules table with several mistakes reports all of them at once.
 */

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-hostile-round3-rules-');
});

const IDS = `SELECT * FROM (VALUES (1::INTEGER), (2), (3), (4)) t(id)`;
const AMOUNTS = `SELECT * FROM (VALUES (1::INTEGER, 'open', 100.0::DOUBLE), (2, 'paid', 5.0)) t(id, status, amount)`;

type Rule = { name: string; condition: string; set?: Array<{ column: string; expression: string }>; tag?: string; reject?: string };
const setting = (name: string, id: number, expression: string, column = 'x'): Rule => ({ name, condition: `id = ${id}`, set: [{ column, expression }] });
const rulesOver = (params: Record<string, unknown>, query = IDS) =>
  pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query } },
      { id: 'r', type: 'transform.rules', params },
    ],
    ['src -> r'],
  );
const withSink = (params: Record<string, unknown>, query = IDS) =>
  pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query } },
      { id: 'r', type: 'transform.rules', params },
      { id: 'sink', type: 'sink.csv', params: { path: 'round3-rules.csv', if_exists: 'overwrite' } },
    ],
    ['src -> r', 'r -> sink'],
  );

describe('transform.rules: a new column whose values meet a DOUBLE', () => {
  it('refuses before the run, naming each rule and value, the BIGINT and the long DECIMAL a DOUBLE would change', async () => {
    const rules = [setting('dbl', 1, '0.1::DOUBLE'), setting('big', 2, '9007199254740993::BIGINT'), setting('dec', 3, '123456789012345678.12')];
    const problems = await problemsOf(rulesOver({ rules }), dir);
    expect(problems).toEqual([
      expect.objectContaining({
        code: 'bind_error',
        path: 'nodes[1].params.rules[1].set[0].expression',
        column: 'x',
        message: "the value for column 'x' in rule 'big' in node 'r' is 9007199254740993 (BIGINT), which DOUBLE, the type the new column takes from the values rules set, would change: it would become 9007199254740992.0",
      }),
      expect.objectContaining({
        path: 'nodes[1].params.rules[2].set[0].expression',
        column: 'x',
        message: expect.stringContaining("the value for column 'x' in rule 'dec' in node 'r' is 123456789012345678.12 (DECIMAL(20,2)), which DOUBLE"),
      }),
    ]);
    expect(problems[0]!.hint).toContain("rule 'dbl' sets a DOUBLE");
    expect(problems[0]!.hint).toContain('CAST(... AS DECIMAL(38,2))');
  });

  it('the refusal does not depend on the order of the rules or the policy', async () => {
    const rules = [setting('big', 2, '9007199254740993::BIGINT'), setting('dbl', 1, '0.1::DOUBLE')];
    for (const policy of ['first', 'all']) {
      expect(await problemsOf(rulesOver({ policy, rules }), dir)).toEqual([expect.objectContaining({ path: 'nodes[1].params.rules[0].set[0].expression', message: expect.stringContaining("in rule 'big'") })]);
    }
  });

  it('a value of a column (not a constant) that the DOUBLE would change stops the run, naming the rule and the value', async () => {
    const query = `SELECT * FROM (VALUES (1::INTEGER, 9007199254740993::BIGINT), (2, 5)) t(id, n)`;
    const rules = [setting('dbl', 1, '0.5::DOUBLE'), setting('copy', 2, 'n')];
    // Row 2 holds 5, which a DOUBLE holds: the run goes.
    const ok = await preview(rulesOver({ rules }, query), dir, 'r');
    expect(ok.columns.at(-1)).toEqual({ name: 'x', type: 'DOUBLE' });
    expect(ok.rows.map((r) => r.x)).toEqual([0.5, 5]);
    const summary = (await run(withSink({ rules: [setting('copy', 1, 'n'), setting('dbl', 2, '0.5::DOUBLE')] }, query), dir)).summary;
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain('rule \'copy\' sets column "x" (DOUBLE) to 9007199254740993 (BIGINT), which the column\'s type cannot hold exactly: it would become 9007199254740992.0');
  });

  it('values a DOUBLE holds exactly go in: 1, 0.25 and a DOUBLE make a DOUBLE column', async () => {
    const rules = [setting('one', 1, '1'), setting('quarter', 2, '0.25'), setting('dbl', 3, '0.1::DOUBLE')];
    const r = await preview(rulesOver({ rules }), dir, 'r');
    expect(r.columns.at(-1)).toEqual({ name: 'x', type: 'DOUBLE' });
    expect(r.rows.map((x) => x.x)).toEqual([1, 0.25, 0.1, null]);
  });
});

describe('transform.rules: a new column set to text and numbers does not depend on the order of the rules', () => {
  const one = setting('one', 1, '1', 'level');
  const two = setting('two', 2, '2.5', 'level');
  const txt = setting('txt', 3, "'7'", 'level');

  it('text that converts exactly takes the numbers\' common type, in every order and with either policy', async () => {
    for (const policy of ['first', 'all']) {
      for (const rules of [
        [one, two, txt],
        [txt, one, two],
        [one, txt, two],
      ]) {
        const r = await preview(rulesOver({ policy, rules }), dir, 'r');
        expect(r.columns.at(-1)).toEqual({ name: 'level', type: 'DECIMAL(11,1)' });
        expect(r.rows.map((x) => x.level)).toEqual(['1.0', '2.5', '7.0', null]);
      }
    }
  });

  it("text the type would change is refused naming its own rule, first or last ('2.5' next to an INTEGER would be 3)", async () => {
    const a = setting('a', 1, '2', 'level');
    const b = setting('b', 2, "'2.5'", 'level');
    for (const policy of ['first', 'all']) {
      for (const rules of [
        [a, b],
        [b, a],
      ]) {
        const problems = await problemsOf(rulesOver({ policy, rules }), dir);
        expect(problems).toHaveLength(1);
        expect(problems[0]).toMatchObject({ column: 'level', path: `nodes[1].params.rules[${rules.indexOf(b)}].set[0].expression`, message: expect.stringContaining("in rule 'b' in node 'r' is the text '2.5', which INTEGER, the type the new column takes from the values rules set, would change") });
      }
    }
  });

  it('text that is not a constant cannot share the column: its own rule is named, with a hint towards the column\'s type', async () => {
    const query = `SELECT * FROM (VALUES (1::INTEGER, 'x'), (2, 'y')) t(id, status)`;
    const text = setting('text', 1, 'status', 'level');
    const num = setting('num', 2, '5', 'level');
    for (const rules of [
      [text, num],
      [num, text],
    ]) {
      const problems = await problemsOf(rulesOver({ rules }, query), dir);
      expect(problems).toEqual([
        expect.objectContaining({ path: `nodes[1].params.rules[${rules.indexOf(text)}].set[0].expression`, column: 'level', message: expect.stringContaining("the value for column 'level' in rule 'text' in node 'r' does not fit") }),
      ]);
      expect(problems[0]!.hint).toContain('CAST(... AS INTEGER)');
    }
  });
});

describe('transform.rules: every independent problem of the table is reported at once', () => {
  it('a repeated name, an unbalanced parenthesis, a value that does not bind and a condition that is not true/false: one check names them all', async () => {
    const rules: Rule[] = [
      { name: 'weird', condition: 'amount > 1000', tag: 'w' },
      { name: 'Weird', condition: 'amount > 1', tag: 'b' },
      { name: 'paren', condition: '(amount > 1', tag: 'p' },
      { name: 'shift', condition: "amount >> 'x'", tag: 's' },
      { name: 'num', condition: 'amount', tag: 'n' },
      { name: 'fine', condition: "status = 'paid'", tag: 'f' },
    ];
    const problems = await problemsOf(rulesOver({ rules }, AMOUNTS), dir);
    expect(problems.map((p) => p.path)).toEqual(['nodes[1].params.rules[1].name', 'nodes[1].params.rules[2].condition', 'nodes[1].params.rules[3].condition', 'nodes[1].params.rules[4].condition']);
    expect(problems.map((p) => p.message)).toEqual([
      "node 'r' (transform.rules): rule 'Weird': the name is used by an earlier rule, rule 'weird'",
      expect.stringContaining("the condition of rule 'paren' in node 'r'"),
      expect.stringContaining("the condition of rule 'shift' in node 'r'"),
      "the condition of rule 'num' in node 'r' gives DOUBLE, not true or false",
    ]);
  });

  it('a rule that rejects and sets, an unknown column in a value and a tag column that is not a list, together', async () => {
    const rules: Rule[] = [
      { name: 'both', condition: 'true', reject: 'no', set: [{ column: 'x', expression: '1' }] },
      { name: 'typo', condition: 'true', set: [{ column: 'x', expression: 'amuont + 1' }], tag: 't' },
    ];
    const problems = await problemsOf(rulesOver({ rules, tag_column: 'status' }, AMOUNTS), dir);
    expect(problems.map((p) => p.path)).toEqual(['nodes[1].params.rules[0].reject', 'nodes[1].params.rules[1].set[0].expression', 'nodes[1].params.tag_column']);
    expect(problems[1]).toMatchObject({ code: 'unknown_column', message: "unknown column 'amuont' in the value for column 'x' in rule 'typo' in node 'r' (did you mean 'amount'?)" });
  });

  it('values that cannot go into their columns are named together, one per column and value', async () => {
    const rules: Rule[] = [
      { name: 'flag', condition: 'id = 1', set: [{ column: 'kind', expression: 'true' }, { column: 'x', expression: '0.5::DOUBLE' }] },
      { name: 'count', condition: 'id = 2', set: [{ column: 'kind', expression: '5' }, { column: 'x', expression: '9007199254740993::BIGINT' }] },
      { name: 'text', condition: 'id = 3', set: [{ column: 'id', expression: "'1.5'" }] },
    ];
    const problems = await problemsOf(rulesOver({ rules }), dir);
    expect(problems.map((p) => `${p.path} ${p.column}`).sort()).toEqual([
      'nodes[1].params.rules[1].set[0].expression kind',
      'nodes[1].params.rules[1].set[1].expression x',
      'nodes[1].params.rules[2].set[0].expression id',
    ]);
  });

  it('two text constants an input column\'s type would change are both named', async () => {
    const query = `SELECT 1::INTEGER AS id, 5::INTEGER AS qty, DATE '2024-01-01' AS due`;
    const rules = [{ name: 'bump', condition: 'id = 1', set: [{ column: 'qty', expression: "'12.5'" }, { column: 'due', expression: "'2024-01-05 10:30'" }] }];
    const problems = await problemsOf(rulesOver({ rules }, query), dir);
    expect(problems.map((p) => `${p.path} ${p.column}`)).toEqual(['nodes[1].params.rules[0].set[0].expression qty', 'nodes[1].params.rules[0].set[1].expression due']);
  });
});
