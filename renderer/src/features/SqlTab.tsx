/** The DuckDB SQL the selected node compiles to (what the engine runs for it). */
import { useResults, previewKey } from '../store/results.js';
import { previewPortFor } from './preview.js';

export function SqlTab({ nodeId }: { nodeId: string }) {
  const schemas = useResults((s) => s.schemas[nodeId]);
  const previews = useResults((s) => s.previews);
  const port = previewPortFor(nodeId);
  const sql = (port && previews[previewKey(nodeId, port)]?.data?.sql) ?? schemas?.outputs.find((o) => o.port === port)?.sql ?? schemas?.outputs[0]?.sql;
  return <pre className="sql-view" data-testid="sql-view" tabIndex={0}>{sql ?? 'No SQL yet: the node has problems to fix first, or is a sink (its write step runs only in a run).'}</pre>;
}
