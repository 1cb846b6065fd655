import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { removeDeadTemps, writeFileAtomic } from '../util/atomic-write.js';
import { schedulerDir } from './state.js';

/**
 * How others talk to a running scheduler without touching its state file: a pause file
 * (`paused.json`, written by `caudal jobs pause` and the studio) and a requests folder (one file
 * per "run now" request, taken and deleted by the scheduler). The scheduler watches both.
 */
const pausedSchema = z.object({ jobs: z.record(z.string(), z.object({ since: z.string() })) });
const requestSchema = z.object({ job: z.string(), at: z.string() });

export class Controls {
  readonly dir: string;
  readonly pausedFile: string;
  readonly requestsDir: string;

  constructor(projectDir: string) {
    this.dir = schedulerDir(projectDir);
    this.pausedFile = path.join(this.dir, 'paused.json');
    this.requestsDir = path.join(this.dir, 'requests');
  }

  async paused(): Promise<Record<string, { since: string }>> {
    try {
      const parsed = pausedSchema.safeParse(JSON.parse(await readFile(this.pausedFile, 'utf8')));
      return parsed.success ? parsed.data.jobs : {};
    } catch {
      return {};
    }
  }

  async setPaused(job: string, paused: boolean, now = new Date()): Promise<void> {
    const jobs = await this.paused();
    if (paused) jobs[job] ??= { since: now.toISOString() };
    else delete jobs[job];
    await writeFileAtomic(this.pausedFile, JSON.stringify({ jobs }, null, 2) + '\n');
  }

  /** Asks the running scheduler to run a job now. */
  async requestRun(job: string, now = new Date()): Promise<void> {
    await mkdir(this.requestsDir, { recursive: true });
    const name = `${now.getTime()}-${randomUUID().slice(0, 8)}.json`;
    // Written under a dot name and renamed, so the scheduler never reads half a request.
    await writeFileAtomic(path.join(this.requestsDir, name), JSON.stringify({ job, at: now.toISOString() }));
  }

  /** Takes every pending request (oldest first) and deletes its file. */
  async takeRequests(): Promise<Array<{ job: string; at: string }>> {
    // Half-written requests of a `caudal jobs run` that was killed: nobody would rename them.
    await removeDeadTemps(this.requestsDir);
    let names: string[];
    try {
      names = (await readdir(this.requestsDir)).filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort();
    } catch {
      return [];
    }
    const out: Array<{ job: string; at: string }> = [];
    for (const name of names) {
      const file = path.join(this.requestsDir, name);
      try {
        const parsed = requestSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
        if (parsed.success) out.push(parsed.data);
      } catch {
        // unreadable: dropped below
      }
      await rm(file, { force: true });
    }
    return out;
  }
}
