import { beforeAll, describe, expect, it } from 'vitest';
import { pipeline, preview, problemsOf, tempDir } from './support/pipeline.js';

// Hostile column lists for Unpivot: a column listed twice (or twice in another case) would give each
// of its values twice, and an id listed twice would be kept twice under a made-up name.

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-hostile-unpivot-');
});

const unpivotOver = (params: Record<string, unknown>) =>
  pipeline([{ id: 'src', type: 'transform.sql', params: { query: 'SELECT 1 AS id, 2 AS jan, 3 AS feb' } }, { id: 'u', type: 'transform.unpivot', params }], ['src -> u']);

describe('transform.unpivot: a column listed twice', () => {
  it('in columns: reported before the run (each value would come out twice)', async () => {
    expect(await problemsOf(unpivotOver({ columns: ['jan', 'feb', 'jan'] }), dir)).toEqual([
      expect.objectContaining({ code: 'invalid_param', path: 'nodes[1].params.columns[2]', message: expect.stringContaining("'jan' is listed twice") }),
    ]);
  });

  it('in columns, in another case (DuckDB names are case-insensitive)', async () => {
    expect(await problemsOf(unpivotOver({ columns: ['jan', 'JAN'] }), dir)).toEqual([
      expect.objectContaining({ path: 'nodes[1].params.columns[1]', message: expect.stringContaining("'JAN' is listed twice") }),
    ]);
  });

  it('in id_columns: reported before the run (the id would be kept twice, as id and id_1)', async () => {
    expect(await problemsOf(unpivotOver({ id_columns: ['id', 'Id'] }), dir)).toEqual([
      expect.objectContaining({ path: 'nodes[1].params.id_columns[1]', message: expect.stringContaining("'Id' is listed twice") }),
    ]);
  });

  it('each column once: one row per column', async () => {
    const r = await preview(unpivotOver({ columns: ['jan', 'feb'] }), dir, 'u');
    expect(r.rows).toEqual([
      { id: 1, name: 'jan', value: 2 },
      { id: 1, name: 'feb', value: 3 },
    ]);
  });
});
