import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlannedNode } from '../../compiler/plan.js';
import { Db } from '../../compiler/db.js';
import type { HookIo, SinkPlan } from '../../nodes/define.js';
import type { CommitJournal } from './protocol.js';
import { SinkStager } from './stager.js';

let db: Db;
beforeAll(async () => {
  db = await Db.open({ threads: 2 });
});
afterAll(() => db.close());

const io: HookIo = { db: undefined as never, isCancelled: () => false, log: () => {}, progress: () => {} };
const sinkNode = (sink: Partial<SinkPlan>) => ({ id: 'out', sink: { target: 't', destination: { key: 'k', label: 't' }, preflight: [], stage: [], ...sink } }) as unknown as PlannedNode;
const setting = async () => String((await db.rows("SELECT current_setting('preserve_insertion_order')::VARCHAR AS v"))[0]!.v);

describe('SinkStager: a sink whose input has no order writes without keeping one, and only that sink', () => {
  const stager = () => new SinkStager(db, {} as CommitJournal, () => {});

  it('runs an unordered sink with preserve_insertion_order off, then turns it back on', async () => {
    const seen: string[] = [];
    await stager().stage(sinkNode({ unordered: true, stage: ['one'] }), io, async () => {
      seen.push(await setting());
      return 1;
    });
    expect(seen).toEqual(['false']);
    expect(await setting()).toBe('true');
  });

  it('leaves the setting alone for a sink whose input order means something', async () => {
    const seen: string[] = [];
    await stager().stage(sinkNode({ stage: ['one'] }), io, async () => {
      seen.push(await setting());
      return 1;
    });
    expect(seen).toEqual(['true']);
  });

  it('turns it back on when the stage fails, and the stage error is the one reported', async () => {
    await expect(
      stager().stage(sinkNode({ unordered: true, stage: ['one'] }), io, async () => {
        throw new Error('disk full');
      }),
    ).rejects.toThrow('disk full');
    expect(await setting()).toBe('true');
  });
});
