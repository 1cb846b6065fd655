import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { atomicTempName, removeDeadTemps, removeDeadTempsSync, writeFileAtomic } from './atomic-write.js';
import { deadOwnerTag, liveOwnerTag, otherHostOwnerTag } from '../../../test/support/owners.js';
import { ownerTag, self } from './owner.js';

describe('writeFileAtomic', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'caudal-atomic-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('leaves only the file: no temp name once written', async () => {
    const file = path.join(dir, 'run.json');
    await writeFileAtomic(file, '{"a":1}\n');
    await writeFileAtomic(file, '{"a":2}\n');
    expect(await readFile(file, 'utf8')).toBe('{"a":2}\n');
    expect(await readdir(dir)).toEqual(['run.json']);
  });

  it('removes the temp name a killed writer left, and keeps those of live writers and of other files', async () => {
    const file = path.join(dir, 'state.json');
    // A writer killed between writing its temp file and renaming it.
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    const killedTag = ownerTag({ host: self.host, pid: child.pid! });
    const killed = `.state.json.${killedTag}-1a2b3c4d.tmp`;
    await writeFile(path.join(dir, killed), '{"half":');
    const live = `.state.json.${liveOwnerTag()}-5e6f7a8b.tmp`;
    const otherHost = `.state.json.${otherHostOwnerTag()}-9c0d1e2f.tmp`;
    const otherFile = `.other.json.${deadOwnerTag()}-3a4b5c6d.tmp`;
    for (const name of [live, otherHost, otherFile]) await writeFile(path.join(dir, name), '{');

    // Still running: its temp name is its work in progress.
    await writeFileAtomic(file, '{"v":1}\n');
    expect(await readdir(dir)).toContain(killed);

    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    await writeFileAtomic(file, '{"v":2}\n');
    expect((await readdir(dir)).sort()).toEqual([live, otherFile, otherHost, 'state.json'].sort());
    expect(await readFile(file, 'utf8')).toBe('{"v":2}\n');
  });

  it('sweeps a folder of entries written once each: dead writers\' temp names of any file go, the rest stays', async () => {
    const dead = deadOwnerTag();
    const deadTemps = [`.a1b2.json.${dead}-1a2b3c4d.tmp`, `.c3d4.parquet.${dead}-5e6f7a8b.tmp`];
    const kept = [
      'a1b2.json',
      `.e5f6.json.${liveOwnerTag()}-9c0d1e2f.tmp`,
      `.e5f6.json.${otherHostOwnerTag()}-3a4b5c6d.tmp`,
      '.hidden-note.tmp',
      path.basename(atomicTempName(path.join(dir, 'mine.json'))),
    ];
    for (const name of [...deadTemps, ...kept]) await writeFile(path.join(dir, name), '{');
    await removeDeadTemps(dir);
    expect((await readdir(dir)).sort()).toEqual([...kept].sort());

    await writeFile(path.join(dir, deadTemps[0]!), '{');
    removeDeadTempsSync(dir);
    expect((await readdir(dir)).sort()).toEqual([...kept].sort());
  });
});
