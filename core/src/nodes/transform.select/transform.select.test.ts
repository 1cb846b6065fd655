import { beforeAll, describe, expect, it } from 'vitest';
import { pipeline, preview, problemsOf, tempDir } from '../../../../test/support/pipeline.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-select-');
});

const SRC = `SELECT * FROM (VALUES (1::INTEGER, 'Ann', 'ann@x.org', 10.5), (2, 'José Muñoz', NULL, 20.0)) t(id, name, email, amount)`;
const selectOver = (params: Record<string, unknown>) =>
  pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query: SRC } },
      { id: 'pick', type: 'transform.select', params },
    ],
    ['src -> pick'],
  );
const shape = async (params: Record<string, unknown>) => {
  const r = await preview(selectOver(params), dir, 'pick');
  return { columns: r.columns.map((c) => c.name), rows: r.rows };
};

describe('transform.select', () => {
  it('keeps the listed columns in the listed order, renaming with "as"', async () => {
    expect(await shape({ columns: [{ column: 'amount', as: 'revenue' }, { column: 'id' }] })).toEqual({
      columns: ['revenue', 'id'],
      rows: [
        { revenue: '10.5', id: 1 },
        { revenue: '20.0', id: 2 },
      ],
    });
  });

  it('drops the listed columns and keeps the rest in their original order', async () => {
    expect((await shape({ drop: ['email', 'amount'] })).columns).toEqual(['id', 'name']);
  });

  it('passes everything through when both lists are empty (values and nulls intact)', async () => {
    const r = await shape({});
    expect(r.columns).toEqual(['id', 'name', 'email', 'amount']);
    expect(r.rows[1]).toEqual({ id: 2, name: 'José Muñoz', email: null, amount: '20.0' });
  });

  it('keeps names with spaces, quotes and mixed case exactly', async () => {
    expect((await shape({ columns: [{ column: 'name', as: 'Customer "Name"' }, { column: 'id', as: 'select' }] })).columns).toEqual(['Customer "Name"', 'select']);
  });

  it('reports an unknown kept column with the closest name, before running', async () => {
    const problems = await problemsOf(selectOver({ columns: [{ column: 'emial' }] }), dir);
    expect(problems).toEqual([expect.objectContaining({ code: 'unknown_column', message: expect.stringContaining("unknown column 'emial' in node 'pick' (did you mean 'email'?)") })]);
  });

  it('reports an unknown dropped column too', async () => {
    const problems = await problemsOf(selectOver({ drop: ['amout'] }), dir);
    expect(problems.map((p) => p.message).join('\n')).toMatch(/amout.*(did you mean 'amount'\?)/);
  });

  it('refuses two output columns with the same name', async () => {
    const problems = await problemsOf(selectOver({ columns: [{ column: 'id' }, { column: 'name', as: 'ID' }] }), dir);
    expect(problems).toEqual([expect.objectContaining({ path: 'nodes[1].params.columns[1]', message: "node 'pick' (transform.select): output column 'ID' appears twice" })]);
  });
});
