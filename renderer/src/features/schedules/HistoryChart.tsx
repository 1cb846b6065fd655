/** Durations (bars) and rows written (line) of a job's runs, oldest on the left. Plain SVG. */
import type { RunRecord } from '../../../../core/src/host-api/contract.js';
import { chartBars, durationText } from './schedule-format.js';

const W = 640;
const H = 140;
const PAD = 28;

export function HistoryChart({ runs }: { runs: RunRecord[] }) {
  const { bars, maxMs, maxRows } = chartBars(runs);
  if (bars.length === 0) return <p className="muted small">No finished runs yet.</p>;
  const step = (W - 2 * PAD) / bars.length;
  const y = (f: number) => H - PAD - f * (H - 2 * PAD);
  const points = bars.map((b, i) => `${PAD + step * (i + 0.5)},${y(b.rows)}`).join(' ');
  return (
    <svg className="history-chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`durations and rows of the last ${bars.length} runs`} data-testid="history-chart">
      <text x={PAD} y={14} className="axis">
        longest {durationText(maxMs)}
      </text>
      <text x={W - PAD} y={14} className="axis rows" textAnchor="end">
        most rows {maxRows.toLocaleString('en-US')}
      </text>
      <line x1={PAD} x2={W - PAD} y1={H - PAD} y2={H - PAD} className="base" />
      {bars.map((b, i) => (
        <rect key={b.runId} data-run={b.runId} className={`bar run-${b.status}`} x={PAD + step * i + step * 0.15} width={step * 0.7} y={y(b.duration)} height={Math.max(1, H - PAD - y(b.duration))}>
          <title>{b.label}</title>
        </rect>
      ))}
      <polyline points={points} className="rows-line" />
      {bars.map((b, i) => (
        <circle key={b.runId} cx={PAD + step * (i + 0.5)} cy={y(b.rows)} r={2.5} className="rows-dot" />
      ))}
    </svg>
  );
}
