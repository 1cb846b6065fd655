import { namedMissingSecret } from '../../secrets/resolve.js';
import { CaudalError } from '../../util/errors.js';

export { namedMissingSecret };

/**
 * A server the node must ask while the run is planned (to infer its columns, to list topics) that
 * cannot be reached: a failure of the connection, not of the node's params. Kind io, with one
 * problem of code `unavailable` pointing at the pipeline's connection entry (`connections.<name>`),
 * so that a plan stopped by nothing else fails as a run (exit 1, docs/cli.md), naming the node and
 * the connection.
 */
export function unreachableConnection(nodeId: string, connection: string, message: string, hint: string): CaudalError {
  const text = `node '${nodeId}' (connection '${connection}'): ${message}`;
  return new CaudalError('io', text, { nodeId, hint, problems: [{ code: 'unavailable', path: `connections.${connection}`, nodeId, message: text, hint }] });
}
