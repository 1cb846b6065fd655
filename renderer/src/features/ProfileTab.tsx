/** The full column profile of the selected node's output (core's profiler): sampled fast, or exact on request. */
import { useState } from 'react';
import { host, errorText } from '../host-access.js';
import { useDocument } from '../store/document.js';
import type { ProfileData } from '../../../core/src/host-api/contract.js';
import { formatCell, formatStat } from './column-stats.js';
import { previewPortFor } from './preview.js';

function Bars({ values }: { values: number[] }) {
  const max = Math.max(...values, 1);
  const w = Math.max(3, Math.floor(120 / Math.max(values.length, 1)));
  return (
    <svg className="hist" width={w * values.length} height={22} aria-hidden>
      {values.map((v, i) => (
        <rect key={i} x={i * w} y={22 - (20 * v) / max} width={w - 1} height={(20 * v) / max} />
      ))}
    </svg>
  );
}

const num = formatStat;

type ProfileColumn = ProfileData['columns'][number];

/** A text column's commonest shapes with their counts, in the one number format of the tab: "xxxx_999999 (900,000)". */
export function patternSummary(patterns: ProfileColumn['patterns'], shown = 2): string {
  return (patterns ?? [])
    .slice(0, shown)
    .map((x) => `${formatCell(x.value)} (${formatStat(x.count)})`)
    .join(', ');
}

export function ProfileTab({ nodeId }: { nodeId: string }) {
  const [state, setState] = useState<{ nodeId: string; loading: boolean; profile?: ProfileData; error?: string } | null>(null);
  const run = async (mode: 'sample' | 'exact') => {
    const { doc, path } = useDocument.getState();
    setState({ nodeId, loading: true });
    try {
      const profile = await host()['profile.node']({ document: doc, path, nodeId, port: previewPortFor(nodeId) ?? undefined, mode });
      setState({ nodeId, loading: false, profile });
    } catch (e) {
      setState({ nodeId, loading: false, error: errorText(e) });
    }
  };
  const current = state?.nodeId === nodeId ? state : null;
  const p = current?.profile;
  return (
    <div className="profile-tab">
      <div className="preview-bar">
        <button onClick={() => void run('sample')} disabled={current?.loading}>
          {current?.loading ? 'Profiling…' : 'Profile (fast sample)'}
        </button>
        <button onClick={() => void run('exact')} disabled={current?.loading}>
          Exact profile (all rows)
        </button>
        <span className="muted" data-testid="profile-status">
          {p ? `${p.method} · ${p.rows.toLocaleString('en-US')} rows · quantiles ${p.quantiles} · ${Math.round(p.elapsedMs)} ms` : 'Nulls, distinct values, ranges, quantiles, top values and patterns per column.'}
        </span>
      </div>
      {p?.sampled && <div className="notice">This profile is from a sample; “Exact profile” reads every row.</div>}
      {current?.error && <div className="field-error pad">{current.error}</div>}
      {p && (
        <div className="profile-table-wrap" tabIndex={0} aria-label="Column profile, scrollable">
          <table className="profile-table" aria-label="Column profile">
            <thead>
              <tr>
                <th>column</th>
                <th>type</th>
                <th>null %</th>
                <th>distinct</th>
                <th>min</th>
                <th>max</th>
                <th>mean</th>
                <th>distribution</th>
                <th>top values</th>
                <th>looks like</th>
              </tr>
            </thead>
            <tbody>
              {p.columns.map((c) => (
                <tr key={c.name}>
                  <td>{c.name}</td>
                  <td>{c.type}</td>
                  <td className="num">{formatStat(Math.round(c.nullPercent * 10) / 10)}</td>
                  <td className="num" title={c.distinctExact ? undefined : `HyperLogLog estimate${c.distinctError ? `, ±${Math.round(c.distinctError * 100)}%` : ''}`}>
                    {c.distinctExact ? '' : '≈'}
                    {formatStat(c.distinct)}
                    {!c.distinctExact && c.distinctError ? ` ±${Math.round(c.distinctError * 100)}%` : ''}
                  </td>
                  <td className="num">{c.min === undefined ? '' : num(c.min)}</td>
                  <td className="num">{c.max === undefined ? '' : num(c.max)}</td>
                  <td className="num">{c.mean === undefined || c.mean === null ? '' : num(c.mean)}</td>
                  <td>{c.histogram ? <Bars values={c.histogram.map((h) => h.count)} /> : patternSummary(c.patterns)}</td>
                  <td className="top" title={c.topValuesEstimated ? 'Candidates from an estimate: each count is exact, but a value as frequent may be missing' : c.topValuesSkipped}>
                    {c.topValuesEstimated ? '≈ ' : ''}
                    {c.topValues.slice(0, 3).map((t) => `${formatCell(t.value).slice(0, 16)} (${formatStat(t.count)})`).join(' · ')}
                  </td>
                  <td>{c.semanticType ? `${c.semanticType.type} (${Math.round(c.semanticType.share * 100)}%)` : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
