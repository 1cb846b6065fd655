import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ownerIsDead, processAlive, processStarted, self } from './owner.js';

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
      // `sleep 0` may take a while to end on a loaded machine: wait until the kernel shows it a zombie.
      const state = () => readFileSync(`/proc/${zombie}/stat`, 'utf8').replace(/^.*\) /s, '')[0];
      for (let waited = 0; state() !== 'Z' && waited < 10_000; waited += 50) await sleep(50);
      expect(state()).toBe('Z');
      expect(() => process.kill(zombie, 0)).not.toThrow(); // still in the process table
      expect(processAlive(zombie)).toBe(false);
      expect(ownerIsDead({ host: self.host, pid: zombie })).toBe(true);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});

describe.runIf(process.platform === 'linux')('ownerIsDead and recycled pids', () => {
  it("records this process's start time, and a process started at another time is another owner", async () => {
    expect(self.started).toMatch(/^[0-9a-f-]+\/\d+$/);
    expect(processStarted(process.pid)).toBe(self.started);
    const child = spawn('sleep', ['5']);
    try {
      const started = processStarted(child.pid!);
      expect(started).toBeDefined();
      expect(ownerIsDead({ host: self.host, pid: child.pid!, started })).toBe(false);
      // The same pid, recorded as started at another time: the pid was given to another process since.
      expect(ownerIsDead({ host: self.host, pid: child.pid!, started: `${started}0` })).toBe(true);
      // Without a start time (a name on disk) a live pid keeps its things.
      expect(ownerIsDead({ host: self.host, pid: child.pid! })).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it("an earlier process with this process's pid (a restarted container: pid 1 again, same hostname) is gone, not this one", () => {
    expect(ownerIsDead({ ...self })).toBe(false);
    expect(ownerIsDead({ host: self.host, pid: self.pid })).toBe(false);
    expect(ownerIsDead({ host: self.host, pid: self.pid, started: `${self.started}9` })).toBe(true);
    // Another host's records are never judged from here.
    expect(ownerIsDead({ host: 'ffff', pid: self.pid, started: 'x' })).toBe(false);
  });
});
