import { symlink } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pipeline, problemsOf, tempDir } from './support/pipeline.js';

/** A file source's path that is a symbolic link leading to no file says so, instead of "no file matches". */
describe.each(['source.csv', 'source.json', 'source.parquet'])('%s with a path that is a broken link', (type) => {
  it('a loop of links is named as one', async () => {
    const dir = await tempDir();
    await symlink('l2', path.join(dir, 'l1'));
    await symlink('l1', path.join(dir, 'l2'));
    expect(await problemsOf(pipeline([{ id: 'src', type, params: { path: 'l1' } }]), dir)).toEqual([
      expect.objectContaining({ path: 'nodes[0].params.path', message: `node 'src': ${path.join(dir, 'l1')} is a symbolic link that leads back to itself (a loop of links)` }),
    ]);
  });

  it('a link to a missing file names its target', async () => {
    const dir = await tempDir();
    await symlink('gone.data', path.join(dir, 'current'));
    expect(await problemsOf(pipeline([{ id: 'src', type, params: { path: 'current' } }]), dir)).toEqual([
      expect.objectContaining({ path: 'nodes[0].params.path', message: `node 'src': ${path.join(dir, 'current')} is a symbolic link to gone.data, which does not exist` }),
    ]);
  });
});
