import { beforeAll, describe, expect, it } from 'vitest';
import { pipeline, preview, problemsOf, tempDir } from './support/pipeline.js';

// Hostile conditions for Split: each connected port is its own filter over the input, so a
// condition must give the same answer every time it is evaluated, and must be a true/false.

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-hostile-split-');
});

const SRC = `SELECT range AS id, range % 3 AS amount, CASE WHEN range % 2 = 0 THEN 'yes' ELSE 'no' END AS flag, range AS random FROM range(1000)`;
const splitOver = (routes: Array<{ when: string }>) =>
  pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query: SRC } },
      { id: 's', type: 'transform.split', params: { routes } },
      { id: 'all', type: 'transform.sql', params: { query: `SELECT 'out_1' AS port, id FROM s__out_1 UNION ALL SELECT 'else', id FROM s__else` } },
    ],
    ['src -> s', 's:out_1 -> all', 's:else -> all'],
  );

describe('transform.split: a condition that changes from one evaluation to the next', () => {
  it('random() is refused before the run (each port evaluates it again: rows would land twice or nowhere)', async () => {
    const problems = await problemsOf(splitOver([{ when: 'random() < 0.5' }]), dir);
    expect(problems).toEqual([
      expect.objectContaining({
        code: 'invalid_expression',
        path: 'nodes[1].params.routes[0].when',
        nodeId: 's',
        message: expect.stringContaining("node 's': route 1 calls random(), which gives another value each time it is evaluated"),
      }),
    ]);
    expect(problems[0]!.hint).toContain('hash(');
  });

  it('so are uuid(), gen_random_uuid() and nextval(), in any route, in any case', async () => {
    for (const when of ["uuid()::VARCHAR < '8'", 'GEN_RANDOM_UUID() IS NULL', "main.nextval('s') > 10"]) {
      const problems = await problemsOf(splitOver([{ when: 'amount = 1' }, { when }]), dir);
      expect(problems, when).toEqual([expect.objectContaining({ path: 'nodes[1].params.routes[1].when', message: expect.stringContaining("node 's': route 2 calls ") })]);
    }
  });

  it('a column named random is an ordinary column, and every row lands exactly once', async () => {
    const doc = splitOver([{ when: 'random < 500' }]);
    expect(await problemsOf(doc, dir)).toEqual([]);
    const r = await preview(doc, dir, 'all', { limit: 5000 });
    expect(r.rows.length).toBe(1000);
    expect(new Set(r.rows.map((x) => x.id)).size).toBe(1000);
    expect(r.rows.filter((x) => x.port === 'out_1').length).toBe(500);
  });
});

describe('transform.split: a condition that is not true/false', () => {
  it('a number column is refused before the run (DuckDB would read every non-zero number as true)', async () => {
    expect(await problemsOf(splitOver([{ when: 'amount' }]), dir)).toEqual([
      expect.objectContaining({
        code: 'invalid_expression',
        path: 'nodes[1].params.routes[0].when',
        message: "node 's': route 1's condition gives BIGINT values, not true/false",
        hint: expect.stringContaining('a comparison'),
      }),
    ]);
  });

  it("a text column is refused before the run (DuckDB would read 'yes' as true, and stop the run on other text)", async () => {
    expect(await problemsOf(splitOver([{ when: 'amount = 1' }, { when: 'flag' }]), dir)).toEqual([
      expect.objectContaining({ path: 'nodes[1].params.routes[1].when', message: "node 's': route 2's condition gives VARCHAR values, not true/false" }),
    ]);
  });

  it('a comparison, a boolean function and a NULL-able test pass', async () => {
    expect(await problemsOf(splitOver([{ when: 'amount = 1' }, { when: "starts_with(flag, 'y')" }, { when: 'amount IS NULL' }]), dir)).toEqual([]);
  });
});

describe('transform.split: a route switched off with NULL', () => {
  it('a bare NULL condition still passes (it matches no row)', async () => {
    const doc = splitOver([{ when: ' ( NULL ) ' }]);
    expect(await problemsOf(doc, dir)).toEqual([]);
    const r = await preview(doc, dir, 'all', { limit: 5000 });
    expect(r.rows.filter((x) => x.port === 'else').length).toBe(1000);
  });
});
