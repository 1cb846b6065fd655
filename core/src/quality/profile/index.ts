import { startProfile } from '../../engine/engine.js';
import type { Pipeline } from '../../model/schema.js';
import type { EngineOptions, RunEvent } from '../../engine/protocol.js';
import { CaudalError } from '../../util/errors.js';
import type { ProfileOptions, ProfileResult } from './types.js';

export interface ProfileCallOptions extends ProfileOptions {
  /** Folder relative paths resolve against (the pipeline file's folder). */
  baseDir: string;
  port?: string;
  params?: Record<string, string | number | boolean>;
  engine?: EngineOptions;
  /** Cancels the profile (the engine interrupts DuckDB); the promise rejects with a `cancelled` error. */
  signal?: AbortSignal;
  /** 0..100 and the step being computed. */
  onProgress?(percent: number, step: string): void;
}

/**
 * Column profile of one node's output. `mode: 'sample'` (default) answers fast from a labelled
 * sample; `mode: 'exact'` reads every row and reports progress; both can be cancelled.
 */
export function profile(pipeline: Pipeline, nodeId: string, options: ProfileCallOptions): Promise<ProfileResult> {
  const { baseDir, port, params, engine, signal, onProgress, ...rest } = options;
  if (signal?.aborted) return Promise.reject(new CaudalError('cancelled', 'the profile was cancelled'));
  let step = '';
  const handle = startProfile({ pipeline, baseDir, nodeId, port, params, options: engine, ...rest }, (e: RunEvent) => {
    if (e.type === 'log') step = e.message;
    else if (e.type === 'node_progress') onProgress?.(e.percent, step);
  });
  const onAbort = () => handle.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  return handle.done.finally(() => signal?.removeEventListener('abort', onAbort));
}

export type { ProfileOptions, ProfileResult, ColumnProfile } from './types.js';
