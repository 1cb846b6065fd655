/**
 * The counters of a continuous run, one line above the data panel's tabs: batches committed, rows
 * read and written per sink, last batch latency, source lag, last commit, failed batches and why.
 * Shown while the run is live and after it ended, until the next run.
 */
import { useResults } from '../store/results.js';
import { runStatusLabel } from '../store/run-state.js';
import { formatCount, formatMs } from '../canvas/node-data.js';
import { useDocument } from '../store/document.js';
import { runErrorText } from './continuous.js';

function Counter({ id, label, value, title }: { id: string; label: string; value: string; title?: string }) {
  return (
    <span className="live-counter" data-testid={id} title={title}>
      <span className="live-label">{label}</span> <span className="live-value">{value}</span>
    </span>
  );
}

export function LiveStrip() {
  const run = useResults((s) => s.run);
  const nodes = useDocument((s) => s.doc.nodes);
  const live = run?.live;
  if (!run || !live) return null;
  const name = (id: string) => nodes.find((n) => n.id === id)?.name ?? id;
  const status = runStatusLabel(run);
  const lastFailure = live.failures.at(-1);
  return (
    <div className="live-strip" role="group" aria-label="Continuous run counters">
      <span className={`live-status run-${status}`} data-testid="live-status">
        {status === 'live' ? '●' : ''} {status}
        {status === 'live' && live.batch > 0 && <span className="muted"> · {live.inBatch ? `batch ${live.batch}` : 'waiting for messages'}</span>}
      </span>
      <Counter id="live-committed" label="batches committed" value={formatCount(live.committed)} />
      <Counter id="live-read" label="rows read" value={formatCount(live.rowsRead)} title={Object.entries(live.readByNode).map(([id, n]) => `${name(id)}: ${n.toLocaleString('en-US')}`).join('\n') || undefined} />
      {Object.entries(live.writtenBySink).map(([id, s]) => (
        <Counter key={id} id={`live-written-${id}`} label={`written to ${name(id)}`} value={formatCount(s.rows)} title={s.target} />
      ))}
      <Counter id="live-latency" label="last batch" value={live.lastLatencyMs === undefined ? '–' : formatMs(live.lastLatencyMs)} />
      {live.lag !== undefined && <Counter id="live-lag" label="source lag" value={formatCount(live.lag)} title="Messages waiting at the sources after the last batch" />}
      <Counter id="live-last-commit" label="last commit" value={live.lastCommitAt === undefined ? '–' : new Date(live.lastCommitAt).toLocaleTimeString('en-GB')} />
      {live.failed > 0 && <Counter id="live-failed" label="failed batches" value={formatCount(live.failed)} />}
      {(run.status === 'failed' || lastFailure) && (
        <span className="field-error live-error" role="alert" data-testid="live-error">
          {lastFailure ? `Batch ${lastFailure.batch}${lastFailure.nodeId ? ` (${name(lastFailure.nodeId)})` : ''}: ${runErrorText(lastFailure)}` : runErrorText({ message: run.error ?? 'the run failed', hint: run.errorHint })}
        </span>
      )}
    </div>
  );
}
