import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { pipeline, preview, tempDir } from '../../../../test/support/pipeline.js';
import { inDb } from '../../../../test/support/duckdb.js';
import { stringLiteral } from '../../compiler/sql.js';
import { exactFileOrPattern } from '../../util/exact-file.js';

/**
 * A file source's `path` that names an existing file is that file, even when the name holds glob
 * characters; a path naming no file is a pattern, as before. Each name below sits next to a decoy
 * its pattern reading would match instead (or as well).
 */
const NAMES = [
  { name: 'data[1]', decoy: 'data1' },
  { name: 'a*b', decoy: 'aXb' },
  { name: 'what?', decoy: 'whatX' },
];

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-exact-file-');
  for (const { name, decoy } of NAMES) {
    for (const [file, who] of [
      [name, 'exact'],
      [decoy, 'decoy'],
    ] as const) {
      await writeFile(path.join(dir, `${file}.csv`), `who\n${who}\n`);
      await writeFile(path.join(dir, `${file}.json`), `[{"who": "${who}"}]`);
      await inDb(':memory:', `COPY (SELECT ${stringLiteral(who)} AS who) TO ${stringLiteral(path.join(dir, `${file}.parquet`))} (FORMAT parquet)`);
    }
  }
  await writeFile(path.join(dir, 'latin[1].csv'), Buffer.from('who\nJosé\n', 'latin1'));
  await writeFile(path.join(dir, 'latin1.csv'), 'who\ndecoy\n');
});

const whoRead = async (type: string, file: string) => {
  const r = await preview(pipeline([{ id: 'src', type, params: { path: file } }]), dir, 'src');
  return r.rows.map((row) => row.who).sort();
};

describe('a file source path naming an existing file with glob characters in its name', () => {
  for (const type of ['source.csv', 'source.json', 'source.parquet']) {
    const ext = type.slice('source.'.length);
    for (const { name } of NAMES) {
      it(`${type} reads ${name}.${ext} itself, not the files its pattern would match`, async () => {
        expect(await whoRead(type, `${name}.${ext}`)).toEqual(['exact']);
      });
    }
  }

  it('source.csv converts latin[1].csv from Latin-1 and reads the copy, named after it, as one file', async () => {
    const r = await preview(pipeline([{ id: 'src', type: 'source.csv', params: { path: 'latin[1].csv', encoding: 'latin-1', filename_column: 'file' } }]), dir, 'src');
    expect(r.rows).toEqual([{ who: 'José', file: path.join(dir, 'latin[1].csv') }]);
  });

  it('a path that names no file is still a pattern', async () => {
    expect(await whoRead('source.csv', 'data?.csv')).toEqual(['decoy']);
    expect(await whoRead('source.json', 'a?b.json')).toEqual(['decoy', 'exact']);
    expect(await whoRead('source.parquet', 'what[X].parquet')).toEqual(['decoy']);
  });
});

describe('exactFileOrPattern', () => {
  it('escapes the glob characters of a path that names an existing file', async () => {
    expect(await exactFileOrPattern(path.join(dir, 'data[1].csv'))).toBe(path.join(dir, 'data[[]1].csv'));
    expect(await exactFileOrPattern(path.join(dir, 'a*b.csv'))).toBe(path.join(dir, 'a[*]b.csv'));
  });

  it('leaves a pattern, a plain path, a folder and a URL as they are', async () => {
    expect(await exactFileOrPattern(path.join(dir, '*.csv'))).toBe(path.join(dir, '*.csv'));
    expect(await exactFileOrPattern(path.join(dir, 'data1.csv'))).toBe(path.join(dir, 'data1.csv'));
    expect(await exactFileOrPattern(`${dir}/*`)).toBe(`${dir}/*`);
    expect(await exactFileOrPattern('s3://bucket/a*b.csv')).toBe('s3://bucket/a*b.csv');
  });
});
