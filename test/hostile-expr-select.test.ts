import { beforeAll, describe, expect, it } from 'vitest';
import { pipeline, preview, problemsOf, tempDir } from './support/pipeline.js';

// Hostile lists for Select columns: a column both kept and dropped was kept without a word (the drop
// list is ignored when a keep list is set); a column dropped twice, a column missing from the input
// and a drop list that leaves nothing were reported by DuckDB against the whole node's params.

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-hostile-select-');
});

const SRC = `SELECT * FROM (VALUES (1, 'Ann', 'ann@x.org')) t(id, name, email)`;
const selectOver = (params: Record<string, unknown>) =>
  pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query: SRC } },
      { id: 'pick', type: 'transform.select', params },
    ],
    ['src -> pick'],
  );

describe('transform.select: lists that contradict themselves are refused before the run', () => {
  it('a column both kept and dropped (it was kept, the drop ignored)', async () => {
    expect(await problemsOf(selectOver({ columns: [{ column: 'id' }, { column: 'email' }], drop: ['EMAIL'] }), dir)).toEqual([
      expect.objectContaining({
        path: 'nodes[1].params.drop[0]',
        message: "node 'pick' (transform.select): column 'EMAIL' is both kept (columns[1]) and dropped",
        hint: 'remove it from one of the lists: with a keep list, only the kept columns are output',
      }),
    ]);
  });

  it('a column dropped twice, names differing in case', async () => {
    expect(await problemsOf(selectOver({ drop: ['email', 'Email'] }), dir)).toEqual([
      expect.objectContaining({ path: 'nodes[1].params.drop[1]', message: "node 'pick' (transform.select): column 'Email' is listed twice in the drop list" }),
    ]);
  });

  it('dropping every column', async () => {
    expect(await problemsOf(selectOver({ drop: ['id', 'name', 'email'] }), dir)).toEqual([
      expect.objectContaining({
        path: 'nodes[1].params.drop',
        message: "node 'pick' drops every column of its input (id, name, email): nothing would be left",
      }),
    ]);
  });
});

describe('transform.select: unknown names point at the list entry', () => {
  it('a kept column', async () => {
    expect(await problemsOf(selectOver({ columns: [{ column: 'id' }, { column: 'emial' }] }), dir)).toEqual([
      expect.objectContaining({ code: 'unknown_column', path: 'nodes[1].params.columns[1].column', message: "unknown column 'emial' in node 'pick' (did you mean 'email'?)" }),
    ]);
  });

  it('a dropped column', async () => {
    expect(await problemsOf(selectOver({ drop: ['id', 'nmae'] }), dir)).toEqual([
      expect.objectContaining({ code: 'unknown_column', path: 'nodes[1].params.drop[1]', message: "unknown column 'nmae' in node 'pick' (did you mean 'name'?)" }),
    ]);
  });
});

describe('transform.select: what still works', () => {
  it('a keep list with a drop list that does not contradict it', async () => {
    const r = await preview(selectOver({ columns: [{ column: 'name' }, { column: 'id' }], drop: ['email'] }), dir, 'pick');
    expect(r.rows).toEqual([{ name: 'Ann', id: 1 }]);
  });

  it('kept columns named in another case keep the input spelling; drop by any case', async () => {
    expect((await preview(selectOver({ columns: [{ column: 'NAME' }, { column: 'Id', as: 'key' }] }), dir, 'pick')).rows).toEqual([{ name: 'Ann', key: 1 }]);
    expect((await preview(selectOver({ drop: ['EMAIL'] }), dir, 'pick')).rows).toEqual([{ id: 1, name: 'Ann' }]);
  });
});
