import { secretEnvName } from '../../secrets/env-store.js';
import type { Client, ClientOptions } from '@elastic/elasticsearch';
import { type ElasticsearchConfig, elasticsearchClientOptions } from '../../connections/elasticsearch/elasticsearch.connection.js';
import { redact } from '../../connections/redact.js';
import { CaudalError, DuckDbFailure, isDuckDbError } from '../../util/errors.js';
import { ownerTag, shortRunId } from '../../util/owner.js';

/** A client for a connection (the driver is loaded on first use; `extra` takes the tests' mock Connection). */
export async function elasticsearchClient(config: ElasticsearchConfig, extra: Partial<ClientOptions> = {}): Promise<Client> {
  const { Client } = await import('@elastic/elasticsearch');
  return new Client(elasticsearchClientOptions(config, extra));
}

/**
 * Which cluster a connection points at, for the commit journal (connector.recoveryTarget): its URL
 * as scheme, host, port and path (lower case host, no default port, no trailing slash), never a
 * user, password or API key. Recovery of a killed run's work index goes through a connection with
 * the same one only: another project's connection of the same name may be another cluster.
 */
export function elasticsearchRecoveryTarget(config: Pick<ElasticsearchConfig, 'url'>): Record<string, string> {
  const u = new URL(config.url);
  return { url: `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}` };
}

/**
 * The indices the sink works with next to `index`: `<index>-caudal-<kind>-<time>-<run>-<owner>`
 * (lower case, as index names must be). They carry the run and its owner process, so a later run
 * removes what a killed one left.
 */
export function workIndexName(index: string, runId: string, kind: 'load' | 'stage', now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, '').toLowerCase();
  return `${index}-caudal-${kind}-${stamp}-${shortRunId(runId)}-${ownerTag()}`.toLowerCase();
}

export function workIndexPattern(index: string): string {
  return `${index}-caudal-*`;
}

interface EsErrorContext {
  nodeId: string;
  connection: string;
  index?: string;
  secrets?: Array<string | undefined>;
}

/** An Elasticsearch failure in the words of the node that hit it, with what to do. Never contains a secret. */
export function explainEsError(e: unknown, ctx: EsErrorContext): CaudalError {
  // DuckDB's own error (an upstream value that does not convert): the engine names the node and column.
  if (isDuckDbError(e)) return new DuckDbFailure(e, ctx.nodeId || undefined);
  if (e instanceof CaudalError && (e.kind === 'cancelled' || e.nodeId)) return e;
  const err = e as { name?: string; meta?: { statusCode?: number; body?: { error?: { type?: string; reason?: string } } } };
  const status = err?.meta?.statusCode;
  const cause = err?.meta?.body?.error;
  const detail = cause?.type ? `${cause.type}: ${cause.reason ?? ''}` : undefined;
  const safe = redact(detail ? new Error(detail) : e, ctx.secrets ?? []);
  const prefix = `node '${ctx.nodeId}' (connection '${ctx.connection}')`;
  const opts = (hint?: string) => ({ nodeId: ctx.nodeId, hint });
  if (err?.name === 'ConnectionError' || err?.name === 'TimeoutError' || err?.name === 'NoLivingConnectionsError') {
    return new CaudalError('io', `${prefix}: cannot reach the cluster: ${safe.message}`, opts(`check the URL with \`caudal connections test ${ctx.connection}\``));
  }
  if (status === 401) {
    return new CaudalError('io', `${prefix}: authentication failed: ${safe.message}`, opts(`store the password or API key with \`caudal connections add ${ctx.connection}\` (or ${secretEnvName(ctx.connection, 'password')} / ${secretEnvName(ctx.connection, 'api_key')})`));
  }
  if (status === 413) {
    return new CaudalError('io', `${prefix}: a bulk request was too large for the cluster or for a proxy in front of it (413 Request Entity Too Large)`, opts("lower the node's Bulk request size (flush_mb) below the limit: Elasticsearch's http.max_content_length (100 MB by default) or the proxy's own (nginx: client_max_body_size, 1 MB by default)"));
  }
  if (status === 403) return new CaudalError('io', `${prefix}: not allowed: ${safe.message}`, opts('the sink needs create_index, index, manage (aliases) and delete_index on the index and its `-caudal-*` work indices, and the cluster privilege monitor to follow an upsert\'s copy (`_tasks`)'));
  if (cause?.type === 'invalid_index_name_exception') return new CaudalError('validation', `${prefix}: ${safe.message}`, opts('index names are lower case, without spaces or \\ / * ? " < > | , #, and do not start with - _ +'));
  return new CaudalError('execution', `${prefix}: Elasticsearch said: ${safe.message}${ctx.index ? ` (index ${ctx.index})` : ''}`, opts());
}
