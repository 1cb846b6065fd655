import { beforeAll, describe, expect, it } from 'vitest';
import { pipeline, problemsOf, tempDir } from './support/pipeline.js';

/**
 * A syntax error in one of a node's expressions is reported on that expression, in words about
 * what the user typed: DuckDB parses the node's compiled SQL as a whole, so its error named no field
 * (the first one was blamed), and it parses each expression inside parentheses of Caudal's, so an
 * expression cut short was refused "at or near ")"", a character nobody typed.
 */
let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-expression-errors-');
});

const over = (node: { type: string; params: Record<string, unknown> }) =>
  pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query: 'SELECT 1 AS amount' } },
      { id: 'n', ...node },
    ],
    ['src -> n'],
  );

describe('a syntax error in an expression', () => {
  it('is reported on the expression that has it, not on the first of the node', async () => {
    const problems = await problemsOf(
      over({ type: 'transform.derive', params: { columns: [{ name: 'x', expression: 'amount + 1' }, { name: 'y', expression: 'amount * 2' }, { name: 'z', expression: 'amount * (2 +) 3' }] } }),
      dir,
    );
    expect(problems.map((p) => p.path)).toEqual(['nodes[1].params.columns[2].expression']);
    expect(problems[0]!.message).toContain("invalid SQL in node 'n'");
  });

  it('that ends early says after what, wherever the expression is', async () => {
    const cases: Array<[{ type: string; params: Record<string, unknown> }, string, string]> = [
      [{ type: 'transform.filter', params: { condition: 'amount > 0 AND' } }, 'nodes[1].params.condition', "after 'AND' (character 12)"],
      [{ type: 'transform.derive', params: { columns: [{ name: 'x', expression: 'amount +' }] } }, 'nodes[1].params.columns[0].expression', "after '+' (character 8)"],
      [{ type: 'quality.check', params: { checks: [{ kind: 'expression', name: 'e1', expression: 'amount IS' }] } }, 'nodes[1].params.checks[0].expression', "after 'IS' (character 8)"],
    ];
    for (const [node, path, after] of cases) {
      const problems = await problemsOf(over(node), dir);
      expect(problems.map((p) => [p.path, p.message])).toEqual([[path, expect.stringContaining(`the expression ends early, ${after}: what follows it is missing`)]]);
      expect(problems[0]!.message).not.toContain('at or near ")"');
    }
  });

  it('that is whole is left alone: a trailing comment, a string ending in an operator or keyword', async () => {
    const problems = await problemsOf(over({ type: 'transform.derive', params: { columns: [{ name: 'x', expression: 'amount + 1 -- plus one' }, { name: 'y', expression: "'a +' || 'AND'" }] } }), dir);
    expect(problems).toEqual([]);
  });
});
