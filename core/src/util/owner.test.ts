import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ownerIsDead, processAlive, self } from './owner.js';

describe('processAlive', () => {
  it('is true for a running process and false once it is gone', async () => {
    const child = spawn('sleep', ['5']);
    expect(processAlive(child.pid!)).toBe(true);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('exit', resolve));
    expect(processAlive(child.pid!)).toBe(false);
  });

  it.runIf(process.platform === 'linux')('is false for a zombie: a killed process nobody reaps holds nothing (its locks are leftovers)', async () => {
    // `sleep 0` ends at once; its parent then becomes `sleep 5`, which never reaps it.
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 5']);
    const zombie = Number(await new Promise<string>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(d.toString()))));
    try {
      await sleep(300);
      expect(() => process.kill(zombie, 0)).not.toThrow(); // still in the process table
      expect(processAlive(zombie)).toBe(false);
      expect(ownerIsDead({ host: self.host, pid: zombie })).toBe(true);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
