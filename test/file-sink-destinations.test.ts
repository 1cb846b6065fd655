import { execFileSync } from 'node:child_process';
import { lstat, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { canonicalPath } from '../core/src/nodes/shared/file-sink.js';
import { pipeline, problemsOf, run, tempDir } from './support/pipeline.js';

/**
 * A file sink's destination is the file the system means, not the spelling: two sinks reaching one
 * file through a symlinked folder are one destination (refused), and a target that is not a regular
 * file (a symlink, a FIFO) is refused before the run instead of being replaced by a file.
 */

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-destinations-');
});

const SRC = { id: 'src', type: 'transform.sql', params: { query: 'SELECT range AS id FROM range(3)' } };
const csvSink = (id: string, p: string) => ({ id, type: 'sink.csv', params: { path: p, if_exists: 'overwrite' } });

describe('file sink destinations', () => {
  it('canonicalPath follows symlinked folders and keeps the part that does not exist yet', async () => {
    const base = path.join(dir, 'canon');
    await mkdir(path.join(base, 'real'), { recursive: true });
    await symlink('real', path.join(base, 'lnk'));
    const real = path.join(await canonicalPath(base), 'real');
    expect(await canonicalPath(path.join(base, 'lnk', 'new', 'x.csv'))).toBe(path.join(real, 'new', 'x.csv'));
    expect(await canonicalPath(path.join(base, 'real', 'x.csv'))).toBe(path.join(real, 'x.csv'));
  });

  it('two sinks writing one file through a symlinked folder are refused as duplicates, and the file keeps its content', async () => {
    const base = path.join(dir, 'two');
    await mkdir(path.join(base, 'real'), { recursive: true });
    await symlink('real', path.join(base, 'lnk'));
    await symlink('.', path.join(base, 'self'));
    const precious = path.join(base, 'real', 'x.csv');
    await writeFile(precious, 'precious,old\n');
    for (const [a, b] of [
      ['two/real/x.csv', 'two/lnk/x.csv'],
      ['two/real/x.csv', 'two/self/real/x.csv'],
    ] as const) {
      const doc = pipeline([SRC, csvSink('first', a), csvSink('second', b)], ['src -> first', 'src -> second']);
      const problems = await problemsOf(doc, dir);
      expect(problems).toEqual([expect.objectContaining({ nodeId: 'second', message: expect.stringMatching(/^nodes 'first' and 'second' both write .*x\.csv/) })]);
      const { summary } = await run(doc, dir);
      expect(summary.status).toBe('failed');
      expect(await readFile(precious, 'utf8')).toBe('precious,old\n');
      expect((await readdir(path.join(base, 'real'))).filter((f) => f.includes('.caudal-'))).toEqual([]);
    }
  });

  it('a sink whose target is a symlink is refused, naming the link target, and the link stays', async () => {
    const base = path.join(dir, 'link');
    await mkdir(base, { recursive: true });
    await writeFile(path.join(base, 'target.csv'), 'real,old\n');
    await symlink('target.csv', path.join(base, 'link.csv'));
    const doc = pipeline([SRC, csvSink('out', 'link/link.csv')], ['src -> out']);
    const problems = await problemsOf(doc, dir);
    expect(problems).toEqual([
      expect.objectContaining({
        nodeId: 'out',
        message: expect.stringContaining(`${path.join(base, 'link.csv')} is a symbolic link (to target.csv)`),
        hint: expect.stringContaining(`set the path to ${path.join(await canonicalPath(base), 'target.csv')}`),
      }),
    ]);
    const { summary } = await run(doc, dir);
    expect(summary.status).toBe('failed');
    expect((await lstat(path.join(base, 'link.csv'))).isSymbolicLink()).toBe(true);
    expect(await readFile(path.join(base, 'target.csv'), 'utf8')).toBe('real,old\n');
  });

  it('a sink whose target is a FIFO is refused before the run, and the FIFO stays', async () => {
    const base = path.join(dir, 'fifo');
    await mkdir(base, { recursive: true });
    const fifo = path.join(base, 'out.csv');
    execFileSync('mkfifo', [fifo]);
    for (const type of ['sink.csv', 'sink.parquet', 'sink.json']) {
      const doc = pipeline([SRC, { id: 'out', type, params: { path: 'fifo/out.csv', if_exists: 'overwrite' } }], ['src -> out']);
      expect(await problemsOf(doc, dir)).toEqual([expect.objectContaining({ nodeId: 'out', message: `node 'out': ${fifo} is a named pipe (FIFO), not a regular file; the sink writes a new file and renames it into place, which would replace it` })]);
      const { summary } = await run(doc, dir);
      expect(summary.status).toBe('failed');
      expect((await lstat(fifo)).isFIFO()).toBe(true);
    }
  });
});
