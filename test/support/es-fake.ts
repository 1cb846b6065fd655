import { createRequire } from 'node:module';
import { Client, errors, type BaseConnection } from '@elastic/elasticsearch';
import type { Db } from '../../core/src/compiler/db.js';
import type { EsWriteSpec } from '../../core/src/connectors/elasticsearch/write.js';
import type { HookIo } from '../../core/src/nodes/define.js';

interface ClientMock {
  add(pattern: { method: string | string[]; path: string | string[] }, resolver: (params: Params) => unknown): ClientMock;
  getConnection(): typeof BaseConnection;
}
// The mock is CommonJS (module.exports = class); its typings declare an ES default export.
const Mock = createRequire(import.meta.url)('@elastic/elasticsearch-mock') as new () => ClientMock;

/**
 * A small in-memory cluster behind the official client mock (@elastic/elasticsearch-mock): the
 * client, its bulk helper and its retries run for real; only HTTP is replaced. It keeps indices,
 * documents and aliases, records every request, and can refuse chosen documents (400, or any
 * status), answer 429 to a document's first attempts, or fail a request before or after it took
 * effect (`fault`). Like Elasticsearch, it refuses fields a `dynamic: strict` mapping lacks and
 * mappings that name an analyzer the index settings do not define.
 */
interface Index {
  mappings: Record<string, unknown>;
  settings: Record<string, unknown>;
  docs: Map<string, Record<string, unknown>>;
  aliases: Set<string>;
}

type Params = { method: string; path: string; body?: unknown; querystring?: Record<string, string> };
export interface Refusal {
  status: number;
  type: string;
  reason: string;
}

const failure = (status: number, type: string, reason: string) =>
  new errors.ResponseError({ body: { error: { type, reason }, status }, statusCode: status, headers: {}, warnings: null, meta: {} as never });

const BUILT_IN_ANALYZERS = new Set(['standard', 'simple', 'whitespace', 'stop', 'keyword', 'pattern', 'fingerprint', 'english', 'french', 'german']);

/** An analyzer a mapping names that neither is built in nor is defined in the settings' analysis (as Elasticsearch checks at index creation). */
function unknownAnalyzer(mappings: Record<string, unknown>, settings: Record<string, unknown>): string | undefined {
  const analysis = (settings.analysis ?? (settings.index as Record<string, unknown> | undefined)?.analysis) as { analyzer?: Record<string, unknown> } | undefined;
  const defined = new Set(Object.keys(analysis?.analyzer ?? {}));
  const walk = (props: Record<string, Record<string, unknown>> = {}): string | undefined => {
    for (const p of Object.values(props)) {
      for (const key of ['analyzer', 'search_analyzer']) {
        const a = p[key];
        if (typeof a === 'string' && !BUILT_IN_ANALYZERS.has(a) && !defined.has(a)) return a;
      }
      const inner = walk(p.properties as never) ?? walk(p.fields as never);
      if (inner) return inner;
    }
    return undefined;
  };
  return walk(mappings.properties as never);
}

export class FakeCluster {
  readonly mock = new Mock();
  readonly indices = new Map<string, Index>();
  readonly requests: string[] = [];
  readonly aliasCalls: unknown[] = [];
  readonly bulkSizes: number[] = [];
  /** Documents refused for good when this returns a reason (status 400) or a status, type and reason. */
  refuse: (doc: Record<string, unknown>) => string | Refusal | undefined = () => undefined;
  /**
   * A request's answer replaced: `before` it takes effect (a refused request) or `after` (the
   * answer lost on the way back: a timeout, a cut connection). `request` is `METHOD /path`.
   */
  fault: (request: string, when: 'before' | 'after') => unknown = () => undefined;
  /** Document id → how many more times it is answered 429. */
  readonly throttle = new Map<string, number>();
  /**
   * A `_reindex` that takes longer than the client's request timeout: waited for, it answers with
   * a timeout (the copy goes on and completes on the cluster); run as a task, the task is reported
   * running to the first two polls.
   */
  slowReindex = false;
  private readonly tasks = new Map<string, { result: unknown; polls: number }>();

  constructor() {
    const mock = this.mock;
    const m = {
      add: (pattern: { method: string | string[]; path: string }, resolver: (p: Params) => unknown) =>
        mock.add(pattern, (p: Params) => {
          const request = `${p.method} ${p.path}`;
          const before = this.fault(request, 'before');
          if (before !== undefined) return before;
          const answer = resolver(p);
          return this.fault(request, 'after') ?? answer;
        }),
    };
    const log = (p: Params) => this.requests.push(`${p.method} ${p.path}`);
    const notFound = (what: string) =>
      new errors.ResponseError({ body: { error: { type: 'index_not_found_exception', reason: `no such index [${what}]` }, status: 404 }, statusCode: 404, headers: {}, warnings: null, meta: {} as never });
    m.add({ method: 'HEAD', path: '/_alias/:name' }, (p: Params) => (log(p), this.aliasHolders(this.param(p, 1)).length > 0 ? '' : notFound(this.param(p, 1))));
    m.add({ method: 'GET', path: '/_alias/:name' }, (p: Params) => {
      log(p);
      const name = this.param(p, 1);
      const holders = this.aliasHolders(name);
      return holders.length > 0 ? Object.fromEntries(holders.map((i) => [i, { aliases: { [name]: {} } }])) : notFound(name);
    });
    m.add({ method: 'POST', path: '/_aliases' }, (p: Params) => {
      log(p);
      const actions = (p.body as { actions: Array<Record<string, { index: string; alias: string }>> }).actions;
      this.aliasCalls.push(actions);
      for (const a of actions) if (a.add && !this.indices.has(a.add.index)) return notFound(a.add.index);
      for (const a of actions) {
        if (a.remove) this.indices.get(a.remove.index)?.aliases.delete(a.remove.alias);
        if (a.add) this.indices.get(a.add.index)!.aliases.add(a.add.alias);
      }
      return { acknowledged: true };
    });
    m.add({ method: 'POST', path: '/_bulk' }, (p: Params) => {
      log(p);
      const lines = p.body as Array<Record<string, unknown>>;
      const items = [];
      let errorsSeen = false;
      this.bulkSizes.push(lines.length / 2);
      for (let i = 0; i < lines.length; i += 2) {
        const action = lines[i]!.index as { _index: string; _id: string };
        const doc = lines[i + 1]!;
        const left = this.throttle.get(action._id) ?? 0;
        const given = this.refuse(doc);
        const refused: Refusal | undefined = typeof given === 'string' ? { status: 400, type: 'mapper_parsing_exception', reason: given } : (given ?? this.strictRefusal(action._index, doc));
        if (left > 0) {
          this.throttle.set(action._id, left - 1);
          errorsSeen = true;
          items.push({ index: { _index: action._index, _id: action._id, status: 429, error: { type: 'es_rejected_execution_exception', reason: 'rejected execution' } } });
        } else if (refused) {
          errorsSeen = true;
          items.push({ index: { _index: action._index, _id: action._id, status: refused.status, error: { type: refused.type, reason: refused.reason } } });
        } else {
          this.indices.get(action._index)!.docs.set(action._id, doc);
          items.push({ index: { _index: action._index, _id: action._id, status: 201, result: 'created' } });
        }
      }
      return { took: 1, errors: errorsSeen, items };
    });
    m.add({ method: 'POST', path: '/_reindex' }, (p: Params) => {
      log(p);
      const b = p.body as { source: { index: string }; dest: { index: string } };
      const from = this.resolve(b.source.index);
      const to = this.resolve(b.dest.index);
      if (!from || !to) return notFound(b.source.index);
      let created = 0;
      let updated = 0;
      const failures = [];
      for (const [id, doc] of from.docs) {
        const refused = this.strictRefusal(b.dest.index, doc);
        if (refused) {
          failures.push({ index: b.dest.index, id, status: refused.status, cause: { type: refused.type, reason: refused.reason } });
          continue;
        }
        if (to.docs.has(id)) updated++;
        else created++;
        to.docs.set(id, doc);
      }
      const result = { created, updated, failures };
      if (p.querystring?.wait_for_completion === 'false') {
        const task = `fakenode:${this.tasks.size + 1}`;
        this.tasks.set(task, { result, polls: this.slowReindex ? 2 : 0 });
        return { task };
      }
      return this.slowReindex ? new errors.TimeoutError('Request timed out') : result;
    });
    m.add({ method: 'GET', path: '/_tasks/:id' }, (p: Params) => {
      log(p);
      const task = this.tasks.get(this.param(p, 1));
      if (!task) return failure(404, 'resource_not_found_exception', `task [${this.param(p, 1)}] isn't running and hasn't stored its results`);
      if (task.polls > 0) {
        task.polls--;
        return { completed: false, task: { action: 'indices:data/write/reindex' } };
      }
      return { completed: true, task: { action: 'indices:data/write/reindex' }, response: task.result };
    });
    m.add({ method: 'HEAD', path: '/:index' }, (p: Params) => (log(p), this.resolve(this.param(p, 0)) ? '' : notFound(this.param(p, 0))));
    m.add({ method: 'GET', path: '/:index' }, (p: Params) => {
      log(p);
      const pattern = new RegExp(`^${this.param(p, 0).replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
      return Object.fromEntries([...this.indices].filter(([n]) => pattern.test(n)).map(([n, i]) => [n, { aliases: Object.fromEntries([...i.aliases].map((a) => [a, {}])), mappings: i.mappings, settings: i.settings }]));
    });
    m.add({ method: 'PUT', path: '/:index' }, (p: Params) => {
      log(p);
      const name = this.param(p, 0);
      const body = (p.body ?? {}) as { mappings?: Record<string, unknown>; settings?: Record<string, unknown> };
      if (this.indices.has(name)) return failure(400, 'resource_already_exists_exception', `index [${name}] already exists`);
      const missing = unknownAnalyzer(body.mappings ?? {}, body.settings ?? {});
      if (missing) return failure(400, 'mapper_parsing_exception', `Failed to parse mapping: analyzer [${missing}] has not been configured in mappings`);
      this.indices.set(name, { mappings: body.mappings ?? {}, settings: body.settings ?? {}, docs: new Map(), aliases: new Set() });
      return { acknowledged: true, index: name };
    });
    m.add({ method: 'DELETE', path: '/:index' }, (p: Params) => (log(p), this.indices.delete(this.param(p, 0)), { acknowledged: true }));
    m.add({ method: 'PUT', path: '/:index/_settings' }, (p: Params) => {
      log(p);
      Object.assign(this.indices.get(this.param(p, 0))!.settings, p.body);
      return { acknowledged: true };
    });
    m.add({ method: 'GET', path: '/:index/_settings' }, (p: Params) => {
      log(p);
      const name = this.param(p, 0);
      const idx = this.resolve(name);
      const real = [...this.indices].find(([, i]) => i === idx)?.[0] ?? name;
      // Elasticsearch answers with every setting under `index`.
      return idx ? { [real]: { settings: { index: { ...idx.settings, number_of_shards: '1', uuid: 'x', provided_name: real } } } } : notFound(name);
    });
    m.add({ method: ['GET', 'POST'], path: '/:index/_refresh' }, (p: Params) => (log(p), {}));
    m.add({ method: ['GET', 'POST'], path: '/:index/_count' }, (p: Params) => (log(p), { count: this.resolve(this.param(p, 0))?.docs.size ?? 0 }));
    m.add({ method: 'GET', path: '/:index/_mapping' }, (p: Params) => {
      log(p);
      const name = this.param(p, 0);
      const idx = this.resolve(name);
      const real = [...this.indices].find(([, i]) => i === idx)?.[0] ?? name;
      return idx ? { [real]: { mappings: idx.mappings } } : notFound(name);
    });
  }

  client(): Client {
    return new Client({ node: 'http://localhost:9200', Connection: this.mock.getConnection() });
  }

  /** An index by name or through an alias. */
  resolve(name: string): Index | undefined {
    return this.indices.get(name) ?? this.indices.get(this.aliasHolders(name)[0] ?? '');
  }

  aliasHolders(alias: string): string[] {
    return [...this.indices].filter(([, i]) => i.aliases.has(alias)).map(([n]) => n);
  }

  /** Elasticsearch's refusal of a field that a `dynamic: strict` mapping lacks (top-level fields). */
  private strictRefusal(index: string, doc: Record<string, unknown>): Refusal | undefined {
    const mappings = this.resolve(index)?.mappings as { dynamic?: unknown; properties?: Record<string, unknown> } | undefined;
    if (mappings?.dynamic !== 'strict') return undefined;
    const extra = Object.keys(doc).find((f) => !(f in (mappings.properties ?? {})));
    return extra === undefined ? undefined : { status: 400, type: 'strict_dynamic_mapping_exception', reason: `mapping set to strict, dynamic introduction of [${extra}] within [_doc] is not allowed` };
  }

  private param(p: Params, i: number): string {
    return decodeURIComponent(p.path.split('/').filter(Boolean)[i]!);
  }
}

/** A sink.elasticsearch write spec for index `customers` keyed by `id`, with quick retries; `over` changes any field. */
export const esWriteSpec = (over: Partial<EsWriteSpec> = {}, retries = { retries: 1, retryWaitMs: 5 }): EsWriteSpec => ({
  index: 'customers',
  mode: 'upsert',
  idColumns: ['id'],
  mappings: {},
  settings: {},
  onError: 'fail',
  createIndex: true,
  flushBytes: 5_000_000,
  concurrency: 2,
  ...retries,
  ...over,
});

/** The engine's hooks around a write, over `db`, never cancelled, logging nowhere. */
export const quietIo = (db: Db): HookIo => ({ db, isCancelled: () => false, log: () => undefined, progress: () => undefined });
