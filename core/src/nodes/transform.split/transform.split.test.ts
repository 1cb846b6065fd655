import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { inspect, pipeline, preview, problemsOf, run, tempDir } from '../../../../test/support/pipeline.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-split-');
});

const SRC = `SELECT * FROM (VALUES
  (1, 'Zoë', 1500),
  (2, 'José Muñoz', 50),
  (3, 'Ann', NULL),
  (4, NULL, 2000),
  (5, 'Bo', 10)
) t(id, "Full Name", "Order Amount")`;

const splitOver = (params: Record<string, unknown>, src = SRC) =>
  pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query: src } },
      { id: 's', type: 'transform.split', params },
    ],
    ['src -> s'],
  );
const PORTS = ['out_1', 'out_2', 'out_3', 'out_4', 'out_5', 'out_6', 'out_7', 'out_8', 'else'];

/** Every port's rows in one preview: a transform.sql over all ports, tagging rows with their port. */
const routed = async (params: Record<string, unknown>, src = SRC, cols = 'id') => {
  const doc = pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query: src } },
      { id: 's', type: 'transform.split', params },
      { id: 'all', type: 'transform.sql', params: { query: PORTS.map((p) => `SELECT '${p}' AS port, ${cols} FROM s__${p}`).join(' UNION ALL ') } },
    ],
    ['src -> s', ...PORTS.map((p) => `s:${p} -> all`)],
  );
  const r = await preview(doc, dir, 'all', { limit: 100000 });
  const out: Record<string, unknown[]> = {};
  for (const row of r.rows) (out[row.port as string] ??= []).push(cols === 'id' ? row.id : row);
  for (const v of Object.values(out)) v.sort();
  return out;
};

describe('transform.split', () => {
  it('sends each row to the first route whose condition is true, the rest to else', async () => {
    expect(await routed({ routes: [{ when: '"Order Amount" >= 1000' }, { when: '"Full Name" IS NOT NULL' }] })).toEqual({
      out_1: [1, 4],
      out_2: [2, 3, 5],
    });
    expect(await routed({ routes: [{ when: '"Full Name" IS NOT NULL' }, { when: '"Order Amount" >= 1000' }] })).toEqual({
      out_1: [1, 2, 3, 5],
      out_2: [4],
    });
  });

  it('treats a NULL condition as no match: the row moves on to the next route or to else', async () => {
    expect(await routed({ routes: [{ when: '"Order Amount" < 100' }, { when: '"Order Amount" >= 100' }] })).toEqual({
      out_1: [2, 5],
      out_2: [1, 4],
      else: [3],
    });
  });

  it('lets routes name their port, several routes sharing one', async () => {
    expect(await routed({ routes: [{ when: 'id = 1', port: 'out_3' }, { when: 'id = 2', port: 'out_3' }, { when: "\"Full Name\" = 'Zoë' OR id = 5" }] })).toEqual({
      out_3: [1, 2, 5],
      else: [3, 4],
    });
  });

  it('keeps values, nulls and Unicode text intact', async () => {
    const r = await preview(splitOver({ routes: [{ when: "\"Full Name\" LIKE '%ñ%' OR \"Full Name\" IS NULL" }] }), dir, 's', { port: 'out_1' });
    expect(r.rows).toEqual([
      { id: 2, 'Full Name': 'José Muñoz', 'Order Amount': 50 },
      { id: 4, 'Full Name': null, 'Order Amount': 2000 },
    ]);
  });

  it('gives empty ports for an empty input', async () => {
    expect(await routed({ routes: [{ when: 'id > 2' }] }, `${SRC} WHERE false`)).toEqual({});
  });

  it('substitutes pipeline params and survives a trailing comment in a condition', async () => {
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: SRC } },
        { id: 's', type: 'transform.split', params: { routes: [{ when: '"Order Amount" > $min -- big ones' }] } },
      ],
      ['src -> s'],
      { params: { min: { type: 'number', default: 1000 } } },
    );
    expect((await preview(doc, dir, 's', { port: 'out_1' })).rows.map((r) => r.id)).toEqual([1, 4]);
    expect((await preview(doc, dir, 's', { port: 'else' })).rows.map((r) => r.id)).toEqual([2, 3, 5]);
  });

  it('runs with only some ports connected', async () => {
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: SRC } },
        { id: 's', type: 'transform.split', params: { routes: [{ when: 'id <= 2' }, { when: 'id = 3' }] } },
        { id: 'big', type: 'sink.csv', params: { path: 'first.csv' } },
        { id: 'rest', type: 'sink.csv', params: { path: 'rest.csv' } },
      ],
      ['src -> s', 's:out_1 -> big', 's:else -> rest'],
    );
    const { summary } = await run(doc, dir);
    expect(summary.status).toBe('succeeded');
    expect(summary.outputs.map((o) => [o.nodeId, o.rows])).toEqual([
      ['big', 2],
      ['rest', 2],
    ]);
  });

  it('warns in a run about rows sent to a port nothing is connected to, naming the port and the count', async () => {
    const warnings = async (connected: string[], routes: unknown[]) => {
      const doc = pipeline(
        [
          { id: 'src', type: 'transform.sql', params: { query: SRC } },
          { id: 's', type: 'transform.split', params: { routes } },
          ...connected.map((port) => ({ id: `keep_${port}`, type: 'sink.csv', params: { path: `warn-${port}.csv`, if_exists: 'overwrite' } })),
        ],
        ['src -> s', ...connected.map((port) => `s:${port} -> keep_${port}`)],
      );
      const { summary, events } = await run(doc, dir);
      expect(summary.error, JSON.stringify(summary.error)).toBeUndefined();
      return events.flatMap((e) => (e.type === 'warning' && e.nodeId === 's' ? [e.message] : []));
    };
    const twoRoutes = [{ when: '"Order Amount" > 100' }, { when: '"Order Amount" > 10' }]; // out_1: 1, 4; out_2: 2; else: 3, 5
    expect(await warnings(['out_1'], twoRoutes)).toEqual([
      "1 row was sent to 'out_2' by route 2; nothing is connected to 'out_2', so they are dropped: connect it to a sink to keep them",
      "2 rows matched no route and were sent to 'else'; nothing is connected to 'else', so they are dropped: connect it to a sink to keep them",
    ]);
    // Connected ports, empty ports and ports no route points to say nothing.
    expect(await warnings(['out_1', 'out_2', 'else'], twoRoutes)).toEqual([]);
    expect(await warnings(['out_1', 'else'], [{ when: 'id <= 2' }, { when: 'id > 100' }])).toEqual([]);
    expect(await warnings(['out_1'], [{ when: 'id = 1' }, { when: 'id = 2', port: 'out_3' }, { when: 'id > 2', port: 'out_3' }])).toEqual([
      "4 rows were sent to 'out_3' by routes 2 and 3; nothing is connected to 'out_3', so they are dropped: connect it to a sink to keep them",
    ]);
  });

  it('compiles each port to a filter over the input', async () => {
    const result = await inspect({ pipeline: splitOver({ routes: [{ when: '"Order Amount" >= 1000' }, { when: 'id = 2', port: 'out_1' }, { when: '"Full Name" IS NULL' }] }), baseDir: dir });
    expect(result.problems).toEqual([]);
    const node = result.nodes.find((n) => n.nodeId === 's')!;
    expect(Object.fromEntries(node.outputs.filter((o) => ['out_1', 'out_2', 'out_3', 'else'].includes(o.port)).map((o) => [o.port, o.sql]))).toMatchSnapshot();
  });

  it('reports an unknown column in a condition with the closest name, on that route', async () => {
    const problems = await problemsOf(splitOver({ routes: [{ when: 'id = 1' }, { when: 'idd = 2' }] }), dir);
    expect(problems).toEqual([
      expect.objectContaining({ code: 'unknown_column', path: 'nodes[1].params.routes[1].when', message: expect.stringContaining("unknown column 'idd' in node 's' (did you mean 'id'?)") }),
    ]);
  });

  it('property: every row lands in exactly one port (counts add up, the multiset of rows is kept)', async () => {
    const row = fc.tuple(fc.option(fc.integer({ min: -3, max: 3 }), { nil: null }), fc.option(fc.constantFrom('a', 'Zoë', 'b'), { nil: null }));
    const cond = fc.constantFrom('k > 0', 'k < 0', 'k = 0', "v = 'Zoë'", 'v IS NULL', 'k IS NULL', "k >= 1 AND v <> 'a'", 'true', 'false', 'NULL');
    const routes = fc.array(fc.record({ when: cond, port: fc.option(fc.constantFrom('out_1', 'out_2', 'out_8'), { nil: undefined }) }, { requiredKeys: ['when'] }), { minLength: 1, maxLength: 5 });
    await fc.assert(
      fc.asyncProperty(fc.array(row, { maxLength: 15 }), routes, async (rows, rs) => {
        const src = rows.length
          ? `SELECT row_number() OVER () AS id, k::INTEGER AS k, v::VARCHAR AS v FROM (VALUES ${rows.map(([k, v]) => `(${k ?? 'NULL'}, ${v === null ? 'NULL' : `'${v}'`})`).join(', ')}) t(k, v)`
          : 'SELECT 1::BIGINT AS id, 1 AS k, \'a\' AS v WHERE false';
        const params = { routes: rs.map((r) => (r.port ? r : { when: r.when })) };
        const byPort = await routed(params, src, 'id, k, v');
        const landed = Object.values(byPort).flat() as Array<Record<string, unknown>>;
        expect(landed).toHaveLength(rows.length);
        expect(new Set(landed.map((x) => x.id)).size).toBe(rows.length);
        expect(landed.map((x) => JSON.stringify([x.k, x.v])).sort()).toEqual(rows.map(([k, v]) => JSON.stringify([k, v])).sort());
      }),
      { numRuns: 12 },
    );
  });
});
