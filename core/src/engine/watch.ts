import { CaudalError, validationError } from '../util/errors.js';
import type { Db } from '../compiler/db.js';
import { RunLocks } from './commit/locks.js';
import { executeRun, type ExecuteHooks } from './execute.js';
import type { BatchSummary, OutputSummary, RunEvent, RunRequest, RunSummary } from './protocol.js';
import { defaultStateDir } from './run-dirs.js';
import { SessionCache } from './sessions.js';
import { watchProblems, watchWarnings } from './watch-checks.js';

/**
 * `caudal run --watch`: the pipeline runs again and again, one micro-batch at a time. Each batch is
 * a whole run of the graph on what the streaming sources read (the same engine, checks and commit
 * protocol as a plain run); streaming sources acknowledge what they read only after the batch
 * committed, so delivery is at-least-once, and effectively exactly-once into sinks that upsert by
 * key. The sources' connections stay open across batches (SessionCache).
 *
 * Stopping: `stop` (first Ctrl-C or SIGTERM) lets the current batch finish and commit, then ends;
 * `cancel` (a second one) rolls the current batch back. A failed batch ends the watch: what it read
 * was not acknowledged and is read again by the next start. That includes a batch that committed
 * but whose source could not acknowledge it (a Kafka offset commit refused, a RabbitMQ channel
 * closed): it is reported as failed, with its rows counted as written (they are in the destinations).
 */
export async function executeWatch(req: RunRequest, db: Db, tempDir: string, hooks: ExecuteHooks & { isStopping(): boolean }): Promise<RunSummary> {
  const started = Date.now();
  const { runId, pipeline } = req;
  const emit = hooks.emit;
  const sessions = new SessionCache();
  const outputs = new Map<string, OutputSummary>();
  let committed = 0;
  let rowsIn = 0;
  let last: RunSummary | undefined;
  /** Stopped (Ctrl-C, SIGTERM) while waiting for data: no batch was in progress to finish or roll back. */
  let stoppedWaiting = false;
  emit({ type: 'run_started', runId, pipeline: pipeline.name, nodes: pipeline.nodes.length, at: new Date(started).toISOString() });
  const refused = watchProblems(pipeline, req.targets);
  if (refused.length > 0) {
    const summary: RunSummary = { runId, pipeline: pipeline.name, status: 'failed', startedAt: new Date(started).toISOString(), elapsedMs: Date.now() - started, nodes: [], outputs: [], error: validationError(refused).toJSON() };
    emit({ type: 'run_finished', runId, summary });
    return summary;
  }
  // One watch per pipeline for the whole watch: each batch waits for the pipeline's run lock (a
  // plain run between two batches), but a second watch waiting there would join the consumer group,
  // take partitions, and the two would block each other. It exits 75 at once, as a second run does.
  let watchLock: RunLocks;
  try {
    watchLock = await RunLocks.acquire([{ key: `watch:${req.stateDir ?? defaultStateDir(req.baseDir)}:${pipeline.name}`, label: `pipeline '${pipeline.name}'` }], {
      runId,
      pipeline: pipeline.name,
      wait: req.options?.wait === true,
      isCancelled: () => hooks.isCancelled() || hooks.isStopping(),
      log: (message) => emit({ type: 'log', runId, level: 'info', message }),
    });
  } catch (e) {
    const error = (e instanceof CaudalError ? e : new CaudalError('io', String(e))).toJSON();
    const summary: RunSummary = { runId, pipeline: pipeline.name, status: error.kind === 'cancelled' ? 'cancelled' : 'failed', startedAt: new Date(started).toISOString(), elapsedMs: Date.now() - started, nodes: [], outputs: [], error };
    emit({ type: 'run_finished', runId, summary });
    return summary;
  }
  for (const w of watchWarnings(pipeline)) emit({ type: 'warning', runId, nodeId: w.nodeId, message: w.message });
  try {
    for (let batch = 1; !hooks.isStopping() && !hooks.isCancelled(); batch++) {
      const batchStart = Date.now();
      let read = 0;
      let lag: number | undefined;
      let committedBatch = false;
      const forward = (e: RunEvent) => {
        if (e.type === 'run_started') emit({ type: 'batch_started', runId, batch, at: e.at });
        else if (e.type !== 'run_finished') {
          if (e.type === 'stream_read') {
            read += e.rows;
            lag = e.lag === undefined ? lag : (lag ?? 0) + e.lag;
          }
          emit(e);
        }
      };
      last = await executeRun({ ...req, options: { ...req.options, wait: true } }, db, tempDir, {
        emit: forward,
        isCancelled: hooks.isCancelled,
        watch: { sessions, stopping: hooks.isStopping, batch },
        committed: () => (committedBatch = true),
      });
      // A batch that never read anything because the watch was stopped while waiting is not a batch.
      if (last.status === 'cancelled' && read === 0 && hooks.isStopping() && !hooks.isCancelled()) {
        stoppedWaiting = true;
        break;
      }
      const summary: BatchSummary = {
        batch,
        status: last.status,
        rowsIn: read,
        outputs: last.outputs,
        latencyMs: Date.now() - batchStart,
        ...(lag !== undefined ? { lag } : {}),
        ...(last.error ? { error: last.error } : {}),
        ...(committedBatch && last.status !== 'succeeded' ? { reachedDestinations: true as const } : {}),
      };
      emit({ type: 'batch_finished', runId, summary });
      // Rows in the destinations count, also those of a batch that failed after its sinks committed.
      if (committedBatch) {
        committed++;
        rowsIn += read;
        for (const o of last.outputs) {
          const prev = outputs.get(o.nodeId);
          outputs.set(o.nodeId, { ...o, rows: (prev?.rows ?? 0) + o.rows });
        }
      }
      if (last.status !== 'succeeded') break;
    }
  } finally {
    for (const w of await sessions.closeAll()) emit({ type: 'log', runId, level: 'warn', message: w });
    await watchLock.release();
  }
  const failed = last?.status === 'failed';
  const status = failed ? 'failed' : hooks.isStopping() || hooks.isCancelled() ? 'cancelled' : 'succeeded';
  const error =
    failed && last?.error
      ? last.error
      : status === 'cancelled'
        ? new CaudalError(
            'cancelled',
            `stopped after ${committed} committed batch${committed === 1 ? '' : 'es'}; every committed batch is in the destinations, ${stoppedWaiting ? 'and no batch was in progress (it was waiting for new data)' : `the batch in progress was ${hooks.isCancelled() ? 'rolled back' : 'finished'}`}`,
          ).toJSON()
        : undefined;
  const summary: RunSummary = {
    runId,
    pipeline: pipeline.name,
    status,
    startedAt: new Date(started).toISOString(),
    elapsedMs: Date.now() - started,
    nodes: last?.nodes ?? [],
    outputs: [...outputs.values()],
    batches: { committed, rowsIn },
    ...(error ? { error } : {}),
  };
  emit({ type: 'run_finished', runId, summary });
  return summary;
}
