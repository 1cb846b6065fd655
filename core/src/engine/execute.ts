import path from 'node:path';
import { planPipeline, planSteps, type PlannedNode } from '../compiler/plan.js';
import { cleanDuckDbMessage } from '../compiler/duckdb-errors.js';
import { ident } from '../compiler/sql.js';
import { CaudalError, DuckDbFailure, errorMessage, planError } from '../util/errors.js';
import type { Db } from '../compiler/db.js';
import { transcodeFile } from './transcode.js';
import type { NodeSummary, OutputSummary, RunEvent, RunRequest, RunSummary } from './protocol.js';
import type { HookIo, NodeState, StateKey } from '../nodes/define.js';
import { defaultStateDir } from './run-dirs.js';
import { nodeStateStore, writeNodeState } from './state.js';
import { QualityRun } from '../quality/run.js';
import { existingJournal, newJournal, type PendingState } from './commit/journal.js';
import { RunLocks, staleLocks } from './commit/locks.js';
import { removeEmptyFolders } from './commit/participants.js';
import { abortAll, CommitJournal, commitAll, failpoint } from './commit/protocol.js';
import { recoverDeadRuns, recoveryWarnings, sweepDeadTempFolders, type RecoveryOutcome } from './commit/recover.js';
import { SinkStager } from './commit/stager.js';
import { SessionCache } from './sessions.js';
import { readBackFromSink } from './read-back.js';
import { notConsumed } from './consumed.js';
import { unfitMessageError } from '../nodes/shared/spool-fit.js';
import { explainValueError } from './explain-error.js';
import { unacknowledgedError, type UnacknowledgedRead } from './unacknowledged.js';

export interface ExecuteHooks {
  emit(event: RunEvent): void;
  isCancelled(): boolean;
  /**
   * A `--watch` run: its sessions outlive the batch, and it may be asked to stop after it. Every batch
   * plans again: the plan's views are repointed during a run (materialized nodes, sinks' staged
   * files), and the sinks' destination checks must see what the previous batch committed.
   */
  watch?: { sessions: SessionCache; stopping(): boolean; batch: number };
  /**
   * Called once every sink committed: from here on the destinations have the run's rows, even if the
   * run still fails (a streaming source that cannot acknowledge what it read). A watch counts the batch.
   */
  committed?(): void;
}

const PROGRESS_INTERVAL_MS = 500;
/** Upper bound on re-reading data to find which fused node raised a data error. */
const LOCALIZE_BUDGET_MS = 30_000;

class Cancelled extends Error {}

const DATA_ERROR = /^(Conversion Error|Invalid Input Error|Out of Range Error|Overflow|Arithmetic|Invalid Error|Constraint Error)/;

/**
 * Runs a pipeline inside the worker that owns `db`: plan (views), materialize where needed, stage
 * every sink, then publish them all through the commit protocol (commit/protocol.ts). Any failure or
 * cancel before the commit discards what the sinks staged, so destinations change only when the
 * whole run succeeded; the commit journal lets a later run finish or undo a run that was killed.
 */
export async function executeRun(req: RunRequest, db: Db, tempDir: string, hooks: ExecuteHooks): Promise<RunSummary> {
  const started = Date.now();
  const { runId } = req;
  const emit = hooks.emit;
  const log = (level: 'debug' | 'info' | 'warn' | 'error', message: string, nodeId?: string) => emit({ type: 'log', runId, level, message, nodeId });
  const summaries: NodeSummary[] = [];
  const outputs: OutputSummary[] = [];
  const rowsOut = new Map<string, number | null>();
  /** Node states to save once every sink committed (incremental watermarks). */
  const nextStates = new Map<string, { state: NodeState; key?: StateKey }>();
  const stateDir = req.stateDir ?? defaultStateDir(req.baseDir);
  // A plain run owns its streaming sessions; a watch batch borrows the watch's.
  const sessions = hooks.watch?.sessions ?? new SessionCache();
  /** Messages each streaming source read, for the error when it cannot acknowledge them. */
  const streamed = new Map<string, number>();
  /** Set once every sink staged: from then on a cancel is ignored, and the run finishes its commit. */
  let committing = false;
  /** A cancel as the nodes see it: none once the commit has begun (a sink publishing must not stop half way). */
  const isCancelled = () => !committing && hooks.isCancelled();
  const hookIo = (nodeId: string): HookIo => ({
    db,
    isCancelled,
    log: (message) => log('info', message, nodeId),
    warn: (message) => emit({ type: 'warning', runId, nodeId, message }),
    progress: (rows) => emit({ type: 'node_progress', runId, nodeId, percent: -1, rowsProcessed: rows }),
    waitForLocks: req.options?.wait === true,
    sessions,
    stream: {
      watch: hooks.watch !== undefined,
      stopping: hooks.watch?.stopping ?? (() => false),
      read: (f) => {
        streamed.set(nodeId, (streamed.get(nodeId) ?? 0) + f.rows);
        emit({ type: 'stream_read', runId, nodeId, rows: f.rows, waitedMs: f.waitedMs, ...(f.lag !== undefined ? { lag: f.lag } : {}) });
      },
    },
  });
  /** Nodes that ran (setup included), for the streaming acknowledgements after the commit. */
  const ran: PlannedNode[] = [];
  /** Quality checks: evaluated as their nodes run; report written when the run is over. */
  const quality = new QualityRun(req, db, emit, isCancelled);
  const summary = (status: RunSummary['status'], error?: CaudalError): RunSummary => ({
    runId,
    pipeline: req.pipeline.name,
    status,
    startedAt: new Date(started).toISOString(),
    elapsedMs: Date.now() - started,
    nodes: summaries,
    outputs,
    error: error?.toJSON(),
    ...(quality.summary() ? { quality: quality.summary() } : {}),
  });
  const checkCancel = () => {
    if (hooks.isCancelled()) throw new Cancelled();
  };
  /**
   * Runs one of a node's statements with progress events. DuckDB's interrupt reaches only a
   * statement that is running: a cancel that arrived since the last one (say while the commit
   * journal was saved) must stop this one before it starts, or it would run to its end.
   */
  const statement = <T>(nodeId: string, work: () => Promise<T>): Promise<T> => {
    checkCancel();
    return withProgress(db, nodeId, runId, emit, work);
  };
  const keeper = new CommitJournal(newJournal(runId, req.pipeline.name, req.baseDir, tempDir, undefined, req.pipelineFile));
  const stager = new SinkStager(db, keeper, (message, nodeId) => log('info', message, nodeId));
  let pipelineLock: RunLocks | undefined;
  let locks: RunLocks | undefined;
  const lockOptions = { runId, pipeline: req.pipeline.name, wait: req.options?.wait === true, isCancelled: hooks.isCancelled, log: (m: string) => log('info', m) };
  /** The run id's lock: without it this run writes no journal (it would be another run's). */
  let runIdLock: RunLocks | undefined;
  /** Releases the hold on DuckDB interrupts taken when the commit begins. */
  let releaseInterrupts: (() => void) | undefined;

  emit({ type: 'run_started', runId, pipeline: req.pipeline.name, nodes: req.pipeline.nodes.length, at: new Date(started).toISOString() });
  const budget = req.options?.memoryLimit ? ` (of the run's ${req.options.memoryLimit}; the rest is for the engine itself)` : '';
  log('info', `DuckDB threads=${await db.setting('threads')} memory_limit=${await db.setting('memory_limit')}${budget}`);

  let current: PlannedNode | undefined;
  /** Folders that planning created for sinks' targets: removed again, when empty, if the run fails. */
  let plannedFolders: string[] = [];
  try {
    if ((hooks.watch?.batch ?? 1) === 1) refuseUnsavedStates(req.pipeline.name, stateDir, await cleanUpAfterDeadRuns(req, db, emit));
    const claimed = await claimRunId(runId, req.pipeline.name, hooks.isCancelled);
    // Not this run's journal: the lock is released without removing it.
    await refuseUnfinishedJournal(runId).catch(async (e: unknown) => {
      await claimed.release();
      throw e;
    });
    runIdLock = claimed;
    await keeper.save();
    // One run at a time per pipeline (its incremental state), taken before planning: planning reads
    // the watermarks, and a run that waited (--wait) or came second must plan from what the first
    // one saved, or it reads the same rows again.
    pipelineLock = await RunLocks.acquire([{ key: `pipeline:${stateDir}:${req.pipeline.name}`, label: `pipeline '${req.pipeline.name}'` }], lockOptions);
    // The run this one waited for, or whose lock it took over, may have been killed since the
    // recovery above: its work is finished or undone before this run reads or writes anything.
    if (pipelineLock.contended) refuseUnsavedStates(req.pipeline.name, stateDir, await cleanUpAfterDeadRuns(req, db, emit));
    const plan = await planPipeline(req.pipeline, db, {
      mode: 'run',
      baseDir: req.baseDir,
      params: req.params ?? {},
      tempDir,
      runId,
      targets: req.targets,
      materializeAll: req.options?.metrics === 'exact',
      connections: req.connections,
      state: nodeStateStore(stateDir, req.baseDir),
      // Nodes that wait on servers while planning (source.rest's first page) stop at a cancel, and
      // what they say meanwhile (retries, a link sent without credentials) reaches the run's log.
      isCancelled: hooks.isCancelled,
      log: (message, nodeId) => log('info', message, nodeId),
    });
    plannedFolders = plan.nodes.flatMap((n) => n.sink?.createdFolders ?? []);
    if (plan.problems.length > 0) throw planError(plan.problems);
    emit({ type: 'plan', runId, nodes: planSteps(plan.nodes) });
    for (const w of plan.warnings) emit({ type: 'warning', runId, nodeId: w.nodeId, message: w.message });
    // Quality checks read their input even without a sink: a checks-only pipeline is a real use.
    if (!plan.nodes.some((n) => n.sink || n.compiled?.quality)) {
      emit({ type: 'warning', runId, message: 'the pipeline has no sink, so the run reads nothing and writes nothing; add a sink or use preview' });
    }
    // One run at a time per destination (known once planned; the pipeline's lock is held already).
    const sinks = plan.nodes.filter((n) => n.sink);
    if (sinks.length > 0) locks = await RunLocks.acquire(sinks.map((n) => n.sink!.destination), lockOptions);
    if (locks?.contended) await cleanUpAfterDeadRuns(req, db, emit);

    // Planning bound every view with its bind-time SQL; runs execute the run-time form where a node has one.
    for (const node of plan.nodes) {
      for (const o of node.outputs) if (o.runSql !== o.sql) await db.run(`CREATE OR REPLACE TEMP VIEW ${o.ref} AS\n${o.runSql}`);
    }
    for (const node of executionOrder(plan.nodes)) {
      checkCancel();
      current = node;
      const t0 = Date.now();
      emit({ type: 'node_started', runId, nodeId: node.id, nodeType: node.type, at: new Date(t0).toISOString() });
      ran.push(node);
      let out: number | null = null;
      for (const step of node.compiled?.setup ?? []) {
        log('debug', step.description, node.id);
        if (step.kind === 'transcode') {
          await transcodeFile(step.from, step.to, step.encoding, { isCancelled: hooks.isCancelled, nodeId: node.id });
        } else if (step.kind === 'hook') {
          const n = await step.run(hookIo(node.id));
          if (step.countsRows) out = n;
        } else {
          const n = await statement(node.id, () => db.count(step.sql));
          if (step.countsRows) out = n;
        }
        checkCancel();
      }
      const main = node.outputs[0];
      const carrier = node.execution?.writtenBy;
      if (carrier && main && !node.materialize) {
        // Its sink's statement computed it; the other readers read the staged file back.
        const written = outputs.find((o) => o.nodeId === carrier)?.rows ?? null;
        out = await readBackFromSink(db, node, plan.nodes.find((n) => n.id === carrier)!, written, (m) => log('debug', m, node.id));
      }
      if (node.materialize && main) {
        const table = ident(`_m_${node.id}`);
        const ctas = () => db.count(`CREATE OR REPLACE TEMP TABLE ${table} AS SELECT * FROM ${main.ref}`);
        // Rows with no order to keep are stored as they come (faster, less memory; SinkPlan.unordered).
        out = await statement(node.id, () => (node.orderArbitrary ? db.unordered(ctas) : ctas()));
        await db.run(`CREATE OR REPLACE TEMP VIEW ${main.ref} AS SELECT * FROM ${table}`);
        log('debug', `materialized ${out} rows`, node.id);
      }
      let rowsIn: number | null = node.upstream.length === 0 ? null : 0;
      for (const u of node.upstream) {
        const r = rowsOut.get(`${u.nodeId}:${u.port}`);
        rowsIn = rowsIn === null || r === undefined || r === null ? null : rowsIn + r;
      }
      if (node.sink) {
        const written = await stager.stage(node, hookIo(node.id), (sql) => statement(node.id, () => db.count(sql)));
        checkCancel();
        rowsIn = written;
        out = written;
        outputs.push({ nodeId: node.id, target: node.sink.target, rows: written });
      }
      // Rows out of every connected port, so that each reader finds its input's count: the main
      // port's as computed above; the others counted with --metrics exact (every node counted), or
      // when they read tables the node's setup filled (quality.check's 'rejected', a CSV source's
      // 'rejects': a cheap count). A split's other ports would each compute its input again: only
      // with --metrics exact. A transform's rows out add up its ports (a split or a quality check
      // routes each row to one of them); per port they are in metrics as rows.<port>. A port left
      // uncounted leaves the sum unknown (null), never a part passed off as the whole.
      const ports = new Map<string, number | null>();
      if (main) ports.set(main.port, out);
      const countable = req.options?.metrics === 'exact' || node.compiled?.outputsReadSetupTables === true || setupFills(node);
      const countPort = (ref: string) => statement(node.id, () => db.count(`SELECT count(*) FROM ${ref}`));
      for (const o of node.outputs.slice(1)) {
        if (o.consumers === 0) continue;
        ports.set(o.port, countable ? await countPort(o.ref) : null);
      }
      if (main && out === null && ports.size > 1 && countable && !node.sink) ports.set(main.port, (out = await countPort(main.ref)));
      for (const [port, rows] of ports) rowsOut.set(`${node.id}:${port}`, rows);
      // A source's rows out stay its good rows: a CSV source's rejects (one per bad value, not per
      // line) are in metrics as rows.rejects.
      if (ports.size > 1 && node.def.category !== 'source') {
        const counts = [...ports.values()];
        out = counts.every((r): r is number => r !== null) ? counts.reduce((a, b) => a + b, 0) : null;
      }
      for (const notice of node.compiled?.notices ?? []) {
        const connected = notice.port === undefined || req.pipeline.edges.some((e) => e.from === `${node.id}:${notice.port}`);
        if (notice.onlyWhenDropped && connected) continue;
        if (notice.gateSql !== undefined && (await db.count(notice.gateSql)) === 0) continue;
        const n = await db.count(notice.countSql);
        if (n === 0) continue;
        const dropped = connected ? '' : `; nothing is connected to '${notice.port}', so they are dropped: connect it to a sink to keep them`;
        const names = notice.namesSql ? await noticeNames(db, notice.namesSql) : '';
        emit({ type: 'warning', runId, nodeId: node.id, message: `${countMessage(notice.message, n).replaceAll('{names}', () => names)}${dropped}` });
      }
      const qualityPlan = node.compiled?.quality;
      if (qualityPlan) await statement(node.id, () => quality.evaluate(node.id, qualityPlan));
      checkCancel();
      let metrics = node.compiled?.metricsSql ? await readMetrics(db, node.compiled.metricsSql) : undefined;
      if (ports.size > 1) for (const [port, rows] of ports) if (rows !== null) metrics = { ...metrics, [`rows.${port}`]: rows };
      const next = await node.compiled?.nextState?.(hookIo(node.id));
      if (next) nextStates.set(node.id, { state: next, key: node.compiled?.stateKey });
      const s: NodeSummary = { nodeId: node.id, nodeType: node.type, status: 'ok', rowsIn, rowsOut: out, elapsedMs: Date.now() - t0, materialized: computedOnce(node), ...(metrics ? { metrics } : {}) };
      summaries.push(s);
      emit({ type: 'node_finished', runId, ...s });
    }
    current = undefined;
    // Last checks of what the sources read (a file rewritten under the run): a failure rolls back.
    for (const node of ran) await node.compiled?.beforeCommit?.(hookIo(node.id));
    checkCancel();
    failpoint('after-stage');
    // Commit phase: no cancel from here on, a half-committed run would be worse than a late one.
    // Nor a DuckDB interrupt: a sink that streams its staged rows while it publishes (RabbitMQ)
    // would be cut half way (the worker checks the hold before it interrupts).
    committing = true;
    releaseInterrupts = db.holdInterrupts();
    // Incremental sources move their watermark with the commit (journaled, so a crash after the
    // decision saves it too), and only those whose rows reached every sink that reads them: "run up
    // to here" must not consume rows a destination did not receive.
    const runSinks = new Set(sinks.map((s) => s.id));
    /** Says why a node's reads do not count as consumed (engine/consumed.ts): a warning when a sink of this run will receive the rows again. */
    const unconsumed = (nodeId: string, what: string): boolean => {
      const not = notConsumed(req.pipeline, nodeId, runSinks);
      if (!not) return false;
      const message = `${what}: ${not.why}; the next run reads these rows again`;
      if (not.partly) emit({ type: 'warning', runId, nodeId, message });
      else log('info', message, nodeId);
      return true;
    };
    const states: PendingState[] = [];
    for (const [nodeId, { state, key }] of nextStates) {
      if (!unconsumed(nodeId, 'state not saved')) states.push({ stateDir, nodeId, state, ...(key ? { key } : {}) });
    }
    keeper.journal.states = states;
    const saveStates = async () => {
      for (const s of states) {
        try {
          await writeNodeState(stateDir, req.pipeline.name, s.nodeId, s.state, runId, s.key);
        } catch (e) {
          throw new CaudalError('io', `the data was written, but saving the state of node '${s.nodeId}' in ${stateDir} failed: ${errorMessage(e)}`, { nodeId: s.nodeId });
        }
        log('debug', `saved state ${JSON.stringify(s.state)}`, s.nodeId);
      }
    };
    await commitAll(stager.participants, keeper, { info: (m) => log('info', m), warn: (m) => log('warn', m) }, saveStates);
    hooks.committed?.();
    for (const o of outputs) log('info', `wrote ${o.rows} rows to ${o.target}`, o.nodeId);
    // Streaming sources acknowledge what they read only now: a crash before this replays it. Like
    // states, only what every sink reading them received: "run up to here" on a Kafka, RabbitMQ or
    // CDC source reads a batch that some destination did not get, so it is released for the next run.
    failpoint('before-acknowledge');
    // A source that cannot acknowledge fails the run (the batch, in --watch): its position did not
    // move, so the next run reads the same messages again; a warning on a "succeeded" run would hide
    // that a sink without a key is about to receive them twice.
    const unacknowledged: UnacknowledgedRead[] = [];
    for (const node of ran) {
      if (!node.compiled?.onCommitted) continue;
      if (unconsumed(node.id, 'not acknowledged')) {
        await node.compiled.onAborted?.(hookIo(node.id)).catch(() => undefined);
        continue;
      }
      try {
        await node.compiled.onCommitted(hookIo(node.id));
      } catch (e) {
        unacknowledged.push({ nodeId: node.id, nodeType: node.type, messages: streamed.get(node.id), cause: e });
      }
    }
    await quality.finish({ committed: true });
    if (unacknowledged.length > 0) {
      const error = unacknowledgedError(unacknowledged, outputs, hooks.watch?.batch);
      log('error', error.message, error.nodeId);
      const failed = summary('failed', error);
      emit({ type: 'run_finished', runId, summary: failed });
      return failed;
    }
    const done = summary('succeeded');
    emit({ type: 'run_finished', runId, summary: done });
    return done;
  } catch (e) {
    const cancelled = !committing && (e instanceof Cancelled || hooks.isCancelled() || (e instanceof CaudalError && e.kind === 'cancelled'));
    // The commit protocol undoes its own failures; before it, the staged sinks are discarded here.
    if (!committing) {
      await abortAll(stager.participants, { info: (m) => log('info', m), warn: (m) => log('warn', m) });
      // Sinks that never staged did not journal the folders planning made for them.
      await removeEmptyFolders(plannedFolders);
    }
    for (const node of ran) await node.compiled?.onAborted?.(hookIo(node.id)).catch(() => undefined);
    let error: CaudalError;
    if (cancelled) {
      error = new CaudalError('cancelled', 'the run was cancelled; no destination was changed');
    } else if (e instanceof DuckDbFailure) {
      error = await describeFailure(e.duckdb, current, db, hooks);
    } else if (e instanceof CaudalError) {
      error = e;
    } else {
      error = await describeFailure(e, current, db, hooks);
    }
    if (current) {
      const s: NodeSummary = { nodeId: current.id, nodeType: current.type, status: cancelled ? 'cancelled' : 'failed', rowsIn: null, rowsOut: null, elapsedMs: 0, materialized: computedOnce(current) };
      summaries.push(s);
      emit({ type: 'node_finished', runId, ...s });
    }
    if (!cancelled) log('error', error.message, error.nodeId);
    // A cancelled run leaves no report behind; a failed one (quality errors included) does.
    if (!cancelled) await quality.finish({ committed: false });
    const done = summary(cancelled ? 'cancelled' : 'failed', error);
    emit({ type: 'run_finished', runId, summary: done });
    return done;
  } finally {
    releaseInterrupts?.();
    // Everything the journal described has been committed or undone in this process.
    if (runIdLock) await keeper.done().catch(() => undefined);
    await locks?.release();
    await pipelineLock?.release();
    await runIdLock?.release();
    if (!hooks.watch) for (const w of await sessions.closeAll()) log('warn', w);
  }
}

/**
 * A run id names the run's commit journal (one per machine) and its run folder: two live runs with
 * one id (`--run-id` reused across pipelines) would share a journal, and one's end would delete the
 * other's recovery record. The id is locked like a destination; a second run is refused as busy.
 */
async function claimRunId(runId: string, pipeline: string, isCancelled: () => boolean): Promise<RunLocks> {
  try {
    return await RunLocks.acquire([{ key: `run-id:${runId}`, label: `run id '${runId}'` }], { runId, pipeline, wait: false, isCancelled, log: () => undefined });
  } catch (e) {
    if (!(e instanceof CaudalError) || e.kind !== 'busy') throw e;
    throw new CaudalError('busy', e.message, { hint: 'each run needs its own id: choose another --run-id, or leave it out for a new one' });
  }
}

/** A run id whose journal is still there (recovery pending) would overwrite that record: refused. */
async function refuseUnfinishedJournal(runId: string): Promise<void> {
  const left = await existingJournal(runId);
  if (!left) return;
  const whose = left.journal ? `an earlier run of '${left.journal.pipeline}'` : 'an earlier run';
  throw new CaudalError('busy', `run id '${runId}' still has the commit journal of ${whose}, with work left to finish (${left.file})`, {
    hint: 'run `caudal doctor` to see what is pending and `caudal clean <pipeline.json>` to finish it, or leave --run-id out for a new id',
  });
}

/**
 * The order nodes run in. Sinks last: every source has read (and every quality check has passed)
 * before anything is staged, so no sink's open transaction can block a source of the same run.
 * The exception is a sink whose statement computes a node's output for its other readers (strategy
 * `sink-file`, a file sink with no transaction): it runs just before that node.
 */
function executionOrder(nodes: PlannedNode[]): PlannedNode[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const order = nodes.filter((n) => !n.sink).flatMap((n) => {
    const carrier = n.execution?.writtenBy ? byId.get(n.execution.writtenBy) : undefined;
    return carrier ? [carrier, n] : [n];
  });
  const early = new Set(order);
  return [...order, ...nodes.filter((n) => n.sink && !early.has(n))];
}

/** Its setup fills tables that its outputs read (a CSV scan keeping rejects): counting an output reads them, not the inputs again. */
function setupFills(node: PlannedNode): boolean {
  return (node.compiled?.setup ?? []).some((s) => s.kind === 'sql' || (s.kind === 'hook' && s.countsRows === true));
}

/** Computed once for all its readers: into a temp table, or by the sink that wrote it to a file. */
function computedOnce(node: PlannedNode): boolean {
  return node.materialize || node.execution?.writtenBy !== undefined;
}

/**
 * Before a run starts: finish or undo what killed runs left (their commit journals), and remove
 * their temp folders. Problems here never stop the run; they are reported.
 */
async function cleanUpAfterDeadRuns(req: RunRequest, db: Db, emit: (e: RunEvent) => void): Promise<RecoveryOutcome[]> {
  const warn = (message: string) => emit({ type: 'warning', runId: req.runId, message });
  const outcomes: RecoveryOutcome[] = [];
  try {
    outcomes.push(...(await recoverDeadRuns({ db, connection: (name) => req.connections?.[name], baseDir: req.baseDir, projects: req.recoveryConnections })));
    for (const r of outcomes) recoveryWarnings(r).forEach(warn);
    const swept = await sweepDeadTempFolders();
    if (swept.length > 0) emit({ type: 'log', runId: req.runId, level: 'info', message: `removed ${swept.length} temp folder(s) of killed runs` });
    const locks = await staleLocks({ remove: true });
    if (locks.length > 0) emit({ type: 'log', runId: req.runId, level: 'info', message: `removed ${locks.length} lock(s) of killed runs` });
  } catch (e) {
    warn(`could not clean up after killed runs: ${errorMessage(e)}`);
  }
  return outcomes;
}

/**
 * A committed run of this pipeline whose new states could not be saved (their folder was full or
 * read-only, and still is): running now would read the rows it delivered again, from the old
 * states. Refused until recovery saves them.
 */
function refuseUnsavedStates(pipeline: string, stateDir: string, outcomes: RecoveryOutcome[]): void {
  for (const r of outcomes) {
    const unsaved = r.pipeline === pipeline ? r.unsavedStates?.filter((s) => path.resolve(s.stateDir) === path.resolve(stateDir)) : undefined;
    if (!unsaved?.length) continue;
    const nodes = unsaved.map((s) => `'${s.nodeId}'`).join(', ');
    throw new CaudalError('io', `run ${r.runId} of this pipeline delivered its rows, but the state of node ${nodes} could not be saved yet (${unsaved[0]!.error}): running now would read the same rows again`, {
      hint: `make ${stateDir} writable (free space, or fix its permissions), then run again: recovery saves the states first; \`caudal doctor\` shows what is pending`,
    });
  }
}

/** The one row of a node's metrics query, as numbers (NULL counts as 0). */
async function readMetrics(db: Db, sql: string): Promise<Record<string, number>> {
  const [row] = await db.rows(sql);
  return Object.fromEntries(Object.entries(row ?? {}).map(([k, v]) => [k, v === null || v === undefined ? 0 : Number(v)]));
}

async function withProgress<T>(db: Db, nodeId: string, runId: string, emit: (e: RunEvent) => void, fn: () => Promise<T>): Promise<T> {
  let last = -1;
  const timer = setInterval(() => {
    const p = db.progress();
    if (p.percentage >= 0 && Math.floor(p.percentage) !== last) {
      last = Math.floor(p.percentage);
      emit({ type: 'node_progress', runId, nodeId, percent: p.percentage, rowsProcessed: p.rowsProcessed });
    }
  }, PROGRESS_INTERVAL_MS);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
}

/**
 * A data error (a failed cast, say) in a fused statement could come from any upstream view.
 * Evaluate the views in order, every column forced, and blame the first that fails; then find
 * the column by forcing one column at a time. Bounded in time, because it re-reads data.
 */
async function describeFailure(e: unknown, failing: PlannedNode | undefined, db: Db, hooks: ExecuteHooks): Promise<CaudalError> {
  // A streaming source's message that does not fit its columns: name the message, not a spool line.
  const unfit = await unfitMessageError(errorMessage(e), db, e);
  if (unfit) return unfit;
  const text = cleanDuckDbMessage(errorMessage(e));
  if (!failing) return new CaudalError('execution', text, { cause: e });
  // Only errors about values can hide in an upstream view; others belong to the running node.
  if (!DATA_ERROR.test(errorMessage(e))) {
    // The nodes may still say why (a CSV file whose line endings change, say).
    const more = await explainValueError(errorMessage(e), [failing, ...fusedChain(failing)], Date.now() + LOCALIZE_BUDGET_MS, () => hooks.isCancelled(), db);
    const reader = fileReaderOf(errorMessage(e), failing) ?? failing;
    return new CaudalError('execution', `node '${reader.id}' (${reader.type}) failed: ${explained(text, more)}`, { nodeId: reader.id, cause: e });
  }
  const deadline = Date.now() + LOCALIZE_BUDGET_MS;
  const chain = fusedChain(failing);
  let culprit = failing;
  let column: string | undefined = /column "([^"]+)"/.exec(text)?.[1];
  for (const node of chain) {
    const out = node.outputs[0];
    if (!out || Date.now() > deadline || hooks.isCancelled()) break;
    if (!(await fails(db, `SELECT max(hash(COLUMNS(*))) FROM ${out.ref}`))) continue;
    culprit = node;
    if (!column) {
      for (const c of out.columns) {
        if (Date.now() > deadline || hooks.isCancelled()) break;
        if (await fails(db, `SELECT max(hash(${ident(c.name)})) FROM ${out.ref}`)) {
          // When another column fails too, the whole read fails (a malformed file): blame no column.
          const other = out.columns.find((x) => x.name !== c.name);
          if (!other || !(await fails(db, `SELECT max(hash(${ident(other.name)})) FROM ${out.ref}`))) column = c.name;
          break;
        }
      }
    }
    break;
  }
  const where = column ? `node '${culprit.id}' (${culprit.type}), column '${column}'` : `node '${culprit.id}' (${culprit.type})`;
  const more = await explainValueError(errorMessage(e), [culprit, ...chain], deadline, () => hooks.isCancelled(), db);
  return new CaudalError('execution', `${where} failed: ${explained(text, more)}`, { nodeId: culprit.id, column, cause: e });
}

/**
 * The fused source whose file an IO error names (a file of a glob deleted or cut while the run
 * read it): the sink's statement ran the read, but the source is what failed, and the one to fix.
 */
export function fileReaderOf(message: string, failing: PlannedNode): PlannedNode | undefined {
  // Reading errors only: a sink's own write error ("Could not write file …") stays the sink's.
  const file = /^IO Error: (?:Cannot open file|No files found that match the pattern|Could not read|Failed to read)[^"]*"([^"]+)"/.exec(message)?.[1];
  if (!file) return undefined;
  const sources = fusedChain(failing).filter((n) => n.id !== failing.id && n.type.startsWith('source.'));
  // The source whose SQL names the file's folder (a glob or a list); else the only source there is.
  const named = sources.filter((n) => n.outputs.some((o) => o.runSql.includes(path.dirname(file))));
  return named.length === 1 ? named[0] : sources.length === 1 ? sources[0] : undefined;
}

/** DuckDB's message with a node's explanation: its first line is then enough (the rest lists its reader's internal options). */
const explained = (text: string, more: string | undefined) => (more ? `${text.split('\n')[0]} (${more})` : text);

/** The failing node's non-materialized ancestors that DuckDB fused into its statement, upstream first. */
function fusedChain(node: PlannedNode): PlannedNode[] {
  const seen = new Set<string>();
  const order: PlannedNode[] = [];
  const visit = (n: PlannedNode) => {
    if (seen.has(n.id)) return;
    seen.add(n.id);
    // A node computed by a sink's statement is fused into that statement only.
    for (const u of n.upstreamNodes ?? []) if (!u.materialize && (u.execution?.writtenBy === undefined || u.execution.writtenBy === node.id)) visit(u);
    order.push(n);
  };
  visit(node);
  return order.filter((n) => n.outputs.length > 0);
}

async function fails(db: Db, sql: string): Promise<boolean> {
  try {
    await db.run(sql);
    return false;
  } catch {
    return true;
  }
}

/** A notice's `{names}`: the first ten values of the query's first column, quoted, and how many more. */
async function noticeNames(db: Db, sql: string): Promise<string> {
  const values = (await db.rows(`SELECT * FROM (${sql}) LIMIT 11`)).map((r) => String(Object.values(r)[0]));
  const shown = values.slice(0, 10).map((v) => `"${v}"`).join(', ');
  return values.length > 10 ? `${shown} and more` : shown;
}

/** Fills a notice's `{count}`, and `{s}` / `{were}` so that one row reads "1 row was", not "1 rows were". */
export function countMessage(message: string, n: number): string {
  return message.replaceAll('{count}', n.toLocaleString('en-US')).replaceAll('{s}', n === 1 ? '' : 's').replaceAll('{were}', n === 1 ? 'was' : 'were');
}
