import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { parentPort } from 'node:worker_threads';
import { CaudalError, errorMessage } from '../util/errors.js';
import { Db } from '../compiler/db.js';
import { executeRun } from './execute.js';
import { executeWatch } from './watch.js';
import { inspectPipeline, previewNode } from './inspect.js';
import { profileNode } from '../quality/profile/profile-node.js';
import type { HostToWorker, RunEvent, WorkerRequest, WorkerToHost } from './protocol.js';
import { redactDeep, secretValues } from './redact-secrets.js';
import { tempFolderPrefix } from './commit/recover.js';
import { duckdbMemoryLimit } from './memory-budget.js';

/**
 * One worker serves one request: it owns a DuckDB instance and a private temp folder, and
 * releases both before it reports the result. Cancel arrives as a message while a query runs;
 * `interrupt()` must be called from this thread, which owns the connection.
 */
const port =
  parentPort ??
  (() => {
    throw new Error('engine worker must run in a worker thread');
  })();

let db: Db | undefined;
let cancelled = false;
/** A `--watch` run was asked to stop after its current batch. */
let stopping = false;
let busy = false;

let secrets: string[] = [];
const send = (m: WorkerToHost) => port.postMessage(redactDeep(m, secrets));

// A worker serves one request at a time and may serve several in turn (the host keeps warm
// workers for previews): every request gets a fresh DuckDB instance and temp folder, and the
// reply is sent only after both are released, so the host may stop the worker the moment it has it.
port.on('message', (msg: HostToWorker) => {
  if (msg.kind === 'cancel') {
    if (!busy) return;
    cancelled = true;
    // Once a run's commit has begun (execute.ts holds the interrupts then) it finishes the commit:
    // interrupting DuckDB would cut the rows a sink streams while it publishes (RabbitMQ), leaving
    // part of them published. The run ignores the cancel flag from then on too.
    if (db?.interruptible) db.interrupt();
    return;
  }
  if (msg.kind === 'stop') {
    stopping = true;
    return;
  }
  if (busy) {
    send({ kind: 'error', error: new CaudalError('usage', 'this engine worker is already busy').toJSON() });
    return;
  }
  busy = true;
  cancelled = false;
  stopping = false;
  void handle(msg).finally(() => {
    busy = false;
  });
});

async function handle(msg: WorkerRequest): Promise<void> {
  // Named after its owner process, so a killed run's folder is recognized and removed later.
  const tempDir = await mkdtemp(tempFolderPrefix());
  // Other projects' connections, passed for a run's recovery of their killed runs, are as secret.
  const recovery = msg.kind === 'run' ? Object.values(msg.request.recoveryConnections ?? {}) : [];
  secrets = [msg.request.connections, ...recovery].flatMap((c) => secretValues(c));
  let reply: WorkerToHost;
  try {
    const options = msg.request.options ?? {};
    db = await Db.open({ threads: options.threads, memoryLimit: duckdbMemoryLimit(options.memoryLimit), tempDir: path.join(tempDir, 'spill') });
    if (msg.kind === 'run') {
      const hooks = { emit: (event: RunEvent) => send({ kind: 'event', event }), isCancelled: () => cancelled, isStopping: () => stopping };
      const result = msg.request.watch ? await executeWatch(msg.request, db, tempDir, hooks) : await executeRun(msg.request, db, tempDir, hooks);
      reply = { kind: 'result', result };
    } else if (msg.kind === 'preview') {
      reply = { kind: 'result', result: await previewNode(msg.request, db, tempDir, () => cancelled) };
    } else if (msg.kind === 'profile') {
      const { nodeId } = msg.request;
      const progress = (percent: number, step: string) => {
        send({ kind: 'event', event: { type: 'log', runId: 'profile', level: 'debug', message: step, nodeId } });
        send({ kind: 'event', event: { type: 'node_progress', runId: 'profile', nodeId, percent, rowsProcessed: 0 } });
      };
      reply = { kind: 'result', result: await profileNode(msg.request, db, tempDir, { isCancelled: () => cancelled, progress }) };
    } else {
      reply = { kind: 'result', result: await inspectPipeline(msg.request, db, tempDir) };
    }
  } catch (e) {
    const error = e instanceof CaudalError ? e : new CaudalError(cancelled ? 'cancelled' : 'execution', errorMessage(e));
    reply = { kind: 'error', error: error.toJSON() };
  } finally {
    db?.close();
    db = undefined;
    await rm(tempDir, { recursive: true, force: true });
  }
  send(reply);
}
