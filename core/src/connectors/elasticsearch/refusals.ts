import { CaudalError } from '../../util/errors.js';

/** A document the bulk helper gave up on, with Elasticsearch's status and reason. */
export interface Dropped {
  id: string;
  status: number;
  type: string;
  reason: string;
}

/**
 * Whether Elasticsearch refused the document for its data (400: a value the mapping cannot parse,
 * a strict mapping, a field limit). Any other status is the cluster's own state: 429 past the
 * retries, 403 for a read-only or blocked index, 404 for a work index deleted meanwhile, 5xx for an
 * unavailable shard. Such documents are no rejects: the same rows load once the cluster is healthy,
 * and publishing without them would drop good data (in replace mode, the whole index).
 */
export function refusedForData(d: Dropped): boolean {
  return d.status === 400;
}

function listed(dropped: Dropped[]): string {
  const first = dropped.slice(0, 3).map((d) => `document ${d.id}: ${d.type}${d.reason ? `: ${d.reason}` : ''}`);
  return `${first.join('; ')}${dropped.length > 3 ? '; …' : ''}`;
}

/** The run's error when documents were refused and cannot (or may not) go to the rejects port. */
export function rejectedError(dropped: Dropped[], ctx: { nodeId: string }, spec: { index: string; onError: 'fail' | 'reject' }): CaudalError {
  const cluster = dropped.filter((d) => !refusedForData(d));
  if (cluster.length > 0) {
    return new CaudalError('execution', `node '${ctx.nodeId}': Elasticsearch refused ${cluster.length} document(s) for index '${spec.index}' (${listed(cluster)}); nothing was published`, {
      nodeId: ctx.nodeId,
      hint: 'the cluster refused them, not because of the data (overloaded, read-only or blocked, a shard unavailable): run again once it is healthy, or raise the retries and the wait between them',
    });
  }
  return new CaudalError('execution', `node '${ctx.nodeId}': Elasticsearch refused ${dropped.length} document(s) for index '${spec.index}' (${listed(dropped)}); nothing was published`, {
    nodeId: ctx.nodeId,
    hint: spec.onError === 'fail' ? 'fix the mapping (mappings param) or the data, or set on_error to "reject" and connect the rejects port' : 'connect the rejects port to a sink to keep the refused rows',
  });
}
