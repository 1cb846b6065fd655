/** "Run continuously": which pipelines can, and how the end of such a run is told to the user. */
import type { HostRunSummary, NodeTypeInfo, Pipeline } from '../model/types.js';
import { friendlyMessage } from '../inspector/messages.js';
import { useResults } from '../store/results.js';
import { useUi } from '../store/ui.js';
import { rowsWritten } from '../store/live-counters.js';

/** The pipeline reads a stream (Kafka, RabbitMQ, change capture), so it can run continuously. */
export function hasStreamingSource(nodes: Pipeline['nodes'], typeMap: Map<string, NodeTypeInfo>): boolean {
  return nodes.some((n) => typeMap.get(n.type)?.streaming === true);
}

const NODE_PREFIX = /^node '[^']*' \([^)]*\)(?: failed)?:\s*/;

/** Network failures of a connector, said the way the connection form would say them. */
const REACH: Array<[RegExp, (m: RegExpExecArray) => string]> = [
  [/\bconnect ECONNREFUSED (\S+)/, (m) => `Nothing answers at ${m[1]} (connection refused): check that the server is running and the connection's host and port.`],
  [/\bgetaddrinfo (?:ENOTFOUND|EAI_AGAIN) (\S+)/, (m) => `The host '${m[1]}' was not found: check the connection's host.`],
  [/\b(?:ETIMEDOUT|ECONNRESET|EHOSTUNREACH)\b/, () => "The server did not answer or dropped the connection: check the connection's host and port and the network."],
  [/ACCESS[-_]REFUSED|password authentication failed|authentication failed/i, () => "The server refused the user name or password: check the connection's credentials."],
];

/** An engine error in the studio's words: without the "node 'x' (type):" prefix, network failures explained, with its hint. */
export function runErrorText(error: { message: string; hint?: string }): string {
  const message = error.message.replace(NODE_PREFIX, '');
  for (const [re, say] of REACH) {
    const m = re.exec(message);
    if (m) return say(m);
  }
  return friendlyMessage({ message, hint: error.hint });
}

const plural = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 'es'}`;

/** The toast when a continuous run ends: stopped (with what it committed), failed (why), or cancelled. */
export function continuousRunEnded(summary: HostRunSummary): void {
  const run = useResults.getState().run;
  const committed = run?.live?.committed ?? summary.batches?.committed ?? 0;
  const written = run?.live ? rowsWritten(run.live) : summary.outputs.reduce((n, o) => n + o.rows, 0);
  const toast = useUi.getState().toast;
  if (summary.status === 'failed') {
    const where = run?.live && run.live.batch > 0 ? ` in batch ${run.live.batch}` : '';
    toast('error', `The continuous run failed${where}: ${summary.error ? runErrorText(summary.error) : 'no reason given'}. ${plural(committed, 'batch')} committed before it.`);
  } else if (run?.stopping) toast('success', `Stopped after ${plural(committed, 'batch')}: ${written.toLocaleString('en-US')} rows written.`);
  else toast('info', `Continuous run ${summary.status} after ${plural(committed, 'batch')}; the batch in progress was rolled back.`);
}
