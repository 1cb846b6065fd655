import { beforeAll, describe, expect, it } from 'vitest';
import { inspect, pipeline, preview, problemsOf, tempDir } from '../../../../test/support/pipeline.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-clean-');
});

// chr(9) tab, chr(10) line feed, chr(160) no-break space, chr(769) combining acute accent,
// chr(7) bell, chr(27) escape, chr(8203) zero-width space, chr(65279) byte-order mark (mid-text:
// a leading one would be dropped by the client's UTF-8 decoding of the preview, not by the node).
const SRC = `SELECT * FROM (VALUES
  (1::INTEGER, '  José   Muñoz ', 'Lyon', 10::INTEGER),
  (2, chr(9) || 'zoë' || chr(10) || 'SMITH' || chr(160), '   ', 20),
  (3, 'Jose' || chr(769) || ' o''neil', '', NULL),
  (4, NULL, 'São' || chr(7) || ' Paulo' || chr(27), 40),
  (5, 'an' || chr(65279) || 'n' || chr(8203) || ' LEE', 'ÅLESUND', 50)
) t(id, "Full Name", city, qty)`;

const cleanOver = (params: Record<string, unknown>, query = SRC) =>
  pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query } },
      { id: 'clean', type: 'transform.clean_text', params },
    ],
    ['src -> clean'],
  );
type Row = Record<string, unknown>;
const rowsOf = async (params: Record<string, unknown>, query = SRC) => (await preview(cleanOver(params, query), dir, 'clean')).rows.sort((a: Row, b: Row) => Number(a.id) - Number(b.id));
const names = async (params: Record<string, unknown>) => (await rowsOf(params)).map((r) => r['Full Name']);
const messages = async (params: Record<string, unknown>) => (await problemsOf(cleanOver(params), dir)).map((p) => `${p.path}: ${p.message}`);

describe('transform.clean_text', () => {
  it('by default trims, collapses whitespace and turns empty text into NULL in every text column', async () => {
    const r = await preview(cleanOver({}), dir, 'clean');
    expect(r.columns.map((c) => `${c.name} ${c.type}`)).toEqual(['id INTEGER', 'Full Name VARCHAR', 'city VARCHAR', 'qty INTEGER']);
    expect(r.rows.sort((a, b) => Number(a.id) - Number(b.id))).toEqual([
      { id: 1, 'Full Name': 'José Muñoz', city: 'Lyon', qty: 10 },
      { id: 2, 'Full Name': 'zoë SMITH', city: null, qty: 20 },
      { id: 3, 'Full Name': "Jose\u0301 o'neil", city: null, qty: null },
      { id: 4, 'Full Name': null, city: 'São\u0007 Paulo\u001b', qty: 40 },
      { id: 5, 'Full Name': 'an\ufeffn\u200b LEE', city: 'ÅLESUND', qty: 50 },
    ]);
  });

  it('cleans only the chosen columns', async () => {
    const r = await rowsOf({ columns: ['city'], case: 'lower' });
    expect(r.map((x) => [x['Full Name'], x.city])).toEqual([
      ['  José   Muñoz ', 'lyon'],
      ['\tzoë\nSMITH\u00a0', null],
      ["Jose\u0301 o'neil", null],
      [null, 'são\u0007 paulo\u001b'],
      ['an\ufeffn\u200b LEE', 'ålesund'],
    ]);
  });

  it('trims without collapsing: inner whitespace stays, tabs, line breaks and no-break spaces at the ends go', async () => {
    expect(await names({ collapse_whitespace: false, empty_to_null: false })).toEqual(['José   Muñoz', 'zoë\nSMITH', "Jose\u0301 o'neil", null, 'an\ufeffn\u200b LEE']);
  });

  it('changes case, Unicode-aware; title case capitalizes each space-separated word', async () => {
    const params = { columns: ['Full Name'], strip_control: true, normalize_unicode: true };
    expect(await names({ ...params, case: 'upper' })).toEqual(['JOSÉ MUÑOZ', 'ZOË SMITH', "JOSÉ O'NEIL", null, 'ANN LEE']);
    expect(await names({ ...params, case: 'lower' })).toEqual(['josé muñoz', 'zoë smith', "josé o'neil", null, 'ann lee']);
    expect(await names({ ...params, case: 'title' })).toEqual(['José Muñoz', 'Zoë Smith', "José O'neil", null, 'Ann Lee']);
  });

  it('normalizes to NFC so an accent typed as two characters equals the composed letter', async () => {
    const [, , third] = await names({ normalize_unicode: true });
    expect(third).toBe("José o'neil");
    expect(String(third).length).toBe(11); // 12 before: e + combining accent
  });

  it('removes control characters, zero-width spaces and byte-order marks', async () => {
    const r = await rowsOf({ strip_control: true });
    expect(r.map((x) => x.city)).toEqual(['Lyon', null, null, 'São Paulo', 'ÅLESUND']);
    expect(r[4]!['Full Name']).toBe('ann LEE');
  });

  it('removes accents when asked (composed or not), leaving letters without a base letter', async () => {
    const q = `SELECT 1::INTEGER AS id, 'José Muñoz, Zoë, Ålesund, Øre, Straße' AS s UNION ALL SELECT 2, 'Jose' || chr(769)`;
    expect((await rowsOf({ remove_accents: true }, q)).map((r) => r.s)).toEqual(['Jose Munoz, Zoe, Alesund, Øre, Straße', 'Jose']);
  });

  it('an empty input gives an empty output with the same columns', async () => {
    const r = await preview(cleanOver({ case: 'title' }, `${SRC} WHERE false`), dir, 'clean');
    expect(r.rows).toEqual([]);
    expect(r.columns.map((c) => c.name)).toEqual(['id', 'Full Name', 'city', 'qty']);
  });

  it('passes everything through when the input has no text column', async () => {
    const r = await rowsOf({}, 'SELECT 1::INTEGER AS id, 2.5::DOUBLE AS x');
    expect(r).toEqual([{ id: 1, x: 2.5 }]);
  });

  it('refuses a chosen column that is not text, naming it and its type, before the run', async () => {
    expect(await messages({ columns: ['city', 'qty'] })).toEqual([
      "nodes[1].params.columns[1]: node 'clean': column 'qty' is INTEGER, not text; Clean text only changes VARCHAR columns",
    ]);
  });

  it('reports an unknown column with the closest name', async () => {
    expect(await messages({ columns: ['full name '] })).toEqual(["nodes[1].params.columns[0]: unknown column 'full name ' in node 'clean' (did you mean 'Full Name'?)"]);
  });

  it('refuses a configuration that changes nothing', async () => {
    expect(await messages({ trim: false, collapse_whitespace: false, empty_to_null: false })).toEqual([
      "nodes[1].params.trim: node 'clean' (transform.clean_text): every cleaning step is off, so the node changes nothing",
    ]);
  });

  it('collapses exactly the whitespace set, for every character alone, doubled and next to a space', async () => {
    // Each BMP character (no surrogates) between letters, twice in a row, and after a space, against
    // one replacement over the documented set; a faster form of the node must give the same text.
    const query = `SELECT c, 'a' || chr(c) || 'b' AS one, 'a' || chr(c) || chr(c) || 'b' AS two, 'a ' || chr(c) || 'b' AS spaced
      FROM (SELECT range::INTEGER AS c FROM range(1, 65536)) WHERE c NOT BETWEEN 55296 AND 57343`;
    const plain = (col: string) => `regexp_replace(${col}, '[\\t\\n\\x0B\\x0C\\r \\x{85}\\p{Zs}\\x{2028}\\x{2029}]+', ' ', 'g')`;
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query } },
        { id: 'clean', type: 'transform.clean_text', params: { columns: ['one', 'two', 'spaced'], trim: false, empty_to_null: false } },
        {
          id: 'cmp',
          type: 'transform.sql',
          params: {
            query: `SELECT count(*)::INTEGER AS characters, (count(*) FILTER (WHERE c.one IS DISTINCT FROM ${plain('s.one')} OR c.two IS DISTINCT FROM ${plain('s.two')} OR c.spaced IS DISTINCT FROM ${plain('s.spaced')}))::INTEGER AS differ,
              (count(*) FILTER (WHERE c.one <> s.one))::INTEGER AS whitespace FROM clean c JOIN src s USING (c)`,
          },
        },
      ],
      ['src -> clean', 'clean -> cmp', 'src -> cmp'],
    );
    const [row] = (await preview(doc, dir, 'cmp')).rows;
    // 24 whitespace characters besides the space: \t \n \v \f \r, U+0085, U+2028, U+2029 and the
    // 16 other Unicode space separators.
    expect(row).toEqual({ characters: 63487, differ: 0, whitespace: 24 });
  });

  it('trims single spaces at the ends of text that has nothing to collapse', async () => {
    const q = `SELECT 1::INTEGER AS id, ' a b ' AS s UNION ALL SELECT 2, ' ' UNION ALL SELECT 3, 'a' || chr(160) || 'b '`;
    expect((await rowsOf({}, q)).map((r) => r.s)).toEqual(['a b', null, 'a b']);
  });

  it('compiles to one SELECT * REPLACE with the steps nested per column', async () => {
    const result = await inspect({ pipeline: cleanOver({ columns: ['Full Name', 'city'], case: 'title', normalize_unicode: true, strip_control: true, remove_accents: true }), baseDir: dir });
    expect(result.problems).toEqual([]);
    expect(result.nodes.find((n) => n.nodeId === 'clean')!.outputs[0]!.sql).toMatchSnapshot();
  });
});
