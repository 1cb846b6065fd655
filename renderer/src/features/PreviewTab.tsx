/** Rows of the selected node's output port, with the port switcher (out, rejects, …) and freshness. */
import { useMemo } from 'react';
import { useDocument } from '../store/document.js';
import { PREVIEW_LIMIT, previewKey, useResults } from '../store/results.js';
import { useUi } from '../store/ui.js';
import { upstreamSignature } from '../store/graph.js';
import { DataGrid } from './DataGrid.js';
import { loadPreview, previewPortFor } from './preview.js';
import { requestRun } from './runs.js';

export function PreviewTab({ nodeId }: { nodeId: string }) {
  // Layout-only edits (dragging) leave nodes and edges as they were: no re-render, no signature work.
  const nodes = useDocument((s) => s.doc.nodes);
  const edges = useDocument((s) => s.doc.edges);
  const params = useDocument((s) => s.doc.params);
  const connections = useDocument((s) => s.doc.connections);
  const current = useMemo(() => upstreamSignature({ ...useDocument.getState().doc, nodes, edges, params, connections }, nodeId), [nodes, edges, params, connections, nodeId]);
  const typeMap = useResults((s) => s.typeMap);
  const previews = useResults((s) => s.previews);
  const setPort = useUi((s) => s.setPreviewPort);
  const limit = useUi((s) => s.previewLimit);
  const setLimit = useUi((s) => s.setPreviewLimit);
  const _watchPort = useUi((s) => s.previewPort); // re-render when the chosen port changes
  const node = nodes.find((n) => n.id === nodeId);
  const info = node ? typeMap.get(node.type) : undefined;
  if (!node || !info) return null;
  if (info.outputs.length === 0) return <div className="muted pad">A sink has no output to preview: previews never write files or tables. Select the node before it to see what it will write.</div>;
  const port = previewPortFor(nodeId)!;
  const entry = previews[previewKey(nodeId, port)];
  const stale = entry && entry.signature !== current;
  const data = entry?.data;
  return (
    <div className="preview-tab">
      <div className="preview-bar">
        {info.outputs.length > 1 &&
          info.outputs.map((o) => (
            <button key={o.name} className={o.name === port ? 'active' : ''} onClick={() => setPort(o.name)}>
              {o.label ?? o.name}
            </button>
          ))}
        <span className="preview-status" data-testid="preview-status">
          {entry?.status === 'loading' && 'Loading preview…'}
          {entry?.status === 'ready' && data && `${data.rows.length.toLocaleString('en-US')} rows${data.rows.length >= (entry.limit ?? PREVIEW_LIMIT) ? ` (first ${(entry.limit ?? PREVIEW_LIMIT).toLocaleString('en-US')})` : ''} · ${data.columns.length} columns · ${Math.round(data.elapsedMs)} ms`}
          {stale && entry?.status !== 'loading' && ' · out of date'}
        </span>
        <select aria-label="Rows to preview" value={limit} onChange={(e) => setLimit(Number(e.target.value))}>
          {[100, 1000, 10000].map((n) => (
            <option key={n} value={n}>
              {n.toLocaleString('en-US')} rows
            </option>
          ))}
        </select>
                <button onClick={() => void loadPreview(nodeId, port, true)}>Refresh</button>
      </div>
      {data?.sampled && (
        <div className="notice" role="status">
          This preview read only part of the input (a sample): counts and values may differ from the whole data.
          <button onClick={() => requestRun([nodeId])} title="Runs this node and what it needs over all the data (no sinks downstream), and shows its row count on the canvas">
            Exact result: run up to here
          </button>
        </div>
      )}
      {entry?.status === 'error' && (
        <div className="field-error pad" role="alert" data-testid="preview-error">
          {entry.error}
        </div>
      )}
      {data && <DataGrid columns={data.columns} rows={data.rows} />}
    </div>
  );
}
