import { randomUUID } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CaudalError } from '../util/errors.js';
import type { ProfileRequest, ProfileResult } from '../quality/profile/types.js';
import type {
  HostToWorker,
  InspectRequest,
  InspectResult,
  PreviewRequest,
  PreviewResult,
  RunEvent,
  RunRequest,
  RunSummary,
  WorkerRequest,
  WorkerToHost,
} from './protocol.js';

/**
 * Built code starts worker-boot.cjs (worker-boot.ts as CommonJS, so the worker never loads Node's ES
 * module loader), which runs the bundled worker (worker.bundle.cjs, core/scripts/bundle-worker.mjs)
 * with a V8 code cache, when the bundle is at least as new as worker.js; else worker.js (a
 * `tsc`-only build leaves the bundle stale). From TypeScript sources (tests, tsx) the worker loads
 * worker.ts through tsx's loader, unless CAUDAL_ENGINE_WORKER names a built worker to start instead
 * (the tests set it when the build is newer than the sources: test/support/built-worker.ts).
 */
function spawnWorker(): Worker {
  const js = new URL('./worker.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return new Worker(freshBundle(js) ? new URL('./worker-boot.cjs', import.meta.url) : js);
  const built = process.env.CAUDAL_ENGINE_WORKER;
  if (built) return new Worker(built);
  const ts = new URL('./worker.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(ts)}); })`;
  return new Worker(boot, { eval: true });
}

/** The bundle and its boot file were built after worker.js (a `tsc`-only build leaves them stale). */
function freshBundle(js: URL): boolean {
  try {
    const built = statSync(js).mtimeMs;
    return statSync(new URL('./worker.bundle.cjs', import.meta.url)).mtimeMs >= built && statSync(new URL('./worker-boot.cjs', import.meta.url)).mtimeMs >= built;
  } catch {
    return false;
  }
}

interface Job<T> {
  result: Promise<T>;
  cancel(): void;
  stop(): void;
}

/**
 * Warm workers for short requests (previews, profiles, inspections): starting a worker thread and
 * loading the engine's modules in it costs ~200 ms, more than a preview's query. A worker that
 * answered goes back here, unref'd so it never keeps a process alive, and ends after a minute idle.
 * Each request still gets its own DuckDB instance. Runs always get a fresh worker of their own.
 */
const MAX_IDLE = 2;
const IDLE_MS = 60_000;
const idle: Array<{ worker: Worker; timer: NodeJS.Timeout }> = [];

function takeWorker(reusable: boolean): Worker {
  const warm = reusable ? idle.pop() : undefined;
  if (!warm) {
    const worker = spawnWorker();
    // A parked worker that dies (crash, terminate) leaves the pool: one listener for its lifetime.
    worker.once('exit', () => unpark(worker));
    return worker;
  }
  clearTimeout(warm.timer);
  warm.worker.ref();
  return warm.worker;
}

function park(worker: Worker): void {
  if (idle.length >= MAX_IDLE) {
    void worker.terminate();
    return;
  }
  worker.unref();
  const entry = {
    worker,
    timer: setTimeout(() => {
      unpark(worker);
      void worker.terminate();
    }, IDLE_MS).unref(),
  };
  idle.push(entry);
}

function unpark(worker: Worker): void {
  const i = idle.findIndex((e) => e.worker === worker);
  if (i >= 0) {
    clearTimeout(idle[i]!.timer);
    idle.splice(i, 1);
  }
}

/** Starts a worker ahead of the first preview (the studio calls this when it opens). */
export function warmUp(): void {
  if (idle.length === 0) park(takeWorker(false));
}

/** Waits until a dying worker's thread has stopped; one stuck in native code is stopped after a while. */
async function threadGone(worker: Worker): Promise<void> {
  if (worker.threadId === -1) return;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const timer = setTimeout(() => void worker.terminate(), DYING_MS);
  await exited;
  clearTimeout(timer);
}
const DYING_MS = 10_000;

/** The worker thread of a job died before it answered: nothing it held was released. */
class WorkerDied extends CaudalError {
  constructor(message: string, cause?: Error) {
    super('execution', message, cause ? { cause } : {});
  }
}

/**
 * How often a cancelled preview or profile is cancelled again until its worker answers. DuckDB's
 * interrupt stops only the statement running when it arrives, and a preview checks no cancel flag
 * between its statements (planning, sampling, the preview query): a cancel that landed between two
 * would be lost, and the next statement run to its end.
 */
const RECANCEL_MS = 100;

function startJob<T>(request: WorkerRequest, onEvent?: (e: RunEvent) => void): Job<T> {
  const reusable = request.kind !== 'run';
  const worker = takeWorker(reusable);
  let settled = false;
  let answered = false;
  let recancel: NodeJS.Timeout | undefined;
  const result = new Promise<T>((resolve, reject) => {
    const onMessage = (m: WorkerToHost) => {
      if (m.kind === 'event') {
        onEvent?.(m.event);
        return;
      }
      settled = true;
      answered = true;
      detach();
      // The worker released its DuckDB instance and temp folder before answering.
      if (reusable) park(worker);
      else void worker.terminate();
      if (m.kind === 'result') resolve(m.result as T);
      else reject(CaudalError.fromJSON(m.error));
    };
    const onError = (e: Error) => {
      settled = true;
      detach();
      // The error arrives while the thread is still being torn down: file operations it had started
      // may still land. What it left is recovered only once it is gone, or an undone destination
      // could change again after the recovery.
      void threadGone(worker).then(() => reject(new WorkerDied(`engine worker crashed: ${e.message}`, e)));
    };
    const onExit = (code: number) => {
      detach();
      if (!settled) reject(new WorkerDied(`engine worker exited with code ${code} before answering`));
    };
    const detach = () => {
      clearInterval(recancel);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
  worker.postMessage(request satisfies HostToWorker);
  return {
    result,
    cancel: () => {
      if (answered || settled) return;
      worker.postMessage({ kind: 'cancel' } satisfies HostToWorker);
      // A run checks its cancel flag before each statement (execute.ts); the others are cancelled
      // again until they answer (RECANCEL_MS).
      if (reusable && !recancel) recancel = setInterval(() => worker.postMessage({ kind: 'cancel' } satisfies HostToWorker), RECANCEL_MS);
    },
    stop: () => {
      if (!answered) worker.postMessage({ kind: 'stop' } satisfies HostToWorker);
    },
  };
}

export interface RunHandle {
  runId: string;
  /** Resolves with the summary whatever the outcome; rejects only if the worker itself died. */
  done: Promise<RunSummary>;
  /** Rolls back what is in progress; nothing is committed. */
  cancel(): void;
  /** `--watch` runs: finish and commit the current batch, then end (plain runs: same as cancel). */
  stop(): void;
}

export interface RunOptions extends Omit<RunRequest, 'runId'> {
  runId?: string;
  onEvent?: (event: RunEvent) => void;
}

/** Host-side entry to the engine: each call gets its own worker thread and DuckDB instance. */
export function startRun(opts: RunOptions): RunHandle {
  const { onEvent, ...rest } = opts;
  const runId = opts.runId ?? `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${randomUUID().slice(0, 8)}`;
  const job = startJob<RunSummary>({ kind: 'run', request: { ...rest, runId } }, onEvent);
  // A run whose worker died is recovered at once (engine/crashed-run.ts), and its error says how.
  const done = job.result.catch(async (e: unknown) => {
    if (!(e instanceof WorkerDied)) throw e;
    // Loaded only then: it opens DuckDB in this thread, which the host otherwise never does.
    const { recoverCrashedRun } = await import('./crashed-run.js');
    const recovered = await recoverCrashedRun(runId, rest.connections, rest.baseDir);
    throw recovered.length > 0 ? new CaudalError('execution', `${e.message}; ${recovered.join('; ')}`, { cause: e }) : e;
  });
  return { runId, done, cancel: job.cancel, stop: rest.watch ? job.stop : job.cancel };
}

export function runPipeline(opts: RunOptions): Promise<RunSummary> {
  return startRun(opts).done;
}

/**
 * libuv's thread pool is the process's, shared by every worker thread, and DuckDB's node bindings
 * run each query on one of its threads for as long as the query runs. The host's own file
 * operations (save, fs.list, reading a pipeline, a worker's temp folder) wait for a free thread of
 * that same pool: four slow previews (a few edits to a slow SQL node, or requests their clients
 * abandoned) used to take all four threads, and everything that touched a file hung until a query
 * ended. So at most POOL_SIZE - 2 previews and profiles run at once (2 with the default pool),
 * the next ones in turn, leaving the host two threads. Runs are not counted (started on purpose, shown in the Runs tab and
 * cancelled there; a continuous run holds its worker for days, mostly waiting for messages), nor
 * are inspections (validate, schemas: they plan and never read the data through).
 *
 * The pool cannot be made larger from inside: its size is read when it is first used, and Node's
 * ES module loader reads the entry module (bin/caudal.js) through it before that module's first
 * line runs. UV_THREADPOOL_SIZE set in the environment that starts caudal (or Electron) still
 * works, and then more previews may run at once.
 */
const POOL_SIZE = threadPoolSize(process.env.UV_THREADPOOL_SIZE);
const MAX_SHORT_JOBS = Math.max(1, POOL_SIZE - 2);
let shortJobs = 0;
const waitingJobs: Array<() => void> = [];

/** The size libuv gives its pool for this value of UV_THREADPOOL_SIZE (atoi, 1 to 1024, 4 when unset). */
function threadPoolSize(value: string | undefined): number {
  if (value === undefined) return 4;
  const n = Number.parseInt(value, 10);
  return Number.isNaN(n) || n < 1 ? 1 : Math.min(n, 1024);
}

/** Why a job was cancelled: the signal's reason when it is ours, else a plain cancel. */
function cancelledError(kind: WorkerRequest['kind'], signal: AbortSignal): CaudalError {
  return signal.reason instanceof CaudalError ? signal.reason : new CaudalError('cancelled', `the ${kind} was cancelled`);
}

/** Waits for a free slot (MAX_SHORT_JOBS); resolves with its release. A job cancelled while it waits never starts. */
function takeSlot(kind: WorkerRequest['kind'], signal: AbortSignal | undefined): Promise<() => void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(cancelledError(kind, signal));
    const grant = () => {
      signal?.removeEventListener('abort', onAbort);
      shortJobs++;
      let released = false;
      resolve(() => {
        if (released) return;
        released = true;
        shortJobs--;
        waitingJobs.shift()?.();
      });
    };
    const onAbort = () => {
      const i = waitingJobs.indexOf(grant);
      if (i >= 0) waitingJobs.splice(i, 1);
      reject(cancelledError(kind, signal!));
    };
    if (shortJobs < MAX_SHORT_JOBS) return grant();
    waitingJobs.push(grant);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A preview or profile: waits for a slot, then runs on a warm worker. Aborting `signal` cancels it
 * (DuckDB's query interrupted); it then rejects with the signal's reason when that is a
 * CaudalError (why it was cancelled), whatever the interrupted worker said. The slot is released
 * only once the worker has answered, i.e. once its query no longer holds a pool thread.
 */
async function shortJob<T>(request: Extract<WorkerRequest, { kind: 'preview' | 'profile' }>, signal: AbortSignal | undefined, onEvent?: (e: RunEvent) => void): Promise<T> {
  const release = await takeSlot(request.kind, signal);
  try {
    const job = startJob<T>(request, onEvent);
    const onAbort = () => job.cancel();
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await job.result;
    } catch (e) {
      throw signal?.aborted ? cancelledError(request.kind, signal) : e;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  } finally {
    release();
  }
}

export interface JobOptions {
  /** Cancels the request: its DuckDB query is interrupted, or it never starts if it is still waiting its turn. */
  signal?: AbortSignal;
}

export function previewPipeline(request: PreviewRequest, opts: JobOptions = {}): Promise<PreviewResult> {
  return shortJob<PreviewResult>({ kind: 'preview', request }, opts.signal);
}

export function inspect(request: InspectRequest): Promise<InspectResult> {
  return startJob<InspectResult>({ kind: 'inspect', request }).result;
}

export interface ProfileHandle {
  done: Promise<ProfileResult>;
  cancel(): void;
}

/** Profiles a node's output in its own worker; `onEvent` gets progress (node_progress) and step names (log). */
export function startProfile(request: ProfileRequest, onEvent?: (e: RunEvent) => void, opts: JobOptions = {}): ProfileHandle {
  const controller = new AbortController();
  const signal = opts.signal ? AbortSignal.any([controller.signal, opts.signal]) : controller.signal;
  return { done: shortJob<ProfileResult>({ kind: 'profile', request }, signal, onEvent), cancel: () => controller.abort() };
}
