import { beforeAll, describe, expect, it } from 'vitest';
import { pipeline, preview, problemsOf, tempDir } from './support/pipeline.js';

// Text meeting other types and other alphabets, where values changed without a word:
// - a Union of text with a BLOB column read the text 'A\x42C' as the bytes ABC, a UUID column
//   rewrote the text's spelling, and text that is no UUID failed mid-run as "to INT128";
// - Map values with ignore_case missed 'ΚΩΣ' for 'Κως' (final sigma) and let 'İzmir' and
//   'izmir' both be typed in, the first silently winning (its check lower-cased as JavaScript does);
// - Unpivot to DOUBLE read '1_000' as 1000 and '1e400' as infinity, where Cast refuses them;
// - Clean text's control-character step deleted the line break U+0085, gluing two words.

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-hostile-text-meets-');
});

const sql = (id: string, query: string) => ({ id, type: 'transform.sql', params: { query } });
const rowsOf = async (doc: ReturnType<typeof pipeline>, node: string) => (await preview(doc, dir, node)).rows;

describe('transform.union: text meeting a type DuckDB would convert text into keeps every value as text', () => {
  const cases: Array<[string, string, string[]]> = [
    ['BLOB', "'ab'::BLOB", ['ab', 'A\\x42C', 'café']],
    ['UUID', "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::UUID", ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}', 'hello']],
    ['JSON', `'{"a": 1}'::JSON`, ['{"a": 1}', '{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}', 'hello']],
    ['INTEGER[]', '[1, 2]', ['[1, 2]', '[1.5]', 'hello']],
  ];
  for (const [type, value, expected] of cases)
    for (const match of ['by_name', 'by_position'])
      it(`${type}, ${match}`, async () => {
        const text = `SELECT * FROM (VALUES ('${expected[1]}'), ('${expected[2]}')) t(payload)`;
        const doc = pipeline([sql('typed', `SELECT ${value} AS payload`), sql('text', text), { id: 'u', type: 'transform.union', params: { match } }], ['typed -> u', 'text -> u']);
        const { rows, columns } = await preview(doc, dir, 'u');
        expect(columns).toEqual([{ name: 'payload', type: 'VARCHAR' }]);
        expect(rows.map((r) => r.payload).sort()).toEqual([...expected].sort());
      });
});

describe('transform.map_values: ignore_case folds case as one rule for the check and the matching', () => {
  const greek = sql('islands', "SELECT * FROM (VALUES (1, 'ΚΩΣ'), (2, 'Κως'), (3, 'κωσ')) t(id, island)");

  it("a word ending in capital sigma matches its mapping written with the final sigma 'ς'", async () => {
    const doc = pipeline([greek, { id: 'm', type: 'transform.map_values', params: { column: 'island', ignore_case: true, unmapped: 'null', mappings: [{ from: 'Κως', to: 'KGS' }] } }], ['islands -> m']);
    expect((await rowsOf(doc, 'm')).map((r) => r.island)).toEqual(['KGS', 'KGS', 'KGS']);
  });

  it('two typed-in values that the matching takes for one are refused, Greek and Turkish alike', async () => {
    const twice = (a: string, b: string) =>
      pipeline([greek, { id: 'm', type: 'transform.map_values', params: { column: 'island', ignore_case: true, mappings: [{ from: a, to: 'first' }, { from: b, to: 'second' }] } }], ['islands -> m']);
    expect(await problemsOf(twice('ΚΩΣ', 'κως'), dir)).toEqual([expect.objectContaining({ path: 'nodes[1].params.mappings[1].from', message: expect.stringContaining("'κως' is already mapped by entry 1 ('ΚΩΣ') when matching ignoring case") })]);
    expect(await problemsOf(twice('İzmir', 'izmir'), dir)).toEqual([expect.objectContaining({ path: 'nodes[1].params.mappings[1].from', message: expect.stringContaining("'izmir' is already mapped by entry 1 ('İzmir')") })]);
  });
});

describe('transform.unpivot: text converts to the value type as Change column types converts it', () => {
  for (const [text, why] of [
    ['1_000', 'not a number'],
    ['1e400', 'infinity'],
    ['1e-400', '0'],
  ])
    it(`'${text}' into DOUBLE stops the run, naming the column and the value`, async () => {
      const doc = pipeline([sql('src', `SELECT 1 AS id, '${text}' AS a, '2.5' AS b`), { id: 'u', type: 'transform.unpivot', params: { columns: ['a', 'b'], value_type: 'DOUBLE' } }], ['src -> u']);
      const error = await preview(doc, dir, 'u').then(
        () => 'no error',
        (e: Error) => e.message,
      );
      expect(error).toContain(`column "a": '${text}'`);
      expect(error).toContain(why);
    });

  it('numbers written plainly still convert', async () => {
    const doc = pipeline([sql('src', "SELECT 1 AS id, ' 1e3 ' AS a, '-2.5' AS b, 'NaN' AS c"), { id: 'u', type: 'transform.unpivot', params: { columns: ['a', 'b', 'c'], value_type: 'DOUBLE' } }], ['src -> u']);
    expect((await rowsOf(doc, 'u')).map((r) => r.value)).toEqual([1000, -2.5, 'NaN']);
  });
});

describe('transform.clean_text: line breaks that are control characters stay whitespace', () => {
  for (const [name, ch] of [
    ['next line U+0085', '\u0085'],
    ['vertical tab', '\u000B'],
    ['form feed', '\u000C'],
  ])
    it(`${name} between two words becomes a space, with control characters removed`, async () => {
      const doc = pipeline([sql('src', `SELECT 'first${ch}second\u0007' AS s`), { id: 'c', type: 'transform.clean_text', params: { columns: ['s'], strip_control: true } }], ['src -> c']);
      expect((await rowsOf(doc, 'c')).map((r) => r.s)).toEqual(['first second']);
    });
});
