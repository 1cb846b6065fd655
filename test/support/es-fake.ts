import { createRequire } from 'node:module';
import { Client, errors, type BaseConnection } from '@elastic/elasticsearch';

interface ClientMock {
  add(pattern: { method: string | string[]; path: string | string[] }, resolver: (params: Params) => unknown): ClientMock;
  getConnection(): typeof BaseConnection;
}
// The mock is CommonJS (module.exports = class); its typings declare an ES default export.
const Mock = createRequire(import.meta.url)('@elastic/elasticsearch-mock') as new () => ClientMock;

/**
 * A small in-memory cluster behind the official client mock (@elastic/elasticsearch-mock): the
 * client, its bulk helper and its retries run for real; only HTTP is replaced. It keeps indices,
 * documents and aliases, records every request, and can refuse chosen documents (400) or answer
 * 429 to a document's first attempts.
 */
interface Index {
  mappings: Record<string, unknown>;
  settings: Record<string, unknown>;
  docs: Map<string, Record<string, unknown>>;
  aliases: Set<string>;
}

type Params = { method: string; path: string; body?: unknown; querystring?: Record<string, string> };

export class FakeCluster {
  readonly mock = new Mock();
  readonly indices = new Map<string, Index>();
  readonly requests: string[] = [];
  readonly aliasCalls: unknown[] = [];
  readonly bulkSizes: number[] = [];
  /** Documents refused for good (status 400) when this returns a reason. */
  refuse: (doc: Record<string, unknown>) => string | undefined = () => undefined;
  /** Document id → how many more times it is answered 429. */
  readonly throttle = new Map<string, number>();

  constructor() {
    const m = this.mock;
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
        const refused = this.refuse(doc);
        if (left > 0) {
          this.throttle.set(action._id, left - 1);
          errorsSeen = true;
          items.push({ index: { _index: action._index, _id: action._id, status: 429, error: { type: 'es_rejected_execution_exception', reason: 'rejected execution' } } });
        } else if (refused) {
          errorsSeen = true;
          items.push({ index: { _index: action._index, _id: action._id, status: 400, error: { type: 'mapper_parsing_exception', reason: refused } } });
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
      for (const [id, doc] of from.docs) {
        if (to.docs.has(id)) updated++;
        else created++;
        to.docs.set(id, doc);
      }
      return { created, updated, failures: [] };
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
      this.indices.set(name, { mappings: body.mappings ?? {}, settings: body.settings ?? {}, docs: new Map(), aliases: new Set() });
      return { acknowledged: true, index: name };
    });
    m.add({ method: 'DELETE', path: '/:index' }, (p: Params) => (log(p), this.indices.delete(this.param(p, 0)), { acknowledged: true }));
    m.add({ method: 'PUT', path: '/:index/_settings' }, (p: Params) => {
      log(p);
      Object.assign(this.indices.get(this.param(p, 0))!.settings, p.body);
      return { acknowledged: true };
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

  private param(p: Params, i: number): string {
    return decodeURIComponent(p.path.split('/').filter(Boolean)[i]!);
  }
}
