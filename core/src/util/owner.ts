import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Who owns a temporary thing. Every name a run leaves on disk or in a database while it works
 * (temp files next to outputs, staging tables, its temp folder) carries the run's owner tag, so a
 * later run, `caudal clean` or `caudal doctor` can tell leftovers of a dead process from the work of
 * a live one, without any registry: `h<host>p<pid>`, where <host> is 4 hex digits of the host name's
 * hash (outputs may sit on a folder shared between machines: a pid means something only on its host).
 */
export interface Owner {
  host: string;
  pid: number;
  /**
   * When the process started, where the system says (Linux: the boot's id and the start time in
   * clock ticks since that boot): a pid names one process only together with it. Records written
   * to files (locks, journals) carry it; names on disk (`h<host>p<pid>`) have no room for it.
   */
  started?: string;
}

const hostTag = createHash('sha256').update(os.hostname()).digest('hex').slice(0, 4);

/** The boot's id (Linux): start times in clock ticks count from this boot. */
const bootId = (() => {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return undefined;
  }
})();

/** When process `pid` started (see Owner.started); undefined where the system does not say (no /proc). */
export function processStarted(pid: number): string | undefined {
  if (bootId === undefined) return undefined;
  try {
    // `pid (name) S ppid …`: the fields after the name, whose 20th is the start time (field 22 of stat).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ticks = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    return ticks ? `${bootId}/${ticks}` : undefined;
  } catch {
    return undefined;
  }
}

export const self: Owner = { host: hostTag, pid: process.pid, started: processStarted(process.pid) };

export function ownerTag(owner: Owner = self): string {
  return `h${owner.host}p${owner.pid}`;
}

/**
 * The name of a private temp folder (for mkdtemp): it carries its owner, so a folder a killed
 * process leaves is recognized and removed (engine/commit/recover.ts sweeps `caudal-run-*`).
 */
export function tempFolderPrefix(): string {
  return path.join(os.tmpdir(), `caudal-run-${ownerTag()}-`);
}

const TAG = /h([0-9a-f]{4})p(\d+)/;

/** The owner named in a temp name, if it carries a tag. */
export function ownerOf(name: string): Owner | undefined {
  const m = TAG.exec(name);
  return m ? { host: m[1]!, pid: Number(m[2]) } : undefined;
}

/**
 * True when the process is running (signal 0 probes without sending anything). A zombie is not: a
 * killed process whose parent died too stays one until init reaps it, and a container's init may
 * never do so; it holds nothing, so its locks and temp names are leftovers.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    // EPERM: it exists but belongs to another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  try {
    // `pid (name) S …`: the state follows the name, which may itself hold parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.charAt(stat.lastIndexOf(')') + 2) === 'Z';
  } catch {
    return false; // no /proc (macOS, Windows): trust kill(0)
  }
}

/**
 * True only when we can be sure the owner is gone: it ran on this host and its process no longer
 * exists. Another host's leftovers, and our own process's, are never considered dead.
 *
 * A recycled pid: where the owner's start time was recorded, a process with its pid that started at
 * another time is another process, so the owner is gone. That includes this process's own pid: a
 * container whose caudal was killed starts the next one with the same pid (often 1) and hostname,
 * and its locks and journals must not look like ours. Without a recorded start time (names on
 * disk, other systems) a recycled pid makes a dead owner look alive, which errs on the side of
 * keeping things.
 */
export function ownerIsDead(owner: Owner): boolean {
  if (owner.host !== self.host) return false;
  if (owner.pid === self.pid) return owner.started !== undefined && self.started !== undefined && owner.started !== self.started;
  if (!processAlive(owner.pid)) return true;
  if (owner.started === undefined) return false;
  const now = processStarted(owner.pid);
  return now !== undefined && now !== owner.started;
}

/** The short form of a run id used inside temp names (the random tail of `<time>-<random>`). */
export function shortRunId(runId: string): string {
  const tail = runId.split('-').pop() ?? runId;
  return tail.replace(/[^A-Za-z0-9]/g, '').slice(0, 8) || 'run';
}
