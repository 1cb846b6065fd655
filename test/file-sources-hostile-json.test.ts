import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { inspect, pipeline, preview, problemsOf, run, tempDir } from './support/pipeline.js';

/**
 * Hostile JSON files for source.json: the aim is that no file is read silently wrong (a value
 * turned NULL, a row invented, every record folded into one text column), and that an error's
 * advice does not lead there either.
 */

let dir: string;
const src = (params: Record<string, unknown>) => pipeline([{ id: 'src', type: 'source.json', params }]);
const ndjson = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
const many = (n: number) => Array.from({ length: n }, (_, i) => ({ id: i, a: 'x' }));

beforeAll(async () => {
  dir = await tempDir('caudal-json-hostile-');
});

describe('source.json: a listed key spelled in another letter case than the file\'s', () => {
  it('is refused naming the listed key, the key as written and the file, instead of reading NULL in every row', async () => {
    await writeFile(path.join(dir, 'upper.ndjson'), ndjson([{ Id: 1, Name: 'José' }, { Id: 2, Name: 'Zoë' }]));
    const doc = src({ path: 'upper.ndjson', columns: [{ name: 'id', type: 'BIGINT' }, { name: 'Name', type: 'VARCHAR' }] });
    const problems = await problemsOf(doc, dir);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ nodeId: 'src', path: 'nodes[0].params.columns[0].name' });
    expect(problems[0]!.message).toContain(`listed key "id" is written "Id" in ${path.join(dir, 'upper.ndjson')}`);
    expect(problems[0]!.hint).toMatch(/list it as "Id"/);
    const { summary } = await run(doc, dir, { metrics: 'exact' });
    expect(summary.status).toBe('failed');
  });

  it('reads the key listed as written, and a key absent from the file stays NULL as documented', async () => {
    await writeFile(path.join(dir, 'upper2.ndjson'), ndjson([{ Id: 1 }, { Id: 2 }]));
    const r = await preview(src({ path: 'upper2.ndjson', columns: [{ name: 'Id', type: 'BIGINT' }, { name: 'missing', type: 'VARCHAR' }] }), dir, 'src');
    expect(r.rows).toEqual([
      { Id: '1', missing: null },
      { Id: '2', missing: null },
    ]);
  });

  it('is not refused when the file holds the key as listed too (then the case clash is the data\'s)', async () => {
    await writeFile(path.join(dir, 'both.ndjson'), ndjson([{ id: 1 }, { ID: 2 }]));
    expect(await problemsOf(src({ path: 'both.ndjson', columns: [{ name: 'id', type: 'BIGINT' }] }), dir)).toEqual([]);
  });
});

describe('source.json: error advice that does not lead to a silent misread', () => {
  it('a duplicate key in a record names the key and line and asks for the data to be fixed, not for a bigger sample', async () => {
    await writeFile(path.join(dir, 'dup.ndjson'), ndjson([{ id: 1 }]) + '{"id": 2, "id": 3}\n');
    const { summary } = await run(src({ path: 'dup.ndjson' }), dir, { metrics: 'exact' });
    expect(summary.status).toBe('failed');
    const message = summary.error!.message;
    expect(message).toMatch(/in line 2: Object .* has duplicate key "id"/);
    expect(message).toContain('key "id" appears twice in one record');
    expect(message).not.toContain('sample_size');
  });

  it('a record that is not an object past the sample is not answered with sample_size -1 (which reads every record into one column "json")', async () => {
    await writeFile(path.join(dir, 'late-array.ndjson'), ndjson([...many(30_000), [1, 2]]));
    const { summary } = await run(src({ path: 'late-array.ndjson' }), dir, { metrics: 'exact' });
    expect(summary.status).toBe('failed');
    const message = summary.error!.message;
    expect(message).toMatch(/in line 30001: Expected OBJECT, but got ARRAY/);
    expect(message).toContain('a record that is not an object cannot be a row');
    expect(message).not.toContain('sample_size');
  });

  it('with listed columns, a value that does not fit its listed type does not blame detection', async () => {
    await writeFile(path.join(dir, 'listed-struct.ndjson'), ndjson([{ s: { a: 1 } }, { s: 'text' }]));
    const { summary } = await run(src({ path: 'listed-struct.ndjson', columns: [{ name: 's', type: 'STRUCT(a VARCHAR)' }] }), dir, { metrics: 'exact' });
    expect(summary.status).toBe('failed');
    const message = summary.error!.message;
    expect(message).toMatch(/in line 2/);
    expect(message).not.toContain('were detected');
    expect(message).toContain('the types listed under columns');
  });
});

describe('source.json: records that are not objects among objects', () => {
  it('warns, naming the file and the record, when the sample mixes objects with other values (all read as one column "json")', async () => {
    const file = path.join(dir, 'mixed.json');
    await writeFile(file, JSON.stringify([{ id: 1 }, [1, 2], { id: 2 }]));
    const result = await inspect({ pipeline: src({ path: 'mixed.json' }), baseDir: dir });
    expect(result.problems).toEqual([]);
    expect(result.nodes[0]!.outputs[0]!.columns.map((c) => c.name)).toEqual(['json']);
    const messages = (result.warnings ?? []).map((w) => w.message);
    expect(messages).toEqual([expect.stringContaining(`record 2 of ${file} is an array, not an object`)]);
    expect(messages[0]).toContain('column "json"');
  });

  it('warns when a null record among objects becomes a row of NULLs', async () => {
    const file = path.join(dir, 'null-record.ndjson');
    await writeFile(file, '{"id": 1}\nnull\n{"id": 2}\n');
    const result = await inspect({ pipeline: src({ path: 'null-record.ndjson' }), baseDir: dir });
    const messages = (result.warnings ?? []).map((w) => w.message);
    expect(messages).toEqual([expect.stringContaining(`record 2 of ${file} is null, not an object`)]);
    expect(messages[0]).toContain('a row whose every column is NULL');
  });

  it('warns with every record sampled, where the non-object record lies past the default sample', async () => {
    await writeFile(path.join(dir, 'late-array-all.ndjson'), ndjson([...many(30_000), [1, 2]]));
    const result = await inspect({ pipeline: src({ path: 'late-array-all.ndjson', sample_size: -1 }), baseDir: dir });
    const messages = (result.warnings ?? []).map((w) => w.message);
    expect(messages).toEqual([expect.stringContaining('record 30001 of')]);
  });

  it('does not warn for a file of objects, nor for one whose records are all scalars', async () => {
    await writeFile(path.join(dir, 'objects.ndjson'), ndjson(many(3)));
    await writeFile(path.join(dir, 'scalars.json'), '[1, 2, 3]');
    for (const file of ['objects.ndjson', 'scalars.json']) {
      const result = await inspect({ pipeline: src({ path: file }), baseDir: dir });
      expect(result.warnings ?? []).toEqual([]);
    }
  });
});

describe('source.json: a file nested thousands of levels deep', () => {
  it('is refused before DuckDB reads it, naming the file and the line, instead of the process dying of a stack overflow', async () => {
    const file = path.join(dir, 'deep.ndjson');
    const depth = 100_000;
    await writeFile(file, ndjson([{ id: 1 }]) + '['.repeat(depth) + ']'.repeat(depth) + '\n');
    const problems = await problemsOf(src({ path: 'deep.ndjson' }), dir);
    expect(problems).toEqual([expect.objectContaining({ nodeId: 'src', path: 'nodes[0].params.path' })]);
    expect(problems[0]!.message).toContain(`${file} nests objects or lists more than 1000 levels deep at line 2`);
  });

  it('a later file of a pattern is refused before DuckDB samples it (it sampled the files after the first, and the process died)', async () => {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(path.join(dir, 'deep-later'));
    await writeFile(path.join(dir, 'deep-later', 'a.ndjson'), ndjson([{ id: 1 }]));
    const depth = 100_000;
    await writeFile(path.join(dir, 'deep-later', 'b.ndjson'), ndjson([{ id: 2 }]) + '{"x":'.repeat(depth) + '1' + '}'.repeat(depth) + '\n');
    const problems = await problemsOf(src({ path: 'deep-later/*.ndjson' }), dir);
    expect(problems).toEqual([expect.objectContaining({ nodeId: 'src', path: 'nodes[0].params.path' })]);
    expect(problems[0]!.message).toContain(`${path.join(dir, 'deep-later', 'b.ndjson')} nests objects or lists more than 1000 levels deep at line 2`);
  });

  it('a record past the head planning scans is refused by the run before DuckDB reads it; nothing is written', async () => {
    const records = 700_000; // ~10 MB of small records before the deep one: more than the 8 MB head, and far more than DuckDB samples
    const depth = 100_000;
    const file = path.join(dir, 'deep-far.ndjson');
    await writeFile(file, ndjson(Array.from({ length: records }, (_, i) => ({ id: i }))) + '['.repeat(depth) + ']'.repeat(depth) + '\n');
    const doc = pipeline(
      [
        { id: 'src', type: 'source.json', params: { path: 'deep-far.ndjson' } },
        { id: 'out', type: 'sink.csv', params: { path: 'deep-far.csv' } },
      ],
      ['src -> out'],
    );
    expect(await problemsOf(doc, dir)).toEqual([]);
    const { summary } = await run(doc, dir);
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain(`${file} nests objects or lists more than 1000 levels deep at line ${records + 1}`);
    const { existsSync } = await import('node:fs');
    expect(existsSync(path.join(dir, 'deep-far.csv'))).toBe(false);
  });

  it('a gzip file is scanned as its text: a deep one is refused, and one whose compressed bytes hold many brackets is read', async () => {
    const { gzipSync } = await import('node:zlib');
    await writeFile(path.join(dir, 'deep.ndjson.gz'), gzipSync(ndjson([{ id: 1 }]) + '['.repeat(5000) + ']'.repeat(5000) + '\n'));
    const problems = await problemsOf(src({ path: 'deep.ndjson.gz' }), dir);
    expect(problems[0]?.message).toContain('deep.ndjson.gz nests objects or lists more than 1000 levels deep at line 2');
    // Compressed bytes that open 2000 brackets in a row: read as bytes, the file would look nested.
    const plain = ndjson([{ id: 1 }, { id: 2 }]);
    const gz = gzipSync(plain);
    const shaped = Buffer.concat([gz.subarray(0, 10), Buffer.from('['.repeat(2000)), gz.subarray(10)]);
    // (A gzip member's header has room for a file name: put the brackets there, where gunzip skips them.)
    shaped[3] = gz[3]! | 0x08;
    shaped[10 + 2000 - 1] = 0;
    await writeFile(path.join(dir, 'brackets.ndjson.gz'), shaped);
    expect(await problemsOf(src({ path: 'brackets.ndjson.gz' }), dir)).toEqual([]);
  });

  it('a zstd file is scanned as its text: a deep one is refused (DuckDB died of it), a deep one past the planning head stops the run, a shallow one is read', async () => {
    const { Db } = await import('../core/src/compiler/db.js');
    const db = await Db.open({ threads: 1 });
    // DuckDB writes the zstd files: each row's text as one line.
    const zstdLines = (file: string, lines: string) => db.run(`COPY (SELECT t FROM (${lines}) ORDER BY n) TO '${path.join(dir, file)}' (FORMAT csv, HEADER false, QUOTE '', ESCAPE '', COMPRESSION zstd)`);
    try {
      await zstdLines('deep.ndjson.zst', `VALUES (1, '{"id": 1}'), (2, repeat('[', 100000) || repeat(']', 100000))) v(n, t`);
      await zstdLines('deep-far.ndjson.zst', `SELECT i AS n, '{"id": ' || i || '}' AS t FROM range(1500000) r(i) UNION ALL VALUES (1500000, repeat('[', 5000) || repeat(']', 5000))`);
      await zstdLines('shallow.ndjson.zst', `VALUES (1, '{"id": 1, "s": "[[[["}'), (2, '{"id": 2, "s": "]]"}')) v(n, t`);
    } finally {
      db.close();
    }
    const problems = await problemsOf(src({ path: 'deep.ndjson.zst' }), dir);
    expect(problems).toEqual([expect.objectContaining({ nodeId: 'src', path: 'nodes[0].params.path' })]);
    expect(problems[0]!.message).toContain('deep.ndjson.zst nests objects or lists more than 1000 levels deep at line 2');
    // ~20 MB of text before the deep line: past the 8 MB planning scans, caught by the run's full scan.
    const far = pipeline([{ id: 'src', type: 'source.json', params: { path: 'deep-far.ndjson.zst' } }, { id: 'out', type: 'sink.csv', params: { path: 'deep-far-zst.csv' } }], ['src -> out']);
    expect(await problemsOf(far, dir)).toEqual([]);
    const { summary } = await run(far, dir);
    expect(summary.error?.message).toContain('deep-far.ndjson.zst nests objects or lists more than 1000 levels deep at line 1500001');
    expect((await preview(src({ path: 'shallow.ndjson.zst' }), dir, 'src')).rows).toEqual([
      { id: '1', s: '[[[[' },
      { id: '2', s: ']]' },
    ]);
  }, 120_000);

  it('reads a file nested a few hundred levels deep, and deep text inside strings is no nesting', async () => {
    const nested = '{"a":'.repeat(300) + '1' + '}'.repeat(300);
    await writeFile(path.join(dir, 'nested-300.ndjson'), `${nested}\n{"s": ${JSON.stringify('['.repeat(5000))}}\n`);
    expect(await problemsOf(src({ path: 'nested-300.ndjson', maximum_depth: 2 }), dir)).toEqual([]);
  });
});

describe('source.json: a file name column whose name a key holds in another letter case', () => {
  it('is refused naming the key, instead of the path landing in a renamed column (Source_File_1) while Source_File reads the key', async () => {
    await writeFile(path.join(dir, 'own-file-key.ndjson'), ndjson([{ id: 1, source_file: 'mine' }]));
    const problems = await problemsOf(src({ path: 'own-file-key.ndjson', filename_column: 'Source_File' }), dir);
    expect(problems).toEqual([expect.objectContaining({ nodeId: 'src', path: 'nodes[0].params.filename_column' })]);
    expect(problems[0]!.message).toContain('file name column "Source_File" clashes with the key "source_file"');
  });
});
