import { beforeAll, describe, expect, it } from 'vitest';
import { pipeline, preview, problemsOf, tempDir } from '../../../../test/support/pipeline.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-derive-');
});

const SRC = `SELECT * FROM (VALUES (2::INTEGER, 10.00::DECIMAL(10,2), 0.1::DOUBLE, '  PAID '), (3, 5.50, NULL, 'Open')) t(quantity, unit_price, discount, status)`;
const deriveOver = (columns: Array<{ name: string; expression: string }>) =>
  pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query: SRC } },
      { id: 'calc', type: 'transform.derive', params: { columns } },
    ],
    ['src -> calc'],
  );

describe('transform.derive', () => {
  it('adds new columns at the end and replaces existing ones in place', async () => {
    const r = await preview(
      deriveOver([
        { name: 'revenue', expression: 'round(quantity * unit_price * (1 - coalesce(discount, 0)), 2)' },
        { name: 'STATUS', expression: 'lower(trim(status))' },
      ]),
      dir,
      'calc',
    );
    expect(r.columns.map((c) => c.name)).toEqual(['quantity', 'unit_price', 'discount', 'status', 'revenue']);
    expect(r.rows.map((x) => [x.status, x.revenue])).toEqual([
      ['paid', 18],
      ['open', 16.5],
    ]);
  });

  it('infers the type of each derived column', async () => {
    const r = await preview(deriveOver([{ name: 'big', expression: 'quantity::BIGINT * 1000' }, { name: 'label', expression: "status || '!'" }]), dir, 'calc');
    expect(r.columns.slice(-2)).toEqual([
      { name: 'big', type: 'BIGINT' },
      { name: 'label', type: 'VARCHAR' },
    ]);
  });

  it('reports an unknown column in one expression with its path and the closest name', async () => {
    const problems = await problemsOf(deriveOver([{ name: 'ok', expression: 'quantity + 1' }, { name: 'bad', expression: 'quantiy * 2' }]), dir);
    expect(problems).toEqual([
      expect.objectContaining({ path: 'nodes[1].params.columns[1].expression', message: expect.stringContaining("unknown column 'quantiy' in node 'calc' (did you mean 'quantity'?)") }),
    ]);
  });

  it('reports an expression that is not valid SQL', async () => {
    const problems = await problemsOf(deriveOver([{ name: 'x', expression: 'quantity * (2' }]), dir);
    expect(problems).toEqual([expect.objectContaining({ path: 'nodes[1].params.columns[0].expression' })]);
  });
});
