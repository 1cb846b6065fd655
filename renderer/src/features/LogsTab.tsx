/** The current run's events as a log, with level filter and search; run and cancel controls. */
import { useMemo, useState } from 'react';
import { useResults } from '../store/results.js';
import { runStatusLabel } from '../store/run-state.js';
import { runErrorText } from './continuous.js';
import type { HostRunEvent } from '../model/types.js';
import { formatCount, formatMs } from '../canvas/node-data.js';

export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface LogLine {
  level: Level;
  text: string;
  nodeId?: string;
}

type Summary = Extract<HostRunEvent, { type: 'run_finished' }>['summary'];

/**
 * The headline of a finished run. A run commits its outputs only when it succeeds: a failed or
 * cancelled run rolls back what its sinks staged, so it says that nothing was written (its summary
 * still lists the staged outputs, which never reached their targets). A continuous run commits
 * batch by batch, so what its committed batches wrote stays written whatever its end.
 */
export function runFinishedText(s: Summary): string {
  const wrote = `wrote ${s.outputs.map((o) => `${o.rows.toLocaleString('en-US')} rows to ${o.target}`).join(', ')}`;
  let writes = '';
  if (s.batches) writes = s.outputs.length ? `; ${s.batches.committed.toLocaleString('en-US')} batches committed, ${wrote}` : '';
  else if (s.status === 'succeeded') writes = s.outputs.length ? `; ${wrote}` : '';
  else if (s.outputs.length) writes = '; nothing was written (a run that does not succeed commits no output)';
  return `Run ${s.status} in ${formatMs(s.elapsedMs)}${writes}${s.error ? `: ${s.error.message}` : ''}`;
}

/** Engine events as log lines (progress ticks are left out: the canvas shows them). */
export function logLines(events: HostRunEvent[]): LogLine[] {
  const out: LogLine[] = [];
  for (const e of events) {
    switch (e.type) {
      case 'run_started':
        out.push({ level: 'info', text: `Run ${e.runId} started (${e.nodes} nodes)` });
        break;
      case 'node_started':
        out.push({ level: 'debug', text: `${e.nodeId}: started`, nodeId: e.nodeId });
        break;
      case 'node_finished':
        out.push({ level: e.status === 'failed' ? 'error' : 'info', text: `${e.nodeId}: ${e.status}, ${formatCount(e.rowsOut)} rows out in ${formatMs(e.elapsedMs)}`, nodeId: e.nodeId });
        break;
      case 'log':
        out.push({ level: e.level, text: e.nodeId ? `${e.nodeId}: ${e.message}` : e.message, nodeId: e.nodeId });
        break;
      case 'warning':
        out.push({ level: 'warn', text: e.nodeId ? `${e.nodeId}: ${e.message}` : e.message, nodeId: e.nodeId });
        break;
      case 'run_finished': {
        const s = e.summary;
        out.push({ level: s.status === 'succeeded' ? 'info' : 'error', text: runFinishedText(s) });
        break;
      }
    }
  }
  return out;
}

export function LogView({ events }: { events: HostRunEvent[] }) {
  const [level, setLevel] = useState<Level>('info');
  const [q, setQ] = useState('');
  const lines = useMemo(() => logLines(events).filter((l) => ORDER[l.level] >= ORDER[level] && (!q || l.text.toLowerCase().includes(q.toLowerCase()))), [events, level, q]);
  return (
    <div className="logs">
      <div className="preview-bar">
        <select aria-label="Log level" value={level} onChange={(e) => setLevel(e.target.value as Level)}>
          <option value="debug">Debug and up</option>
          <option value="info">Info and up</option>
          <option value="warn">Warnings and errors</option>
          <option value="error">Errors only</option>
        </select>
        <input type="search" aria-label="Search the log" placeholder="Search the log" value={q} onChange={(e) => setQ(e.target.value)} />
      </div>
      <div className="log-lines" data-testid="log-lines" tabIndex={0} aria-label="Log lines">
        {lines.map((l, i) => (
          <div key={i} className={`log-line lvl-${l.level}`}>
            <span className="lvl">{l.level}</span> {l.text}
          </div>
        ))}
        {lines.length === 0 && <div className="muted">Nothing to show.</div>}
      </div>
    </div>
  );
}

export function LogsTab() {
  const run = useResults((s) => s.run);
  if (!run) return <div className="muted pad">No run yet. Press Run (Ctrl+Enter) to run the pipeline, or “Run up to here” on a node.</div>;
  return (
    <div className="logs-tab">
      <div className={`run-status run-${runStatusLabel(run)}`} data-testid="run-status">
        Run {run.runId}: {runStatusLabel(run)}
        {run.elapsedMs !== undefined && ` · ${formatMs(run.elapsedMs)}`}
        {/* A continuous run's failure is worded as in its counters strip; a stop says what was committed. */}
        {run.error && ` · ${run.watch && run.status === 'failed' ? runErrorText({ message: run.error, hint: run.errorHint }) : run.error}`}
      </div>
      <LogView events={run.events} />
    </div>
  );
}
