/*
 * The hostile report's reproductions for params (findings 2, 4, 5 and 9): a param value can never
 * change a query's shape, a number is never rounded, ids never collide in DuckDB's case-insensitive
 * names, and a value in a path is one literal name.
 */
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pathWithParams } from '../core/src/compiler/plan.js';
import { pipeline, problemsOf, run, tempDir } from './support/pipeline.js';

const csv = (file: string) => readFile(file, 'utf8');

describe('finding 2: a string param cannot inject SQL through dollar quotes or nested comments', () => {
  it('$name inside $$…$$ is text, and a value holding $$ reads no file', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'd.csv'), 'id,name\n1,a\n');
    await writeFile(path.join(dir, 'secret.txt'), 'TOP-SECRET');
    const doc = pipeline(
      [
        { id: 'src', type: 'source.csv', params: { path: 'd.csv' } },
        { id: 'q', type: 'transform.sql', params: { query: 'SELECT id, $$ Note: $note $$ AS remark FROM src' } },
        { id: 'out', type: 'sink.csv', params: { path: 'o.csv', if_exists: 'overwrite' } },
      ],
      ['src -> q', 'q -> out'],
      { params: { note: { type: 'string', default: 'hello' } } },
    );
    const note = `$$ AS remark, (SELECT string_agg(content) FROM read_text($f$${path.join(dir, 'secret.txt')}$f$)) AS leaked, $$`;
    const { summary } = await run(doc, dir, { params: { note } });
    expect(summary.status).toBe('succeeded');
    expect(await csv(path.join(dir, 'o.csv'))).toBe('id,remark\n1, Note: $note \n');
  });

  it('$name inside a nested block comment is left alone', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'd.csv'), 'id,name\n1,a\n');
    const doc = pipeline(
      [
        { id: 'src', type: 'source.csv', params: { path: 'd.csv' } },
        { id: 'q', type: 'transform.sql', params: { query: 'SELECT id /* old: /* was */ $note */ FROM src' } },
        { id: 'out', type: 'sink.csv', params: { path: 'o.csv', if_exists: 'overwrite' } },
      ],
      ['src -> q', 'q -> out'],
      { params: { note: { type: 'string', default: 'x' } } },
    );
    const { summary } = await run(doc, dir, { params: { note: '*/, 42 AS injected /*' } });
    expect(summary.status).toBe('succeeded');
    expect(await csv(path.join(dir, 'o.csv'))).toBe('id\n1\n');
  });
});

describe('finding 4: node ids differing only in case', () => {
  it('are refused before anything is read or written', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'data.csv'), 'id,name\n1,alice\n2,bob\n3,carol\n');
    await writeFile(path.join(dir, 'other.csv'), 'id,v\n100,OTHER\n');
    const doc = pipeline(
      [
        { id: 'src', type: 'source.csv', params: { path: 'data.csv' } },
        { id: 'Src', type: 'source.csv', params: { path: 'other.csv' } },
        { id: 'out2', type: 'sink.csv', params: { path: 'o_case2.csv', if_exists: 'overwrite' } },
        { id: 'OUT2', type: 'sink.csv', params: { path: 'o_case3.csv', if_exists: 'overwrite' } },
      ],
      ['src -> out2', 'Src -> OUT2'],
    );
    const problems = await problemsOf(doc, dir);
    expect(problems.map((p) => p.message)).toEqual([
      "node ids 'src' (nodes[0]) and 'Src' (nodes[1]) differ only in letter case; node names in SQL ignore case, so they would be the same node",
      "node ids 'out2' (nodes[2]) and 'OUT2' (nodes[3]) differ only in letter case; node names in SQL ignore case, so they would be the same node",
    ]);
    const { summary } = await run(doc, dir);
    expect(summary.status).toBe('failed');
    expect((await readdir(dir)).filter((f) => f.startsWith('o_'))).toEqual([]);
  });
});

describe('finding 5: a number param selects exactly the rows asked for', () => {
  it('9007199254740993 is not rounded to …992', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'd.csv'), 'id,v\n9007199254740992,wrong_row\n9007199254740993,right_row\n1,one\n');
    const doc = pipeline(
      [
        { id: 'src', type: 'source.csv', params: { path: 'd.csv' } },
        { id: 'f', type: 'transform.filter', params: { condition: 'id = $id' } },
        { id: 'out', type: 'sink.csv', params: { path: 'o.csv', if_exists: 'overwrite' } },
      ],
      ['src -> f', 'f -> out'],
      { params: { id: { type: 'number' } } },
    );
    expect((await run(doc, dir, { params: { id: '9007199254740993' } })).summary.status).toBe('succeeded');
    expect(await csv(path.join(dir, 'o.csv'))).toBe('id,v\n9007199254740993,right_row\n');
    // 1.00000000000000001 is not 1.
    expect((await run(doc, dir, { params: { id: '1.00000000000000001' } })).summary.status).toBe('succeeded');
    expect(await csv(path.join(dir, 'o.csv'))).toBe('id,v\n');
    // Hex is refused, not read as 16.
    expect((await problemsOf(doc, dir, { id: '0x10' })).map((p) => p.message)).toEqual(['param \'id\' expects a number, got "0x10": not a decimal number']);
    // A default JSON would round is written as a string of its digits, and kept exactly.
    const withDefault = { ...doc, params: { id: { type: 'number' as const, default: '9007199254740993' } } };
    expect((await run(withDefault, dir)).summary.status).toBe('succeeded');
    expect(await csv(path.join(dir, 'o.csv'))).toBe('id,v\n9007199254740993,right_row\n');
  });

  it('a negative value after a minus sign cannot start a -- comment', async () => {
    const dir = await tempDir();
    const doc = pipeline([{ id: 'q', type: 'transform.sql', params: { query: 'SELECT 10-$n AS a, 1 AS b' } }, { id: 'out', type: 'sink.csv', params: { path: 'o.csv' } }], ['q -> out'], {
      params: { n: { type: 'number' } },
    });
    expect((await run(doc, dir, { params: { n: '-5' } })).summary.status).toBe('succeeded');
    expect(await csv(path.join(dir, 'o.csv'))).toBe('a,b\n15,1\n');
  });
});

describe('finding 9: a param value in a path is one literal name', () => {
  async function tenants() {
    const dir = await tempDir();
    await mkdir(path.join(dir, 'data'));
    await writeFile(path.join(dir, 'data/acme.csv'), 'id,secret\n1,acme_only\n');
    await writeFile(path.join(dir, 'data/globex.csv'), 'id,secret\n2,globex_only\n');
    const doc = pipeline(
      [
        { id: 'src', type: 'source.csv', params: { path: 'data/${tenant}.csv' } },
        { id: 'out', type: 'sink.csv', params: { path: 'out/${tenant}_export.csv', if_exists: 'overwrite' } },
      ],
      ['src -> out'],
      { params: { tenant: { type: 'string' } } },
    );
    return { dir, doc };
  }

  it('glob characters in the value match only themselves', async () => {
    const { dir, doc } = await tenants();
    const problems = await problemsOf(doc, dir, { tenant: '[ag]*' });
    expect(problems.map((p) => p.message)).toEqual([`node 'src': no file matches data/\${tenant}.csv (${path.join(dir, 'data/[[]ag][*].csv')})`]);
    // With a file of that very name, no other tenant's rows are read. (source.csv then passes the
    // matched name back to DuckDB, which globs it again; it stops there rather than read it: see report.)
    await writeFile(path.join(dir, 'data/[ag]*.csv'), 'id,secret\n3,literal\n');
    const r = await run(doc, dir, { params: { tenant: '[ag]*' } });
    const out = await csv(path.join(dir, 'out/[ag]*_export.csv')).catch(() => '');
    expect(out).not.toMatch(/acme_only|globex_only/);
    if (r.summary.status === 'succeeded') expect(out).toBe('id,secret\n3,literal\n');
  });

  it('an empty value is refused: the path would silently become another one', async () => {
    const { dir, doc } = await tenants();
    const problems = await problemsOf(doc, dir, { tenant: '' });
    expect(problems[0]!.message).toMatch(/param 'tenant' is empty, so the path "data\/\$\{tenant\}.csv" would silently become another path/);
    expect(problems[0]!.path).toBe('nodes[0].params.path');
  });

  it('a value may name folders; glob characters in it are literal in a source, and the pipeline\'s own stay a pattern', () => {
    expect(pathWithParams('${root}/o.csv', { root: '/mnt/exports' }, false)).toEqual({ path: '/mnt/exports/o.csv' });
    expect(pathWithParams('data/${t}*.csv', { t: 'a?c' }, true)).toEqual({ path: 'data/a[?]c*.csv' });
    expect(pathWithParams('data/${t}/x.csv', { t: '2024/[q1]' }, true)).toEqual({ path: 'data/2024/[[]q1]/x.csv' });
    expect(pathWithParams('data/**/${t}.csv', { t: 'x' }, true)).toEqual({ path: 'data/**/x.csv' });
    // A sink's path is not a pattern: the value is written as it is.
    expect(pathWithParams('out/${t}.csv', { t: 'a*[b]' }, false)).toEqual({ path: 'out/a*[b].csv' });
  });

  it('a pattern written in the pipeline still matches several files', async () => {
    const { dir } = await tenants();
    const doc = pipeline(
      [
        { id: 'src', type: 'source.csv', params: { path: 'data/${prefix}*.csv' } },
        { id: 'out', type: 'sink.csv', params: { path: 'o.csv' } },
      ],
      ['src -> out'],
      { params: { prefix: { type: 'string' } } },
    );
    expect((await run(doc, dir, { params: { prefix: 'a' } })).summary.status).toBe('succeeded');
    expect(await csv(path.join(dir, 'o.csv'))).toBe('id,secret\n1,acme_only\n');
  });

  it('a number keeps its spelling in a path', async () => {
    expect(pathWithParams('o_${n}.csv', { n: '007' }, false)).toEqual({ path: 'o_007.csv' });
  });
});

describe('a text param holding the NUL character', () => {
  it('is refused at the param, as its default or as a given value, even when no node uses it', async () => {
    const doc = pipeline([{ id: 'src', type: 'transform.sql', params: { query: 'SELECT 1 AS x' } }], [], { params: { s: { type: 'string', default: 'a\u0000b' } } });
    const dir = await tempDir();
    expect(await problemsOf(doc, dir)).toEqual([
      expect.objectContaining({ code: 'invalid_param', path: 'params.s', message: expect.stringContaining('a text cannot hold the NUL character (U+0000)') }),
    ]);
    expect(await problemsOf(doc, dir, { s: 'x\u0000' })).toEqual([expect.objectContaining({ path: 'params.s' })]);
  });
});

describe('${name} written in SQL', () => {
  const withCondition = (condition: string) =>
    pipeline(
      [{ id: 'src', type: 'transform.sql', params: { query: "SELECT 'shipped' AS status" } }, { id: 'f', type: 'transform.filter', params: { condition } }],
      ['src -> f'],
      { params: { wanted: { type: 'string', default: 'shipped' } } },
    );

  it('inside quotes, where it would be compared as the text ${wanted}, is refused saying to write the param outside them', async () => {
    expect(await problemsOf(withCondition("status = '${wanted}'"), await tempDir())).toEqual([
      expect.objectContaining({ path: 'nodes[1].params.condition', message: expect.stringContaining("'${wanted}' inside quotes is the text ${wanted}, not the param"), hint: expect.stringContaining('status = $wanted') }),
    ]);
  });

  it('outside quotes is refused saying that SQL writes it $wanted', async () => {
    expect(await problemsOf(withCondition('status = ${wanted}'), await tempDir())).toEqual([
      expect.objectContaining({ path: 'nodes[1].params.condition', message: expect.stringContaining('in SQL it is written $wanted') }),
    ]);
  });

  it('in a comment is left as written', async () => {
    expect(await problemsOf(withCondition("status = 'shipped' -- not ${wanted}"), await tempDir())).toEqual([]);
  });
});
