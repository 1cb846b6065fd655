import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { inspect, pipeline, preview, problemsOf, run, tempDir } from '../../../../test/support/pipeline.js';
import { stringLiteral } from '../../compiler/sql.js';
import { findClashes, flattenColumns, projection, structFields } from '../shared/flatten.js';

let dir: string;

const src = (params: Record<string, unknown>) => pipeline([{ id: 'src', type: 'source.json', params }]);
const ndjson = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

const customers = [
  {
    id: 1,
    name: 'José Muñoz',
    customer: { tier: 'gold', address: { city: 'Sevilla', geo: { lat: 37.39, lon: -5.98 } } },
    tags: ['vip', 'früh'],
  },
  { id: 2, name: 'Zoë 🎉', customer: { tier: null, address: { city: null, geo: null } }, tags: [] },
  { id: 3, name: null, customer: null, tags: null },
];

beforeAll(async () => {
  dir = await tempDir('caudal-json-');
  await mkdir(path.join(dir, 'parts'));
  await writeFile(path.join(dir, 'customers.json'), JSON.stringify(customers, null, 2));
  await writeFile(path.join(dir, 'customers.ndjson'), ndjson(customers));
  await writeFile(path.join(dir, 'parts', 'a.ndjson'), ndjson([{ id: 1 }, { id: 2 }]));
  await writeFile(path.join(dir, 'parts', 'b.ndjson'), ndjson([{ id: 3 }]));
  await writeFile(path.join(dir, 'clash.ndjson'), ndjson([{ customer_id: 7, customer: { id: 7, Name: 'x' }, customer_name: 'y' }]));
  await writeFile(path.join(dir, 'malformed.ndjson'), '{"id": 1}\n{"id": 2,\n{"id": 3}\n');
  // Broken far past the records sampled for type detection (20480): planning passes, the run fails.
  const many = Array.from({ length: 50_000 }, (_, i) => ({ id: i, name: `n${i}` }));
  await writeFile(path.join(dir, 'late-malformed.ndjson'), ndjson(many) + '{"id": 3,, }\n');
  await writeFile(path.join(dir, 'late-key.ndjson'), ndjson([...many, { id: -1, extra: 'x' }]));
});

describe('source.json: files saved with a UTF-8 byte-order mark (PowerShell, .NET, Notepad)', () => {
  it('an array behind the mark is read as its records, not as one row holding the whole array in a column "json"', async () => {
    await writeFile(path.join(dir, 'bom-array.json'), '\uFEFF' + JSON.stringify([{ id: 1, name: 'José' }, { id: 2, name: 'Zoë' }], null, 2));
    const r = await preview(src({ path: 'bom-array.json' }), dir, 'src');
    expect(r.columns.map((c) => c.name)).toEqual(['id', 'name']);
    expect(r.rows).toEqual([
      { id: '1', name: 'José' },
      { id: '2', name: 'Zoë' },
    ]);
  });

  it('newline-delimited records behind the mark are read as they are', async () => {
    await writeFile(path.join(dir, 'bom.ndjson'), '\uFEFF' + ndjson([{ id: 1 }, { id: 2 }]));
    const r = await preview(src({ path: 'bom.ndjson' }), dir, 'src');
    expect(r.rows).toEqual([{ id: '1' }, { id: '2' }]);
  });
});

describe('source.json: records held in a list inside each file (records_path)', () => {
  const dump = (page: number, items: unknown[]) => JSON.stringify({ meta: { page, total: 3 }, data: items }, null, 2);

  it('reads each object of the list as a row, with the file name and partition columns on every row', async () => {
    await mkdir(path.join(dir, 'dumps', 'region=eu'), { recursive: true });
    await writeFile(path.join(dir, 'dumps', 'region=eu', 'p1.json'), dump(1, [{ id: 1, name: 'José', tags: ['a, b'] }, { id: 2, name: 'Zoë', tags: [] }]));
    await writeFile(path.join(dir, 'dumps', 'region=eu', 'p2.json'), dump(2, [{ id: 3, name: 'Ana', tags: ['c'], late: true }]));
    const r = await preview(src({ path: 'dumps/*/*.json', records_path: 'data', filename_column: 'file' }), dir, 'src');
    expect(r.columns.map((c) => `${c.name} ${c.type}`)).toEqual(['id BIGINT', 'name VARCHAR', 'tags VARCHAR[]', 'late BOOLEAN', 'file VARCHAR', 'region VARCHAR']);
    expect(r.rows.map((row) => [row.id, row.name, row.late, String(row.file).endsWith('p2.json') ? 'p2' : 'p1', row.region])).toEqual([
      ['1', 'José', null, 'p1', 'eu'],
      ['2', 'Zoë', null, 'p1', 'eu'],
      ['3', 'Ana', true, 'p2', 'eu'],
    ]);
  });

  it('skips null entries of the list (they hold no record), where they became rows of NULLs; an empty object stays a row', async () => {
    await writeFile(path.join(dir, 'holes.json'), JSON.stringify({ data: [{ id: 1 }, null, {}, { id: 2 }, null] }));
    const r = await preview(src({ path: 'holes.json', records_path: 'data' }), dir, 'src');
    expect(r.rows.map((row) => row.id)).toEqual(['1', null, '2']);
  });

  it('an object with keys that differ only in case inside a nested object is refused naming the file and a way through (DuckDB named an option the node lacks)', async () => {
    await writeFile(path.join(dir, 'twins.ndjson'), '{"id": 1, "s": {"A": 1, "a": 2}}\n');
    const [problem] = await problemsOf(src({ path: 'twins.ndjson' }), dir);
    expect(problem!.message).toMatch(/an object in .*twins\.ndjson has two keys that differ only in letter case \("a" in two spellings, inside a nested object\)/i);
    expect(problem!.message).not.toContain('ignore_errors');
    expect(problem!.hint).toContain('maximum_depth');
    // The way through it gives: the nested object is read as JSON text, both keys kept.
    const r = await preview(src({ path: 'twins.ndjson', maximum_depth: 1 }), dir, 'src');
    expect(JSON.parse(String(r.rows[0]!.s))).toEqual({ A: 1, a: 2 });
  });

  it('reads a deeper list with a dotted path, and flattens its records when asked', async () => {
    await writeFile(path.join(dir, 'deep.json'), JSON.stringify({ result: { count: 2, items: [{ id: 1, customer: { city: 'Sevilla' } }, { id: 2, customer: { city: 'Lyon' } }] } }));
    const r = await preview(src({ path: 'deep.json', records_path: 'result.items', flatten: true }), dir, 'src');
    expect(r.rows).toEqual([
      { id: '1', customer_city: 'Sevilla' },
      { id: '2', customer_city: 'Lyon' },
    ]);
  });

  it('names the keys there when the path is wrong, and refuses a path that is not a list of objects', async () => {
    const [typo] = await problemsOf(src({ path: 'deep.json', records_path: 'result.itmes' }), dir);
    expect(typo).toMatchObject({ message: `node 'src': records_path "result.itmes": "itmes" is not a key of the object at "result" (keys there: count, items)`, hint: 'did you mean "items"?' });
    const [top] = await problemsOf(src({ path: 'deep.json', records_path: 'results' }), dir);
    expect(top!.message).toBe(`node 'src': records_path "results": the files have no key "results" at the top level (keys there: result)`);
    const [count] = await problemsOf(src({ path: 'deep.json', records_path: 'result.count' }), dir);
    expect(count!.message).toBe(`node 'src': records_path "result.count" holds BIGINT, not a list of objects (records)`);
    const [withColumns] = await problemsOf(src({ path: 'deep.json', records_path: 'result.items', columns: [{ name: 'id', type: 'INTEGER' }] }), dir);
    expect(withColumns).toMatchObject({ path: 'nodes[0].params.columns', message: expect.stringContaining('with records_path the rows are the objects of a list') });
  });

  it('without records_path, such a file is one row, and planning says which key holds the records', async () => {
    await writeFile(path.join(dir, 'dump.json'), dump(1, [{ id: 1 }, { id: 2 }]));
    const r = await preview(src({ path: 'dump.json' }), dir, 'src');
    expect(r.rows).toHaveLength(1);
    const { warnings } = await inspect({ pipeline: src({ path: 'dump.json' }), baseDir: dir });
    expect(warnings).toEqual([
      expect.objectContaining({ message: `node 'src': ${path.join(dir, 'dump.json')} is one object whose "data" holds a list of objects: it is read as one row; set records_path to "data" to read each object of the list as a row` }),
    ]);
    // Records that merely hold lists (orders with their lines) are not taken for a wrapper.
    await writeFile(path.join(dir, 'orders-lines.ndjson'), ndjson([{ id: 1, lines: [{ sku: 'a' }] }, { id: 2, lines: [{ sku: 'b' }] }]));
    expect((await inspect({ pipeline: src({ path: 'orders-lines.ndjson' }), baseDir: dir })).warnings).toEqual([]);
    expect((await inspect({ pipeline: src({ path: 'dump.json', records_path: 'data' }), baseDir: dir })).warnings).toEqual([]);
  });
});

describe('source.json: reading', () => {
  it('reads a JSON array of objects', async () => {
    const r = await preview(src({ path: 'customers.json', format: 'array' }), dir, 'src');
    expect(r.columns.map((c) => c.name)).toEqual(['id', 'name', 'customer', 'tags']);
    expect(r.rows.map((x) => x.id)).toEqual(['1', '2', '3']);
    expect(r.sql).toBe(`SELECT *\nFROM read_json(${stringLiteral(path.join(dir, 'customers.json'))}, format := 'array', map_inference_threshold := -1)`);
  });

  it('reads a key with mixed value types (or only nulls in the sample) as text without JSON quotes', async () => {
    await writeFile(path.join(dir, 'mixed.jsonl'), ndjson([{ id: 1, v: 1 }, { id: 2, v: 'x' }, { id: 3, v: true }, { id: 4, v: null }, { id: 5, v: { a: 1 } }]));
    const r = await preview(src({ path: 'mixed.jsonl' }), dir, 'src');
    expect(r.columns.find((c) => c.name === 'v')?.type).toBe('VARCHAR');
    expect(r.rows.map((x) => x.v)).toEqual(['1', 'x', 'true', null, '{"a":1}']);
  });

  it('reads newline-delimited JSON', async () => {
    const r = await preview(src({ path: 'customers.ndjson', format: 'newline_delimited' }), dir, 'src');
    expect(r.rows.map((x) => x.id)).toEqual(['1', '2', '3']);
    expect(r.sql).toContain(`format := 'newline_delimited'`);
  });

  it('tells both layouts apart with format auto (the default) and reads globs', async () => {
    for (const file of ['customers.json', 'customers.ndjson']) {
      const r = await preview(src({ path: file }), dir, 'src');
      expect(r.rows).toHaveLength(3);
      expect(r.sql).not.toContain('format :=');
    }
    const r = await preview(src({ path: 'parts/*.ndjson', filename_column: 'file' }), dir, 'src');
    expect(r.rows.map((x) => [x.id, path.basename(String(x.file))])).toEqual([
      ['1', 'a.ndjson'],
      ['2', 'a.ndjson'],
      ['3', 'b.ndjson'],
    ]);
  });

  it('keeps nested objects as STRUCT columns and arrays as lists', async () => {
    const result = await inspect({ pipeline: src({ path: 'customers.ndjson' }), baseDir: dir });
    expect(result.problems).toEqual([]);
    expect(result.nodes[0]!.outputs[0]!.columns).toEqual([
      { name: 'id', type: 'BIGINT' },
      { name: 'name', type: 'VARCHAR' },
      { name: 'customer', type: 'STRUCT(tier VARCHAR, address STRUCT(city VARCHAR, geo STRUCT(lat DOUBLE, lon DOUBLE)))' },
      { name: 'tags', type: 'VARCHAR[]' },
    ]);
    const r = await preview(src({ path: 'customers.ndjson' }), dir, 'src');
    expect(r.rows[0]!.customer).toEqual({ tier: 'gold', address: { city: 'Sevilla', geo: { lat: 37.39, lon: -5.98 } } });
  });

  it('keeps Unicode text and nulls (missing, null object, empty list) as they are', async () => {
    const r = await preview(src({ path: 'customers.json' }), dir, 'src');
    expect(r.rows.map((x) => x.name)).toEqual(['José Muñoz', 'Zoë 🎉', null]);
    expect(r.rows.map((x) => x.tags)).toEqual([['vip', 'früh'], [], null]);
    expect(r.rows[1]!.customer).toEqual({ tier: null, address: { city: null, geo: null } });
    expect(r.rows[2]!.customer).toBeNull();
  });

  it('reads declared columns with declared types, ignoring other keys', async () => {
    const doc = src({
      path: 'customers.ndjson',
      columns: [
        { name: 'id', type: 'VARCHAR' },
        { name: 'customer', type: 'STRUCT(tier VARCHAR)' },
        { name: 'not_there', type: 'DATE' },
      ],
    });
    const r = await preview(doc, dir, 'src');
    expect(r.columns).toEqual([
      { name: 'id', type: 'VARCHAR' },
      { name: 'customer', type: 'STRUCT(tier VARCHAR)' },
      { name: 'not_there', type: 'DATE' },
    ]);
    expect(r.rows[0]).toEqual({ id: '1', customer: { tier: 'gold' }, not_there: null });
    // A DATE is read as JSON and converted strictly (shared/json-values.ts).
    expect(r.sql).toContain(`columns := {'id': 'VARCHAR', 'customer': 'STRUCT("tier" VARCHAR)', 'not_there': 'JSON'}`);
  });

  it('refuses a listed column\'s value that its type would change, naming the column and the value', async () => {
    // DuckDB's JSON reader would truncate 12.5 to 12, cut the time off a DATE and drop the offset
    // of a TIMESTAMP without a word.
    const columns = [
      { name: 'id', type: 'BIGINT' },
      { name: 'day', type: 'DATE' },
      { name: 'at', type: 'TIMESTAMP' },
      { name: 'meta', type: 'STRUCT(qty INTEGER)' },
      { name: 'price', type: 'DECIMAL(10,2)' },
    ];
    const good = { id: 1, day: '2024-03-04', at: '2024-03-04T10:00:00Z', meta: { qty: 2.0 }, price: 12.3 };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...good, id: 12.5 }, `column "id": '12.5' is not a whole number of type BIGINT`],
      [{ ...good, day: '2024-03-04 13:45' }, `column "day": '2024-03-04 13:45' is not a DATE: it has a time`],
      [{ ...good, at: '2024-03-04T10:00:00+05:00' }, `column "at": '2024-03-04T10:00:00+05:00' is not a TIMESTAMP without losing its UTC offset +05:00`],
      [{ ...good, meta: { qty: 0.5 } }, `column "meta": field qty: '0.5' is not a whole number of type INTEGER`],
      // It would round to 12.35.
      [{ ...good, price: 12.345 }, `column "price": '12.345' has more than 2 decimal places, which DECIMAL(10,2) would round away`],
      [{ ...good, price: '0.125' }, `column "price": '0.125' has more than 2 decimal places`],
    ];
    for (const [i, [bad, message]] of cases.entries()) {
      await writeFile(path.join(dir, `listed-${i}.ndjson`), ndjson([good, bad]));
      const doc = pipeline(
        [
          { id: 'src', type: 'source.json', params: { path: `listed-${i}.ndjson`, columns } },
          { id: 'dst', type: 'sink.parquet', params: { path: `listed-${i}.parquet` } },
        ],
        ['src -> dst'],
      );
      const { summary } = await run(doc, dir);
      expect(summary.status).toBe('failed');
      expect(summary.error!.message).toContain(message);
    }
    await writeFile(path.join(dir, 'listed-good.ndjson'), ndjson([good, { id: null, day: null, meta: null, price: '7.100' }]));
    const r = await preview(src({ path: 'listed-good.ndjson', columns }), dir, 'src');
    expect(r.columns.map((c) => c.type)).toEqual(['BIGINT', 'DATE', 'TIMESTAMP', 'STRUCT(qty INTEGER)', 'DECIMAL(10,2)']);
    expect(r.rows).toEqual([
      { id: '1', day: '2024-03-04', at: '2024-03-04 10:00:00', meta: { qty: 2 }, price: '12.30' },
      { id: null, day: null, at: null, meta: null, price: '7.10' },
    ]);
  });

  it('keeps every digit of a listed HUGEINT beyond 64 bits (JSON types it DOUBLE; through a double it lost the last digits)', async () => {
    await writeFile(path.join(dir, 'huge.ndjson'), '{"id": 123456789012345678901234}\n{"id": 1.5e3}\n{"id": -170141183460469231731687303715884105727}\n');
    const r = await preview(src({ path: 'huge.ndjson', columns: [{ name: 'id', type: 'HUGEINT' }] }), dir, 'src');
    expect(r.rows.map((x) => x.id)).toEqual(['123456789012345678901234', '1500', '-170141183460469231731687303715884105727']);
    await writeFile(path.join(dir, 'huge-fraction.ndjson'), '{"id": 123456789012345678901234.5}\n');
    await expect(preview(src({ path: 'huge-fraction.ndjson', columns: [{ name: 'id', type: 'HUGEINT' }] }), dir, 'src')).rejects.toThrow(/cannot be read as a HUGEINT exactly: a number with a point or an exponent is read as a double/);
  });

  it('warns when a detected DOUBLE key holds whole numbers beyond 2^53, which arrive rounded, naming an example and what to list it as', async () => {
    await writeFile(path.join(dir, 'long-ids.ndjson'), '{"id": 1, "account": 12.5, "n": 3}\n{"id": 12345678901234567890123, "account": 9007199254740993, "n": 1.5}\n');
    const r = await preview(src({ path: 'long-ids.ndjson' }), dir, 'src');
    expect(r.columns.map((c) => [c.name, c.type])).toEqual([['id', 'DOUBLE'], ['account', 'DOUBLE'], ['n', 'DOUBLE']]);
    const { warnings } = await inspect({ pipeline: src({ path: 'long-ids.ndjson' }), baseDir: dir });
    const file = path.join(dir, 'long-ids.ndjson');
    const tail = 'which its detected type DOUBLE does not keep exactly: they arrive rounded; to keep every digit, list the key under columns as HUGEINT or DECIMAL(38,0) (whole numbers up to 38 digits), DECIMAL(38,s) if it also holds fractions, or VARCHAR';
    expect((warnings ?? []).map((w) => w.message)).toEqual([
      `node 'src': key "id" holds whole numbers beyond 2^53 (12345678901234567890123 in ${file}), ${tail}`,
      `node 'src': key "account" holds whole numbers beyond 2^53 (9007199254740993 in ${file}), ${tail}`,
    ]);
    // 2^53 itself is exact; listed keys are read exactly and not looked at.
    await writeFile(path.join(dir, 'exact-ids.ndjson'), '{"id": 0.5}\n{"id": 9007199254740992}\n{"id": -9007199254740992}\n');
    expect((await inspect({ pipeline: src({ path: 'exact-ids.ndjson' }), baseDir: dir })).warnings).toEqual([]);
    expect((await inspect({ pipeline: src({ path: 'long-ids.ndjson', columns: [{ name: 'id', type: 'HUGEINT' }] }), baseDir: dir })).warnings).toEqual([]);
  });

  it('warns when a detected DOUBLE does not keep a number of the sample: more digits than a double holds, or a whole number beyond 2^53 inside a struct or list', async () => {
    await writeFile(
      path.join(dir, 'precise.ndjson'),
      '{"id": 1, "amount": 1234567890123456.78, "s": {"h": 12345678901234567890123, "n": 1.5}, "l": [1, 170141183460469231731687303715884105727], "ok": 0.1}\n{"id": 2, "amount": 0.5, "s": {"h": 1.5, "n": 2}, "l": [2.5], "ok": 123456789.123456}\n',
    );
    const r = await preview(src({ path: 'precise.ndjson' }), dir, 'src');
    expect(r.columns.map((c) => [c.name, c.type])).toEqual([['id', 'BIGINT'], ['amount', 'DOUBLE'], ['s', 'STRUCT(h DOUBLE, n DOUBLE)'], ['l', 'DOUBLE[]'], ['ok', 'DOUBLE']]);
    const { warnings } = await inspect({ pipeline: src({ path: 'precise.ndjson' }), baseDir: dir });
    const file = path.join(dir, 'precise.ndjson');
    expect((warnings ?? []).map((w) => w.message)).toEqual([
      `node 'src': key "amount" holds numbers that its detected type DOUBLE does not keep exactly (1234567890123456.78 in ${file} arrives as 1234567890123456.8); to keep every digit, list the key under columns as DECIMAL(18,2), with the number sent as a string ("1234567890123456.78"), since the JSON reader reads a number with a fraction as a double before any type sees its digits`,
      `node 'src': key "s.h" holds numbers that its detected type DOUBLE does not keep exactly (12345678901234567890123 in ${file} arrives as 1.2345678901234568e+22); to keep every digit, list the key "s" under columns with its type spelled out and s.h as HUGEINT or DECIMAL(38,0)`,
      `node 'src': key "l[]" holds numbers that its detected type DOUBLE does not keep exactly (170141183460469231731687303715884105727 in ${file} arrives as 1.7014118346046923e+38); to keep every digit, list the key "l" under columns with its type spelled out and l[] as HUGEINT or DECIMAL(38,0)`,
    ]);
    // Numbers a double keeps are no matter, however many digits they are written with.
    await writeFile(path.join(dir, 'double-exact.ndjson'), '{"x": 0.1, "s": {"y": 9007199254740992, "z": 1.5}, "l": [123456789.123456, 1.0000000000000000]}\n');
    expect((await inspect({ pipeline: src({ path: 'double-exact.ndjson' }), baseDir: dir })).warnings).toEqual([]);
  });

  it('warns when a key detected as DATE or TIMESTAMP holds "infinity", which DuckDB\'s JSON reader reads as 1900-01-01', async () => {
    await writeFile(path.join(dir, 'infinite-dates.ndjson'), '{"d": "infinity", "t": "2024-01-01 10:00:00"}\n{"d": "2024-01-01", "t": "-infinity"}\n');
    const { warnings } = await inspect({ pipeline: src({ path: 'infinite-dates.ndjson' }), baseDir: dir });
    const file = path.join(dir, 'infinite-dates.ndjson');
    expect((warnings ?? []).map((w) => w.message)).toEqual([
      `node 'src': key "d" holds "infinity" (in ${file}), which DuckDB's JSON reader reads as 1900-01-01 in a detected DATE; to read it as infinity, list the key under columns as VARCHAR and convert it with a Cast node (CAST('infinity' AS DATE) keeps it), or send a date in its place`,
      `node 'src': key "t" holds "-infinity" (in ${file}), which DuckDB's JSON reader reads as 1900-01-01 in a detected TIMESTAMP; to read it as -infinity, list the key under columns as VARCHAR and convert it with a Cast node (CAST('infinity' AS TIMESTAMP) keeps it), or send a date in its place`,
    ]);
  });

  it('reads a record of 200 or more keys of one type as that many columns, not as one MAP column "json"', async () => {
    const record = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`c${i}`, i]));
    await writeFile(path.join(dir, 'wide.ndjson'), ndjson([record]));
    const r = await preview(src({ path: 'wide.ndjson' }), dir, 'src');
    expect(r.columns).toHaveLength(300);
    expect(r.columns[299]).toMatchObject({ name: 'c299', type: 'BIGINT' });
    expect(r.rows[0]!.c299).toBe('299');
  });

  it('warns, naming the file, when a file holds no records to detect columns from; listed columns give it its columns', async () => {
    for (const [name, text] of [['no-records.ndjson', ''], ['no-records.json', '[]']] as const) {
      await writeFile(path.join(dir, name), text);
      const { warnings } = await inspect({ pipeline: src({ path: name }), baseDir: dir });
      expect((warnings ?? []).map((w) => w.message)).toEqual([
        `node 'src': ${path.join(dir, name)} holds no records, so no columns could be detected: it reads as one column "json" with no rows; list the keys and their types under columns to give it its columns`,
      ]);
      const listed = await preview(src({ path: name, columns: [{ name: 'id', type: 'BIGINT' }] }), dir, 'src');
      expect(listed.columns.map((c) => [c.name, c.type])).toEqual([['id', 'BIGINT']]);
      expect(listed.rows).toEqual([]);
    }
  });

  it('warns of keys that differ only in letter case, which DuckDB renames (a_1); a key really named a_1 is no such case', async () => {
    await writeFile(path.join(dir, 'case-keys.ndjson'), '{"A": 1, "a": 2, "id": 3}\n{"A": 4, "a": 5, "id": 6}\n');
    const r = await preview(src({ path: 'case-keys.ndjson' }), dir, 'src');
    expect(r.columns.map((c) => c.name)).toEqual(['A', 'a_1', 'id']);
    const { warnings } = await inspect({ pipeline: src({ path: 'case-keys.ndjson' }), baseDir: dir });
    expect((warnings ?? []).map((w) => w.message)).toEqual([
      `node 'src': keys "A", "a" of ${path.join(dir, 'case-keys.ndjson')} differ only in letter case, which column names do not tell apart: all but the first are read with a suffix (_1, _2), and SQL naming one of them reads the first; rename them in the data, or read them with a SQL node (json_extract) to pick each as written`,
    ]);
    await writeFile(path.join(dir, 'suffix-keys.json'), '[{"a": 1, "a_1": 2}]');
    expect((await inspect({ pipeline: src({ path: 'suffix-keys.json' }), baseDir: dir })).warnings).toEqual([]);
  });

  it('warns of such numbers in records read from a list (records_path), at any depth and whatever the key is called', async () => {
    await writeFile(path.join(dir, 'long-records.json'), '{"meta": {}, "result": {"items": [{"id": 1, "order id": 9007199254740993}, {"id": 2, "order id": 1.5}]}}');
    const { warnings } = await inspect({ pipeline: src({ path: 'long-records.json', records_path: 'result.items' }), baseDir: dir });
    expect((warnings ?? []).map((w) => w.message)).toEqual([
      `node 'src': key "order id" of the records at result.items holds whole numbers beyond 2^53 (9007199254740993 in ${path.join(dir, 'long-records.json')}), which its detected type DOUBLE does not keep exactly: they arrive rounded; to keep every digit, have them sent as strings and convert them with a Cast node (HUGEINT, DECIMAL(38,s))`,
    ]);
    await writeFile(path.join(dir, 'exact-records.json'), '{"data": [{"v": 9007199254740992}, {"v": 0.5}]}');
    expect((await inspect({ pipeline: src({ path: 'exact-records.json', records_path: 'data' }), baseDir: dir })).warnings).toEqual([]);
  });

  it('refuses a DECIMAL value sent as a JSON number with more digits than the reader keeps, and reads it sent as a string', async () => {
    const columns = [{ name: 'amount', type: 'DECIMAL(20,2)' }];
    await writeFile(path.join(dir, 'long-decimal.ndjson'), '{"amount": 12345678901234567.89}\n');
    // Read as a double, it came back as 12345678901234568.00.
    await expect(preview(src({ path: 'long-decimal.ndjson', columns }), dir, 'src')).rejects.toThrow(/is read by the JSON reader as a double, which keeps 15 significant digits for certain/);
    await writeFile(path.join(dir, 'long-decimal-text.ndjson'), '{"amount": "12345678901234567.89"}\n{"amount": 12345678901234567}\n{"amount": 1234567890123.45}\n');
    expect((await preview(src({ path: 'long-decimal-text.ndjson', columns }), dir, 'src')).rows.map((x) => x.amount)).toEqual(['12345678901234567.89', '12345678901234567.00', '1234567890123.45']);
  });

  it('passes detection options through', async () => {
    const result = await inspect({ pipeline: src({ path: 'customers.ndjson', maximum_depth: 1, sample_size: -1 }), baseDir: dir });
    expect(result.problems).toEqual([]);
    expect(result.nodes[0]!.outputs[0]!.sql).toContain('maximum_depth := 1, sample_size := -1');
    expect(result.nodes[0]!.outputs[0]!.columns.map((c) => c.type)).toEqual(['JSON', 'JSON', 'JSON', 'JSON']);
  });
});

describe('source.json: flatten', () => {
  it('turns struct fields into columns three levels down, keeping lists', async () => {
    const doc = src({ path: 'customers.ndjson', flatten: true });
    const r = await preview(doc, dir, 'src');
    expect(r.columns).toEqual([
      { name: 'id', type: 'BIGINT' },
      { name: 'name', type: 'VARCHAR' },
      { name: 'customer_tier', type: 'VARCHAR' },
      { name: 'customer_address_city', type: 'VARCHAR' },
      { name: 'customer_address_geo_lat', type: 'DOUBLE' },
      { name: 'customer_address_geo_lon', type: 'DOUBLE' },
      { name: 'tags', type: 'VARCHAR[]' },
    ]);
    expect(r.rows).toEqual([
      { id: '1', name: 'José Muñoz', customer_tier: 'gold', customer_address_city: 'Sevilla', customer_address_geo_lat: 37.39, customer_address_geo_lon: -5.98, tags: ['vip', 'früh'] },
      { id: '2', name: 'Zoë 🎉', customer_tier: null, customer_address_city: null, customer_address_geo_lat: null, customer_address_geo_lon: null, tags: [] },
      { id: '3', name: null, customer_tier: null, customer_address_city: null, customer_address_geo_lat: null, customer_address_geo_lon: null, tags: null },
    ]);
    expect(r.sql).toBe(
      [
        'SELECT',
        '  "id",',
        '  "name",',
        '  "_json"."customer"."tier" AS "customer_tier",',
        '  "_json"."customer"."address"."city" AS "customer_address_city",',
        '  "_json"."customer"."address"."geo"."lat" AS "customer_address_geo_lat",',
        '  "_json"."customer"."address"."geo"."lon" AS "customer_address_geo_lon",',
        '  "tags"',
        `FROM read_json(${stringLiteral(path.join(dir, 'customers.ndjson'))}, map_inference_threshold := -1) AS "_json"`,
      ].join('\n'),
    );
  });

  it('uses the chosen separator', async () => {
    const r = await preview(src({ path: 'customers.json', flatten: true, flatten_separator: '.' }), dir, 'src');
    expect(r.columns.map((c) => c.name)).toContain('customer.address.geo.lat');
  });

  it('reports names that clash after flattening, with both paths', async () => {
    const problems = await problemsOf(src({ path: 'clash.ndjson', flatten: true }), dir);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ nodeId: 'src', path: 'nodes[0].params.flatten' });
    expect(problems[0]!.message).toBe(
      `node 'src': flattening gives several columns the same name: 'customer_id' (from 'customer_id' and 'customer.id'); 'customer_Name' (from 'customer.Name' and 'customer_name')`,
    );
    expect(problems[0]!.hint).toContain('flatten_separator');
    const fixed = await preview(src({ path: 'clash.ndjson', flatten: true, flatten_separator: '__' }), dir, 'src');
    expect(fixed.columns.map((c) => c.name)).toEqual(['customer_id', 'customer__id', 'customer__Name', 'customer_name']);
  });

  it('counts the file name column when looking for clashes', async () => {
    const problems = await problemsOf(src({ path: 'customers.ndjson', flatten: true, filename_column: 'customer_tier' }), dir);
    expect(problems[0]?.message).toContain(`'customer_tier' (from 'customer.tier' and 'customer_tier')`);
  });
});

describe('source.json: full run', () => {
  it('writes flattened records through a sink', async () => {
    const doc = pipeline(
      [
        { id: 'src', type: 'source.json', params: { path: 'customers.json', flatten: true } },
        { id: 'out', type: 'sink.csv', params: { path: 'out/customers.csv' } },
      ],
      ['src -> out'],
    );
    const { summary } = await run(doc, dir);
    expect(summary.error).toBeUndefined();
    expect(summary.outputs).toEqual([expect.objectContaining({ nodeId: 'out', rows: 3 })]);
    const lines = (await readFile(path.join(dir, 'out/customers.csv'), 'utf8')).trim().split('\n');
    expect(lines[0]).toBe('id,name,customer_tier,customer_address_city,customer_address_geo_lat,customer_address_geo_lon,tags');
    expect(lines[1]).toMatch(/^1,José Muñoz,gold,Sevilla,37.39,-5.98,/);
    expect(lines[2]).toMatch(/^2,Zoë 🎉,,,,,/);
    expect(lines[3]).toMatch(/^3,,,,,,$/);
  });
});

describe('source.json: errors', () => {
  it('reports a missing file as an io_error problem naming the node', async () => {
    for (const flatten of [false, true]) {
      const problems = await problemsOf(src({ path: 'nope/*.json', flatten }), dir);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({ code: 'io_error', nodeId: 'src', path: 'nodes[0].params' });
      expect(problems[0]!.message).toContain(`node 'src'`);
      expect(problems[0]!.message).toContain(path.join(dir, 'nope/*.json'));
    }
  });

  it('reports malformed JSON with the node, the file, the record and its lines, and DuckDB\'s reason', async () => {
    // Record 2 lacks its closing brace: DuckDB reads on into line 3 and stops at its "{".
    const file = path.join(dir, 'malformed.ndjson');
    const problems = await problemsOf(src({ path: 'malformed.ndjson' }), dir);
    expect(problems).toEqual([
      expect.objectContaining({
        nodeId: 'src',
        path: 'nodes[0].params.path',
        message: `node 'src': Invalid Input Error: Malformed JSON in file "${file}", in record 2 (at its byte 11): unexpected character. (record 2 starts on line 2 of the file, and DuckDB stopped reading it on line 3)`,
      }),
    ]);
    await expect(preview(src({ path: 'malformed.ndjson' }), dir, 'src')).rejects.toThrow(/node 'src'.*Malformed JSON in file .*malformed\.ndjson.*record 2 starts on line 2/);
  });

  it('fails the run naming the node when the bad record lies past the detection sample', async () => {
    const doc = src({ path: 'late-malformed.ndjson' });
    expect(await problemsOf(doc, dir)).toEqual([]);
    // No sink needed: exact metrics materialize the source, which reads the whole file.
    const { summary } = await run(doc, dir, { metrics: 'exact' });
    expect(summary.status).toBe('failed');
    expect(summary.error).toMatchObject({ kind: 'execution', nodeId: 'src' });
    // The bad record is line 50001 (DuckDB 1.5.6 says "line 50002": its number is one too high for every record).
    expect(summary.error!.message).toMatch(/^node 'src' \(source\.json\).* failed: Invalid Input Error: Malformed JSON in file ".*late-malformed\.ndjson", in record 50001 \(at its byte 10\): unexpected character\. \(record 50001 is line 50001 of the file\)$/);
    expect(summary.nodes.find((n) => n.nodeId === 'src')?.status).toBe('failed');
  });

  it('fails the run on a key first seen past the sample, unless every record is sampled', async () => {
    const { summary } = await run(src({ path: 'late-key.ndjson' }), dir, { metrics: 'exact' });
    expect(summary.status).toBe('failed');
    expect(summary.error!.message).toMatch(/^node 'src' \(source\.json\).* failed: .*in line 50001: Object .* has unknown key "extra"/);
    // The advice is in the node's params, not DuckDB's options (records, ignore_errors, union_by_name).
    expect(summary.error!.message).toContain('(key "extra" is not in the first 20,480 records, where the columns were detected: set sample_size to -1');
    expect(summary.error!.message).not.toContain('ignore_errors');
    const all = await inspect({ pipeline: src({ path: 'late-key.ndjson', sample_size: -1 }), baseDir: dir });
    expect(all.nodes[0]!.outputs[0]!.columns.map((c) => c.name)).toEqual(['id', 'name', 'extra']);
  });

  it('fails the run on a value past the sample that does not fit its detected type, saying so and what to set', async () => {
    // A date column in the sample, then a date DuckDB cannot read as one: its message has no reason.
    const rows = Array.from({ length: 30_000 }, (_, i) => ({ id: i, d: '2024-01-02' }));
    await writeFile(path.join(dir, 'late-type.ndjson'), ndjson([...rows, { id: -1, d: '01/02/2024' }]));
    const { summary } = await run(src({ path: 'late-type.ndjson' }), dir, { metrics: 'exact' });
    expect(summary.status).toBe('failed');
    const message = summary.error!.message;
    expect(message).toMatch(/in line 30001: a value that does not fit the type of its column/);
    expect(message).toContain('(the types of the columns were detected from the first 20,480 records: set sample_size to -1 to read every record first, or list the keys with their types under columns)');
    expect(message).not.toContain("Try increasing 'sample_size'");
  });

  it('refuses a key declared twice', async () => {
    const problems = await problemsOf(src({ path: 'customers.json', columns: [{ name: 'id', type: 'BIGINT' }, { name: 'ID', type: 'VARCHAR' }] }), dir);
    expect(problems).toEqual([expect.objectContaining({ code: 'invalid_param', path: 'nodes[0].params.columns[1].name' })]);
  });

  it('refuses an unknown layout and a zero sample', async () => {
    const problems = await problemsOf(src({ path: 'customers.json', format: 'jsonl', sample_size: 0 }), dir);
    expect(problems.map((p) => p.path).sort()).toEqual(['nodes[0].params.format', 'nodes[0].params.sample_size']);
  });
});

describe('struct type parsing', () => {
  it('reads field names DuckDB quotes: spaces, quotes, keywords, accents, case', () => {
    expect(
      structFields(`STRUCT("a b" INTEGER, "x""y" INTEGER, z ENUM('a,)', 'b''c'), "select" BIGINT, Ab INTEGER, "é" INTEGER, t TIMESTAMP WITH TIME ZONE, d DECIMAL(10,2), m MAP(VARCHAR, STRUCT(q INTEGER)), l STRUCT(k INTEGER)[2], s STRUCT("1" VARCHAR))`),
    ).toEqual([
      { name: 'a b', type: 'INTEGER' },
      { name: 'x"y', type: 'INTEGER' },
      { name: 'z', type: `ENUM('a,)', 'b''c')` },
      { name: 'select', type: 'BIGINT' },
      { name: 'Ab', type: 'INTEGER' },
      { name: 'é', type: 'INTEGER' },
      { name: 't', type: 'TIMESTAMP WITH TIME ZONE' },
      { name: 'd', type: 'DECIMAL(10,2)' },
      { name: 'm', type: 'MAP(VARCHAR, STRUCT(q INTEGER))' },
      { name: 'l', type: 'STRUCT(k INTEGER)[2]' },
      { name: 's', type: 'STRUCT("1" VARCHAR)' },
    ]);
  });

  it('does not flatten lists of structs, maps, or structs with an unnamed field', () => {
    for (const t of ['STRUCT(a INTEGER)[]', 'STRUCT(a INTEGER)[3]', 'MAP(VARCHAR, JSON)', 'VARCHAR', 'STRUCT(BIGINT)', 'STRUCT(a INTEGER, STRUCT(b INTEGER))'])
      expect(structFields(t), t).toBeUndefined();
  });

  it('builds qualified projections and finds case-insensitive clashes', () => {
    const flat = flattenColumns(
      [
        { name: 'Weird "key"', type: 'STRUCT("x y" BIGINT, "select" STRUCT(z VARCHAR))' },
        { name: 'Weird "key"-x y', type: 'BIGINT' },
      ],
      '-',
    );
    expect(flat.map((c) => c.name)).toEqual(['Weird "key"-x y', 'Weird "key"-select-z', 'Weird "key"-x y']);
    expect(projection(flat, '_json')).toEqual([
      '"_json"."Weird ""key"""."x y" AS "Weird ""key""-x y"',
      '"_json"."Weird ""key"""."select"."z" AS "Weird ""key""-select-z"',
      '"Weird ""key""-x y"',
    ]);
    expect(findClashes(flat)).toEqual([{ name: 'Weird "key"-x y', paths: [['Weird "key"', 'x y'], ['Weird "key"-x y']] }]);
  });

  it('flattens keys with quotes, spaces and keywords through DuckDB', async () => {
    await writeFile(path.join(dir, 'weird.ndjson'), ndjson([{ 'Weird "key"': { 'x y': 1, select: { 'Ünï': 'ok' } }, _json: { id: 5 } }]));
    const r = await preview(src({ path: 'weird.ndjson', flatten: true }), dir, 'src');
    expect(r.rows).toEqual([{ 'Weird "key"_x y': '1', 'Weird "key"_select_Ünï': 'ok', _json_id: '5' }]);
  });
});
