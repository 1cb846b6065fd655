import { describe, expect, it } from 'vitest';
import { cutRecords, recordLines, recordsKeyPath } from './record-lines.js';

/** What the spool would get: the bytes cut from the answer, or undefined (records re-serialized). */
function lines(text: string | Buffer, recordsPath?: string): unknown[] | undefined {
  const body = typeof text === 'string' ? Buffer.from(text) : text;
  const json = JSON.parse(body.toString('utf8')) as unknown;
  const keys = recordsKeyPath(recordsPath, json);
  const records = recordsAt(json, keys);
  const out = recordLines(body, keys, records);
  if (!out) return undefined;
  const rows = out.toString('utf8').split('\n');
  expect(rows.pop()).toBe('');
  return rows.map((r) => JSON.parse(r) as unknown);
}

function recordsAt(json: unknown, keys: string[] | undefined): unknown[] {
  let v = json;
  for (const k of keys ?? []) v = (v as Record<string, unknown>)[k];
  return Array.isArray(v) ? v : [];
}

describe('recordsKeyPath: which record paths are plain keys', () => {
  it('accepts keys, $-rooted keys and a trailing [*]', () => {
    expect(recordsKeyPath('data', {})).toEqual(['data']);
    expect(recordsKeyPath('$.data.items', {})).toEqual(['data', 'items']);
    expect(recordsKeyPath('results[*]', {})).toEqual(['results']);
    expect(recordsKeyPath('$', [])).toEqual([]);
    expect(recordsKeyPath('$[*]', [])).toEqual([]);
  });
  it('finds the one list field or the root list when unset', () => {
    expect(recordsKeyPath(undefined, [{ a: 1 }])).toEqual([]);
    expect(recordsKeyPath(undefined, { data: [], meta: {} })).toEqual(['data']);
    expect(recordsKeyPath(undefined, { a: [], b: [] })).toBeUndefined();
  });
  it('leaves filters, wildcards and recursive descent to the parsed records', () => {
    for (const p of ['$..order', 'data[?(@.x)]', 'data.*', 'data[0]', "$['data']", 'da-ta']) expect(recordsKeyPath(p, {})).toBeUndefined();
  });
});

describe('recordLines: the answer bytes as NDJSON, only when they say what the parsed records say', () => {
  it('cuts compact records into lines', () => {
    expect(lines('{"data":[{"a":1},{"a":2,"b":"x"}],"meta":{"total":2}}', 'data')).toEqual([{ a: 1 }, { a: 2, b: 'x' }]);
  });
  it('keeps commas, brackets, quotes and escapes inside strings', () => {
    const records = [{ s: 'a,b}],[{', t: 'say "hi"\\', u: '\\"' }, { s: '\n\r\t', e: '\u00e9\u{1F600}', z: '\u0000' }];
    expect(lines(JSON.stringify({ data: records }), 'data')).toEqual(records);
  });
  it('turns line breaks between tokens (pretty-printed answers) into spaces', () => {
    const records = [{ a: 1, n: { b: [1, 2, { c: 'x\ny' }] } }, { a: 2, n: null }];
    expect(lines(JSON.stringify({ data: records }, null, 2), 'data')).toEqual(records);
    expect(lines(JSON.stringify({ data: records }, null, '\r\n\t'), 'data')).toEqual(records);
  });
  it('reads a root list, a nested path and the one list field', () => {
    expect(lines('[{"a":1}, {"a":2}]')).toEqual([{ a: 1 }, { a: 2 }]);
    expect(lines('{"r":{"items":[{"a":1}]},"next":null}', 'r.items')).toEqual([{ a: 1 }]);
    expect(lines('{"total":1,"rows":[{"a":1}]}')).toEqual([{ a: 1 }]);
    expect(lines('{"data":[]}', 'data')).toEqual([]);
  });
  it('keeps the digits of numbers (integers past 2^53 reach DuckDB exactly)', () => {
    const body = Buffer.from('{"data":[{"id":12345678901234567891}]}');
    const out = recordLines(body, ['data'], (JSON.parse(body.toString()) as { data: unknown[] }).data);
    expect(out?.toString()).toBe('{"id":12345678901234567891}\n');
  });
  it('matches the key path exactly: same names elsewhere do not count', () => {
    const body = '{"meta":{"data":[1,2,3]},"data":[{"a":1}],"x":[{"data":[{"b":2}]}]}';
    expect(lines(body, 'data')).toEqual([{ a: 1 }]);
  });

  it('re-serializes when the records are not objects', () => {
    expect(lines('{"data":[1,2]}', 'data')).toBeUndefined();
    expect(lines('{"data":[{"a":1},"x"]}', 'data')).toBeUndefined();
    expect(lines('{"data":[[1],{"a":1}]}', 'data')).toBeUndefined();
    expect(lines('{"data":[{"a":1},null]}', 'data')).toBeUndefined();
  });
  it('keeps the bytes of a record with a duplicate key, which JSON.parse would collapse to its last value: DuckDB refuses it, naming the key', () => {
    const bytes = (text: string) => recordLines(Buffer.from(text), ['data'], (JSON.parse(text) as { data: unknown[] }).data)?.toString();
    expect(bytes('{"data":[{"a":1,"a":2}]}')).toBe('{"a":1,"a":2}\n');
    expect(bytes('{"data":[{"a":{"b":1,"b":2}}]}')).toBe('{"a":{"b":1,"b":2}}\n');
  });
  it('re-serializes when the path key appears twice (JSON.parse keeps the last)', () => {
    expect(lines('{"data":[{"a":1}],"data":[{"a":2}]}', 'data')).toBeUndefined();
  });
  it('re-serializes a key written with escapes, which the bytes cannot match', () => {
    expect(lines('{"d\\u0061ta":[{"a":1}]}', 'data')).toBeUndefined();
  });
  it('re-serializes an answer that is not valid UTF-8', () => {
    const body = Buffer.concat([Buffer.from('{"data":[{"a":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}]}')]);
    expect(lines(body, 'data')).toBeUndefined();
  });
  it('re-serializes when the parsed list does not match the text (a cap on rows)', () => {
    expect(recordLines(Buffer.from('{"data":[{"a":1},{"a":2}]}'), ['data'], [{ a: 1 }])).toBeUndefined();
  });

  it('agrees with JSON.parse on generated answers (random nesting, strings, numbers, whitespace)', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const str = () => Array.from({ length: Math.floor(rnd() * 6) }, () => pick(['a', ',', '"', '\\', '{', ']', '\n', 'é', '\u2028', ' ', ':', '\u0001'])).join('');
    const value = (d: number): unknown => {
      const k = rnd();
      if (d > 2 || k < 0.3) return pick([() => str(), () => Math.floor(rnd() * 1e6) / 8 - 1e5, () => true, () => null, () => 1e21])();
      if (k < 0.5) return Array.from({ length: Math.floor(rnd() * 3) }, () => value(d + 1));
      return object(d + 1);
    };
    const object = (d: number) => Object.fromEntries(Array.from({ length: Math.floor(rnd() * 4) }, (_, i) => [`${str()}${i}`, value(d)]));
    const space = () => pick(['', ' ', '\n', '\r\n  ', '\t']);
    for (let run = 0; run < 300; run++) {
      const records = Array.from({ length: Math.floor(rnd() * 5) }, () => object(0));
      // Hand-made JSON with random whitespace between every token.
      const write = (v: unknown): string => {
        if (Array.isArray(v)) return `[${space()}${v.map(write).join(`${space()},${space()}`)}${space()}]`;
        if (v !== null && typeof v === 'object') return `{${space()}${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}${space()}:${space()}${write(x)}`).join(`${space()},${space()}`)}${space()}}`;
        return JSON.stringify(v);
      };
      const text = `${space()}{${space()}"meta"${space()}:${space()}${write({ data: [1], n: 2 })},${space()}"data"${space()}:${space()}${write(records)}${space()}}${space()}`;
      expect(lines(text, 'data')).toEqual(records);
    }
  });
});

describe('cutRecords: later pages cut from the bytes without parsing the records', () => {
  const cut = (text: string | Buffer, keys = ['data']) => cutRecords(typeof text === 'string' ? Buffer.from(text) : text, keys);

  it('gives the lines, how many, and the rest of the answer with the list emptied', () => {
    const c = cut('{"data":[{"a":1},{"a":"x,]}"}],"meta":{"total":7}}');
    expect(c?.lines.toString()).toBe('{"a":1}\n{"a":"x,]}"}\n');
    expect(c?.count).toBe(2);
    expect(c?.rest).toEqual({ data: [], meta: { total: 7 } });
    expect(cut('{"data":[],"meta":{}}')).toMatchObject({ count: 0, rest: { data: [], meta: {} } });
  });

  it('agrees with JSON.parse on generated compact answers', () => {
    let seed = 11;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const str = () => Array.from({ length: Math.floor(rnd() * 6) }, () => pick(['a', ',', '"', '\\', '{', ']', '\n', 'é', ' ', ':', '\u0001'])).join('');
    const value = (d: number): unknown => (d > 2 || rnd() < 0.4 ? pick([() => str(), () => Math.floor(rnd() * 1e6) / 8, () => false, () => null])() : rnd() < 0.5 ? [value(d + 1), value(d + 1)] : { [str()]: value(d + 1), k: value(d + 1) });
    for (let run = 0; run < 300; run++) {
      const records = Array.from({ length: Math.floor(rnd() * 5) }, (_, i) => ({ id: i, v: value(0), s: str() }));
      const c = cut(JSON.stringify({ meta: { data: [1] }, data: records, next: str() }));
      expect(c).toBeDefined();
      expect(c!.count).toBe(records.length);
      expect(c!.lines.toString().split('\n').slice(0, -1).map((l) => JSON.parse(l) as unknown)).toEqual(records);
    }
  });

  it('leaves to parsing what only parsing can tell', () => {
    // A line break in the list (pretty-printed, or a raw one inside a string, which JSON forbids).
    expect(cut('{"data":[\n{"a":1}]}')).toBeUndefined();
    expect(cut('{"data":[{"a":"x\ny"}]}')).toBeUndefined();
    // Cut short, or more than one value.
    expect(cut('{"data":[{"a":1},{"a":')).toBeUndefined();
    expect(cut('{"data":[{"a":1}]')).toBeUndefined();
    expect(cut('{"data":[{"a":1}]} {"x":1}')).toBeUndefined();
    expect(cut('{"data":[{"a":1}]}]')).toBeUndefined();
    // What DuckDB's reader would forgive: trailing or doubled commas, NaN, Infinity, comments, single quotes.
    for (const record of ['{"a":1,}', '{"a":[1,]}', '{"a":1,,"b":2}', '{,"a":1}', '{"a":NaN}', '{"a":-Infinity}', '{"a":1/*c*/}', "{'a':1}"]) {
      expect(cut(`{"data":[${record}]}`), record).toBeUndefined();
    }
    expect(cut('{"data":[{"a":1},]}')).toBeUndefined();
    // The rest of the answer does not parse.
    expect(cut('{"data":[{"a":1}],"meta":{total:1}}')).toBeUndefined();
    // Records that are not objects, a path matched twice or not at all, bytes that are not UTF-8.
    expect(cut('{"data":[1,2]}')).toBeUndefined();
    expect(cut('{"data":[{"a":1}],"data":[]}')).toBeUndefined();
    expect(cut('{"rows":[{"a":1}]}')).toBeUndefined();
    expect(cut(Buffer.concat([Buffer.from('{"data":[{"a":"'), Buffer.from([0xc3]), Buffer.from('"}]}')]))).toBeUndefined();
  });
});
