import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import { ConnectionService } from '../connections/service.js';
import { inspect, previewPipeline, startProfile } from '../engine/engine.js';
import type { PipelineRequest } from '../engine/protocol.js';
import type { Column } from '../nodes/define.js';
import {
  type CallResult,
  type DocRef,
  type EventName,
  type EventPayload,
  type HostError,
  type HostEventMessage,
  type HostMethods,
  type HostTransport,
  type MethodName,
  type MethodOutput,
  type PipelineDocument,
  hostMethods,
  isMethodName,
} from '../host-api/contract.js';
import { jsonPath, loadPipelineFile } from '../model/load.js';
import { CURRENT_FORMAT, pipelineSchema } from '../model/schema.js';
import { serializePipeline } from '../model/serialize.js';
import type { SecretStore } from '../secrets/secret-store.js';
import { CaudalError, errorMessage } from '../util/errors.js';
import { packageVersion } from '../util/package-root.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { connectionTypeCatalog, nodeCatalog } from './catalog.js';
import { ConnectionsApi } from './connections-api.js';
import { sqlScript } from './export-sql.js';
import { listExamples, openExample } from './examples.js';
import { listFolder } from './fs-browser.js';
import { checkExportTarget, checkOpenable, checkOverwritable, currentFileHash, fileHash } from './pipeline-files.js';
import type { DialogPort, HostPaths } from './ports.js';
import { groupByNode, locateProblem } from './problems.js';
import { inputShapeProblem, type InputShapeProblem } from '../util/input-shape.js';
import { RecentFiles } from './recent-files.js';
import { UnsavedCopies } from './unsaved-copies.js';
import { resolveDeclaredConnections } from './resolve-connections.js';
import { otherProjectsConnections } from '../engine/commit/other-projects.js';
import { RunManager } from './run-manager.js';
import { existingMode, writeTarget } from './save-target.js';
import { WriteQueue } from '../util/file-turns.js';

/**
 * Node params saved in their schema's order (the form's order), whatever order the edits came in:
 * the same content gives the same text, so a pipeline's diff shows only what changed.
 */
const SAVED_ORDER = { paramsSchema: (type: string) => nodeCatalog().find((n) => n.type === type)?.paramsSchema };
import { SchedulesApi } from './schedules-api.js';

export interface HostServiceOptions {
  mode: 'electron' | 'browser' | 'in-process';
  paths: HostPaths;
  /** Native dialogs (Electron). Without them, methods that would ask need a `path`. */
  dialogs?: DialogPort;
  /** Secret stores read in order, and the one `connections.add` writes (the OS keychain). */
  secrets: { stores: readonly SecretStore[]; writeStore: SecretStore };
  env?: NodeJS.ProcessEnv;
}

/** `signal` is aborted when the caller went away (a closed HTTP request) or the host is disposed. */
type Handlers = { [M in MethodName]: (input: z.output<HostMethods[M]['input']>, signal: AbortSignal) => Promise<MethodOutput<M>> };

/** Methods whose work is a cancellable engine job, keyed by the caller's `key` (contract.ts jobKeySchema). */
type JobMethod = Extract<MethodName, 'preview.node' | 'profile.node'>;

export interface CallOptions {
  /** Aborted when the caller no longer waits for the answer (browser mode: the HTTP request was closed). */
  signal?: AbortSignal;
}

/** How long dispose waits for cancelled previews and profiles to answer (an interrupt lands within milliseconds). */
const DISPOSE_WAIT_MS = 10_000;

const PIPELINE_FILTERS = [{ name: 'Caudal pipeline', extensions: ['json'] }];
const MAX_ARTIFACT_BYTES = 5 * 1024 * 1024;
const MEDIA_TYPES: Record<string, string> = { '.json': 'application/json', '.html': 'text/html', '.csv': 'text/csv', '.jsonl': 'application/x-ndjson', '.txt': 'text/plain', '.md': 'text/markdown', '.sql': 'application/sql' };

/**
 * Implements the host contract (core/src/host-api/contract.ts) on top of the engine, the node
 * registry, the pipeline model and the ConnectionService. Transports call `call()`; it validates
 * the input, runs the method, validates the output and never throws.
 */
export class HostService implements HostTransport {
  private readonly listeners = new Set<(m: HostEventMessage) => void>();
  private readonly runs = new RunManager((m) => this.emit(m));
  private readonly recent: RecentFiles;
  private readonly unsaved: UnsavedCopies;
  private readonly connections: ConnectionsApi;
  private readonly schedules: SchedulesApi;
  /** Saves and exports of one file run in turn (save-target.ts). */
  private readonly writes = new WriteQueue();
  /**
   * Previews and profiles in progress. Each holds a DuckDB query on a thread of libuv's pool, which
   * the host's own file operations share (engine.ts MAX_SHORT_JOBS): one nobody waits for any more
   * is cancelled at once, rather than left to burn CPU and hold its turn until its query ends.
   */
  private readonly jobs = new Map<AbortController, Promise<unknown>>();
  /** The job running under each caller's key (per method): a newer call with the key cancels it. */
  private readonly keyed = new Map<string, AbortController>();

  constructor(private readonly opts: HostServiceOptions) {
    this.recent = new RecentFiles(opts.paths.userDataDir);
    this.unsaved = new UnsavedCopies(opts.paths.userDataDir);
    this.connections = new ConnectionsApi((projectDir) => this.connectionService(projectDir), opts.env);
    this.schedules = new SchedulesApi(opts.paths.workspaceDir);
  }

  /** Subscribes to every host event; returns the unsubscribe function. */
  subscribe(cb: (m: HostEventMessage) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  on<E extends EventName>(event: E, cb: (payload: EventPayload<E>) => void): () => void {
    return this.subscribe((m) => {
      if (m.event === event) cb(m.payload as EventPayload<E>);
    });
  }

  /** The transport side: transports forward calls here. */
  invoke(method: string, input: unknown): Promise<CallResult> {
    return this.call(method, input);
  }

  async call(method: string, input: unknown, opts: CallOptions = {}): Promise<CallResult> {
    if (!isMethodName(method)) return { ok: false, error: { kind: 'usage', message: `unknown host method '${method}'`, hint: `methods: ${Object.keys(hostMethods).join(', ')}` } };
    const spec = hostMethods[method];
    const shape = inputShapeProblem(input);
    if (shape) return { ok: false, error: shapeError(method, shape, input) };
    const parsed = spec.input.safeParse(input ?? {});
    if (!parsed.success) return { ok: false, error: inputError(method, parsed.error, input) };
    try {
      const handler = this.handlers[method] as (i: unknown, signal: AbortSignal) => Promise<unknown>;
      const result = await handler(parsed.data, opts.signal ?? new AbortController().signal);
      const out = spec.output.safeParse(result);
      if (!out.success) return { ok: false, error: { kind: 'execution', message: `the host gave an invalid answer to ${method}: ${out.error.issues.map((i) => `${jsonPath(i.path)}: ${i.message}`).join('; ')}`, hint: 'this is a bug in Caudal; please report it' } };
      return { ok: true, result: out.data };
    } catch (e) {
      return { ok: false, error: toHostError(e, (parsed.data as { document?: PipelineDocument }).document) };
    }
  }

  /**
   * Cancels running runs and waits for their records to be written; cancels previews and profiles
   * and waits for their workers to answer. A worker running a query keeps the process alive (and
   * `process.exit` waits for the query too), so `caudal serve` could not end on Ctrl-C otherwise.
   */
  async dispose(): Promise<void> {
    const stopping = new CaudalError('cancelled', 'the host is shutting down');
    for (const controller of this.jobs.keys()) controller.abort(stopping);
    const jobs = Promise.allSettled(this.jobs.values());
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, DISPOSE_WAIT_MS)));
    await Promise.all([this.runs.cancelAll(), Promise.race([jobs, bound])]);
    clearTimeout(timer);
    this.listeners.clear();
  }

  /**
   * Runs a preview or profile that can be cancelled: by the caller going away (`signal`), by a
   * newer call of the same method with the same `key`, or by dispose. The engine interrupts its
   * query, or drops it while it still waits its turn.
   */
  private cancellable<T>(method: JobMethod, key: string | undefined, signal: AbortSignal, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const slot = key === undefined ? undefined : `${method}\n${key}`;
    if (slot !== undefined) {
      this.keyed.get(slot)?.abort(new CaudalError('cancelled', `a newer ${method === 'preview.node' ? 'preview' : 'profile'} of the node replaced this one`));
      this.keyed.set(slot, controller);
    }
    const onClose = () => controller.abort(new CaudalError('cancelled', 'the request was closed before it was answered'));
    if (signal.aborted) onClose();
    else signal.addEventListener('abort', onClose, { once: true });
    const done = work(controller.signal).finally(() => {
      signal.removeEventListener('abort', onClose);
      this.jobs.delete(controller);
      if (slot !== undefined && this.keyed.get(slot) === controller) this.keyed.delete(slot);
    });
    this.jobs.set(controller, done);
    return done;
  }

  /** Resolves once a run's record is final. */
  runSettled(runId: string): Promise<void> {
    return this.runs.settled(runId);
  }

  private emit(m: HostEventMessage): void {
    for (const cb of this.listeners) cb(m);
  }

  private connectionService(projectDir: string | undefined): ConnectionService {
    return new ConnectionService({ stores: this.opts.secrets.stores, writeStore: this.opts.secrets.writeStore, projectDir, env: this.opts.env });
  }

  private baseDir(file: string | null | undefined): string {
    return file ? path.dirname(path.resolve(file)) : this.opts.paths.workspaceDir;
  }

  /** The engine request for a document: its folder, params and resolved connections. */
  private async request(ref: DocRef): Promise<PipelineRequest> {
    const baseDir = this.baseDir(ref.path);
    const connections = await resolveDeclaredConnections(ref.document, this.connectionService(baseDir), this.opts.secrets.stores);
    return { pipeline: ref.document, baseDir, params: ref.params, connections };
  }

  private async ask(kind: 'openFile' | 'saveFile', title: string, defaultPath?: string): Promise<string | null> {
    if (!this.opts.dialogs)
      throw new CaudalError('usage', `${title}: this host has no file dialogs`, { hint: 'pass a path (in the browser, pick one with fs.list)' });
    return this.opts.dialogs[kind]({ title, filters: PIPELINE_FILTERS, defaultPath });
  }

  /** `checks.overwrite`: the user agreed to replace whatever is there (the overwrite flag, or a native dialog's own question); see checkOverwritable. */
  private async writePipeline(document: PipelineDocument, file: string, checks: Parameters<typeof checkOverwritable>[1]): Promise<{ path: string; text: string; fileHash: string }> {
    const abs = path.resolve(file);
    const target = await writeTarget(abs);
    return this.writes.run(target, async () => {
      await checkOverwritable(abs, checks);
      const text = serializePipeline(pipelineSchema.parse(document), SAVED_ORDER);
      await writeFileAtomic(target, text, { mode: await existingMode(target) });
      await this.recent.touch(abs, document.name);
      return { path: abs, text, fileHash: fileHash(text) };
    });
  }

  private readonly handlers: Handlers = {
    'app.info': async () => ({
      version: packageVersion(),
      mode: this.opts.mode,
      nativeDialogs: this.opts.dialogs !== undefined,
      platform: process.platform,
      workspaceDir: this.opts.paths.workspaceDir,
      homeDir: this.opts.paths.homeDir,
      profiling: true,
    }),

    'nodes.list': async () => ({ nodes: nodeCatalog() }),

    'pipeline.new': async ({ name }) => ({
      document: pipelineSchema.parse({ format: CURRENT_FORMAT, name: name ?? 'Untitled pipeline', nodes: [], edges: [] }),
      path: null,
    }),

    'pipeline.open': async ({ path: given }) => {
      const file = given ?? (await this.ask('openFile', 'Open pipeline', this.opts.paths.workspaceDir));
      if (file === null) return null;
      const abs = path.resolve(file);
      await checkOpenable(abs);
      const loaded = await loadPipelineFile(abs);
      if (loaded.pipeline) await this.recent.touch(abs, loaded.pipeline.name);
      return {
        path: abs,
        document: loaded.pipeline ?? null,
        problems: loaded.problems.map((p) => locateProblem(p, loaded.pipeline)),
        migrationsApplied: loaded.migrationsApplied,
        fileHash: fileHash(loaded.text),
      };
    },

    'pipeline.save': async ({ document, path: file, expectedHash, overwrite }) => this.writePipeline(document, file, { overwrite: overwrite === true, expectedHash }),

    'pipeline.saveAs': async ({ document, path: given, suggestedName, overwrite }) => {
      const suggestion = path.join(this.opts.paths.workspaceDir, `${(suggestedName ?? document.name).replace(/[^\w.-]+/g, '-')}.json`);
      const file = given ?? (await this.ask('saveFile', 'Save pipeline as', suggestion));
      // A native dialog asked "replace?" itself; a typed path names another file, maybe another pipeline.
      return file === null ? null : this.writePipeline(document, file, { overwrite: overwrite === true || given === undefined, newName: true });
    },

    'pipeline.fileHash': async ({ path: file }) => ({ fileHash: await currentFileHash(path.resolve(file)) }),

    'pipeline.keepUnsaved': async (copy) => {
      await this.unsaved.keep(copy);
      return { kept: true as const };
    },

    'pipeline.unsaved': async () => ({ copies: await this.unsaved.list() }),

    'pipeline.dropUnsaved': async ({ key }) => {
      await this.unsaved.drop(key);
      return { dropped: true as const };
    },

    'pipeline.recent': async () => ({ files: await this.recent.list() }),

    'pipeline.export': async (input) => {
      const ext = input.format === 'sql' ? 'sql' : 'json';
      const file = input.to ?? (await this.ask('saveFile', 'Export pipeline', path.join(this.baseDir(input.path), `${input.document.name.replace(/[^\w.-]+/g, '-')}.${ext}`)));
      if (file === null) return null;
      const overwrite = input.overwrite === true || input.to === undefined;
      // Asked before the SQL is worked out, and again once it is this file's turn to be written.
      await checkExportTarget(path.resolve(file), overwrite);
      const target = await writeTarget(path.resolve(file));
      let text: string;
      if (input.format === 'json') text = serializePipeline(input.document, SAVED_ORDER);
      else {
        const inspected = await inspect(await this.request(input));
        // An existing destination matters to a run, not to reading the SQL.
        const problems = inspected.problems.filter((p) => p.code !== 'destination_exists');
        if (problems.length > 0)
          throw new CaudalError('validation', `fix the pipeline's problems before exporting its SQL: ${problems[0]!.message}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`, { problems });
        text = sqlScript(input.document.name, inspected);
      }
      await this.writes.run(target, async () => {
        await checkExportTarget(path.resolve(file), overwrite);
        await writeFileAtomic(target, text, { mode: await existingMode(target) });
      });
      return { path: path.resolve(file), bytes: Buffer.byteLength(text) };
    },

    'pipeline.validate': async (input) => {
      const result = await inspect(await this.request(input));
      const problems = result.problems.map((p) => locateProblem(p, input.document));
      return { valid: problems.length === 0, problems, byNode: groupByNode(problems) };
    },

    'pipeline.schemas': async (input) => {
      const result = await inspect({ ...(await this.request(input)), nodeIds: input.nodeIds });
      const outputs = new Map<string, Column[]>(result.nodes.flatMap((n) => n.outputs.map((o) => [`${n.nodeId}:${o.port}`, o.columns] as const)));
      const wanted = input.nodeIds ? new Set(input.nodeIds) : undefined;
      const nodes = result.nodes
        .filter((n) => !wanted || wanted.has(n.nodeId))
        .map((n) => ({
          nodeId: n.nodeId,
          nodeType: n.nodeType,
          inputs: input.document.edges
            .filter((e) => e.to.startsWith(`${n.nodeId}:`))
            .map((e) => ({ port: e.to.slice(n.nodeId.length + 1), from: e.from, columns: outputs.get(e.from) ?? [] })),
          outputs: n.outputs,
        }));
      return { nodes, problems: result.problems.map((p) => locateProblem(p, input.document)) };
    },

    'preview.node': async (input, signal) =>
      this.cancellable('preview.node', input.key, signal, async (cancel) => previewPipeline({ ...(await this.request(input)), nodeId: input.nodeId, port: input.port, limit: input.limit }, { signal: cancel })),

    'profile.node': async (input, signal) =>
      this.cancellable('profile.node', input.key, signal, async (cancel) => startProfile({ ...(await this.request(input)), nodeId: input.nodeId, port: input.port, mode: input.mode }, undefined, { signal: cancel }).done),

    'run.start': async (input) => {
      // An empty run would "succeed" having done nothing, which reads as if something had worked.
      if (input.document.nodes.length === 0) throw new CaudalError('usage', 'the pipeline has no nodes, so there is nothing to run', { hint: 'add a source and a sink (or open an example) first' });
      const req = await this.request(input);
      return this.runs.start({
        document: input.document,
        pipelinePath: input.path === null ? null : path.resolve(input.path),
        baseDir: req.baseDir,
        params: input.params ?? {},
        targets: input.targets ?? [],
        options: input.options,
        connections: req.connections,
        // Other pipelines' killed runs are finished with their own projects' connections first.
        recoveryConnections: await otherProjectsConnections(req.baseDir, (dir, name) => this.connectionService(dir).resolve(name)),
        watch: input.watch,
      });
    },

    'run.cancel': async ({ runId }) => ({ cancelled: this.runs.cancel(runId) }),

    'run.stop': async ({ runId }) => ({ stopping: this.runs.stop(runId) }),

    'run.history': async ({ path: file, limit }) => ({ runs: await this.runs.history(this.baseDir(file), file === null ? null : path.resolve(file), limit) }),

    'run.get': async ({ runId, path: file }) => this.runs.get(runId, file === undefined ? undefined : this.baseDir(file)),

    'run.logs': async ({ runId, path: file, offset, limit }) => this.runs.logs(runId, file === undefined ? undefined : this.baseDir(file), offset, limit),

    'run.artifact': async ({ runId, path: file, name }) => {
      const dir = this.runs.locate(runId, file === undefined ? undefined : this.baseDir(file));
      if (name !== path.basename(name) || name.startsWith('.')) throw new CaudalError('usage', `'${name}' is not an artifact name`, { hint: 'use a name from run.get().artifacts' });
      const full = path.join(dir, name);
      const info = await stat(full).catch(() => null);
      if (!info?.isFile()) throw new CaudalError('usage', `run '${runId}' has no artifact '${name}'`);
      if (info.size > MAX_ARTIFACT_BYTES) throw new CaudalError('usage', `artifact '${name}' is ${info.size} bytes, more than the 5 MB shown in the studio`, { hint: `open ${full} directly` });
      return { name, mediaType: MEDIA_TYPES[path.extname(name).toLowerCase()] ?? 'text/plain', text: await readFile(full, 'utf8') };
    },

    'connections.types': async () => ({ types: connectionTypeCatalog() }),
    'connections.list': async ({ projectDir }) => ({ connections: await this.connections.list(projectDir) }),
    'connections.add': async (input) => this.connections.add(input),
    'connections.update': async (input) => this.connections.update(input),
    'connections.test': async ({ name, projectDir }) => this.connections.test(name, projectDir),
    'connections.discover': async ({ name, projectDir, schema, table }) => this.connections.discover(name, { schema, table }, projectDir),
    'connections.remove': async ({ name, projectDir }) => {
      await this.connections.remove(name, projectDir);
      return { removed: true as const };
    },

    'schedules.open': async ({ path: file, near }) => this.schedules.open(file, near),
    'schedules.history': async ({ path: file, job, limit }) => this.schedules.history(path.resolve(file), job, limit),
    'schedules.runNow': async ({ path: file, job }) => this.schedules.runNow(path.resolve(file), job),
    'schedules.pause': async ({ path: file, job, paused }) => this.schedules.pause(path.resolve(file), job, paused),

    'fs.list': async ({ dir, extensions }) => listFolder(dir ?? this.opts.paths.workspaceDir, extensions),

    'fs.pick': async ({ mode, title, extensions, defaultPath }) => {
      if (!this.opts.dialogs) throw new CaudalError('usage', 'this host has no file dialogs', { hint: 'pick the file with fs.list' });
      const filters = extensions?.length ? [{ name: extensions.join(', '), extensions: extensions.map((e) => e.replace(/^\./, '')) }] : [];
      const opts = { title: title ?? (mode === 'open' ? 'Choose a file' : 'Save as'), filters, defaultPath: defaultPath ?? this.opts.paths.workspaceDir };
      return { path: await (mode === 'open' ? this.opts.dialogs.openFile(opts) : this.opts.dialogs.saveFile(opts)) };
    },

    'examples.list': async () => ({ examples: await listExamples() }),
    'examples.open': async ({ id }) => openExample(id, this.opts.paths.workspaceDir),
  };
}

function toHostError(e: unknown, doc: PipelineDocument | undefined): HostError {
  const err = e instanceof CaudalError ? e : new CaudalError('execution', errorMessage(e));
  const json = err.toJSON();
  return { ...json, problems: json.problems?.map((p) => locateProblem(p, doc)) };
}

/** Input the schema would choke on or silently change (input-shape.ts), located like inputError's problems. */
function shapeError(method: string, shape: InputShapeProblem, input: unknown): HostError {
  const doc = (input as { document?: PipelineDocument }).document;
  const inDoc = shape.path[0] === 'document';
  const message = `${jsonPath(shape.path)} ${shape.message}`;
  const p = { code: 'invalid_document' as const, path: jsonPath(inDoc ? shape.path.slice(1) : shape.path), message };
  return { kind: 'validation', message: `invalid input to ${method}: ${message}`, problems: [inDoc && Array.isArray(doc?.nodes) ? locateProblem(p, doc) : p] };
}

/** Bad input: problems with paths into the document when the document is what is wrong. */
function inputError(method: string, error: z.ZodError, input: unknown): HostError {
  const doc = (input as { document?: PipelineDocument } | undefined)?.document;
  const problems = error.issues.map((i) => {
    const inDoc = i.path[0] === 'document';
    const p = { code: 'invalid_document' as const, path: jsonPath(inDoc ? i.path.slice(1) : i.path), message: i.message };
    return inDoc && Array.isArray(doc?.nodes) ? locateProblem(p, doc) : p;
  });
  const first = problems[0]!;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  return { kind: 'validation', message: `invalid input to ${method}: ${first.path}: ${first.message}${more}`, problems };
}
