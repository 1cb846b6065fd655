import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deadOwnerTag } from '../../../test/support/owners.js';
import { Controls } from './controls.js';

describe('run-now requests to a running scheduler', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'caudal-controls-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('are taken once, oldest first, and leave nothing behind, not even what a killed `caudal jobs run` half wrote', async () => {
    const controls = new Controls(dir);
    await controls.requestRun('nightly', new Date('2026-12-05T10:00:00Z'));
    await controls.requestRun('hourly', new Date('2026-12-05T11:00:00Z'));
    const half = `.1764928800000-1a2b3c4d.json.${deadOwnerTag()}-5e6f7a8b.tmp`;
    await mkdir(controls.requestsDir, { recursive: true });
    await writeFile(path.join(controls.requestsDir, half), '{"job":"nigh');
    expect(await controls.takeRequests()).toEqual([
      { job: 'nightly', at: '2026-12-05T10:00:00.000Z' },
      { job: 'hourly', at: '2026-12-05T11:00:00.000Z' },
    ]);
    expect(await readdir(controls.requestsDir)).toEqual([]);
    expect(await controls.takeRequests()).toEqual([]);
  });
});
