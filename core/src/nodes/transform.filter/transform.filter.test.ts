import { beforeAll, describe, expect, it } from 'vitest';
import { pipeline, preview, problemsOf, run, tempDir } from '../../../../test/support/pipeline.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-filter-');
});

const SRC = `SELECT * FROM (VALUES (1::INTEGER, 'paid', DATE '2025-01-10'), (2, 'open', DATE '2025-03-01'), (3, NULL, DATE '2025-05-01'), (4, 'paid', DATE '2025-06-01')) t(id, status, ordered)`;
const filterOver = (condition: string, extra: Record<string, unknown> = {}) =>
  pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query: SRC } },
      { id: 'keep', type: 'transform.filter', params: { condition } },
    ],
    ['src -> keep'],
    extra,
  );
const ids = async (condition: string, extra: Record<string, unknown> = {}) =>
  (await preview(filterOver(condition, extra), dir, 'keep')).rows.map((r) => r.id);

describe('transform.filter', () => {
  it('keeps the rows where the condition is true', async () => {
    expect(await ids("status = 'paid'")).toEqual([1, 4]);
  });

  it('refuses a condition that is not true/false (a number kept every row that was not 0, without a word)', async () => {
    expect(await problemsOf(filterOver('id'), dir)).toEqual([
      expect.objectContaining({ nodeId: 'keep', path: 'nodes[1].params.condition', message: "node 'keep': the condition gives INTEGER values, not true/false" }),
    ]);
    expect((await problemsOf(filterOver('status'), dir)).map((p) => p.message)).toEqual(["node 'keep': the condition gives VARCHAR values, not true/false"]);
    expect(await problemsOf(filterOver("status = 'paid' OR id IS NULL"), dir)).toEqual([]);
  });

  it('drops rows where the condition is NULL, as SQL does', async () => {
    expect(await ids("status <> 'open'")).toEqual([1, 4]);
    expect(await ids("coalesce(status, 'none') <> 'open'")).toEqual([1, 3, 4]);
  });

  it('binds a pipeline param as a typed literal', async () => {
    const params = { since: { type: 'date', default: '2025-04-01' } };
    expect(await ids('ordered >= $since', { params })).toEqual([3, 4]);
    const doc = filterOver('ordered >= $since', { params });
    const { summary } = await run(
      pipeline(
        [...doc.nodes, { id: 'out', type: 'sink.csv', params: { path: 'kept.csv', if_exists: 'overwrite' } }],
        ['src -> keep', 'keep -> out'],
        { params },
      ),
      dir,
      { params: { since: '2025-02-01' } },
    );
    expect(summary.outputs[0]?.rows).toBe(3);
  });

  it('a param value cannot change the shape of the condition', async () => {
    const params = { who: { type: 'string', default: "paid' OR 1=1 --" } };
    expect(await ids('status = $who', { params })).toEqual([]);
  });

  it('reports an unknown column with the closest name, before running', async () => {
    const problems = await problemsOf(filterOver("stauts = 'paid'"), dir);
    expect(problems).toEqual([
      expect.objectContaining({ path: 'nodes[1].params.condition', message: expect.stringContaining("unknown column 'stauts' in node 'keep' (did you mean 'status'?)") }),
    ]);
  });

  it('refuses a second statement in the condition', async () => {
    const problems = await problemsOf(filterOver("status = 'paid'; DROP TABLE x"), dir);
    expect(problems).toEqual([expect.objectContaining({ code: 'invalid_expression', path: 'nodes[1].params.condition' })]);
  });
});
