import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { pipeline, preview, problemsOf, run, tempDir } from '../../../../test/support/pipeline.js';

/**
 * A comma-separated file with one short and one long row (lines 3 and 4). Detection cannot find
 * one format that fits every line, and must not fall back to reading whole lines as one column.
 */
const SHORT_LONG = 'a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n';

let dir: string;

/** Windows-1252 bytes for text made of Latin-1 characters plus €. */
const cp1252 = (text: string) => Buffer.from([...text].map((ch) => (ch === '€' ? 0x80 : ch.charCodeAt(0))));

async function write(name: string, content: string | Buffer): Promise<string> {
  const file = path.join(dir, name);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  return file;
}

const csv = (params: Record<string, unknown>) => pipeline([{ id: 'src', type: 'source.csv', params }]);

beforeAll(async () => {
  dir = await tempDir('caudal-csv-malformed-');
  await write('short_long.csv', SHORT_LONG);
  await write('short_long_1252.csv', cp1252(SHORT_LONG.replace('1,2,3', '1,€,3')));
});

describe('source.csv: a malformed file with an auto-detected format', () => {
  for (const on_error of ['fail', 'reject']) {
    it(`is refused, not read as one column (on_error "${on_error}"), saying what was seen and which param to set`, async () => {
      const problems = await problemsOf(csv({ path: 'short_long.csv', on_error }), dir);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({ code: 'bind_error', nodeId: 'src', path: 'nodes[0].params.delimiter' });
      const message = problems[0]?.message ?? '';
      expect(message).toContain(`node 'src': cannot tell the format of ${path.join(dir, 'short_long.csv')}`);
      expect(message).toContain('one column named "a,b,c"');
      expect(message).toContain('its header line has 3 fields separated by ","');
      expect(message).toContain('line 3: Expected Number of Columns: 3 Found: 2');
      expect(problems[0]?.hint).toContain('set delimiter to ","');
      // The run stops before reading anything, with the same explanation.
      const { summary } = await run(csv({ path: 'short_long.csv', on_error }), dir);
      expect(summary.status).toBe('failed');
      expect(summary.error?.message).toContain('one column named "a,b,c"');
    });
  }

  it('still reads a one-column file whose header holds a comma', async () => {
    await write('one_column.csv', 'Last, First\nAnn\nBob\n');
    const r = await preview(csv({ path: 'one_column.csv' }), dir, 'src');
    expect(r.rows).toEqual([{ 'Last, First': 'Ann' }, { 'Last, First': 'Bob' }]);
  });

  it('names the user\'s file, not the converted copy, when the file is Windows-1252', async () => {
    const problems = await problemsOf(csv({ path: 'short_long_1252.csv' }), dir);
    expect(problems[0]?.message).toContain(`cannot tell the format of ${path.join(dir, 'short_long_1252.csv')}`);
    expect(problems[0]?.message).not.toContain('src__');
  });
});

describe('source.csv: a malformed file with the delimiter set', () => {
  it('validates, then a strict run stops at the first bad line with file, line number and reason', async () => {
    const doc = csv({ path: 'short_long.csv', delimiter: ',' });
    expect(await problemsOf(doc, dir)).toEqual([]);
    const { summary } = await run(doc, dir, { metrics: 'exact' });
    expect(summary.status).toBe('failed');
    const message = summary.error?.message ?? '';
    expect(message).toContain("node 'src'");
    expect(message).toContain(path.join(dir, 'short_long.csv'));
    expect(message).toMatch(/Line: 3\b/);
    expect(message).toContain('Expected Number of Columns: 3 Found: 2');
    // DuckDB's own option names (strict_mode, null_padding, …) are not the node's params.
    expect(message).not.toMatch(/strict_mode|null_padding|ignore_errors/);
  });

  it('with on_error "reject" passes the good rows exactly and lists every bad line', async () => {
    for (const params of [
      { path: 'short_long.csv', delimiter: ',', on_error: 'reject' },
      { path: 'short_long.csv', columns: ['a', 'b', 'c'].map((name) => ({ name, type: 'BIGINT' })), on_error: 'reject' },
    ]) {
      const out = await preview(csv(params), dir, 'src');
      expect(out.columns.map((c) => c.name)).toEqual(['a', 'b', 'c']);
      expect(out.rows).toEqual([
        { a: '1', b: '2', c: '3' },
        { a: '10', b: '11', c: '12' },
      ]);
      const rejects = await preview(csv(params), dir, 'src', { port: 'rejects' });
      expect(rejects.rows.map((r) => [r.file, r.line, r.raw_line, r.error])).toEqual([
        [path.join(dir, 'short_long.csv'), '3', '4,5', 'Expected Number of Columns: 3 Found: 2'],
        [path.join(dir, 'short_long.csv'), '4', '6,7,8,9', 'Expected Number of Columns: 3 Found: 4'],
      ]);
    }
  });

  it('in a run with rejects, counts them and writes the good rows', async () => {
    const doc = pipeline(
      [
        { id: 'src', type: 'source.csv', params: { path: 'short_long.csv', delimiter: ',', on_error: 'reject' } },
        { id: 'good', type: 'sink.csv', params: { path: 'out/good.csv', if_exists: 'overwrite' } },
        { id: 'bad', type: 'sink.csv', params: { path: 'out/bad.csv', if_exists: 'overwrite' } },
      ],
      ['src -> good', 'src:rejects -> bad'],
    );
    const { summary, events } = await run(doc, dir);
    expect(summary.error).toBeUndefined();
    expect(summary.outputs.map((o) => [o.nodeId, o.rows])).toEqual([
      ['good', 2],
      ['bad', 2],
    ]);
    expect(events.filter((e) => e.type === 'warning').map((e) => (e as { message: string }).message)).toEqual([
      "2 malformed rows of short_long.csv were set aside on the 'rejects' port",
    ]);
  });

  it('names the user\'s file and line when a Windows-1252 file was converted first', async () => {
    const { summary } = await run(csv({ path: 'short_long_1252.csv', delimiter: ',' }), dir, { metrics: 'exact' });
    expect(summary.status).toBe('failed');
    const message = summary.error?.message ?? '';
    expect(message).toContain(path.join(dir, 'short_long_1252.csv'));
    expect(message).not.toContain('src__');
    expect(message).toMatch(/Line: 3\b/);
    const rejects = await preview(csv({ path: 'short_long_1252.csv', delimiter: ',', on_error: 'reject' }), dir, 'src', { port: 'rejects' });
    expect(rejects.rows.map((r) => [r.file, r.line, r.raw_line])).toEqual([
      [path.join(dir, 'short_long_1252.csv'), '3', '4,5'],
      [path.join(dir, 'short_long_1252.csv'), '4', '6,7,8,9'],
    ]);
    const good = await preview(csv({ path: 'short_long_1252.csv', delimiter: ',', on_error: 'reject' }), dir, 'src');
    expect(good.rows[0]).toEqual({ a: '1', b: '€', c: '3' });
  });
});

describe('source.csv: a file whose line endings change (Windows and Unix lines in one file)', () => {
  const sink = (file: string) =>
    pipeline([
      { id: 'src', type: 'source.csv', params: { path: file } },
      { id: 'out', type: 'sink.csv', params: { path: `out-${file}` } },
    ], ['src -> out']);

  it('near the top: refused before the run, naming the line and the two endings', async () => {
    await write('mixed_head.csv', 'a,b\r\n1,2\n3,4\r\n');
    const problems = await problemsOf(csv({ path: 'mixed_head.csv' }), dir);
    expect(problems).toEqual([expect.objectContaining({ path: 'nodes[0].params.path', hint: 'convert the file to one kind of line ending, then run again' })]);
    expect(problems[0]!.message).toBe(
      `node 'src': ${path.join(dir, 'mixed_head.csv')} mixes line endings: line 2 ends with LF (\\n, Unix), the lines before it with CRLF (\\r\\n, Windows), and the CSV reader takes one kind per file; convert the file to one (e.g. with dos2unix or unix2dos)`,
    );
  });

  it('past the rows sampled: the run stops with the line where the endings change, and writes nothing', async () => {
    const lines = ['id,name,qty'];
    for (let i = 1; i <= 30_000; i++) lines.push(`${i},n${i},${i}`);
    await write('mixed_late.csv', `${lines.join('\n')}\n30001,late,5\r\n`);
    const { summary } = await run(sink('mixed_late.csv'), dir);
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain(`${path.join(dir, 'mixed_late.csv')} mixes line endings: line 30002 ends with CRLF (\\r\\n, Windows), the lines before it with LF (\\n, Unix)`);
    // DuckDB's list of its reader's options is left out once the cause is known.
    expect(summary.error?.message).not.toContain('strict_mode');
    await expect(readFile(path.join(dir, 'out-mixed_late.csv'))).rejects.toThrow();
  });
});
