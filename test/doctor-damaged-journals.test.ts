import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { caudal } from './support/cli.js';
import { tempDir } from './support/pipeline.js';

/**
 * A commit journal damaged by hand or by a full disk is reported by `caudal doctor` and `caudal
 * clean` with what is wrong with it, and left in place. doctor said only "[" (the first line of a
 * validation dump) and exited 0 while listing it, where clean exited 1.
 */
describe('caudal doctor and clean, with a damaged commit journal', () => {
  it('say what is wrong with each, leave them in place, and both exit 1', async () => {
    const runtime = await tempDir('caudal-doctor-journals-');
    const runs = path.join(runtime, 'runs');
    await mkdir(runs, { recursive: true });
    await writeFile(path.join(runs, '20261207T000001-deadbeef.json'), 'null');
    await writeFile(path.join(runs, '20261207T000002-feedface.json'), JSON.stringify({ format: 'caudal.journal/1', pipeline: 'p' }));
    await writeFile(path.join(runs, '20261207T000003-cafebabe.json'), '{"format": "caudal.jour');
    const env = { CAUDAL_RUNTIME_DIR: runtime };
    for (const command of ['doctor', 'clean']) {
      const r = await caudal([command], { env });
      expect(r.code, command).toBe(1);
      const lines = r.stdout.split('\n').filter((l) => l.startsWith('unreadable journal'));
      expect(lines).toEqual([
        `unreadable journal ${path.join(runs, '20261207T000001-deadbeef.json')}: not a run journal: Invalid input: expected object, received null (left in place)`,
        `unreadable journal ${path.join(runs, '20261207T000002-feedface.json')}: not a run journal: runId: Invalid input: expected string, received undefined (left in place)`,
        expect.stringMatching(new RegExp(`^unreadable journal ${path.join(runs, '20261207T000003-cafebabe.json').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not valid JSON \\(.+\\) \\(left in place\\)$`)),
      ]);
    }
  });
});
