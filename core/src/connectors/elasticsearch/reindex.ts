import type { Client } from '@elastic/elasticsearch';

interface ReindexResult {
  created?: number;
  updated?: number;
  failures?: unknown[];
}

/** Consecutive failed polls of the task tolerated (a node restarting, a lost answer) before giving up. */
const POLL_ERRORS = 5;
const MAX_POLL_WAIT_MS = 5000;

/** The copy's task could not be followed; it may still be running in the cluster. */
export class ReindexPollError extends Error {
  constructor(
    readonly task: string,
    index: string,
    cause: unknown,
  ) {
    super(`cannot follow the copy into ${index} (task ${task}), which may still be running in the cluster: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'ReindexPollError';
    // A refusal keeps Elasticsearch's answer for the explanation (a 403 asks for the monitor privilege).
    const meta = (cause as { meta?: { statusCode?: number } }).meta;
    if (meta?.statusCode === 401 || meta?.statusCode === 403) (this as { meta?: unknown }).meta = meta;
  }
}

/**
 * `_reindex` run as a task and polled until done. Waited for in one request, a copy that takes
 * longer than the connection's request timeout (millions of documents) failed the commit while
 * the cluster went on copying; each poll is a short request instead.
 */
async function reindexTask(client: Client, work: string, index: string): Promise<ReindexResult> {
  const started = await client.reindex({ source: { index: work }, dest: { index, op_type: 'index' }, refresh: true, wait_for_completion: false });
  const task = String(started.task);
  let wait = 200;
  for (let errors = 0; ; ) {
    await new Promise((resolve) => setTimeout(resolve, wait));
    wait = Math.min(wait * 2, MAX_POLL_WAIT_MS);
    let status: { completed: boolean; response?: unknown; error?: { type?: string; reason?: string } };
    try {
      status = (await client.tasks.get({ task_id: task })) as typeof status;
      errors = 0;
    } catch (e) {
      const status = (e as { meta?: { statusCode?: number } }).meta?.statusCode;
      if (status === 401 || status === 403 || ++errors >= POLL_ERRORS) throw new ReindexPollError(task, index, e);
      continue;
    }
    if (!status.completed) continue;
    if (status.error) throw new Error(`reindex task ${task} into ${index} failed: ${status.error.type ?? 'error'}: ${status.error.reason ?? ''}`);
    return (status.response ?? {}) as ReindexResult;
  }
}

/** Elasticsearch's answer that an index of that name exists already. */
export function alreadyExists(e: unknown): boolean {
  return (e as { meta?: { body?: { error?: { type?: string } } } })?.meta?.body?.error?.type === 'resource_already_exists_exception';
}

/**
 * Whether a copy task is still running (recovery of a commit that could not follow it). A task the
 * cluster no longer knows (its node restarted) is not running; any other failure to ask is thrown.
 */
export async function copyStillRunning(client: Client, task: string): Promise<boolean> {
  try {
    const status = (await client.tasks.get({ task_id: task })) as { completed?: boolean };
    return status.completed !== true;
  } catch (e) {
    if ((e as { meta?: { statusCode?: number } }).meta?.statusCode === 404) return false;
    throw e;
  }
}

/**
 * Upsert's commit: the work index's documents into the target by id, then the work index goes.
 * `create`: the index settings for a target that did not exist when the run staged (created here
 * with the work index's mappings).
 */
export async function copyWork(client: Client, index: string, work: string, create: Record<string, unknown> | undefined, expected?: number): Promise<void> {
  if (create && !(await client.indices.exists({ index }))) {
    const m = await client.indices.getMapping({ index: work });
    const mappings = (Object.values(m)[0] as { mappings?: unknown } | undefined)?.mappings;
    // Already there: created meanwhile, or by this very request whose answer was lost (the client retries it).
    await client.indices.create({ index, mappings: mappings as never, settings: create as never }).catch((e: unknown) => {
      if (!alreadyExists(e)) throw e;
    });
  }
  const r = await reindexTask(client, work, index);
  if ((r.failures ?? []).length > 0) throw new Error(`reindex into ${index} failed for ${r.failures!.length} document(s): ${JSON.stringify(r.failures![0]).slice(0, 300)}`);
  if (expected !== undefined && (r.created ?? 0) + (r.updated ?? 0) !== expected) throw new Error(`reindex into ${index} copied ${(r.created ?? 0) + (r.updated ?? 0)} of ${expected} documents`);
  await client.indices.delete({ index: work, ignore_unavailable: true });
}
