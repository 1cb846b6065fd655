import path from 'node:path';
import { startRun, type RunHandle } from '../engine/engine.js';
import type { EngineOptions } from '../engine/protocol.js';
import type { ResolvedConnection } from '../nodes/define.js';
import type { ProjectConnections } from '../engine/commit/other-projects.js';
import { defaultArtifactsDir, defaultStateDir } from '../engine/run-dirs.js';
import type { EventPayload, HostEventMessage, PipelineDocument, RunRecord } from '../host-api/contract.js';
import { CaudalError } from '../util/errors.js';
import { ownerIsDead, self } from '../util/owner.js';
import { isSafeRunId, listArtifacts, listRuns, readEvents, readRun, type StoredRun } from './run-history.js';
import { newRunId, RunRecorder } from './run-recorder.js';

export interface StartRunInput {
  document: PipelineDocument;
  /** The pipeline file, or null for an unsaved pipeline. */
  pipelinePath: string | null;
  baseDir: string;
  params: Record<string, string | number | boolean>;
  targets: string[];
  options?: EngineOptions;
  /** Run continuously (micro-batches) until stopped. */
  watch?: boolean;
  /** The connections the document declares, resolved with their secrets (as for previews). */
  connections?: Record<string, ResolvedConnection>;
  /** Other projects' connections, for their killed runs (engine/commit/other-projects.ts). */
  recoveryConnections?: ProjectConnections;
}

/**
 * Starts runs on engine workers, records each in its own folder (`<pipeline folder>/.caudal/runs/<runId>`,
 * the run's artifactsDir) and forwards every engine event to the host's listeners.
 */
export class RunManager {
  private readonly active = new Map<string, { handle: RunHandle; finished: Promise<void> }>();
  /** Run id → folder, for runs started or listed by this host. */
  private readonly known = new Map<string, string>();

  constructor(private readonly emit: (message: HostEventMessage) => void) {}

  async start(input: StartRunInput): Promise<{ runId: string; dir: string }> {
    const runId = newRunId();
    const dir = defaultArtifactsDir(input.baseDir, runId);
    const recorder = await RunRecorder.begin({ runId, pipeline: input.document.name, pipelinePath: input.pipelinePath, targets: input.targets, params: input.params, dir });
    this.known.set(runId, dir);
    const handle = startRun({
      runId,
      pipeline: input.document,
      baseDir: input.baseDir,
      params: input.params,
      options: input.options,
      connections: input.connections,
      recoveryConnections: input.recoveryConnections,
      targets: input.targets.length > 0 ? input.targets : undefined,
      watch: input.watch,
      artifactsDir: dir,
      stateDir: defaultStateDir(input.baseDir),
      onEvent: (event) => {
        recorder.event(event);
        this.emit({ event: 'run', payload: event as EventPayload<'run'> });
      },
    });
    const finished = handle.done
      .then((summary) => recorder.finished(summary))
      .catch((e: unknown) => recorder.crashed(e))
      .then((record) => {
        this.active.delete(runId);
        this.emit({ event: 'history.changed', payload: { runId, pipelinePath: record.pipelinePath, status: record.status } });
      });
    this.active.set(runId, { handle, finished });
    this.emit({ event: 'history.changed', payload: { runId, pipelinePath: input.pipelinePath, status: 'running' } });
    return { runId, dir };
  }

  cancel(runId: string): boolean {
    const run = this.active.get(runId);
    if (!run) return false;
    run.handle.cancel();
    return true;
  }

  /** A continuous run ends after its current batch (a plain run is cancelled). */
  stop(runId: string): boolean {
    const run = this.active.get(runId);
    if (!run) return false;
    run.handle.stop();
    return true;
  }

  /** Resolves once the run's record is final (tests, shutdown). */
  async settled(runId: string): Promise<void> {
    await this.active.get(runId)?.finished;
  }

  async history(baseDir: string, pipelinePath: string | null, limit: number): Promise<RunRecord[]> {
    const runs = await listRuns(path.join(baseDir, '.caudal', 'runs'), pipelinePath, limit);
    for (const r of runs) this.known.set(r.runId, r.dir);
    return Promise.all(runs.map(async (r) => this.record(await this.settledRecord(r))));
  }

  /**
   * A record read as "running" while its run is no longer active here finished between the read and
   * now (its final record is written just before it leaves `active`): read it again.
   */
  private async settledRecord(run: StoredRun): Promise<StoredRun> {
    if (run.status !== 'running' || this.active.has(run.runId)) return run;
    const again = await readRun(run.dir);
    return again ? { ...again, dir: run.dir } : run;
  }

  async get(runId: string, baseDir: string | undefined) {
    const dir = this.locate(runId, baseDir);
    const read = await readRun(dir);
    if (!read) throw new CaudalError('usage', `no run '${runId}' in ${path.dirname(dir)}`, { hint: 'list the runs of its pipeline with run.history' });
    const run = await this.settledRecord({ ...read, dir });
    return { record: this.record(run), summary: run.summary, artifacts: await listArtifacts(dir) };
  }

  async logs(runId: string, baseDir: string | undefined, offset: number, limit: number) {
    const dir = this.locate(runId, baseDir);
    const { events, next } = await readEvents(dir, offset, limit);
    return { events, next, done: !this.active.has(runId) };
  }

  /** The folder of a run: from this host's memory, or inside the given pipeline folder. */
  locate(runId: string, baseDir: string | undefined): string {
    if (!isSafeRunId(runId)) throw new CaudalError('usage', `'${runId}' is not a run id`);
    const dir = this.known.get(runId) ?? (baseDir === undefined ? undefined : defaultArtifactsDir(baseDir, runId));
    if (!dir) throw new CaudalError('usage', `unknown run '${runId}'`, { hint: "pass the pipeline's path, or list its runs with run.history first" });
    return dir;
  }

  async cancelAll(): Promise<void> {
    for (const runId of this.active.keys()) this.cancel(runId);
    await Promise.all([...this.active.values()].map((r) => r.finished));
  }

  private record(run: StoredRun): RunRecord {
    const { summary: _summary, ...record } = run;
    // A record left "running" by a host that stopped mid-run will never finish; one whose process
    // is elsewhere and alive (`caudal run`, a scheduled job) is still running.
    const elsewhere = record.owner !== undefined && record.owner.pid !== self.pid && !ownerIsDead(record.owner);
    if (record.status === 'running' && !this.active.has(run.runId) && !elsewhere)
      return { ...record, status: 'failed', error: { kind: 'execution', message: record.owner && record.owner.pid !== self.pid ? `the process running this run (pid ${record.owner.pid}) stopped before it finished` : 'the studio stopped while this run was running' } };
    return record;
  }
}
