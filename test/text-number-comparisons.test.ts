import { describe, expect, it } from 'vitest';
import { pipeline, problemsOf, run, tempDir } from './support/pipeline.js';

/**
 * DuckDB compares a text column with a number by converting each text to a number with the cast's
 * leniency: `code = 7` keeps '7.4', '6.5', ' 7' and '007'. A condition or an expression comparing a
 * text column with a number is refused before the run, saying how to compare instead.
 */
const codes = "SELECT * FROM (VALUES ('7.4', 1), ('007', 2), ('7', 3), ('abc', 4)) v(code, n)";

const withNode = (node: { type: string; params: Record<string, unknown> }) =>
  pipeline([{ id: 'src', type: 'transform.sql', params: { query: codes } }, { id: 't', ...node }], ['src -> t']);

describe('a text column compared with a number', () => {
  it.each([
    ['filter', { type: 'transform.filter', params: { condition: 'code = 7' } }, 'params.condition', 'the condition', 'the number 7'],
    ['filter, IN', { type: 'transform.filter', params: { condition: "n > 0 AND code IN (7, 8)" } }, 'params.condition', 'the condition', 'the number 7'],
    ['filter, a number column', { type: 'transform.filter', params: { condition: 'code = n' } }, 'params.condition', 'the condition', "the number column 'n'"],
    ['filter, a decimal', { type: 'transform.filter', params: { condition: 'code = 7.5' } }, 'params.condition', 'the condition', 'a number'],
    ['filter, BETWEEN', { type: 'transform.filter', params: { condition: 'code BETWEEN 1 AND 9' } }, 'params.condition', 'the condition', 'the number 1'],
    ['split', { type: 'transform.split', params: { routes: [{ when: "code = '7'" }, { when: 'code = 7' }] } }, 'params.routes[1].when', "route 2's condition", 'the number 7'],
    ['derive', { type: 'transform.derive', params: { columns: [{ name: 'seven', expression: 'CASE WHEN code = 7 THEN 1 END' }] } }, 'params.columns[0].expression', "the expression of 'seven'", 'the number 7'],
  ])('%s: is refused before the run, naming the column and saying how to compare', async (_, node, at, what, other) => {
    const problems = await problemsOf(withNode(node), await tempDir());
    expect(problems).toEqual([
      expect.objectContaining({
        code: 'invalid_expression',
        path: `nodes[1].${at}`,
        column: 'code',
        message: `node 't': ${what} compares the text column 'code' with ${other}: DuckDB would convert every text to a number to compare, so '7.4', ' 7' and '007' would equal 7, and a text that is not a number would stop the run`,
        hint: expect.stringContaining("code = '7'"),
      }),
    ]);
  });

  it.each([
    ['trim(code) = 7', 'the text trim(code)', 'the number 7'],
    ['substr(code, 1, 1) > 0', 'the text substr(code, 1, 1)', 'the number 0'],
    ["n = 1 OR (code || '') = n", "the text (code || '')", "the number column 'n'"],
    ['upper(code) IN (7, 8)', 'the text upper(code)', 'the number 7'],
    ["trim(code) = n + 1", 'the text trim(code)', 'the number (n + 1)'],
  ])('an expression giving text, %s, is refused the same way, naming the expression', async (condition, text, other) => {
    const problems = await problemsOf(withNode({ type: 'transform.filter', params: { condition } }), await tempDir());
    expect(problems).toEqual([
      expect.objectContaining({
        code: 'invalid_expression',
        path: 'nodes[1].params.condition',
        message: `node 't': the condition compares ${text} with ${other}: DuckDB would convert every text to a number to compare, so '7.4', ' 7' and '007' would equal 7, and a text that is not a number would stop the run`,
        hint: expect.stringContaining(`${text.replace('the text ', '')} = '7'`),
      }),
    ]);
  });

  it.each(['length(code) = 3', 'TRY_CAST(trim(code) AS INTEGER) = 7', "lower(code) = 'abc'", 'n + 1 > 2', "coalesce(code, 'x') LIKE '7%'"])('an expression that compares like with like, %s, is kept', async (condition) => {
    expect(await problemsOf(withNode({ type: 'transform.filter', params: { condition } }), await tempDir())).toEqual([]);
  });

  it('in a rule\'s condition: is refused naming the rule', async () => {
    const rules = [{ name: 'lucky', condition: "code = '7'", tag: 'a' }, { name: 'seven', condition: 'code = 7', tag: 'b' }];
    const problems = await problemsOf(withNode({ type: 'transform.rules', params: { rules } }), await tempDir());
    expect(problems).toEqual([
      expect.objectContaining({ code: 'invalid_expression', path: 'nodes[1].params.rules[1].condition', column: 'code', message: expect.stringMatching(/rule 'seven'.* compares the text column 'code' with the number 7/) }),
    ]);
  });

  it('in a quality check\'s predicate: is refused the same way, naming the check', async () => {
    const problems = await problemsOf(withNode({ type: 'quality.check', params: { checks: [{ name: 'seven', kind: 'expression', expression: 'code <> 7' }] } }), await tempDir());
    expect(problems).toEqual([
      expect.objectContaining({ code: 'invalid_expression', path: 'nodes[1].params.checks[0].expression', column: 'code', message: expect.stringMatching(/^check 'seven' in node 't': the predicate compares the text column 'code' with the number 7/) }),
    ]);
  });

  it('compared with text, or converted first, is kept: each row as written', async () => {
    const dir = await tempDir();
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: codes } },
        { id: 'as_text', type: 'transform.filter', params: { condition: "code = '7'" } },
        { id: 'as_number', type: 'transform.filter', params: { condition: 'TRY_CAST(code AS DECIMAL(9,2)) = 7' } },
        { id: 'a', type: 'sink.json', params: { path: 'text.json', format: 'array' } },
        { id: 'b', type: 'sink.json', params: { path: 'number.json', format: 'array' } },
      ],
      ['src -> as_text', 'src -> as_number', 'as_text -> a', 'as_number -> b'],
    );
    const { summary } = await run(doc, dir);
    expect(summary.status, summary.error?.message).toBe('succeeded');
    const { readFile } = await import('node:fs/promises');
    expect(JSON.parse(await readFile(`${dir}/text.json`, 'utf8'))).toEqual([{ code: '7', n: 3 }]);
    expect(JSON.parse(await readFile(`${dir}/number.json`, 'utf8')).map((r: { n: number }) => r.n).sort()).toEqual([2, 3]);
  });

  it('a number column compared with a text constant is left to DuckDB, which converts the constant once', async () => {
    const problems = await problemsOf(withNode({ type: 'transform.filter', params: { condition: "n = '3'" } }), await tempDir());
    expect(problems).toEqual([]);
  });
});
