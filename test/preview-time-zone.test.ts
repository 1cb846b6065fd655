import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { caudal } from './support/cli.js';
import { pipeline, tempDir } from './support/pipeline.js';

/**
 * A run computes in UTC whatever the machine's time zone. Previews and profiles showed a
 * TIMESTAMPTZ in the machine's zone instead, and with the one offset the process started with: in
 * Madrid a July value showed as 04:30+01 (it is 05:30+02 there, 03:30 UTC), in New York a January
 * value moved to the day before.
 */
describe('TIMESTAMPTZ values in previews and profiles, on a machine outside UTC', async () => {
  const dir = await tempDir();
  await writeFile(path.join(dir, 'd.csv'), 'f\n2024-07-01 03:30:00+00\n2024-01-01 03:30:00+00\n');
  const file = path.join(dir, 'p.json');
  await writeFile(file, JSON.stringify(pipeline([{ id: 'src', type: 'source.csv', params: { path: 'd.csv', columns: [{ name: 'f', type: 'TIMESTAMPTZ' }] } }], [])));

  it.each(['Europe/Madrid', 'America/New_York'])('in %s a preview shows them in UTC, as the run writes them', async (zone) => {
    const r = await caudal(['preview', file, '--node', 'src', '--json'], { env: { TZ: zone } });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).rows.map((row: { f: string }) => row.f)).toEqual(['2024-07-01 03:30:00+00', '2024-01-01 03:30:00+00']);
  });

  it('a profile gives their minimum and maximum in UTC too', async () => {
    const r = await caudal(['profile', file, '--node', 'src', '--json'], { env: { TZ: 'America/New_York' } });
    expect(r.code, r.stderr).toBe(0);
    const text = r.stdout;
    expect(text).toContain('2024-01-01 03:30:00+00');
    expect(text).toContain('2024-07-01 03:30:00+00');
    expect(text).not.toMatch(/-05"/);
  });
});
