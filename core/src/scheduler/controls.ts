import { jsonSyntaxWhere } from '../model/json-syntax.js';
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { removeDeadTemps, writeFileAtomic } from '../util/atomic-write.js';
import { CaudalError } from '../util/errors.js';
import { createWhole, oldEnoughToBeDebris, pendingOwner, removeIfStill } from '../util/exclusive-file.js';
import { WriteQueue } from '../util/file-turns.js';
import { ownerIsDead, type Owner, self } from '../util/owner.js';
import { type SchedulerOwner, schedulerDir } from './state.js';

/**
 * How others talk to a running scheduler without touching its state file: a pause file
 * (`paused.json`, written by `caudal jobs pause` and the studio) and a requests folder (one file
 * per "run now" request, taken and deleted by the scheduler). The scheduler watches both.
 */
const pausedSchema = z.object({ jobs: z.record(z.string(), z.object({ since: z.string() })) });
/** `repeat`: a `jobs run --wait` asking again after a skip (logged only when it is taken). */
const requestSchema = z.object({ job: z.string(), at: z.string(), params: z.record(z.string(), z.string()).optional(), repeat: z.boolean().optional() });

/** A run request as the scheduler takes it: `id` names its reply (the request file's name). */
export interface RunRequest {
  id: string;
  job: string;
  at: string;
  /** `--param` overrides of `caudal jobs run`. */
  params?: Record<string, string>;
  /** Asked again by a `jobs run --wait` that was skipped: a new skip is not logged again. */
  repeat?: boolean;
}

/** What the scheduler answers a request: the run it started, or why it did not queue it. */
export const replySchema = z.union([
  z.object({ status: z.literal('started'), runId: z.string(), dir: z.string() }),
  /** `retryable`: not taken for now (a run of the job already waits to start); asked again later, it may be. */
  z.object({ status: z.literal('skipped'), message: z.string(), retryable: z.boolean().optional() }),
]);
export type RunReply = z.infer<typeof replySchema>;
/** Replies nobody came for (a `jobs run` that was stopped) are removed after this long. */
const REPLY_MAX_AGE_MS = 24 * 3600_000;

/** How long a change of the pause file waits for another writer (they hold the lock for a few milliseconds). */
const LOCK_WAIT_MS = 10_000;
const LOCK_POLL_MS = 15;
/** Writers in this process, per lock file: one at a time (createWhole's pending name is per process). */
const localTurns = new WriteQueue();

export class Controls {
  readonly dir: string;
  readonly pausedFile: string;
  readonly requestsDir: string;
  /** The scheduler's answers to requests (outside requestsDir: writing them must not wake it). */
  readonly repliesDir: string;

  constructor(owner: SchedulerOwner) {
    this.dir = schedulerDir(owner);
    this.pausedFile = path.join(this.dir, 'paused.json');
    this.requestsDir = path.join(this.dir, 'requests');
    this.repliesDir = path.join(this.dir, 'replies');
  }

  /**
   * The paused jobs. No file: none. A file that cannot be read (a hand edit gone wrong) is an error
   * naming it, never "nothing paused": that would start every paused job, and a pause written over
   * it would drop the others.
   */
  async paused(): Promise<Record<string, { since: string }>> {
    // The scheduler reads this on every wake: what a killed `jobs pause` left does not stay.
    await this.removeDeadPauseLock().catch(() => undefined);
    const unreadable = (what: string) =>
      new CaudalError('validation', `the pause file ${this.pausedFile} cannot be read: ${what}`, {
        hint: 'fix it (`{"jobs": {"<job>": {"since": "<ISO time>"}}}`), or remove it: every job paused with `caudal jobs pause` then runs again',
      });
    let text: string;
    try {
      text = await readFile(this.pausedFile, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw unreadable((e as Error).message);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw unreadable(text.trim() === '' ? 'it is empty' : `it is not valid JSON${jsonSyntaxWhere(text)}`);
    }
    const parsed = pausedSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw unreadable(`it is not a pause file (${issue ? `${issue.path.join('.') || 'the top level'}: ${issue.message}` : 'unexpected content'})`);
    }
    return parsed.data.jobs;
  }

  /**
   * Pauses or resumes a job. A read-modify-write of `paused.json`, so it holds the pause lock
   * (`paused.json.lock`, naming its owner) throughout: parallel `caudal jobs pause`, the studio's
   * buttons and `resume` never lose each other's change. A lock left by a killed writer is removed
   * by the next one (and by the scheduler's reads), as are its temp files.
   */
  async setPaused(job: string, paused: boolean, now = new Date()): Promise<void> {
    await this.withPauseLock(async () => {
      const jobs = await this.paused();
      if (paused) jobs[job] ??= { since: now.toISOString() };
      else delete jobs[job];
      await writeFileAtomic(this.pausedFile, JSON.stringify({ jobs }, null, 2) + '\n');
    });
  }

  get pauseLockFile(): string {
    return `${this.pausedFile}.lock`;
  }

  private async withPauseLock<T>(fn: () => Promise<T>): Promise<T> {
    const file = this.pauseLockFile;
    return localTurns.run(file, async () => {
      const token = randomUUID();
      await this.takePauseLock(token);
      try {
        return await fn();
      } finally {
        const holder = await readHolder(file);
        if (holder?.token === token) await rm(file, { force: true });
      }
    });
  }

  private async takePauseLock(token: string): Promise<void> {
    const file = this.pauseLockFile;
    await mkdir(this.dir, { recursive: true });
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      await this.removeDeadPauseLock();
      if (await createWhole(file, JSON.stringify({ owner: self, token, since: new Date().toISOString() }))) return;
      if (Date.now() > deadline) {
        const holder = await readHolder(file);
        throw new CaudalError('busy', `${this.pausedFile} is being changed by another process${holder ? ` (pid ${holder.owner.pid})` : ''}`, { hint: `try again; if no caudal process is running, remove ${file}` });
      }
      await sleep(LOCK_POLL_MS);
    }
  }

  /** A pause lock (or its pending content) whose writer was killed: removed, never a live writer's. */
  private async removeDeadPauseLock(): Promise<void> {
    const file = this.pauseLockFile;
    // Temp files of a pause file write that was killed half way.
    await removeDeadTemps(this.dir);
    for (const name of await readdir(this.dir).catch(() => [] as string[])) {
      const writer = pendingOwner(name);
      if (name.startsWith(path.basename(file)) && writer !== undefined && ownerIsDead(writer)) await rm(path.join(this.dir, name), { force: true });
    }
    // One reading decides, and only what was read is removed (removeIfStill): reading again, then
    // removing, could delete the lock a live writer took in between, and two pauses would race.
    const seen = await readFile(file, 'utf8').catch(() => null);
    if (seen === null) return;
    const holder = parseHolder(seen);
    if (holder ? ownerIsDead(holder.owner) : await oldEnoughToBeDebris(file)) await removeIfStill(file, seen);
  }

  /** Asks the running scheduler to run a job now; the id names the scheduler's reply (see `reply`). */
  async requestRun(job: string, now = new Date(), params?: Record<string, string>, opts: { repeat?: boolean } = {}): Promise<string> {
    await mkdir(this.requestsDir, { recursive: true });
    const id = `${now.getTime()}-${randomUUID().slice(0, 8)}`;
    // Written under a dot name and renamed, so the scheduler never reads half a request.
    await writeFileAtomic(path.join(this.requestsDir, `${id}.json`), JSON.stringify({ job, at: now.toISOString(), ...(params ? { params } : {}), ...(opts.repeat ? { repeat: true } : {}) }));
    return id;
  }

  /** The scheduler's answer to a request. */
  async reply(id: string, reply: RunReply): Promise<void> {
    await writeFileAtomic(path.join(this.repliesDir, `${id}.json`), JSON.stringify(reply));
  }

  /** The answer to a request, once there is one. */
  async readReply(id: string): Promise<RunReply | null> {
    try {
      const parsed = replySchema.safeParse(JSON.parse(await readFile(path.join(this.repliesDir, `${id}.json`), 'utf8')));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }

  async removeReply(id: string): Promise<void> {
    await rm(path.join(this.repliesDir, `${id}.json`), { force: true });
  }

  /** Takes every pending request (oldest first) and deletes its file. */
  async takeRequests(now = Date.now()): Promise<RunRequest[]> {
    await this.pruneReplies(now);
    // Half-written requests of a `caudal jobs run` that was killed: nobody would rename them.
    await removeDeadTemps(this.requestsDir);
    let names: string[];
    try {
      names = (await readdir(this.requestsDir)).filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort();
    } catch {
      return [];
    }
    const out: RunRequest[] = [];
    for (const name of names) {
      const file = path.join(this.requestsDir, name);
      try {
        const parsed = requestSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
        if (parsed.success) out.push({ id: name.slice(0, -'.json'.length), ...parsed.data });
      } catch {
        // unreadable: dropped below
      }
      await rm(file, { force: true });
    }
    return out;
  }

  /** Replies nobody read (their `jobs run` was stopped), and temp names of killed writes. */
  private async pruneReplies(now: number): Promise<void> {
    await removeDeadTemps(this.repliesDir);
    for (const name of await readdir(this.repliesDir).catch(() => [] as string[])) {
      const at = Number(name.split('-')[0]);
      if (Number.isFinite(at) && now - at > REPLY_MAX_AGE_MS) await rm(path.join(this.repliesDir, name), { force: true });
    }
  }
}

async function readHolder(file: string): Promise<{ owner: Owner; token: string } | null> {
  return parseHolder(await readFile(file, 'utf8').catch(() => ''));
}

function parseHolder(text: string): { owner: Owner; token: string } | null {
  try {
    const h = JSON.parse(text) as { owner?: Owner; token?: string } | null;
    return h?.owner && typeof h.token === 'string' ? { owner: h.owner, token: h.token } : null;
  } catch {
    return null;
  }
}
