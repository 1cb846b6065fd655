import type { Client } from '@elastic/elasticsearch';
import { redactedSnippet } from '../../connections/redact.js';
import type { HookIo } from '../../nodes/define.js';
import { CaudalError } from '../../util/errors.js';
import type { Dropped } from './refusals.js';

interface BulkSpec {
  nodeId: string;
  flushBytes: number;
  concurrency: number;
  retries: number;
  retryWaitMs: number;
  secrets?: Array<string | undefined>;
}

type Answer = { body?: unknown; statusCode?: number; meta?: { request?: { params?: { path?: string } } } } | null;

/**
 * The bulk helper over the temp table (`_id`, `_doc`); returns the documents Elasticsearch refused
 * for good. A cancel aborts the requests in flight too: the helper alone only stops sending, and
 * a cluster that does not answer would hold the run for the whole request timeout.
 */
export async function bulkIndex(client: Client, spec: BulkSpec, table: string, index: string, io: HookIo): Promise<Dropped[]> {
  const dropped: Dropped[] = [];
  let sent = 0;
  async function* documents() {
    for await (const chunk of io.db.stream(`SELECT _id, _doc FROM ${table}`, 'js')) {
      for (const row of chunk) yield { id: String(row[0]), doc: String(row[1]) };
      sent += chunk.length;
      io.progress(sent);
      if (io.isCancelled()) return;
    }
  }
  // The helper reads `items` from whatever came back: a proxy's page (HTML, 200) would surface as a TypeError.
  let notBulk: string | undefined;
  const watch = (_err: unknown, answer: Answer) => {
    if (answer?.meta?.request?.params?.path !== '/_bulk' || notBulk !== undefined) return;
    // Other statuses are errors of their own (a 413, a 502), explained by status.
    if (answer.statusCode === undefined || answer.statusCode < 200 || answer.statusCode > 299) return;
    const body = answer.body;
    if (body === undefined || body === null || (typeof body === 'object' && Array.isArray((body as { items?: unknown }).items))) return;
    notBulk = typeof body === 'string' ? body : JSON.stringify(body);
  };
  client.diagnostic.on('response', watch);
  const stop = new AbortController();
  const helper = client.helpers.bulk<{ id: string; doc: string }>(
    {
      datasource: documents(),
      onDocument: (d) => [{ index: { _index: index, _id: d.id } }, d.doc as never],
      onDrop: (d) => {
        const action = d.operation as { index?: { _id?: string } };
        dropped.push({ id: String(action.index?._id), status: d.status, type: d.error?.type ?? (d.status === 429 ? 'too_many_requests' : 'error'), reason: d.error?.reason ?? (d.status === 429 ? `still refused after ${spec.retries} retries` : '') });
      },
      flushBytes: spec.flushBytes,
      concurrency: spec.concurrency,
      retries: spec.retries,
      wait: spec.retryWaitMs,
    },
    { signal: stop.signal },
  );
  const cancel = setInterval(() => {
    if (!io.isCancelled()) return;
    helper.abort();
    stop.abort();
  }, 100);
  try {
    await helper;
  } catch (e) {
    if (io.isCancelled()) throw new CaudalError('cancelled', 'the load was cancelled');
    if (notBulk !== undefined) {
      const secrets = (spec.secrets ?? []).filter((s): s is string => !!s);
      throw new CaudalError('io', `node '${spec.nodeId}': the answer to a bulk request was not Elasticsearch's (not JSON with an item per document): ${redactedSnippet(notBulk.replace(/\s+/g, ' '), 200, secrets)}`, {
        nodeId: spec.nodeId,
        hint: "check that the connection's URL reaches Elasticsearch itself, not a proxy's sign-in or error page",
      });
    }
    throw e;
  } finally {
    clearInterval(cancel);
    client.diagnostic.off('response', watch);
  }
  return dropped;
}
