import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { inspect, pipeline, problemsOf, run, tempDir } from '../../../../test/support/pipeline.js';
import { ownerTag } from '../../util/owner.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-sink-csv-');
});

const SRC = `SELECT range AS id, 'José' AS name FROM range(1000)`;

function csvPipeline(params: Record<string, unknown>, query = SRC) {
  return pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query } },
      { id: 'out', type: 'sink.csv', params },
    ],
    ['src -> out'],
  );
}

const expected = (sep = ',') => 'id,name\n'.replaceAll(',', sep) + Array.from({ length: 1000 }, (_, i) => `${i}${sep}José\n`).join('');

/** Files whose names show they are our temp or aside copies. */
async function leftovers(folder: string): Promise<string[]> {
  return (await readdir(folder)).filter((f) => f.includes('.caudal-'));
}

describe('sink.csv', () => {
  it('writes exactly the rows, creating missing folders, and reports the count', async () => {
    const { summary, events } = await run(csvPipeline({ path: 'new/deeper/orders.csv' }), dir);
    expect(summary.status).toBe('succeeded');
    const target = path.join(dir, 'new/deeper/orders.csv');
    expect(summary.outputs).toEqual([{ nodeId: 'out', target, rows: 1000 }]);
    expect(await readFile(target, 'utf8')).toBe(expected());
    expect(await leftovers(path.dirname(target))).toEqual([]);
    expect(events.some((e) => e.type === 'node_finished' && e.nodeId === 'out' && e.rowsOut === 1000)).toBe(true);
  });

  it('applies delimiter, header, quote, null string and date/timestamp formats', async () => {
    const query = `SELECT * FROM (VALUES
      (1, 'a;b', DATE '2024-06-30', TIMESTAMP '2024-06-30 14:05:09', NULL),
      (2, 'it''s', NULL, NULL, 2.5)) t(id, label, d, ts, amount)`;
    const doc = csvPipeline(
      { path: 'formats.csv', delimiter: ';', header: false, quote: "'", null_string: 'NULL', date_format: '%d/%m/%Y', timestamp_format: '%Y%m%dT%H%M%S' },
      query,
    );
    expect((await run(doc, dir)).summary.status).toBe('succeeded');
    expect(await readFile(path.join(dir, 'formats.csv'), 'utf8')).toBe("1;'a;b';30/06/2024;20240630T140509;NULL\n2;'it''s';NULL;NULL;2.5\n");
  });

  it('keeps an empty text and NULL apart: "" and nothing, or with another null string, a quoted single column', async () => {
    const query = `SELECT * FROM (VALUES (''), (NULL), ('NULL'), ('x')) t(v)`;
    expect((await run(csvPipeline({ path: 'empties.csv' }, query), dir)).summary.status).toBe('succeeded');
    expect(await readFile(path.join(dir, 'empties.csv'), 'utf8')).toBe('v\n""\n\nNULL\nx\n');
    // An empty text as an empty line would be skipped by readers: one column is quoted throughout.
    expect((await run(csvPipeline({ path: 'empties_null.csv', null_string: 'NULL' }, query), dir)).summary.status).toBe('succeeded');
    expect(await readFile(path.join(dir, 'empties_null.csv'), 'utf8')).toBe('"v"\n""\nNULL\n"NULL"\n"x"\n');
  });

  it('accepts \\t for a tab delimiter', async () => {
    expect((await run(csvPipeline({ path: 'tabs.tsv', delimiter: '\\t' }), dir)).summary.status).toBe('succeeded');
    expect(await readFile(path.join(dir, 'tabs.tsv'), 'utf8')).toBe(expected('\t'));
  });

  it('compresses when the name ends in .gz', async () => {
    expect((await run(csvPipeline({ path: 'orders.csv.gz' }), dir)).summary.status).toBe('succeeded');
    expect(gunzipSync(await readFile(path.join(dir, 'orders.csv.gz'))).toString('utf8')).toBe(expected());
  });

  it('if_exists=fail stops before reading anything and leaves the file alone', async () => {
    const target = path.join(dir, 'exists.csv');
    await writeFile(target, 'old content\n');
    const doc = csvPipeline({ path: 'exists.csv' });
    const problems = await problemsOf(doc, dir);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ code: 'destination_exists', nodeId: 'out' });
    expect(problems[0]!.message).toContain(target);
    expect(problems[0]!.hint).toContain('overwrite');

    const { summary, events } = await run(doc, dir);
    expect(summary.status).toBe('failed');
    expect(summary.error?.problems?.[0]?.code).toBe('destination_exists');
    expect(events.filter((e) => e.type === 'node_started')).toEqual([]);
    expect(await readFile(target, 'utf8')).toBe('old content\n');
    expect(await leftovers(dir)).toEqual([]);
  });

  it('if_exists=overwrite replaces the file', async () => {
    const target = path.join(dir, 'replace.csv');
    await writeFile(target, 'old content\n');
    const { summary } = await run(csvPipeline({ path: 'replace.csv', if_exists: 'overwrite' }), dir);
    expect(summary.status).toBe('succeeded');
    expect(await readFile(target, 'utf8')).toBe(expected());
    expect(await leftovers(dir)).toEqual([]);
  });

  it('refuses to replace a folder with a file, even with overwrite', async () => {
    await mkdir(path.join(dir, 'a-folder'));
    const problems = await problemsOf(csvPipeline({ path: 'a-folder', if_exists: 'overwrite' }), dir);
    expect(problems.map((p) => p.code)).toEqual(['destination_exists']);
    expect(problems[0]!.message).toContain('is a folder');
  });

  it('a run that fails while writing leaves no file and no temp file', async () => {
    const doc = csvPipeline({ path: 'broken/never.csv' }, `SELECT CASE WHEN range = 900 THEN CAST('x' AS INT) ELSE range END AS id FROM range(1000)`);
    const { summary } = await run(doc, dir);
    expect(summary.status).toBe('failed');
    // The folder the run created for its output is removed again with the temp file.
    expect(existsSync(path.join(dir, 'broken'))).toBe(false);
  });

  it('inspect shows the plan without creating folders', async () => {
    const r = await inspect({ pipeline: csvPipeline({ path: 'planned/only.csv', delimiter: '|' }), baseDir: dir });
    expect(r.problems).toEqual([]);
    const sink = r.nodes.find((n) => n.nodeId === 'out')!.sink!;
    expect(sink.target).toBe(path.join(dir, 'planned/only.csv'));
    expect(sink.stage).toHaveLength(1);
    // The temp name carries the run and its owner process (h<host>p<pid>), so leftovers of a killed run are recognized.
    const temp = path.join(dir, `planned/.only.csv.caudal-inspect-${ownerTag()}.tmp`);
    expect(sink.stage[0]).toBe(`COPY (SELECT * FROM "_n_src__out") TO '${temp}' (FORMAT 'csv', DELIMITER '|', HEADER TRUE, QUOTE '"', ESCAPE '"', NULLSTR '', COMPRESSION 'none')`);
    expect(sink.commit).toEqual([`-- publish: rename ${temp} → ${path.join(dir, 'planned/only.csv')}`]);
    expect(existsSync(path.join(dir, 'planned'))).toBe(false);
  });

  it('checks the format params', async () => {
    const problems = await problemsOf(csvPipeline({ path: 'x.csv', delimiter: '||', quote: '|' }), dir);
    expect(problems.map((p) => [p.code, p.path])).toEqual([['invalid_param', 'nodes[1].params.delimiter']]);
    const same = await problemsOf(csvPipeline({ path: 'x.csv', delimiter: ';', quote: ';' }), dir);
    expect(same.map((p) => [p.code, p.path])).toEqual([['invalid_param', 'nodes[1].params.quote']]);
  });

  it('refuses a date pattern without a % specifier (dd/MM/yyyy wrote that very text in every row) and one DuckDB cannot write (%Q failed the run), before the run', async () => {
    const target = path.join(dir, 'patterns.csv');
    await writeFile(target, 'old\n');
    const java = await problemsOf(csvPipeline({ path: target, if_exists: 'overwrite', date_format: 'dd/MM/yyyy' }), dir);
    expect(java).toEqual([expect.objectContaining({ code: 'invalid_param', path: 'nodes[1].params.date_format', message: "node 'out' (sink.csv): 'dd/MM/yyyy' holds no % specifier: every date would be written as that very text" })]);
    expect(java[0]!.hint).toMatch(/%Y year, %m month, %d day/);
    const unknown = await problemsOf(csvPipeline({ path: target, if_exists: 'overwrite', timestamp_format: '%Y-%m-%d %Q' }), dir);
    expect(unknown).toEqual([
      expect.objectContaining({ code: 'invalid_param', path: 'nodes[1].params.timestamp_format', message: expect.stringMatching(/^node 'out': timestamp_format '%Y-%m-%d %Q' cannot write a timestamp: .*%Q/) }),
    ]);
    const r = await run(csvPipeline({ path: target, if_exists: 'overwrite', timestamp_format: '%Y-%m-%d %Q' }), dir);
    expect(r.summary.status).toBe('failed');
    expect(await readFile(target, 'utf8')).toBe('old\n');
    // A literal % written as %% beside specifiers is a pattern.
    expect(await problemsOf(csvPipeline({ path: target, if_exists: 'overwrite', date_format: '%d%%%m' }), dir)).toEqual([]);
  });

  it('puts quotes and pipeline params in paths safely', async () => {
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: 'SELECT 1 AS id' } },
        { id: 'out', type: 'sink.csv', params: { path: "it's ${day}/o'brien.csv" } },
      ],
      ['src -> out'],
      { params: { day: { type: 'string', default: '2024-06-30' } } },
    );
    expect((await run(doc, dir)).summary.status).toBe('succeeded');
    expect(await readFile(path.join(dir, "it's 2024-06-30/o'brien.csv"), 'utf8')).toBe('id\n1\n');
  });
  it('writes lists, structs and maps as JSON text, which readers can take apart (DuckDB would print a, b unquoted)', async () => {
    const query = `SELECT 1 AS id, ['a, b', 'say "hi"'] AS tags, {'name': 'x, y', 'n': 2, 'at': DATE '2024-06-30'} AS s, MAP {'k': 1.5} AS m, [[1, 2], [3]] AS grid`;
    const { summary } = await run(csvPipeline({ path: 'nested.csv' }, query), dir);
    expect(summary.status).toBe('succeeded');
    const text = await readFile(path.join(dir, 'nested.csv'), 'utf8');
    expect(text).toBe(String.raw`id,tags,s,m,grid
1,"[""a, b"",""say \""hi\""""]","{""name"":""x, y"",""n"":2,""at"":""2024-06-30""}","{""k"":1.5}","[[1,2],[3]]"
`);
    // Read back as CSV, every cell parses as the JSON of its value.
    const cells = await readCsvCells(path.join(dir, 'nested.csv'));
    expect(JSON.parse(cells.tags!)).toEqual(['a, b', 'say "hi"']);
    expect(JSON.parse(cells.s!)).toEqual({ name: 'x, y', n: 2, at: '2024-06-30' });
    expect(JSON.parse(cells.m!)).toEqual({ k: 1.5 });
    expect(JSON.parse(cells.grid!)).toEqual([[1, 2], [3]]);
  });
});

/** The first row of a CSV file as text cells, read by DuckDB's CSV reader. */
async function readCsvCells(file: string): Promise<Record<string, string>> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    const r = await c.runAndReadAll(`SELECT * FROM read_csv('${file.replaceAll("'", "''")}', all_varchar = true)`);
    return r.getRowObjects()[0] as Record<string, string>;
  } finally {
    c.closeSync();
    db.closeSync();
  }
}
