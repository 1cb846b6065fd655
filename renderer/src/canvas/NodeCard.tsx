/** A pipeline node on the canvas: name, type, ports, problems, and the last preview or run figures. */
import { memo } from 'react';
import { Handle, Position, type NodeProps, type Node } from '@xyflow/react';
import { formatCount, formatMs, type CanvasNodeData } from './node-data.js';

function RunBadge({ data }: { data: CanvasNodeData }) {
  const run = data.run;
  if (!run) return null;
  const label =
    run.status === 'running'
      ? `running${run.percent !== undefined ? ` ${Math.round(run.percent)}%` : ''}${run.rowsOut ? ` · ${formatCount(run.rowsOut)} rows` : ''}`
      : run.status === 'ok'
        ? // Streaming nodes fused into one query have no count of their own in fast metrics mode.
          `${run.rowsOut === null || run.rowsOut === undefined ? 'ok' : `${formatCount(run.rowsOut)} rows`} · ${formatMs(run.elapsedMs)}`
        : run.status;
  return (
    <div className={`badge run-${run.status}`} data-testid="run-badge" title={run.error ?? (run.rowsIn !== undefined && run.rowsIn !== null ? `${run.rowsIn.toLocaleString('en-US')} rows in` : undefined)}>
      {label}
    </div>
  );
}

function NodeCardImpl({ data, selected }: NodeProps<Node<CanvasNodeData>>) {
  const rows = Math.max(data.inputs.length, data.outputs.length, 1);
  return (
    <div className={`node-card cat-${data.category}${selected ? ' selected' : ''}${data.problems.length ? ' has-problems' : ''}${data.run?.status === 'failed' ? ' failed' : ''}`} style={{ minHeight: rows > 1 ? 66 + rows * 20 : undefined }}>
      <div className="node-head">
        <span className="node-type">{data.typeTitle}</span>
        {data.problems.length > 0 && (
          <span className="badge problems" title={data.problems.join('\n')} data-testid="problem-badge">
            ⚠ {data.problems.length}
          </span>
        )}
      </div>
      <div className="node-name">{data.name}</div>
      <RunBadge data={data} />
      {data.run?.quality && (
        <div className={`badge quality${data.run.quality.failed ? ' run-failed' : ' run-ok'}`} data-testid="quality-badge" title={`${data.run.quality.checks - data.run.quality.failed} of ${data.run.quality.checks} checks passed`}>
          quality {Math.round(data.run.quality.score)}%{data.run.quality.failed ? ` · ${data.run.quality.failed} failed` : ''}
        </div>
      )}
      {!data.run && data.preview && (
        <div className={`badge preview${data.preview.failed ? ' run-failed' : ''}`} data-testid="preview-badge">
          {data.preview.failed ? 'preview failed' : `preview ${formatCount(data.preview.rows)}${data.preview.capped ? '+' : ''} rows${data.preview.sampled ? ' (sampled)' : ''} · ${formatMs(data.preview.ms)}`}
        </div>
      )}
      {data.inputs.map((p, i) => (
        <Handle key={`in-${p.name}`} id={p.name} type="target" position={Position.Left} style={data.inputs.length > 1 ? { top: 72 + i * 20 } : undefined} title={`${p.label}${p.multiple ? ' (several inputs)' : ''}`} data-port={p.name}>
          {data.inputs.length > 1 && <span className="port-label in">{p.label}</span>}
        </Handle>
      ))}
      {data.outputs.map((p, i) => (
        <Handle key={`out-${p.name}`} id={p.name} type="source" position={Position.Right} style={data.outputs.length > 1 ? { top: 72 + i * 20 } : undefined} title={p.label} data-port={p.name}>
          {data.outputs.length > 1 && <span className="port-label out">{p.label}</span>}
        </Handle>
      ))}
    </div>
  );
}

export const NodeCard = memo(NodeCardImpl);
