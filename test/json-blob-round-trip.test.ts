import { readFile, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { pipeline, preview, problemsOf, run, tempDir } from './support/pipeline.js';

/**
 * A BLOB written by sink.json and read back by source.json with the key listed as BLOB came back
 * as the escaped text, not the bytes: sink.json writes the two bytes 00 FF as DuckDB's text form
 * `"\\x00\\xFF"`, and DuckDB's read_json filled the BLOB column with those 8 characters. source.csv
 * reads the same text back as the 2 bytes (CAST(text AS BLOB) decodes the `\xNN` escapes), and now
 * source.json does too: a listed BLOB, also a struct field or a list element, is read from the
 * JSON string as DuckDB's text form of bytes, and a string that is not such text is refused naming
 * the column and the value.
 */

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-json-blob-');
});

const write = (query: string, file: string) =>
  run(
    pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query } },
        { id: 'out', type: 'sink.json', params: { path: file, if_exists: 'overwrite' } },
      ],
      ['src -> out'],
    ),
    dir,
  );

const readBack = (file: string, columns: Array<{ name: string; type: string }>, query: string) =>
  pipeline(
    [
      { id: 'src', type: 'source.json', params: { path: file, columns } },
      { id: 'q', type: 'transform.sql', params: { query } },
    ],
    ['src -> q'],
  );

/** A run of the read, its rows written out (a run reads only what a sink takes). */
const readRun = (file: string, columns: Array<{ name: string; type: string }>) =>
  run(
    pipeline(
      [
        { id: 'src', type: 'source.json', params: { path: file, columns } },
        { id: 'out', type: 'sink.json', params: { path: 'read-back.jsonl', if_exists: 'overwrite' } },
      ],
      ['src -> out'],
    ),
    dir,
  );

describe('a BLOB written by sink.json and read by source.json with the key listed as BLOB', () => {
  it('is written as DuckDB\'s escaped text and reads back as the same bytes', async () => {
    const { summary } = await write(`SELECT '\\x00\\xFF'::BLOB AS b`, 'b.jsonl');
    expect(summary.status).toBe('succeeded');
    expect(await readFile(path.join(dir, 'b.jsonl'), 'utf8')).toBe('{"b":"\\\\x00\\\\xFF"}\n');
    const r = await preview(readBack('b.jsonl', [{ name: 'b', type: 'BLOB' }], 'SELECT octet_length(b) AS n, hex(b) AS h, typeof(b) AS t FROM src'), dir, 'q');
    expect(r.rows).toEqual([{ n: '2', h: '00FF', t: 'BLOB' }]);
  });

  it('keeps every byte value, a backslash, quotes, text bytes, an empty BLOB and NULL, byte for byte', async () => {
    // Every byte 00..FF; bytes that spell an escape themselves (\x41 as 4 bytes) and quotes; UTF-8 bytes; empty; NULL.
    const rows = `SELECT 1 AS id, (SELECT unhex(string_agg(printf('%02X', range), '' ORDER BY range)) FROM range(256)) AS b
      UNION ALL SELECT 2, '\\x5Cx41"'' ok'::BLOB
      UNION ALL SELECT 3, encode('Zoë')
      UNION ALL SELECT 4, ''::BLOB
      UNION ALL SELECT 5, NULL::BLOB`;
    expect((await write(rows, 'bytes.jsonl')).summary.status).toBe('succeeded');
    const r = await preview(
      readBack('bytes.jsonl', [{ name: 'id', type: 'INTEGER' }, { name: 'b', type: 'BLOB' }], 'SELECT id, octet_length(b) AS n, hex(b) AS h FROM src ORDER BY id'),
      dir,
      'q',
    );
    const all = Array.from({ length: 256 }, (_, i) => i.toString(16).toUpperCase().padStart(2, '0')).join('');
    expect(r.rows).toEqual([
      { id: 1, n: '256', h: all },
      { id: 2, n: '9', h: Buffer.from('\\x41"\' ok').toString('hex').toUpperCase() },
      { id: 3, n: '4', h: Buffer.from('Zoë').toString('hex').toUpperCase() },
      { id: 4, n: '0', h: '' },
      { id: 5, n: null, h: null },
    ]);
  });

  it('decodes BLOBs inside structs and lists as listed (STRUCT(x BLOB), BLOB[], STRUCT(x BLOB)[]), with other fields still checked', async () => {
    const rows = `SELECT {'x': '\\x01\\x02'::BLOB, 'n': 7} AS s, ['\\x03'::BLOB, NULL, '\\xFF\\xFE'::BLOB] AS l, [{'x': '\\x04'::BLOB, 'n': 8}] AS ls, NULL::BLOB[] AS none`;
    expect((await write(rows, 'nested.jsonl')).summary.status).toBe('succeeded');
    const columns = [
      { name: 's', type: 'STRUCT(x BLOB, n INTEGER)' },
      { name: 'l', type: 'BLOB[]' },
      { name: 'ls', type: 'STRUCT(x BLOB, n INTEGER)[]' },
      { name: 'none', type: 'BLOB[]' },
    ];
    const r = await preview(
      readBack('nested.jsonl', columns, `SELECT hex(s.x) AS sx, s.n AS sn, list_transform(l, lambda e: hex(e)) AS l, hex(ls[1].x) AS lsx, ls[1].n AS lsn, typeof(ls) AS t, none FROM src`),
      dir,
      'q',
    );
    expect(r.rows).toEqual([{ sx: '0102', sn: 7, l: ['03', null, 'FFFE'], lsx: '04', lsn: 8, t: 'STRUCT(x BLOB, n INTEGER)[]', none: null }]);
  });

  it('reads a hand-written file\'s escaped text as source.csv does (hex digits in either case)', async () => {
    await writeFile(path.join(dir, 'hand.jsonl'), '{"b": "abc\\\\x0a\\\\xfF"}\n{"b": null}\n{}\n');
    const r = await preview(readBack('hand.jsonl', [{ name: 'b', type: 'BLOB' }], 'SELECT hex(b) AS h FROM src'), dir, 'q');
    expect(r.rows).toEqual([{ h: '6162630AFF' }, { h: null }, { h: null }]);
  });
});

describe('a JSON value in a key listed as BLOB that is not DuckDB\'s text form of bytes', () => {
  const refused: Array<[string, string, string]> = [
    ['an invalid escape', '{"b": "\\\\xZZ"}', `column "b": '\\xZZ' is not a BLOB`],
    ['a lone backslash', '{"b": "a\\\\"}', `column "b": 'a\\' is not a BLOB`],
    ['a character beyond ASCII (sink.json writes it as \\xNN escapes)', '{"b": "é"}', `column "b": 'é' is not a BLOB`],
    ['a number', '{"b": 42}', `column "b": '42' is not a BLOB (a JSON string is expected)`],
    ['an object', '{"b": {"x": 1}}', `column "b": '{"x":1}' is not a BLOB (a JSON string is expected)`],
  ];
  it.each(refused)('stops the run naming the column and the value: %s', async (_what, line, message) => {
    await writeFile(path.join(dir, 'bad.jsonl'), `{"b": "\\\\x00"}\n${line}\n`);
    const { summary } = await readRun('bad.jsonl', [{ name: 'b', type: 'BLOB' }]);
    expect(summary.status).toBe('failed');
    expect(summary.error!.message).toContain(message);
  });

  it('names the struct field or the list element it sits in', async () => {
    await writeFile(path.join(dir, 'bad-nested.jsonl'), '{"s": {"x": "\\\\q"}, "l": ["\\\\x01"]}\n');
    const s = await readRun('bad-nested.jsonl', [{ name: 's', type: 'STRUCT(x BLOB)' }]);
    expect(s.summary.error!.message).toContain(`column "s": field x: '\\q' is not a BLOB`);
    await writeFile(path.join(dir, 'bad-list.jsonl'), '{"l": ["\\\\x01", "\\\\x1"]}\n');
    const l = await readRun('bad-list.jsonl', [{ name: 'l', type: 'BLOB[]' }]);
    expect(l.summary.error!.message).toContain(`column "l": element: '\\x1' is not a BLOB`);
    // The other fields of a struct in a list holding a BLOB are checked as listed types are.
    await writeFile(path.join(dir, 'bad-field.jsonl'), '{"ls": [{"x": "\\\\x01", "n": 1.5}]}\n');
    const f = await readRun('bad-field.jsonl', [{ name: 'ls', type: 'STRUCT(x BLOB, n INTEGER)[]' }]);
    expect(f.summary.error!.message).toContain(`column "ls": field n of an element: '1.5' is not a whole number of type INTEGER`);
  });
});

describe('a BLOB listed where it is not decoded', () => {
  it('inside a MAP, UNION or fixed-size array is refused before the run, instead of reading the text as the bytes', async () => {
    await writeFile(path.join(dir, 'map.jsonl'), '{"m": {"k": "\\\\x00"}}\n');
    for (const type of ['MAP(VARCHAR, BLOB)', 'UNION(b BLOB, n INTEGER)', 'BLOB[2]', 'STRUCT(m MAP(VARCHAR, BLOB))']) {
      const problems = await problemsOf(readBack('map.jsonl', [{ name: 'm', type }], 'SELECT * FROM src'), dir);
      expect(problems).toEqual([expect.objectContaining({ nodeId: 'src', path: 'nodes[0].params.columns[0].type' })]);
      expect(problems[0]!.message).toContain('would be read as the JSON string\'s characters, not as the bytes they spell');
    }
  });

  it('a key listed as VARCHAR keeps the escaped text as text', async () => {
    const r = await preview(readBack('b.jsonl', [{ name: 'b', type: 'VARCHAR' }], 'SELECT b FROM src'), dir, 'q');
    expect(r.rows).toEqual([{ b: '\\x00\\xFF' }]);
  });
});

describe('the other JSON readers decode a listed BLOB the same way', () => {
  it('source.rest: a column listed as BLOB holds the bytes the answer spells (it held the escape characters)', async () => {
    const http = await import('node:http');
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify([{ id: 1, b: '\\x00\\xFF' }, { id: 2, b: null }]));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/items`;
      const doc = pipeline(
        [
          { id: 'api', type: 'source.rest', params: { url, columns: [{ name: 'id', type: 'BIGINT' }, { name: 'b', type: 'BLOB' }] } },
          { id: 'q', type: 'transform.sql', params: { query: 'SELECT id, octet_length(b) AS n, hex(b) AS hx FROM api ORDER BY id' } },
        ],
        ['api -> q'],
      );
      expect((await preview(doc, dir, 'q')).rows).toEqual([
        { id: '1', n: '2', hx: '00FF' },
        { id: '2', n: null, hx: null },
      ]);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
