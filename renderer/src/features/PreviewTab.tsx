/** Rows of the selected node's output port, with the port switcher (out, rejects, …) and freshness. */
import { useEffect, useMemo, useState } from 'react';
import { useDocument } from '../store/document.js';
import { PREVIEW_LIMIT, previewKey, useResults } from '../store/results.js';
import { useUi } from '../store/ui.js';
import { upstreamSignature } from '../store/graph.js';
import { DataGrid } from './DataGrid.js';
import { loadPreview, previewPortFor } from './preview.js';
import { requestRun } from './runs.js';
import type { Problem } from '../model/types.js';
import { problemText } from '../inspector/messages.js';
import { formModel } from '../inspector/form-model.js';
import type { ParamJsonSchema } from '../model/types.js';

/** A spinner only for waits long enough to notice (a quick preview just replaces the rows). */
function useSlow(loading: boolean, afterMs = 150): boolean {
  const [slow, setSlow] = useState(false);
  useEffect(() => {
    setSlow(false);
    if (!loading) return;
    const t = setTimeout(() => setSlow(true), afterMs);
    return () => clearTimeout(t);
  }, [loading, afterMs]);
  return slow;
}

/** "Set this node up first": the missing settings in the form's words, per node (its own or upstream). */
function SetupNotice({ nodeId, problems }: { nodeId: string; problems: Problem[] }) {
  const nodes = useDocument((s) => s.doc.nodes);
  const typeMap = useResults((s) => s.typeMap);
  const select = useUi((s) => s.select);
  const byNode = new Map<string, Problem[]>();
  for (const p of problems) (byNode.get(p.nodeId ?? '') ?? byNode.set(p.nodeId ?? '', []).get(p.nodeId ?? '')!).push(p);
  return (
    <div className="setup-notice" role="status" data-testid="preview-setup">
      {[...byNode.entries()].map(([id, list]) => {
        const node = nodes.find((n) => n.id === id);
        const info = node && typeMap.get(node.type);
        const fields = info ? formModel(info.paramsSchema as ParamJsonSchema).flatMap((g) => g.fields) : undefined;
        return (
          <div key={id}>
            <p>
              {id === nodeId || !node ? 'Finish setting up this node to see its rows:' : (
                <>
                  Rows appear once <button type="button" className="link" onClick={() => select([id])}>{node.name ?? id}</button> upstream is set up:
                </>
              )}
            </p>
            <ul>
              {list.map((p, i) => {
                const t = problemText(p, fields, node?.params);
                return (
                  <li key={i}>
                    {t.where && <b>{t.where}: </b>}
                    {t.text}
                  </li>
                );
              })}
            </ul>
          </div>
        );
      })}
    </div>
  );
}

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
  const port = info && info.outputs.length > 0 ? previewPortFor(nodeId) : null;
  const entry = port ? previews[previewKey(nodeId, port)] : undefined;
  const slow = useSlow(entry?.status === 'loading');
  if (!node || !info || !port) {
    if (info && info.outputs.length === 0) return <div className="muted pad">A sink has no output to preview: previews never write files or tables. Select the node before it to see what it will write.</div>;
    return null;
  }
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
        <span className="preview-status" data-testid="preview-status" aria-live="polite">
          {slow && (
            <span className="spinner" data-testid="preview-spinner" role="progressbar" aria-label="Loading preview">
              {' '}
            </span>
          )}
          {entry?.status === 'loading' && slow && 'Loading preview…'}
          {entry?.status === 'ready' && data && `${data.rows.length.toLocaleString('en-US')} ${data.rows.length === 1 ? 'row' : 'rows'}${data.rows.length >= (entry.limit ?? PREVIEW_LIMIT) ? ` (first ${(entry.limit ?? PREVIEW_LIMIT).toLocaleString('en-US')})` : ''} · ${data.columns.length} columns · ${Math.round(data.elapsedMs)} ms`}
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
      {entry?.status === 'error' && entry.problems && <SetupNotice nodeId={nodeId} problems={entry.problems} />}
      {entry?.status === 'error' && !entry.problems && (
        <div className="field-error pad" role="alert" data-testid="preview-error">
          {entry.error}
        </div>
      )}
      {data && entry?.status !== 'error' && <DataGrid columns={data.columns} rows={data.rows} dimmed={entry?.status === 'loading' && slow} />}
    </div>
  );
}
