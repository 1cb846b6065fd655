import { beforeAll, describe, expect, it } from 'vitest';
import { inspect, pipeline, preview, problemsOf, tempDir } from '../../../../test/support/pipeline.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-sort-');
});

const SRC = `SELECT * FROM (VALUES
  (1, 'Zoë', 30, DATE '2024-01-02'),
  (2, 'José Muñoz', NULL, DATE '2024-01-01'),
  (3, 'Ann', 10, NULL),
  (4, 'Zoe', 30, DATE '2024-01-01'),
  (5, 'ann', 20, DATE '2024-01-03')
) t(id, "Full Name", score, "Day")`;

const sortOver = (params: Record<string, unknown>, src = SRC) =>
  pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query: src } },
      { id: 'sorted', type: 'transform.sort', params },
    ],
    ['src -> sorted'],
  );
const ids = async (params: Record<string, unknown>) => (await preview(sortOver(params), dir, 'sorted')).rows.map((r) => r.id);

describe('transform.sort', () => {
  it('sorts ascending with nulls last by default', async () => {
    expect(await ids({ by: [{ column: 'score' }, { column: 'id' }] })).toEqual([3, 5, 1, 4, 2]);
  });

  it('sorts descending and still puts nulls last unless told otherwise', async () => {
    expect(await ids({ by: [{ column: 'score', direction: 'desc' }, { column: 'id', direction: 'desc' }] })).toEqual([4, 1, 5, 3, 2]);
    expect(await ids({ by: [{ column: 'score', direction: 'desc', nulls: 'first' }, { column: 'id' }] })).toEqual([2, 1, 4, 5, 3]);
  });

  it('uses later keys to break ties of earlier ones', async () => {
    expect(await ids({ by: [{ column: 'Day', nulls: 'first' }, { column: 'Full Name', direction: 'desc' }] })).toEqual([3, 4, 2, 1, 5]);
  });

  it('sorts text by code point: upper case before lower case, accented letters after plain ones', async () => {
    const r = await preview(sortOver({ by: [{ column: 'Full Name' }] }), dir, 'sorted');
    expect(r.rows.map((x) => x['Full Name'])).toEqual(['Ann', 'José Muñoz', 'Zoe', 'Zoë', 'ann']);
  });

  it('breaks remaining ties with every other column when asked', async () => {
    const doc = sortOver({ by: [{ column: 'k' }], break_ties: true }, `SELECT * FROM (VALUES (2, 'b', 1), (1, 'b', NULL), (1, 'a', 2), (NULL, 'a', 1), (1, 'a', 1)) t(k, v, w)`);
    expect((await preview(doc, dir, 'sorted')).rows).toEqual([
      { k: 1, v: 'a', w: 1 },
      { k: 1, v: 'a', w: 2 },
      { k: 1, v: 'b', w: null },
      { k: 2, v: 'b', w: 1 },
      { k: null, v: 'a', w: 1 },
    ]);
  });

  it('gives an empty output for an empty input', async () => {
    const r = await preview(sortOver({ by: [{ column: 'id' }] }, `${SRC} WHERE false`), dir, 'sorted');
    expect(r.rows).toEqual([]);
    expect(r.columns.map((c) => c.name)).toEqual(['id', 'Full Name', 'score', 'Day']);
  });

  it('compiles to one ORDER BY', async () => {
    const result = await inspect({ pipeline: sortOver({ by: [{ column: 'Day', direction: 'desc', nulls: 'first' }, { column: 'id' }] }), baseDir: dir });
    expect(result.problems).toEqual([]);
    expect(result.nodes.find((n) => n.nodeId === 'sorted')!.outputs[0]!.sql).toMatchSnapshot();
  });

  it('reports an unknown sort column with the closest name, before running', async () => {
    const problems = await problemsOf(sortOver({ by: [{ column: 'scroe' }] }), dir);
    expect(problems).toEqual([expect.objectContaining({ code: 'unknown_column', message: expect.stringContaining("unknown column 'scroe' in node 'sorted' (did you mean 'score'?)") })]);
  });

  it('refuses the same column twice', async () => {
    const problems = await problemsOf(sortOver({ by: [{ column: 'id' }, { column: 'ID', direction: 'desc' }] }), dir);
    expect(problems).toEqual([expect.objectContaining({ path: 'nodes[1].params.by[1].column', message: expect.stringContaining("column 'ID' is sorted on twice") })]);
  });
});
