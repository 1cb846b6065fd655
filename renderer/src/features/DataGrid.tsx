/** A virtualized table: only the rows in view (plus a margin) are in the DOM, so thousands of rows scroll smoothly. */
import { useMemo, useState, type UIEvent } from 'react';
import type { Column } from '../model/types.js';
import { columnStats, formatCell, isNumericType } from './column-stats.js';

const ROW_H = 24;
const OVERSCAN = 10;
const COL_W = 160;

function Sparkline({ values }: { values: number[] }) {
  const max = Math.max(...values, 1);
  return (
    <svg className="hist" width={96} height={18} aria-hidden>
      {values.map((v, i) => (
        <rect key={i} x={i * 8} y={18 - (16 * v) / max} width={7} height={(16 * v) / max} />
      ))}
    </svg>
  );
}

export function DataGrid({ columns, rows, dimmed }: { columns: Column[]; rows: Array<Record<string, unknown>>; dimmed?: boolean }) {
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(400);
  const stats = useMemo(() => columns.map((c) => columnStats(rows, c.name, c.type)), [columns, rows]);
  const numeric = useMemo(() => columns.map((c) => isNumericType(c.type)), [columns]);
  const first = Math.max(0, Math.floor(scrollTop / ROW_H) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((scrollTop + height) / ROW_H) + OVERSCAN);
  const width = 56 + columns.length * COL_W;
  const onScroll = (e: UIEvent<HTMLDivElement>) => {
    setScrollTop(e.currentTarget.scrollTop);
    setHeight(e.currentTarget.clientHeight);
  };
  return (
    <div className={`grid${dimmed ? ' dimmed' : ''}`} onScroll={onScroll} role="table" aria-label="Preview rows" aria-rowcount={rows.length} tabIndex={0}>
      <div className="grid-head" style={{ width }} role="row">
        <div className="grid-rownum">#</div>
        {columns.map((c, i) => {
          const s = stats[i]!;
          return (
            <div className={`grid-th${numeric[i] ? ' num' : ''}`} key={c.name} role="columnheader" style={{ width: COL_W }} title={`${c.name} ${c.type}\n${s.distinct} distinct in preview`}>
              <div className="th-name">{c.name}</div>
              <div className="th-type">
                {c.type} · <span className={s.nullPct > 0 ? 'nulls' : ''}>{s.nullPct.toFixed(s.nullPct > 0 && s.nullPct < 1 ? 1 : 0)}% null</span>
              </div>
              {s.histogram ? (
                <Sparkline values={s.histogram} />
              ) : (
                <div className="th-top">{s.top?.map((t) => `${t.value.slice(0, 12)} (${t.count})`).join(' · ')}</div>
              )}
            </div>
          );
        })}
      </div>
      <div style={{ height: rows.length * ROW_H, width, position: 'relative' }}>
        {rows.slice(first, last).map((r, k) => {
          const i = first + k;
          return (
            <div className="grid-row" role="row" key={i} style={{ top: i * ROW_H, width }}>
              <div className="grid-rownum">{i + 1}</div>
              {columns.map((c, j) => {
                const v = r[c.name];
                return (
                  <div className={`grid-td${v === null || v === undefined ? ' null' : ''}${numeric[j] ? ' num' : ''}`} role="cell" key={c.name} style={{ width: COL_W }}>
                    {formatCell(v, c.type)}
                  </div>
                );
              })}
            </div>
          );
        })}
      </div>
    </div>
  );
}
