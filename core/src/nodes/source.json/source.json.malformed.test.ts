import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { pipeline, problemsOf, run, tempDir } from '../../../../test/support/pipeline.js';

/**
 * A record DuckDB cannot parse is named by the line it is on. DuckDB's own number is one too high
 * ("line 3" for the second record, in every layout and however far into the file: DuckDB 1.5.6)
 * and counts records, not lines; the message says which record it is, and the node finds its line
 * in the file. Each expectation below was checked against the file's content by eye.
 */

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-json-malformed-');
});

const read = (file: string, params: Record<string, unknown> = {}) => pipeline([{ id: 'src', type: 'source.json', params: { path: file, ...params } }]);

/** The plan's one problem for `content`, written to `name`. */
async function problemFor(name: string, content: string | Buffer, params: Record<string, unknown> = {}): Promise<string> {
  await writeFile(path.join(dir, name), content);
  const problems = await problemsOf(read(name, params), dir);
  expect(problems).toHaveLength(1);
  return problems[0]!.message;
}

describe('source.json: the line of a malformed record', () => {
  it('a bad record mid-file is named by its own line, not the next one (source.json → sink.json)', async () => {
    await writeFile(path.join(dir, 'bad2.ndjson'), '{"a":1}\n{"a":2 x}\n{"a":3}\n');
    const doc = pipeline(
      [
        { id: 'src', type: 'source.json', params: { path: 'bad2.ndjson' } },
        { id: 'out', type: 'sink.json', params: { path: 'bad2-out.json' } },
      ],
      ['src -> out'],
    );
    const { summary } = await run(doc, dir);
    expect(summary.status).toBe('failed');
    expect(summary.error!.problems).toEqual([
      expect.objectContaining({
        nodeId: 'src',
        message: `node 'src': Invalid Input Error: Malformed JSON in file "${path.join(dir, 'bad2.ndjson')}", in record 2 (at its byte 8): unexpected character. (record 2 is line 2 of the file)`,
      }),
    ]);
  });

  it.each([
    ['the first line', 'first.ndjson', '{"a":1 x}\n{"a":2}\n', 'in record 1 (at its byte 8): unexpected character. (record 1 is line 1 of the file)'],
    ['a truncated last record without a final newline', 'cut.ndjson', '{"a":1}\n{"a":2', 'in record 2 (at its byte 7): unexpected end of data. (record 2 is line 2 of the file)'],
    ['a truncated last record with a final newline', 'cut-nl.ndjson', '{"a":1}\n{"a":2\n', 'in record 2 (at its byte 8): unexpected end of data. (record 2 is line 2 of the file)'],
    ['a file without a final newline', 'no-final.ndjson', '{"a":1}\n{"a":2 x}\n{"a":3}', '(record 2 is line 2 of the file)'],
    ['CRLF line ends', 'crlf.ndjson', '{"a":1}\r\n{"a":2 x}\r\n{"a":3}\r\n', 'in record 2 (at its byte 8): unexpected character. (record 2 is line 2 of the file)'],
    ['a byte-order mark, bad record second', 'bom.ndjson', '\uFEFF{"a":1}\n{"a":2 x}\n{"a":3}\n', 'in record 2 (at its byte 8): unexpected character. (record 2 is line 2 of the file)'],
    ['a byte-order mark, bad record first', 'bom-first.ndjson', '\uFEFF{"a":1 x}\n{"a":2}\n', 'in record 1 (at its byte 8): unexpected character. (record 1 is line 1 of the file)'],
    ['blank lines before it (DuckDB does not count them)', 'blank.ndjson', '{"a":1}\n\n\n{"a":2 x}\n', 'in record 2 (at its byte 8): unexpected character. (record 2 is line 4 of the file)'],
    ['multi-byte characters before the bad one in its line', 'utf8.ndjson', '{"a":"ééé"}\n{"a":"ééé" z}\n', 'in record 2 (at its byte 15): unexpected character. (record 2 is line 2 of the file)'],
    ['a JSON array, one record a line', 'array.json', '[\n{"a":1},\n{"a":2 x},\n{"a":3}\n]\n', 'in record 2 (at its byte 8): unexpected character. (record 2 is line 3 of the file)'],
    ['a JSON array on one line', 'array-line.json', '[{"a":1},{"a":2 x},{"a":3}]\n', 'in record 2 (at its byte 8): unexpected character. (record 2 is line 1 of the file)'],
    ['a JSON array behind a byte-order mark', 'array-bom.json', '\uFEFF[\n{"a":1},\n{"a":2 x}\n]\n', 'in record 2 (at its byte 8): unexpected character. (record 2 is line 3 of the file)'],
    [
      'a pretty-printed array: the record starts on one line, the error is on another',
      'pretty.json',
      '[\n  {\n    "a": 1\n  },\n  {\n    "a": 2,\n    "b": [\n      3 x\n    ]\n  }\n]\n',
      'in record 2 (at its byte 34): unexpected character. (record 2 starts on line 5 of the file, and DuckDB stopped reading it on line 8)',
    ],
    ['a record cut off before its closing brace', 'open.ndjson', '{"id": 1}\n{"id": 2,\n{"id": 3}\n', '(record 2 starts on line 2 of the file, and DuckDB stopped reading it on line 3)'],
  ])('%s', async (_what, name, content, expected) => {
    const message = await problemFor(name, content);
    expect(message).toMatch(new RegExp(`^node 'src': Invalid Input Error: Malformed JSON in file "[^"]*${name.replace('.', '\\.')}", `));
    expect(message.endsWith(expected)).toBe(true);
  });

  it('a gzip-compressed file: the line in the uncompressed text', async () => {
    const message = await problemFor('packed.ndjson.gz', gzipSync('{"a":1}\n{"a":2}\n\n{"a":3 x}\n'));
    expect(message).toContain('in record 3 (at its byte 8): unexpected character. (record 3 is line 4 of the file)');
  });

  it('a record past the detection sample fails the run with its line, blank lines counted', { timeout: 60_000 }, async () => {
    const records = Array.from({ length: 30_000 }, (_, i) => JSON.stringify({ id: i, name: `n${i}` }));
    await writeFile(path.join(dir, 'late.ndjson'), `${records.slice(0, 25_000).join('\n')}\n\n${records.slice(25_000).join('\n')}\n{"id": 3,, }\n`);
    expect(await problemsOf(read('late.ndjson'), dir)).toEqual([]);
    const { summary } = await run(read('late.ndjson'), dir, { metrics: 'exact' });
    expect(summary.status).toBe('failed');
    expect(summary.error).toMatchObject({ nodeId: 'src' });
    expect(summary.error!.message).toMatch(/^node 'src' \(source\.json\).* failed: Invalid Input Error: Malformed JSON in file ".*late\.ndjson", in record 30001 \(at its byte 10\): unexpected character\. \(record 30001 is line 30002 of the file\)$/);
  });
});
