/** One small line icon per node type (24×24, drawn with the current colour), on the category's colour. */
import type { ReactNode } from 'react';

const P = (d: string) => <path d={d} />;

/** Icons by the last part of the type (`source.csv` → csv); categories have a fallback. */
const ICONS: Record<string, ReactNode> = {
  csv: (
    <>
      {P('M6 3h9l4 4v14H6z')}
      {P('M9 11h7M9 14h7M9 17h7M12 11v6')}
    </>
  ),
  json: (
    <>
      {P('M9 4c-2 0-2 2-2 4s-1 3-2 4c1 1 2 2 2 4s0 4 2 4')}
      {P('M15 4c2 0 2 2 2 4s1 3 2 4c-1 1-2 2-2 4s0 4-2 4')}
    </>
  ),
  parquet: (
    <>
      {P('M4 6h16v12H4z')}
      {P('M8 6v12M12 6v12M16 6v12')}
    </>
  ),
  postgres: (
    <>
      <ellipse cx="12" cy="6" rx="7" ry="3" />
      {P('M5 6v12c0 1.7 3.1 3 7 3s7-1.3 7-3V6M5 12c0 1.7 3.1 3 7 3s7-1.3 7-3')}
    </>
  ),
  duckdb: (
    <>
      <ellipse cx="12" cy="6" rx="7" ry="3" />
      {P('M5 6v12c0 1.7 3.1 3 7 3s7-1.3 7-3V6')}
      {P('M9 13h6')}
    </>
  ),
  filter: P('M4 5h16l-6 7v6l-4 2v-8z'),
  derive: (
    <>
      {P('M10 4c-2 0-3 1-3 3v13')}
      {P('M4 10h6M13 10l6 8M19 10l-6 8')}
    </>
  ),
  sql: (
    <>
      {P('M8 7l-5 5 5 5M16 7l5 5-5 5')}
      {P('M14 5l-4 14')}
    </>
  ),
  aggregate: P('M18 5H6l6 7-6 7h12'),
  join: (
    <>
      <circle cx="9" cy="12" r="6" />
      <circle cx="15" cy="12" r="6" />
    </>
  ),
  lookup: (
    <>
      <circle cx="10" cy="10" r="6" />
      {P('M14.5 14.5L20 20')}
    </>
  ),
  sort: P('M7 4v16M4 17l3 3 3-3M17 20V4M14 7l3-3 3 3'),
  select: (
    <>
      {P('M4 5h16v14H4z')}
      {P('M9 5v14M15 5v14')}
      {P('M11 12l1.5 1.5L15 10')}
    </>
  ),
  dedupe: (
    <>
      {P('M8 8h11v11H8z')}
      {P('M5 16V5h11')}
    </>
  ),
  union: P('M6 4v8a6 6 0 0012 0V4'),
  limit: P('M5 6h14M5 12h14M5 18h6'),
  sample: (
    <>
      <circle cx="7" cy="7" r="1.5" />
      <circle cx="16" cy="9" r="1.5" />
      <circle cx="9" cy="16" r="1.5" />
      <circle cx="17" cy="17" r="1.5" />
    </>
  ),
  split: P('M4 12h6M10 12l8-6M10 12l8 6M15 5h4v4M15 19h4v-4'),
  cast: P('M5 8h11l-3-3M19 16H8l3 3'),
  clean_text: P('M4 20l9-9M13 11l4-4 3 3-4 4zM4 20h6'),
  fill_nulls: (
    <>
      {P('M5 5h14v14H5z')}
      {P('M5 12h14')}
      <path d="M5 12h14v7H5z" className="fill" />
    </>
  ),
  map_values: P('M4 8h10l-3-3M4 8l0 0M20 16H10l3 3'),
  parse_dates: (
    <>
      {P('M4 6h16v14H4zM4 10h16M8 3v5M16 3v5')}
    </>
  ),
  pivot: P('M5 19V9a4 4 0 014-4h10M16 2l3 3-3 3M8 16l-3 3-3-3'),
  unpivot: P('M19 5v10a4 4 0 01-4 4H5M8 22l-3-3 3-3M16 8l3-3 3 3'),
  window: (
    <>
      {P('M4 5h16v14H4z')}
      {P('M4 10h16M10 10v9')}
    </>
  ),
  rules: P('M9 6h11M9 12h11M9 18h11M4 6h1M4 12h1M4 18h1'),
  check: P('M12 3l8 3v6c0 5-3.5 8-8 9-4.5-1-8-4-8-9V6zM8.5 12l2.5 2.5 4.5-5'),
};

const FALLBACK: Record<string, ReactNode> = {
  source: P('M12 3v12M7 10l5 5 5-5M5 20h14'),
  transform: P('M4 12h16M14 6l6 6-6 6'),
  quality: ICONS.check,
  sink: P('M12 15V3M7 8l5-5 5 5M5 20h14'),
  unknown: <circle cx="12" cy="12" r="7" />,
};

export function NodeIcon({ type, category }: { type: string; category: string }) {
  const kind = type.split('.').pop() ?? '';
  return (
    <span className={`node-icon cat-${category}`} aria-hidden="true">
      <svg viewBox="0 0 24 24" width="16" height="16" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
        {ICONS[kind] ?? FALLBACK[category] ?? FALLBACK.unknown}
      </svg>
    </span>
  );
}
