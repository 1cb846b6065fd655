import { existsSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { pipeline, problemsOf, run, tempDir } from './support/pipeline.js';

/**
 * A CSV dialect whose delimiter, quote or NULL text is a line break cannot be read back: rows and
 * fields run into each other (a newline delimiter wrote `1\na,b\n\n2`, a NULL written as a newline
 * read back as an empty text). And DuckDB refuses a NULL text holding the delimiter or the quote
 * only once the run has started, in its own words. All are refused before the run, on the param.
 */
let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-fsh-csv-');
});

const QUERY = `SELECT * FROM (VALUES (1, 'a,b', NULL), (2, 'x' || chr(10) || 'y', 'NULL')) t(id, s, n)`;
const csv = (params: Record<string, unknown>) =>
  pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query: QUERY } },
      { id: 'out', type: 'sink.csv', params: { path: 'out.csv', ...params } },
    ],
    ['src -> out'],
  );

describe('sink.csv dialects that cannot be read back', () => {
  it.each([
    ['a newline delimiter', { delimiter: '\n' }, 'delimiter', 'the delimiter cannot be a line break'],
    ['a carriage-return delimiter', { delimiter: '\r' }, 'delimiter', 'the delimiter cannot be a line break'],
    ['a newline quote', { quote: '\n' }, 'quote', 'the quote cannot be a line break'],
    ['a NULL text holding a newline', { null_string: '\\N\n' }, 'null_string', 'the text written for NULL cannot hold a line break'],
    ['a NULL text holding the delimiter', { null_string: 'n/a;x', delimiter: ';' }, 'null_string', "the text written for NULL cannot hold the delimiter ';'"],
    ['a NULL text holding the quote', { null_string: '"NULL"' }, 'null_string', `the text written for NULL cannot hold the quote '"'`],
    ['a NULL text holding a tab delimiter', { null_string: 'a\tb', delimiter: '\\t' }, 'null_string', "the text written for NULL cannot hold the delimiter '\\t'"],
  ])('%s is refused before the run, on the param', async (_what, params, param, message) => {
    const problems = await problemsOf(csv(params), dir);
    expect(problems).toEqual([expect.objectContaining({ code: 'invalid_param', path: `nodes[1].params.${param}`, message: expect.stringContaining(message) })]);
    const { summary } = await run(csv(params), dir);
    expect(summary.status).toBe('failed');
    expect(existsSync(path.join(dir, 'out.csv'))).toBe(false);
  });

  it('a NULL text such as \\N or NULL, and a tab delimiter, are fine', async () => {
    expect(await problemsOf(csv({ null_string: '\\N', delimiter: '\\t' }), dir)).toEqual([]);
    expect(await problemsOf(csv({ null_string: 'NULL', delimiter: '|' }), dir)).toEqual([]);
  });
});

describe('sink.csv: a timestamp format applies to every kind of timestamp', () => {
  // DuckDB's TIMESTAMPFORMAT left TIMESTAMP_NS and TIMESTAMP_MS columns in ISO (one file, two
  // layouts) and wrote a TIMESTAMPTZ as its UTC time with no offset, read back as a naive TIMESTAMP.
  const stamps = (timestamp_format: string, file: string) =>
    pipeline(
      [
        {
          id: 'src',
          type: 'transform.sql',
          params: { query: "SELECT TIMESTAMP '2024-01-02 03:04:05' AS ts, '2024-01-02 03:04:05.123456789'::TIMESTAMP_NS AS ns, '2024-01-02 03:04:05.123'::TIMESTAMP_MS AS ms, '2024-01-02 03:04:05+05'::TIMESTAMPTZ AS tz" },
        },
        { id: 'out', type: 'sink.csv', params: { path: file, timestamp_format } },
      ],
      ['src -> out'],
    );

  it('TIMESTAMP, TIMESTAMP_NS and TIMESTAMP_MS follow the pattern; a TIMESTAMPTZ too, with a warning when the pattern writes no offset', async () => {
    const { readFile } = await import('node:fs/promises');
    const { summary, events } = await run(stamps('%d/%m/%Y %H:%M:%S', 'plain.csv'), dir);
    expect(summary.status).toBe('succeeded');
    expect(await readFile(path.join(dir, 'plain.csv'), 'utf8')).toBe('ts,ns,ms,tz\n02/01/2024 03:04:05,02/01/2024 03:04:05,02/01/2024 03:04:05,01/01/2024 22:04:05\n');
    expect(JSON.stringify(events)).toContain("column 'tz' is TIMESTAMP WITH TIME ZONE and the timestamp format \\\"%d/%m/%Y %H:%M:%S\\\" writes no offset");
  });

  it('with %z the offset is written, and nothing is said', async () => {
    const { readFile } = await import('node:fs/promises');
    const { summary, events } = await run(stamps('%Y-%m-%dT%H:%M:%S%z', 'zoned.csv'), dir);
    expect(summary.status).toBe('succeeded');
    expect((await readFile(path.join(dir, 'zoned.csv'), 'utf8')).split('\n')[1]).toBe('2024-01-02T03:04:05+00,2024-01-02T03:04:05+00,2024-01-02T03:04:05+00,2024-01-01T22:04:05+00');
    expect(JSON.stringify(events)).not.toContain('writes no offset');
  });
});
