import { createHash } from 'node:crypto';
import { existsSync, readlinkSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { makeFolder } from '../../util/atomic-write.js';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CaudalError, errorMessage } from '../../util/errors.js';
import { createWhole, oldEnoughToBeDebris, pendingOwner, removeIfStill } from '../../util/exclusive-file.js';
import { ownerIsDead, type Owner, self } from '../../util/owner.js';
import { locksDir } from './runtime-dir.js';
import { runtimeDirError } from './disk-errors.js';

/**
 * Locks between runs on this machine: one per pipeline (its incremental state) and one per
 * destination (a file, a DuckDB database file, a PostgreSQL table), so two runs never write the same
 * thing at once. A lock is a file created exclusively in the runtime folder, naming its run and owner
 * process; a lock whose process is gone (kill -9) is taken over. PostgreSQL sinks also take an
 * advisory lock on the server, which covers runs on other machines.
 */
export interface LockRequest {
  key: string;
  /** How a message names what is locked, e.g. "pipeline 'orders'" or a file path. */
  label: string;
  /**
   * What runs must take in turn, when it is wider than the destination itself: DuckDB lets one
   * process write a database file at a time, so a run into one of its tables locks the whole file.
   * Two sinks of one run may still write two of its tables (one lock, taken once).
   */
  lock?: { key: string; label: string };
}

interface Holder {
  key: string;
  label: string;
  runId: string;
  pipeline: string;
  owner: Owner;
  /** currentThread() of the run, where the OS tells it. */
  thread?: number;
  since: string;
}

const POLL_MS = 250;

/**
 * The OS thread of the run holding a lock (Linux: a worker thread is a thread of its own, listed in
 * /proc/<pid>/task while it lives). A lock the run could not remove (its state folder turned
 * read-only or full as it ended) names a live process when that process is a studio or a watch,
 * which runs each run in a worker thread: its thread being gone tells that the run is over, so the
 * process's next run takes the lock over instead of waiting for itself.
 */
function currentThread(): number | undefined {
  try {
    const m = /\/task\/(\d+)$/.exec(readlinkSync('/proc/thread-self'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

const thisThread = currentThread();

/** A lock of this very process whose run's thread has ended. */
function heldByEndedThread(h: Holder): boolean {
  if (h.thread === undefined || h.owner.host !== self.host || h.owner.pid !== self.pid || h.owner.started !== self.started) return false;
  return !existsSync(`/proc/${self.pid}/task/${h.thread}`);
}

/** Whether a lock's holder is over: its process is gone, or (same process) its run's thread. */
function holderGone(h: Holder): boolean {
  return ownerIsDead(h.owner) || heldByEndedThread(h);
}

function lockFile(key: string, env?: NodeJS.ProcessEnv): string {
  return path.join(locksDir(env), `${createHash('sha256').update(key).digest('hex').slice(0, 32)}.lock`);
}

async function readHolder(file: string): Promise<Holder | undefined> {
  return (await readLock(file)).holder;
}

/** A lock's text as read (what removeIfStill compares) and its holder, when it names one. */
async function readLock(file: string): Promise<{ text: string | null; holder?: Holder }> {
  const text = await readFile(file, 'utf8').catch(() => null);
  if (text === null) return { text };
  try {
    const holder = JSON.parse(text) as Partial<Holder> | null;
    return { text, holder: holder?.owner && typeof holder.owner.pid === 'number' ? (holder as Holder) : undefined };
  } catch {
    return { text };
  }
}

export interface AcquireOptions {
  runId: string;
  pipeline: string;
  /** Wait for busy locks instead of failing at once. */
  wait: boolean;
  isCancelled(): boolean;
  log(message: string): void;
  env?: NodeJS.ProcessEnv;
}

export class RunLocks {
  private constructor(
    private readonly files: string[],
    private readonly log: (message: string) => void,
    private readonly env?: NodeJS.ProcessEnv,
    /**
     * Another run held one of the locks while they were taken: this run waited for it, or took over
     * the lock of a run that was killed. That run may have left work for recovery (a prepared
     * transaction holding the table, a journal whose staging this run would sweep), which the
     * recovery before the locks could not see yet: the caller recovers again before going on.
     */
    readonly contended = false,
  ) {}

  /** Takes every lock or none; with `wait`, retries until all are free (cancel stops the wait). */
  static async acquire(requests: LockRequest[], opts: AcquireOptions): Promise<RunLocks> {
    const locked = requests.map((r) => r.lock ?? r);
    const unique = [...new Map(locked.map((r) => [r.key, r])).values()].sort((a, b) => a.key.localeCompare(b.key));
    const dir = locksDir(opts.env);
    const unwritable = (e: unknown) => runtimeDirError("take the run's locks", dir, e, opts.env);
    await makeFolder(dir).catch((e: unknown) => {
      throw unwritable(e);
    });
    let announced = false;
    let contended = false;
    for (;;) {
      const taken: string[] = [];
      let busy: Holder | undefined;
      try {
        for (const r of unique) {
          const result = await tryLock(r, opts);
          if (result.ok) {
            taken.push(result.file);
            if (result.tookOver) contended = true;
          } else {
            busy = result.holder;
            break;
          }
        }
      } catch (e) {
        await Promise.all(taken.map((f) => rm(f, { force: true }).catch(() => undefined)));
        throw unwritable(e);
      }
      if (!busy) return new RunLocks(taken, opts.log, opts.env, contended);
      contended = true;
      await Promise.all(taken.map((f) => rm(f, { force: true })));
      const who = `run ${busy.runId} of pipeline '${busy.pipeline}' (pid ${busy.owner.pid}, since ${busy.since})`;
      if (!opts.wait) {
        throw new CaudalError('busy', `${busy.label} is in use by another ${who}`, {
          hint: 'run again once that run has finished (`caudal run --wait` starts as soon as it has)',
        });
      }
      if (!announced) {
        opts.log(`waiting for ${busy.label}, in use by ${who}`);
        announced = true;
      }
      if (opts.isCancelled()) throw new CaudalError('cancelled', 'the run was cancelled while waiting for another run; nothing was changed');
      await sleep(POLL_MS);
    }
  }

  /**
   * Never throws: it runs as a run ends, and its failure must not replace the run's outcome (a
   * committed run reported as a crash). A lock left behind is taken over by this process's next
   * run, and by any run once this process is gone.
   */
  async release(): Promise<void> {
    await Promise.all(
      this.files.map(async (f) => {
        try {
          await rm(f, { force: true });
        } catch (e) {
          this.log(`could not remove the run lock ${f} (${errorMessage(e)}); the next run takes it over`);
        }
      }),
    );
  }
}

async function tryLock(r: LockRequest, opts: AcquireOptions): Promise<{ ok: true; file: string; tookOver: boolean } | { ok: false; holder: Holder }> {
  const file = lockFile(r.key, opts.env);
  const mine: Holder = { key: r.key, label: r.label, runId: opts.runId, pipeline: opts.pipeline, owner: self, ...(thisThread === undefined ? {} : { thread: thisThread }), since: new Date().toISOString() };
  let tookOver = false;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await createWhole(file, JSON.stringify(mine))) return { ok: true, file, tookOver };
    const { text, holder } = await readLock(file);
    if (text === null) continue;
    // A lock of a dead process is stale, and so is one that has been unreadable for a while, or one
    // this process's own ended run could not remove.
    if (holder && !holderGone(holder)) return { ok: false, holder };
    if (holder || (await oldEnoughToBeDebris(file))) {
      await removeIfStill(file, text);
      tookOver = true;
    } else await sleep(20);
  }
  const holder = await readHolder(file);
  return holder ? { ok: false, holder } : { ok: false, holder: { ...mine, runId: '?', pipeline: '?' } };
}

/**
 * The locks of dead processes (kill -9), as their labels; with `remove`, removed (as a run that
 * meets one does: never a live one). Every run sweeps them before it starts, like `caudal clean`.
 */
export async function staleLocks(opts: { remove: boolean; env?: NodeJS.ProcessEnv }): Promise<string[]> {
  const dir = locksDir(opts.env);
  const found: string[] = [];
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (name.includes('.stale-')) continue;
    const file = path.join(dir, name);
    const writer = pendingOwner(name);
    if (writer !== undefined) {
      // A lock's content written by a process killed before it linked it.
      if (ownerIsDead(writer)) {
        found.push(name);
        if (opts.remove) await rm(file, { force: true });
      }
      continue;
    }
    const { text, holder } = await readLock(file);
    if (text === null) continue;
    if (!holder?.owner) {
      if (await oldEnoughToBeDebris(file)) {
        found.push(`${name} (unreadable)`);
        if (opts.remove) await removeIfStill(file, text);
      }
      continue;
    }
    if (!holderGone(holder)) continue;
    found.push(holder.label ?? name);
    if (opts.remove) await removeIfStill(file, text);
  }
  return found;
}
