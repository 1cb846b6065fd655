/** Run history of the open pipeline: status, duration, rows, quality score; each run's log and artifacts. */
import { useState } from 'react';
import { host, errorText } from '../host-access.js';
import { useDocument } from '../store/document.js';
import { useResults } from '../store/results.js';
import { recordStatusLabel } from '../store/run-state.js';
import type { HostRunEvent } from '../model/types.js';
import { formatCount, formatMs } from '../canvas/node-data.js';
import { LogView } from './LogsTab.js';
import { refreshHistory } from './runs.js';

interface Detail {
  runId: string;
  events: HostRunEvent[];
  artifacts: Array<{ name: string; bytes: number }>;
  error?: string;
}

export function RunsTab() {
  const runs = useResults((s) => s.history);
  const path = useDocument((s) => s.path);
  const [shownDetail, setDetail] = useState<Detail | null>(null);
  // A run of another pipeline (opened since) is never shown here.
  const detail = shownDetail && runs.some((r) => r.runId === shownDetail.runId) ? shownDetail : null;
  const open = async (runId: string) => {
    try {
      const [logs, info] = await Promise.all([host()['run.logs']({ runId, path, offset: 0, limit: 5000 }), host()['run.get']({ runId, path })]);
      setDetail({ runId, events: logs.events, artifacts: info.artifacts });
    } catch (e) {
      setDetail({ runId, events: [], artifacts: [], error: errorText(e) });
    }
  };
  const openArtifact = async (runId: string, name: string) => {
    const a = await host()['run.artifact']({ runId, path, name });
    const url = URL.createObjectURL(new Blob([a.text], { type: a.mediaType }));
    window.open(url, '_blank');
  };
  return (
    <div className="runs-tab">
      <div className="runs-list" tabIndex={-1}>
        <div className="preview-bar">
          <button onClick={() => void refreshHistory()}>Refresh</button>
        </div>
        <table className="runs-table" aria-label="Run history">
          <thead>
            <tr>
              <th>started</th>
              <th>status</th>
              <th>duration</th>
              <th>rows</th>
              <th>quality</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr key={r.runId} className={detail?.runId === r.runId ? 'active' : ''} onClick={() => void open(r.runId)}>
                <td title={r.runId}>{new Date(r.startedAt).toLocaleString('en-GB')}</td>
                <td className={`run-${recordStatusLabel(r)}`} title={r.error ? r.error.message : undefined}>
                  {recordStatusLabel(r)}
                </td>
                <td>{r.elapsedMs === null ? '…' : formatMs(r.elapsedMs)}</td>
                <td>{formatCount(r.rows)}</td>
                <td>{r.qualityScore === null ? '–' : r.qualityScore.toFixed(0)}</td>
              </tr>
            ))}
            {runs.length === 0 && (
              <tr>
                <td colSpan={5} className="muted">
                  No runs of this pipeline yet.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {detail && (
        <div className="run-detail">
          {detail.error && <div className="field-error">{detail.error}</div>}
          {detail.artifacts.length > 0 && (
            <div className="artifacts">
              Artifacts:{' '}
              {detail.artifacts.map((a) => (
                <button key={a.name} className="link" onClick={() => void openArtifact(detail.runId, a.name)}>
                  {a.name}
                </button>
              ))}
            </div>
          )}
          <LogView events={detail.events} />
        </div>
      )}
    </div>
  );
}
