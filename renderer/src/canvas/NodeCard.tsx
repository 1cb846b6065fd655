/**
 * A pipeline node on the canvas: icon and category colour, name, and its state at a glance
 * (problems or "needs setup", rows and time of the last run or preview, warnings, quality score,
 * rows read or written so far by a continuous run).
 * When zoomed far out the canvas switches to a compact card whose name stays readable (styles.css).
 */
import { memo } from 'react';
import { Handle, Position, type NodeProps, type Node } from '@xyflow/react';
import { formatCount, formatMs, rowsText, type CanvasNodeData } from './node-data.js';
import { NodeIcon } from './icons.js';

function RunBadge({ data }: { data: CanvasNodeData }) {
  const run = data.run;
  if (!run) return null;
  const label =
    run.status === 'running'
      ? `running${run.percent !== undefined ? ` ${Math.round(run.percent)}%` : ''}${run.rowsOut ? ` · ${rowsText(run.rowsOut)}` : ''}`
      : run.status === 'ok'
        ? // Streaming nodes fused into one query have no count of their own in fast metrics mode.
          `${run.rowsOut === null || run.rowsOut === undefined ? 'ok' : rowsText(run.rowsOut)} · ${formatMs(run.elapsedMs)}`
        : run.status;
  return (
    <span className={`badge run-${run.status}`} data-testid="run-badge" title={run.error ?? (run.rowsIn !== undefined && run.rowsIn !== null ? `${run.rowsIn.toLocaleString('en-US')} rows in` : undefined)}>
      {run.status === 'ok' ? '✓ ' : run.status === 'failed' ? '✕ ' : ''}
      {label}
    </span>
  );
}

function StateBadge({ data }: { data: CanvasNodeData }) {
  if (data.problems.length > 0)
    return (
      <span className="badge problems" title={data.problems.join('\n')} data-testid="problem-badge">
        ⚠ {data.problems.length}
      </span>
    );
  if (data.fresh)
    return (
      <span className="badge setup" title="Fill in the fields marked * in the inspector." data-testid="setup-badge">
        needs setup
      </span>
    );
  if (data.waitingFor)
    return (
      <span className="badge waiting" title={`Not checked: '${data.waitingFor}' upstream has problems to fix first.`} data-testid="waiting-badge">
        not checked
      </span>
    );
  return null;
}

function NodeCardImpl({ data, selected, isConnectable }: NodeProps<Node<CanvasNodeData>>) {
  const rows = Math.max(data.inputs.length, data.outputs.length, 1);
  const warnings = data.run?.warnings ?? [];
  const cls = [
    'node-card',
    `cat-${data.category}`,
    selected && 'selected',
    data.problems.length && 'has-problems',
    data.run?.status === 'failed' && 'failed',
  ]
    .filter(Boolean)
    .join(' ');
  return (
    <div className={cls} style={{ minHeight: rows > 1 ? 70 + rows * 20 : undefined }} title={data.name}>
      <div className="node-head">
        <NodeIcon type={data.type} category={data.category} />
        <span className="node-type">{data.typeTitle}</span>
        <StateBadge data={data} />
      </div>
      <div className="node-name">{data.name}</div>
      <div className="node-status">
        <RunBadge data={data} />
        {data.run?.liveRows && (
          <span className="badge live" data-testid="live-badge" title="Over all committed batches of the continuous run">
            {rowsText(data.run.liveRows.rows)} {data.run.liveRows.verb}
          </span>
        )}
        {warnings.length > 0 && (
          <span className="badge warn" title={warnings.join('\n')} data-testid="warning-badge">
            ⚠ {warnings.length} warning{warnings.length === 1 ? '' : 's'}
          </span>
        )}
        {data.run?.quality && (
          <span className={`badge quality${data.run.quality.failed ? ' run-failed' : ' run-ok'}`} data-testid="quality-badge" title={`${data.run.quality.checks - data.run.quality.failed} of ${data.run.quality.checks} checks passed`}>
            quality {Math.round(data.run.quality.score)}%{data.run.quality.failed ? ` · ${data.run.quality.failed} failed` : ''}
          </span>
        )}
        {!data.run && data.preview && !data.preview.failed && (
          <span className="badge preview" data-testid="preview-badge" title="Rows in the last preview">
            {`${formatCount(data.preview.rows)}${data.preview.capped ? '+' : ''} ${data.preview.rows === 1 ? 'row' : 'rows'}${data.preview.sampled ? ' (sampled)' : ''} · ${formatMs(data.preview.ms)}`}
          </span>
        )}
      </div>
      {data.inputs.map((p, i) => (
        <Handle key={`in-${p.name}`} id={p.name} type="target" isConnectable={isConnectable} position={Position.Left} style={data.inputs.length > 1 ? { top: 76 + i * 20 } : undefined} title={`${p.label}${p.multiple ? ' (several inputs)' : ''}`} data-port={p.name}>
          {data.inputs.length > 1 && <span className="port-label in">{p.label}</span>}
        </Handle>
      ))}
      {data.outputs.map((p, i) => (
        <Handle key={`out-${p.name}`} id={p.name} type="source" isConnectable={isConnectable} position={Position.Right} style={data.outputs.length > 1 ? { top: 76 + i * 20 } : undefined} title={p.label} data-port={p.name}>
          {data.outputs.length > 1 && <span className="port-label out">{p.label}</span>}
        </Handle>
      ))}
    </div>
  );
}

export const NodeCard = memo(NodeCardImpl);
