import { access, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { expandHome } from '../core/src/compiler/read-own-output.js';
import { globToRegExp } from '../core/src/util/glob.js';
import { pipeline, problemsOf, run, tempDir } from './support/pipeline.js';

/** Paths in a pipeline: `~/` is the home folder; a source pattern may not match the pipeline's own output. */

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-paths-');
});

describe('globToRegExp (DuckDB glob semantics)', () => {
  it.each([
    ['/a/g/*.csv', '/a/g/all.csv', true],
    ['/a/g/*.csv', '/a/g/sub/all.csv', false],
    ['/a/**/*.csv', '/a/g/sub/all.csv', true],
    ['/a/**/*.csv', '/a/all.csv', true],
    ['/a/part?.csv', '/a/part1.csv', true],
    ['/a/[ab]*.csv', '/a/b1.csv', true],
    ['/a/[!ab]*.csv', '/a/b1.csv', false],
    ['/a/[*].csv', '/a/x.csv', false],
    ['/a/[*].csv', '/a/*.csv', true],
    ['/a/(x)+.csv', '/a/(x)+.csv', true],
  ])('%s matches %s: %s', (pattern, file, expected) => {
    expect(globToRegExp(pattern).test(file)).toBe(expected);
  });
});

describe('expandHome', () => {
  it('expands ~ and ~/ only', () => {
    expect(expandHome('~/x/o.csv', '/home/u')).toBe('/home/u/x/o.csv');
    expect(expandHome('~', '/home/u')).toBe('/home/u');
    expect(expandHome('~other/o.csv', '/home/u')).toBe('~other/o.csv');
    expect(expandHome('a/~/o.csv', '/home/u')).toBe('a/~/o.csv');
  });
});

describe('pipeline paths', () => {
  it('a source pattern matching its own sink output is refused, naming both nodes', async () => {
    await mkdir(path.join(dir, 'g'), { recursive: true });
    await writeFile(path.join(dir, 'g', 'part1.csv'), 'id,v\n1,a\n');
    await writeFile(path.join(dir, 'g', 'part2.csv'), 'id,v\n2,b\n');
    const doc = pipeline(
      [
        { id: 'src', type: 'source.csv', params: { path: 'g/*.csv' } },
        { id: 'out', type: 'sink.csv', params: { path: 'g/all.csv', if_exists: 'overwrite' } },
      ],
      ['src -> out'],
    );
    expect(await problemsOf(doc, dir)).toEqual([
      expect.objectContaining({
        nodeId: 'out',
        path: 'nodes[1].params.path',
        message: `node 'src' reads ${path.join(dir, 'g', '*.csv')}, which matches ${path.join(dir, 'g', 'all.csv')}, what node 'out' writes: every run would read the previous run's output again`,
      }),
    ]);
    const { summary } = await run(doc, dir);
    expect(summary.status).toBe('failed');
    await expect(access(path.join(dir, 'g', 'all.csv'))).rejects.toThrow();
  });

  it('a source path naming an existing file with glob characters in its name is that file, not a pattern over the sink it feeds', async () => {
    await mkdir(path.join(dir, 'exact'), { recursive: true });
    await writeFile(path.join(dir, 'exact', 'data[1].csv'), 'id,v\n1,a\n');
    const doc = pipeline(
      [
        { id: 'src', type: 'source.csv', params: { path: 'exact/data[1].csv' } },
        { id: 'out', type: 'sink.csv', params: { path: 'exact/data1.csv', if_exists: 'overwrite' } },
      ],
      ['src -> out'],
    );
    expect(await problemsOf(doc, dir)).toEqual([]);
    const { summary } = await run(doc, dir);
    expect(summary.status, summary.error?.message).toBe('succeeded');
    expect(await readFile(path.join(dir, 'exact', 'data1.csv'), 'utf8')).toBe('id,v\n1,a\n');
  });

  it('a partitioned Parquet sink inside a source pattern is refused; one outside it is not', async () => {
    await mkdir(path.join(dir, 'lake', 'a', 'b'), { recursive: true });
    await writeFile(path.join(dir, 'lake', 'a', 'b', 'in.csv'), 'id,country\n1,fr\n');
    const doc = (pattern: string) =>
      pipeline(
        [
          { id: 'src', type: 'source.csv', params: { path: pattern } },
          { id: 'out', type: 'sink.parquet', params: { path: 'lake/out', if_exists: 'overwrite', partition_by: ['country'] } },
        ],
        ['src -> out'],
      );
    // lake/out/country=fr/data_0.parquet is three levels below lake.
    expect(await problemsOf(doc('lake/*/*/*'), dir)).toEqual([expect.objectContaining({ nodeId: 'out', message: expect.stringContaining("node 'src' reads") })]);
    expect(await problemsOf(doc('lake/**/*.csv'), dir)).toEqual([]);
    const csvDoc = pipeline(
      [
        { id: 'src', type: 'source.csv', params: { path: 'lake/**/*.csv' } },
        { id: 'out', type: 'sink.csv', params: { path: 'lake/sub/copy.csv', if_exists: 'overwrite' } },
      ],
      ['src -> out'],
    );
    expect(await problemsOf(csvDoc, dir)).toEqual([expect.objectContaining({ nodeId: 'out', message: expect.stringContaining("node 'src' reads") })]);
  });

  it('reading and replacing one single file is still allowed', async () => {
    await writeFile(path.join(dir, 'd.csv'), 'id,v\n1,a\n');
    const doc = pipeline(
      [
        { id: 'src', type: 'source.csv', params: { path: 'd.csv' } },
        { id: 'out', type: 'sink.csv', params: { path: './d.csv', if_exists: 'overwrite' } },
      ],
      ['src -> out'],
    );
    expect(await problemsOf(doc, dir)).toEqual([]);
  });

  it('~/ in a sink path is the home folder, not a folder named ~', async () => {
    const home = path.join(dir, 'home');
    await mkdir(home, { recursive: true });
    const before = process.env.HOME;
    process.env.HOME = home;
    try {
      const doc = pipeline(
        [
          { id: 'src', type: 'transform.sql', params: { query: 'SELECT 1 AS id' } },
          { id: 'out', type: 'sink.csv', params: { path: '~/exports/o.csv' } },
        ],
        ['src -> out'],
      );
      const { summary } = await run(doc, path.join(dir, 'proj'));
      expect(summary.status).toBe('succeeded');
      expect(await readFile(path.join(home, 'exports', 'o.csv'), 'utf8')).toBe('id\n1\n');
      expect(await readdir(dir)).not.toContain('~');
      await expect(access(path.join(dir, 'proj', '~'))).rejects.toThrow();
    } finally {
      process.env.HOME = before;
    }
  });
});
