import { beforeAll, describe, expect, it } from 'vitest';
import { inspect, pipeline, preview, problemsOf, run, tempDir } from '../../../../test/support/pipeline.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-map-values-');
});

const SRC = `SELECT * FROM (VALUES
  (1, 'Paris'),
  (2, ' PARIS '),
  (3, 'Mérida'),
  (4, 'merida'),
  (5, NULL),
  (6, 'Zoë Town'),
  (7, 'Lyon')
) t(id, "City Name")`;

const mapOver = (params: Record<string, unknown>, src = SRC) =>
  pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query: src } },
      { id: 'm', type: 'transform.map_values', params: { column: 'City Name', ...params } },
    ],
    ['src -> m'],
  );

const MAPPING = `SELECT * FROM (VALUES ('paris', 'FR-75'), ('merida', 'MX-YUC'), ('zoe town', NULL)) t("From", "To")`;
const withTable = (params: Record<string, unknown>, mapping = MAPPING, src = SRC) =>
  pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query: src } },
      { id: 'codes', type: 'transform.sql', params: { query: mapping } },
      { id: 'm', type: 'transform.map_values', params: { column: 'City Name', from_column: 'From', to_column: 'To', ...params } },
    ],
    ['src -> m', 'codes -> m:mapping'],
  );

const values = async (doc: ReturnType<typeof mapOver>) => {
  const r = await preview(doc, dir, 'm');
  return [...r.rows].sort((a, b) => Number(a.id) - Number(b.id)).map((row) => row['City Name']);
};

const PAIRS = [
  { from: 'paris', to: 'FR-75' },
  { from: 'merida', to: 'MX-YUC' },
  { from: 'zoe town', to: null },
];

describe('transform.map_values', () => {
  it('matches exactly by default and keeps unmapped values', async () => {
    const r = await preview(mapOver({ mappings: [{ from: 'Paris', to: 'FR-75' }, { from: 'Mérida', to: 'MX-YUC' }] }), dir, 'm');
    expect(r.columns).toEqual([
      { name: 'id', type: 'INTEGER' },
      { name: 'City Name', type: 'VARCHAR' },
    ]);
    expect(r.rows.map((x) => x['City Name'])).toEqual(['FR-75', ' PARIS ', 'MX-YUC', 'merida', null, 'Zoë Town', 'Lyon']);
  });

  it('ignores case, accents and surrounding spaces on both sides when asked', async () => {
    const mappings = [
      { from: 'PARIS', to: 'FR-75' },
      { from: 'Merida', to: 'MX-YUC' },
      { from: 'ZOE TOWN', to: 'Zoe' },
    ];
    expect(await values(mapOver({ mappings, ignore_case: true, ignore_accents: true, trim: true }))).toEqual(['FR-75', 'FR-75', 'MX-YUC', 'MX-YUC', null, 'Zoe', 'Lyon']);
    expect(await values(mapOver({ mappings, ignore_case: true }))).toEqual(['FR-75', ' PARIS ', 'Mérida', 'MX-YUC', null, 'Zoë Town', 'Lyon']);
  });

  it('trim removes the whitespace transform.clean_text trims (tabs, line breaks, no-break spaces), on both sides', async () => {
    const src = `SELECT * FROM (VALUES (1, 'Paris' || chr(160) || ' '), (2, chr(9) || 'Paris'), (3, 'Paris' || chr(9)), (4, 'Paris' || chr(13)), (5, ' Paris' || chr(10)), (6, 'Pa ris')) t(id, "City Name")`;
    expect(await values(mapOver({ mappings: [{ from: 'Paris\u3000', to: 'FR' }], trim: true }, src))).toEqual(['FR', 'FR', 'FR', 'FR', 'FR', 'Pa ris']);
  });

  it('compares in Unicode NFC form: an accent written as a combining mark matches the composed letter, both ways', async () => {
    const src = `SELECT * FROM (VALUES (1, 'M' || chr(233) || 'rida'), (2, 'Me' || chr(769) || 'rida'), (3, 'Merida'), (4, 'Ohm ' || chr(8486))) t(id, "City Name")`;
    expect(await values(mapOver({ mappings: [{ from: 'M\u00e9rida', to: 'MX' }, { from: 'Ohm \u03a9', to: 'Ω' }] }, src))).toEqual(['MX', 'MX', 'Merida', 'Ω']);
    expect(await values(mapOver({ mappings: [{ from: 'Me\u0301rida', to: 'MX' }], ignore_case: true, trim: true }, src))).toEqual(['MX', 'MX', 'Merida', 'Ohm \u2126']); // unmapped: kept as it was
    // The two spellings of one value are the same mapping value.
    expect((await problemsOf(mapOver({ mappings: [{ from: 'M\u00e9rida', to: 'a' }, { from: 'Me\u0301rida', to: 'b' }] }, src), dir)).map((p) => p.path)).toEqual(['nodes[1].params.mappings[1].from']);
  });

  it('refuses a typed-in value that no value of a non-text column reads as (a DOUBLE 1 reads 1.0), before the run', async () => {
    const src = `SELECT * FROM (VALUES (1, 1.0::DOUBLE), (2, 2.5), (3, 100)) t(id, "City Name")`;
    const problems = await problemsOf(mapOver({ mappings: [{ from: '2.5', to: 'a' }, { from: '1', to: 'one' }] }, src), dir);
    expect(problems).toEqual([
      expect.objectContaining({
        code: 'invalid_param',
        path: 'nodes[1].params.mappings[1].from',
        message: `node 'm': the mapping value '1' can never match column 'City Name' (DOUBLE): values are compared as text, and the DOUBLE 1 reads '1.0'`,
        hint: `write it as '1.0', or convert the column to text first (transform.cast)`,
      }),
    ]);
    expect((await problemsOf(mapOver({ mappings: [{ from: 'abc', to: 'x' }] }, src), dir))[0]!.message).toBe(`node 'm': the mapping value 'abc' can never match column 'City Name' (DOUBLE): it is not a DOUBLE, so no value of the column reads so`);
    expect(await values(mapOver({ mappings: [{ from: '1.0', to: 'one' }, { from: '100.0', to: 'hundred' }] }, src))).toEqual(['one', '2.5', 'hundred']);
  });

  it('unmapped values can become NULL or a fixed value; NULL stays NULL', async () => {
    const base = { mappings: PAIRS, ignore_case: true, ignore_accents: true, trim: true };
    expect(await values(mapOver({ ...base, unmapped: 'null' }))).toEqual(['FR-75', 'FR-75', 'MX-YUC', 'MX-YUC', null, null, null]);
    expect(await values(mapOver({ ...base, unmapped: 'value', unmapped_value: 'other' }))).toEqual(['FR-75', 'FR-75', 'MX-YUC', 'MX-YUC', null, null, 'other']);
  });

  it('reads the mapping from a table connected to the mapping input', async () => {
    expect(await values(withTable({ ignore_case: true, ignore_accents: true, trim: true }))).toEqual(['FR-75', 'FR-75', 'MX-YUC', 'MX-YUC', null, null, 'Lyon']);
    expect(await values(withTable({ ignore_case: true, ignore_accents: true, trim: true, unmapped: 'value', unmapped_value: '?' }))).toEqual([
      'FR-75',
      'FR-75',
      'MX-YUC',
      'MX-YUC',
      null,
      null,
      '?',
    ]);
  });

  it('converts other column types to text, and mapping table values too', async () => {
    const src = `SELECT * FROM (VALUES (1, 10), (2, 20), (3, NULL)) t(id, "City Name")`;
    const mapping = `SELECT * FROM (VALUES (10, 1.5)) t("From", "To")`;
    const r = await preview(withTable({}, mapping, src), dir, 'm');
    expect(r.columns[1]).toEqual({ name: 'City Name', type: 'VARCHAR' });
    expect(await values(withTable({}, mapping, src))).toEqual(['1.5', '20', null]);
  });

  it('a mapping table of another number type is compared as the column type: the DOUBLE 10.0 maps the INTEGER 10, 20.5 maps nothing', async () => {
    const src = `SELECT * FROM (VALUES (1, 10), (2, 20), (3, NULL)) t(id, "City Name")`;
    const mapping = `SELECT * FROM (VALUES (10.0::DOUBLE, 'ten'), (20.5::DOUBLE, 'twenty')) t("From", "To")`;
    expect(await values(withTable({}, mapping, src))).toEqual(['ten', '20', null]);
  });

  it('text mapping values that no value of a number column reads as are counted in a warning, naming them', async () => {
    const src = `SELECT * FROM (VALUES (1, 7), (2, 8)) t(id, "City Name")`;
    const mapping = `SELECT * FROM (VALUES ('007', 'a'), ('8', 'b'), ('abc', 'c'), ('7.0', 'd')) t("From", "To")`;
    const doc = pipeline(
      [...withTable({}, mapping, src).nodes, { id: 'out', type: 'sink.csv', params: { path: 'mapped.csv', if_exists: 'overwrite' } }],
      ['src -> m', 'codes -> m:mapping', 'm -> out'],
    );
    const { summary, events } = await run(doc, dir);
    expect(summary.status).toBe('succeeded');
    const warnings = events.filter((e) => e.type === 'warning').map((e) => (e as { message: string }).message);
    expect(warnings).toContainEqual(
      expect.stringContaining(`3 values of the mapping table can never match column 'City Name' (INTEGER), whose values are compared as the text they read as: "007 (written 7 there)", "abc (not of type INTEGER)", "7.0 (written 7 there)"`),
    );
  });

  it('ignores mapping rows whose value is NULL', async () => {
    const mapping = `SELECT * FROM (VALUES (NULL, 'x'), ('Lyon', 'FR-69')) t("From", "To")`;
    expect(await values(withTable({}, mapping))).toEqual(['Paris', ' PARIS ', 'Mérida', 'merida', null, 'Zoë Town', 'FR-69']);
  });

  it('a mapping table whose columns have the same names as the input is read without a clash', async () => {
    const mapping = `SELECT * FROM (VALUES (99, 'Lyon', 'FR-69')) t(id, "City Name", "To")`;
    const doc = withTable({ from_column: 'City Name' }, mapping);
    const r = await preview(doc, dir, 'm');
    expect(r.columns.map((c) => c.name)).toEqual(['id', 'City Name']);
    expect(await values(doc)).toEqual(['Paris', ' PARIS ', 'Mérida', 'merida', null, 'Zoë Town', 'FR-69']);
  });

  it('an empty input gives an empty output', async () => {
    const r = await preview(mapOver({ mappings: PAIRS }, `SELECT 1 AS id, 'x' AS "City Name" WHERE false`), dir, 'm');
    expect(r.rows).toEqual([]);
    expect(r.columns).toEqual([
      { name: 'id', type: 'INTEGER' },
      { name: 'City Name', type: 'VARCHAR' },
    ]);
  });

  it('refuses typed-in values that collide once normalized, before running', async () => {
    const mappings = [
      { from: 'Mérida', to: 'a' },
      { from: 'Paris', to: 'b' },
      { from: ' MERIDA', to: 'c' },
    ];
    expect(await problemsOf(mapOver({ mappings }), dir)).toEqual([]);
    const problems = await problemsOf(mapOver({ mappings, ignore_case: true, ignore_accents: true, trim: true }), dir);
    expect(problems).toEqual([
      expect.objectContaining({
        path: 'nodes[1].params.mappings[2].from',
        message: expect.stringContaining("' MERIDA' is already mapped by entry 1 ('Mérida') when matching without surrounding spaces, ignoring case, ignoring accents"),
      }),
    ]);
  });

  it('a mapping table with a value twice (once normalized) fails the run, naming the value', async () => {
    const mapping = `SELECT * FROM (VALUES ('Paris', 'FR-75'), ('PARIS', 'FR-75')) t("From", "To")`;
    const doc = withTable({ ignore_case: true }, mapping);
    const { summary } = await run(
      pipeline([...doc.nodes, { id: 'out', type: 'sink.csv', params: { path: 'mapped.csv', if_exists: 'overwrite' } }], ['src -> m', 'codes -> m:mapping', 'm -> out']),
      dir,
    );
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain("node 'm': the mapping table has the value 'paris' more than once (matching ignoring case); keep one row per value");
    await expect(preview(doc, dir, 'm')).rejects.toThrow(/the mapping table has the value 'paris' more than once/);
  });

  it('needs exactly one source of mapping, and a fixed value only with unmapped "value"', async () => {
    const both = await problemsOf(withTable({ mappings: PAIRS }), dir);
    expect(both).toEqual([expect.objectContaining({ path: 'nodes[2].params.mappings', message: "node 'm' has typed-in mappings and a mapping table connected" })]);
    const none = await problemsOf(mapOver({}), dir);
    expect(none).toEqual([expect.objectContaining({ path: 'nodes[1].params.mappings', message: "node 'm' has no mapping" })]);
    const noValue = await problemsOf(mapOver({ mappings: PAIRS, unmapped: 'value' }), dir);
    expect(noValue).toEqual([expect.objectContaining({ path: 'nodes[1].params.unmapped_value' })]);
    const stray = await problemsOf(mapOver({ mappings: PAIRS, unmapped_value: 'x' }), dir);
    expect(stray).toEqual([expect.objectContaining({ path: 'nodes[1].params.unmapped_value' })]);
  });

  it('reports unknown columns with the closest name, before running', async () => {
    const doc = mapOver({ mappings: PAIRS });
    doc.nodes[1]!.params = { ...doc.nodes[1]!.params, column: 'City Nam' };
    expect(await problemsOf(doc, dir)).toEqual([expect.objectContaining({ code: 'unknown_column', message: expect.stringContaining("unknown column 'City Nam' in node 'm' (did you mean 'City Name'?)") })]);
    const bad = await problemsOf(withTable({ to_column: 'Too' }), dir);
    expect(bad).toEqual([expect.objectContaining({ code: 'unknown_column', message: expect.stringContaining("unknown column 'Too' in node 'm' (did you mean 'To'?)") })]);
  });

  it('compiles to readable SQL (snapshot)', async () => {
    for (const [name, doc] of [
      ['inline', mapOver({ mappings: PAIRS, ignore_case: true, ignore_accents: true, trim: true, unmapped: 'value', unmapped_value: 'other' })],
      ['table', withTable({ ignore_case: true })],
    ] as const) {
      const result = await inspect({ pipeline: doc, baseDir: dir });
      expect(result.problems).toEqual([]);
      expect(result.nodes.find((n) => n.nodeId === 'm')!.outputs[0]!.sql).toMatchSnapshot(name);
    }
  });
});
