import { beforeAll, describe, expect, it } from 'vitest';
import { inspect, pipeline, preview, problemsOf, tempDir } from '../../../../test/support/pipeline.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-limit-');
});

const SRC = `SELECT * FROM (VALUES (3, 'Zoë'), (1, 'José Muñoz'), (5, NULL), (2, 'Ann'), (4, 'Bo')) t(id, "Full Name")`;

/** source → sort by id → limit */
const limitOver = (params: Record<string, unknown>, src = SRC) =>
  pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query: src } },
      { id: 'sorted', type: 'transform.sort', params: { by: [{ column: 'id' }] } },
      { id: 'top', type: 'transform.limit', params },
    ],
    ['src -> sorted', 'sorted -> top'],
  );

describe('transform.limit', () => {
  it('keeps the first N rows in the order of the sort before it', async () => {
    expect((await preview(limitOver({ count: 2 }), dir, 'top')).rows).toEqual([
      { id: 1, 'Full Name': 'José Muñoz' },
      { id: 2, 'Full Name': 'Ann' },
    ]);
  });

  it('skips offset rows first (paging), nulls and all', async () => {
    expect((await preview(limitOver({ count: 2, offset: 3 }), dir, 'top')).rows).toEqual([
      { id: 4, 'Full Name': 'Bo' },
      { id: 5, 'Full Name': null },
    ]);
  });

  it('returns what is there when the input is shorter, and nothing for count 0 or an empty input', async () => {
    expect((await preview(limitOver({ count: 10, offset: 4 }), dir, 'top')).rows).toEqual([{ id: 5, 'Full Name': null }]);
    expect((await preview(limitOver({ count: 0 }), dir, 'top')).rows).toEqual([]);
    expect((await preview(limitOver({ count: 3 }, `${SRC} WHERE false`), dir, 'top')).rows).toEqual([]);
  });

  it('keeps the input order of a scan when nothing sorted it', async () => {
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: SRC } },
        { id: 'top', type: 'transform.limit', params: { count: 2 } },
      ],
      ['src -> top'],
    );
    expect((await preview(doc, dir, 'top')).rows.map((r) => r.id)).toEqual([3, 1]);
  });

  it('compiles to LIMIT/OFFSET with literal numbers', async () => {
    const result = await inspect({ pipeline: limitOver({ count: 10, offset: 20 }), baseDir: dir });
    expect(result.problems).toEqual([]);
    expect(result.nodes.find((n) => n.nodeId === 'top')!.outputs[0]!.sql).toMatchSnapshot();
  });

  it('refuses a negative or fractional count before running', async () => {
    for (const count of [-1, 1.5]) {
      const problems = await problemsOf(limitOver({ count }), dir);
      expect(problems).toEqual([expect.objectContaining({ code: 'invalid_param', path: 'nodes[2].params.count' })]);
    }
  });
});
