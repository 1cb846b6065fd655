import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../engine/protocol.js';
import { EVENTS_FILE, EventLog, listRuns, PREVIOUS_EVENTS_FILE, readEvents } from './run-history.js';

const batch = (n: number): RunEvent => ({ type: 'log', runId: 'r1', level: 'info', message: `batch ${n} ${'x'.repeat(80)}` });

describe('EventLog', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'caudal-events-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps every event of a short run in one file', async () => {
    const log = new EventLog(dir, 4096);
    for (let n = 0; n < 10; n++) log.write(batch(n));
    await log.close();
    expect(await readdir(dir)).toEqual([EVENTS_FILE]);
    expect((await readEvents(dir, 0, 100)).events).toEqual(Array.from({ length: 10 }, (_, n) => batch(n)));
  });

  it('a long run keeps its latest events, in order, within twice the rotation size', async () => {
    const log = new EventLog(dir, 4096);
    for (let n = 0; n < 2000; n++) log.write(batch(n));
    await log.close();
    expect((await readdir(dir)).sort()).toEqual([PREVIOUS_EVENTS_FILE, EVENTS_FILE].sort());
    const sizes = await Promise.all([EVENTS_FILE, PREVIOUS_EVENTS_FILE].map(async (f) => (await stat(path.join(dir, f))).size));
    for (const size of sizes) expect(size).toBeLessThanOrEqual(4096);

    const { events } = await readEvents(dir, 0, 10_000);
    const numbers = events.flatMap((e) => (e.type === 'log' && e.message.startsWith('batch ') ? [Number(e.message.split(' ')[1])] : []));
    expect(numbers.at(-1)).toBe(1999);
    // Contiguous: nothing lost or reordered inside what is kept.
    expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, i) => numbers[0]! + i));
    expect(numbers.length).toBeGreaterThan(30);
    expect(events.filter((e) => e.type === 'log' && e.message.includes(`the events before these are in ${PREVIOUS_EVENTS_FILE}`))).toHaveLength(2);
  });
});

describe('listRuns', () => {
  it('passes by a run.json of the wrong shape instead of failing the whole history (and retention with it)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'caudal-runs-'));
    try {
      const write = async (name: string, record: unknown) => {
        await mkdir(path.join(dir, name));
        await writeFile(path.join(dir, name, 'run.json'), JSON.stringify(record));
      };
      await write('good', { runId: 'good', pipelinePath: null, startedAt: '2026-12-01T00:00:00.000Z', status: 'succeeded', summary: null });
      await write('bad', { runId: 'bad', pipelinePath: null, startedAt: 17, status: 'succeeded', summary: null });
      await write('worse', [1, 2, 3]);
      expect((await listRuns(dir, null, 10)).map((r) => r.runId)).toEqual(['good']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
