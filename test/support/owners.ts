/**
 * Owner tags (core/src/util/owner.ts) for tests of what killed processes leave: a dead writer's,
 * a live one's (the test runner's parent, never this process), another host's.
 */
import { spawnSync } from 'node:child_process';
import { ownerTag, self } from '../../core/src/util/owner.js';

/** The pid of a process that has already exited (and been reaped). */
export const deadPid = (): number => spawnSync(process.execPath, ['-e', '0']).pid!;

export const deadOwnerTag = (): string => ownerTag({ host: self.host, pid: deadPid() });
export const liveOwnerTag = (): string => ownerTag({ host: self.host, pid: process.ppid });
export const otherHostOwnerTag = (): string => ownerTag({ host: self.host === 'ffff' ? 'eeee' : 'ffff', pid: deadPid() });
