import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readNodeState, writeNodeState } from './state.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'caudal-state-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const key = { key: 'abc123', source: 'orders' };

describe('node state of two pipelines whose names give one folder', () => {
  it("is never taken for the other's: 'sales eu' does not read the watermark 'sales/eu' saved", async () => {
    await writeNodeState(dir, 'sales/eu', 'src', { watermark: 100 }, 'run-1', key);
    await expect(readNodeState(dir, 'sales eu', 'src', key)).rejects.toThrow(/belongs to pipeline 'sales\/eu', not 'sales eu': both names give the state folder 'sales_eu'/);
    expect((await readNodeState(dir, 'sales/eu', 'src', key))?.stored.state).toEqual({ watermark: 100 });
  });

  it('an unkeyed state from before keys is not adopted by the other pipeline either', async () => {
    await writeNodeState(dir, 'sales/eu', 'src', { watermark: 7 });
    await expect(readNodeState(dir, 'sales eu', 'src', key)).rejects.toThrow(/belongs to pipeline 'sales\/eu'/);
    expect((await readNodeState(dir, 'sales/eu', 'src', key))?.adopted).toBe(true);
  });
});

describe('a state file edited into another shape', () => {
  it.each(['{"state": null}', '[]', 'null', '{"pipeline": "p"}', '{"state": [1]}'])('%s is refused naming the node, the file and the way out, never a TypeError', async (text) => {
    await writeNodeState(dir, 'p', 'src', { watermark: 1 });
    const file = (await readdir(path.join(dir, 'p'))).find((f) => f.endsWith('.json'))!;
    await writeFile(path.join(dir, 'p', file), text);
    await expect(readNodeState(dir, 'p', 'src')).rejects.toThrow(`the state file of node 'src' does not hold a state object ({"state": {…}}) (${path.join(dir, 'p', file)})`);
  });
});
