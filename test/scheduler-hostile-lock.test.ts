import { spawn, spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { self } from '../core/src/util/owner.js';
import { schedulerDir } from '../core/src/scheduler/state.js';
import { tempDir } from './support/pipeline.js';

/**
 * Two or three `caudal schedule` started at the same moment on a project whose last scheduler was
 * killed (kill -9 left its lock file): exactly one of them may run it. Real processes racing on
 * the real lock, many rounds (the race is one of timing: on the old code about one round in ten
 * let two schedulers in).
 */
const lockModule = fileURLToPath(new URL('../core/src/scheduler/scheduler-lock.ts', import.meta.url));
const ROUNDS = 30;
const RACERS = 3;
/** Each round starts at t0 + i × STEP_MS; the winner holds the lock HOLD_MS, then releases it. */
const STEP_MS = 600;
const HOLD_MS = 450;

/** One racer: for every round, at the same instant as the others, tries to take the lock of that round's project. */
function racer(projects: string[], t0: number): Promise<string> {
  const code = `
    const { acquireSchedulerLock } = await import(${JSON.stringify(lockModule)});
    const projects = ${JSON.stringify(projects)};
    for (let i = 0; i < projects.length; i++) {
      const at = ${t0} + i * ${STEP_MS};
      while (Date.now() < at) {}
      try {
        const lock = await acquireSchedulerLock(projects[i]);
        const held = at + ${HOLD_MS} - Date.now();
        if (held > 0) await new Promise((r) => setTimeout(r, held));
        process.stdout.write('got ' + i + '\\n');
        await lock.release();
      } catch (e) {
        process.stdout.write((/already running/.test(e.message) ? 'busy ' : 'error ') + i + ' ' + e.message.split('\\n')[0] + '\\n');
      }
    }`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.once('exit', () => resolve(out)));
}

describe('the scheduler lock, hostile', () => {
  it(
    'schedulers started at the same moment over a killed one’s lock: exactly one runs the project',
    async () => {
      const base = await tempDir('caudal-sched-lock-race-');
      const deadPid = spawnSync(process.execPath, ['-e', '0']).pid!;
      const projects: string[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const project = path.join(base, `p${i}`);
        await mkdir(schedulerDir(project), { recursive: true });
        // What a scheduler killed with -9 leaves.
        await writeFile(path.join(schedulerDir(project), 'scheduler.pid'), JSON.stringify({ owner: { host: self.host, pid: deadPid }, since: '2026-01-01T00:00:00.000Z' }));
        projects.push(project);
      }
      // Time for the racers' Node and tsx to start before the first round.
      const t0 = Date.now() + 5000;
      const outputs = await Promise.all(Array.from({ length: RACERS }, () => racer(projects, t0)));
      const lines = outputs.flatMap((o) => o.trim().split('\n'));
      const winners = Array.from({ length: ROUNDS }, (_, i) => lines.filter((l) => l === `got ${i}`).length);
      expect(lines.filter((l) => l.startsWith('error'))).toEqual([]);
      expect(winners.filter((n) => n !== 1).length, `rounds without exactly one scheduler: ${JSON.stringify(winners)}`).toBe(0);
    },
    60_000,
  );
});
