import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
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
 * Built code runs worker.js; from TypeScript sources (tests, tsx) the worker loads worker.ts
 * through tsx's loader.
 */
function spawnWorker(): Worker {
  const js = new URL('./worker.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return new Worker(js);
  const ts = new URL('./worker.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(ts)}); })`;
  return new Worker(boot, { eval: true });
}

interface Job<T> {
  worker: Worker;
  result: Promise<T>;
  cancel(): void;
}

function startJob<T>(request: WorkerRequest, onEvent?: (e: RunEvent) => void): Job<T> {
  const worker = spawnWorker();
  let settled = false;
  const result = new Promise<T>((resolve, reject) => {
    worker.on('message', (m: WorkerToHost) => {
      if (m.kind === 'event') onEvent?.(m.event);
      else if (m.kind === 'result') {
        settled = true;
        resolve(m.result as T);
      } else {
        settled = true;
        reject(CaudalError.fromJSON(m.error));
      }
    });
    worker.on('error', (e) => {
      settled = true;
      reject(new CaudalError('execution', `engine worker crashed: ${e.message}`, { cause: e }));
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new CaudalError('execution', `engine worker exited with code ${code} before answering`));
    });
  });
  worker.postMessage(request satisfies HostToWorker);
  return {
    worker,
    result,
    cancel: () => worker.postMessage({ kind: 'cancel' } satisfies HostToWorker),
  };
}

export interface RunHandle {
  runId: string;
  /** Resolves with the summary whatever the outcome; rejects only if the worker itself died. */
  done: Promise<RunSummary>;
  cancel(): void;
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
  return { runId, done: job.result, cancel: job.cancel };
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
