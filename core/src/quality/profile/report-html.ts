import { distinctLabel, ESTIMATED_TOP, exactNumber, figureNumber, groupDigits, nonFiniteLabel, quantileTexts, quoteText, valueText } from './labels.js';
import type { ColumnProfile, ProfileResult } from './types.js';

/** A self-contained HTML page for a profile: inline CSS, SVG histograms, no scripts or network. */

/** Escaped for HTML; nested values (lists, structs, maps) as JSON, as the quality report's samples show them. */
const esc = (s: unknown): string =>
  valueText(s).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
/** A count or another whole number, thousands grouped. */
const fmtNum = (v: unknown): string => {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') return groupDigits(exactNumber(v));
  return esc(v);
};
/**
 * A value of the column (min, max, a top value) exactly as it is: numbers never rounded (thousands
 * grouped), text in quotes with its spaces kept, so '', ' ', '  ' and 'NULL' can be told apart.
 */
const fmtValue = (c: ColumnProfile, v: unknown): string => {
  if (v === null || v === undefined) return '<i>NULL</i>';
  if (typeof v === 'number') return groupDigits(exactNumber(v));
  if (c.category === 'string' && typeof v === 'string') return `<span class="v">${esc(quoteText(v))}</span>`;
  return esc(v);
};
/** A computed figure (mean, standard deviation): 10 significant digits, thousands grouped. */
const fmtFigure = (v: unknown): string => (typeof v === 'number' ? groupDigits(figureNumber(v)) : fmtNum(v));

function histogramSvg(h: NonNullable<ColumnProfile['histogram']>): string {
  const w = 320;
  const hgt = 80;
  const max = Math.max(1, ...h.map((b) => b.count));
  const bw = w / h.length;
  const bars = h
    .map((b, i) => {
      const bh = (hgt * b.count) / max;
      return `<rect x="${(i * bw + 1).toFixed(1)}" y="${(hgt - bh).toFixed(1)}" width="${Math.max(1, bw - 2).toFixed(1)}" height="${bh.toFixed(1)}" fill="#0969da"><title>≤ ${esc(b.upper)}: ${b.count.toLocaleString('en-US')}</title></rect>`;
    })
    .join('');
  return `<svg width="${w}" height="${hgt}" role="img" aria-label="histogram">${bars}</svg><div class="axis"><span>${esc(h[0]?.upper)}</span><span>${esc(h.at(-1)?.upper)}</span></div>`;
}

function list(items: Array<{ value: unknown; count: number }>, total: number, show: (v: unknown) => string): string {
  return `<table class="mini">${items.map((t) => `<tr><td>${show(t.value)}</td><td class="n">${t.count.toLocaleString('en-US')}</td><td class="n">${total ? ((100 * t.count) / total).toFixed(1) : 0}%</td></tr>`).join('')}</table>`;
}

function columnCard(c: ColumnProfile): string {
  const facts: Array<[string, string]> = [
    ['type', esc(c.type)],
    ['rows', fmtNum(c.count)],
    ['nulls', `${fmtNum(c.nulls)} (${c.nullPercent.toFixed(2)}%)`],
    ['distinct', esc(distinctLabel(c))],
  ];
  if (c.min !== undefined) facts.push(['min', fmtValue(c, c.min)], ['max', fmtValue(c, c.max)]);
  if (c.nonFinite) facts.push(['not finite', esc(nonFiniteLabel(c))]);
  if (c.mean !== undefined) facts.push(['mean', fmtFigure(c.mean)], ['std dev', fmtFigure(c.stddev)]);
  if (c.quantiles) {
    const qs = quantileTexts(c.quantiles.map((q) => q.value));
    facts.push(['quantiles', c.quantiles.map((q, k) => `p${Math.round(q.p * 100)} ${q.value === null ? '—' : esc(groupDigits(qs[k]!))}`).join(' · ')]);
  }
  if (c.lengths) facts.push(['length', `${c.lengths.min}–${c.lengths.max}, mean ${c.lengths.mean.toFixed(1)}`]);
  for (const note of c.notes ?? []) facts.push(['note', esc(note)]);
  if (c.semanticType) facts.push(['looks like', `${esc(c.semanticType.type)} (${(c.semanticType.share * 100).toFixed(0)}% of values)`]);
  return `<section class="col"><h2>${esc(c.name)}</h2><table class="facts">${facts.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join('')}</table>
${c.histogram ? `<h3>Histogram</h3>${histogramSvg(c.histogram)}` : ''}
${c.topValues.length ? `<h3>Top values${c.topValuesEstimated ? ` (${ESTIMATED_TOP}: a value as frequent may be missing)` : ''}</h3>${list(c.topValues, c.count, (v) => fmtValue(c, v))}` : ''}${c.topValuesSkipped ? `<h3>Top values</h3><p class="axis">none: ${esc(c.topValuesSkipped)}</p>` : ''}
${c.patterns?.length ? `<h3>Patterns${c.patternsFrom ? ` (first ${c.patternsFrom.toLocaleString('en-US')} values)` : ''}</h3>${list(c.patterns, c.patternsFrom ?? c.count - c.nulls, (v) => esc(quoteText(String(v))))}` : ''}</section>`;
}

const HEAD = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Profile: ';

/** True for a report this renderer wrote: `caudal profile --html` replaces only those unasked. */
export function isProfileHtml(text: string): boolean {
  return text.startsWith(HEAD);
}

export function renderProfileHtml(p: ProfileResult): string {
  return `${HEAD}${esc(p.nodeId)}</title><style>
body{font:14px/1.45 system-ui,sans-serif;color:#1f2328;margin:24px auto;max-width:1200px;padding:0 16px}h1{font-size:22px}h2{font-size:16px;margin:0 0 6px}h3{font-size:13px;margin:10px 0 4px;color:#656d76}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));gap:16px}.col{border:1px solid #d0d7de;border-radius:6px;padding:12px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:2px 6px;font-size:12px;vertical-align:top}th{color:#656d76;font-weight:500;width:90px}.n{text-align:right}.axis{display:flex;justify-content:space-between;font-size:11px;color:#656d76;width:320px}
.badge{background:#fff8c5;padding:2px 8px;border-radius:10px}.v{white-space:pre-wrap}</style></head><body>
<h1>Profile of <code>${esc(p.nodeId)}:${esc(p.port)}</code></h1>
<p>${p.sampled ? `<span class="badge">sampled</span> ${esc(p.method)}` : esc(p.method)} · ${p.rows.toLocaleString('en-US')} rows profiled · quantiles ${p.quantiles === 'exact' ? 'exact' : 'estimated (t-digest)'} · ${p.elapsedMs} ms</p>
<div class="grid">${p.columns.map(columnCard).join('\n')}</div></body></html>
`;
}
