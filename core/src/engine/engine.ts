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

function startJob<T>(request: WorkerRequest, onEvent?: (e: RunEvent) => void): Job<T> {
  const reusable = request.kind !== 'run';
  const worker = takeWorker(reusable);
  let settled = false;
  let answered = false;
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
      if (!answered) worker.postMessage({ kind: 'cancel' } satisfies HostToWorker);
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

export function previewPipeline(request: PreviewRequest): Promise<PreviewResult> {
  return startJob<PreviewResult>({ kind: 'preview', request }).result;
}

export function inspect(request: InspectRequest): Promise<InspectResult> {
  return startJob<InspectResult>({ kind: 'inspect', request }).result;
}

export interface ProfileHandle {
  done: Promise<ProfileResult>;
  cancel(): void;
}

/** Profiles a node's output in its own worker; `onEvent` gets progress (node_progress) and step names (log). */
export function startProfile(request: ProfileRequest, onEvent?: (e: RunEvent) => void): ProfileHandle {
  const job = startJob<ProfileResult>({ kind: 'profile', request }, onEvent);
  return { done: job.result, cancel: job.cancel };
}
