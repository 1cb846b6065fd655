import type { CheckResult, NodeQualityResult } from './types.js';
import { describeFailure, formatPercent } from './messages.js';

/**
 * A self-contained quality report: inline CSS and SVG charts, no scripts, fonts or network, so
 * it opens offline and can be mailed or attached to a CI job as one file.
 */

const esc = (s: unknown): string =>
  String(s).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');
const fmtInt = (n: number) => n.toLocaleString('en-US');
const scoreColor = (s: number) => (s >= 90 ? '#1a7f37' : s >= 70 ? '#9a6700' : '#cf222e');

interface ReportDoc {
  runId: string;
  pipeline: string;
  generatedAt: string;
  score: number;
  nodes: NodeQualityResult[];
}

/** A ring chart of the score. */
function ring(score: number, size = 120): string {
  const r = size / 2 - 10;
  const c = 2 * Math.PI * r;
  const done = (c * Math.max(0, Math.min(100, score))) / 100;
  return `<svg class="ring" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}" role="img" aria-label="quality score ${score.toFixed(1)}%">
<circle cx="${size / 2}" cy="${size / 2}" r="${r}" fill="none" stroke="#eaeef2" stroke-width="12"/>
<circle cx="${size / 2}" cy="${size / 2}" r="${r}" fill="none" stroke="${scoreColor(score)}" stroke-width="12" stroke-dasharray="${done.toFixed(2)} ${c.toFixed(2)}" transform="rotate(-90 ${size / 2} ${size / 2})"/>
<text x="50%" y="54%" text-anchor="middle" font-size="${size / 5}" font-weight="600" fill="#1f2328">${score.toFixed(1)}%</text></svg>`;
}

/** One bar per check: share of rows passing (row checks) or a full bar coloured by outcome. */
function bars(checks: CheckResult[]): string {
  const rowH = 22;
  const labelW = 220;
  const barW = 360;
  const h = checks.length * rowH + 10;
  const items = checks.map((c, i) => {
    const y = 5 + i * rowH;
    const passShare = c.rowsFailed !== null ? 1 - (c.failedPercent ?? 0) / 100 : c.passed ? 1 : 0;
    const ok = (barW * passShare).toFixed(1);
    // Cut by code points: half an emoji would be written to the file as U+FFFD.
    const chars = Array.from(c.name);
    const label = chars.length > 32 ? `${chars.slice(0, 31).join('')}…` : c.name;
    const right = c.rowsFailed !== null ? `${formatPercent(100 * passShare)} pass` : c.passed ? 'pass' : 'fail';
    return `<text x="${labelW - 8}" y="${y + 14}" text-anchor="end" font-size="12">${esc(label)}</text>
<rect x="${labelW}" y="${y + 3}" width="${barW}" height="14" fill="#ffebe9"/><rect x="${labelW}" y="${y + 3}" width="${ok}" height="14" fill="${c.passed ? '#2da44e' : '#bf8700'}"/>
<text x="${labelW + barW + 8}" y="${y + 14}" font-size="12">${esc(right)}</text>`;
  });
  return `<svg class="bars" width="${labelW + barW + 110}" height="${h}" role="img" aria-label="share of rows passing per check">${items.join('\n')}</svg>`;
}

function samplesTable(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return '';
  const cols = Object.keys(rows[0]!);
  const cell = (v: unknown) => (v === null || v === undefined ? '<span class="null">NULL</span>' : esc(typeof v === 'object' ? JSON.stringify(v) : v));
  return `<details><summary>${rows.length} sample failing row${rows.length === 1 ? '' : 's'}</summary><div class="scroll"><table class="samples"><thead><tr>${cols.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${cols.map((c) => `<td>${cell(r[c])}</td>`).join('')}</tr>`)
    .join('')}</tbody></table></div></details>`;
}

function checkRow(c: CheckResult): string {
  const status = c.passed ? '<span class="badge pass">PASS</span>' : `<span class="badge fail ${c.severity}">FAIL</span>`;
  const failed = c.rowsFailed === null ? '' : `${fmtInt(c.rowsFailed)} <span class="muted">(${formatPercent(c.failedPercent ?? 0)})</span>`;
  const observed = c.observed === undefined ? '' : esc(c.observed);
  return `<tr class="${c.passed ? 'passed' : 'failed'}" data-check="${esc(c.name)}"><td>${status}</td><td><strong>${esc(c.name)}</strong>${c.description ? `<div class="muted">${esc(c.description)}</div>` : ''}</td><td>${esc(c.kind)}</td><td><span class="sev ${c.severity}">${esc(c.severity)}</span></td><td>${esc(c.columns.join(', '))}</td><td>${fmtInt(c.rowsEvaluated)}</td><td>${failed}</td><td>${esc(c.expected)}</td><td>${observed}${c.details.map((d) => `<div class="detail">${esc(d)}</div>`).join('')}${samplesTable(c.samples)}</td></tr>`;
}

function nodeSection(n: NodeQualityResult): string {
  return `<section class="node" id="node-${esc(n.nodeId)}">
<h2>Node <code>${esc(n.nodeId)}</code></h2>
<div class="summary">${ring(n.score, 96)}<div><div><strong>${fmtInt(n.rows)}</strong> row${n.rows === 1 ? '' : 's'} checked</div><div><strong>${n.checks.filter((c) => c.passed).length}</strong> of ${n.checks.length} checks passed</div>${n.rejectedRows !== undefined ? `<div><strong>${fmtInt(n.rejectedRows)}</strong> row${n.rejectedRows === 1 ? '' : 's'} quarantined</div>` : ''}</div></div>
${bars(n.checks)}
<table class="checks"><thead><tr><th>Status</th><th>Check</th><th>Kind</th><th>Severity</th><th>Columns</th><th>Rows</th><th>Failed</th><th>Expected</th><th>Observed / samples</th></tr></thead>
<tbody>${n.checks.map(checkRow).join('\n')}</tbody></table></section>`;
}

const CSS = `body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1f2328;margin:24px auto;max-width:1200px;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}code{font-family:ui-monospace,monospace}
.muted{color:#656d76;font-size:12px}.header,.summary{display:flex;gap:20px;align-items:center}
table{border-collapse:collapse;width:100%;margin-top:10px}th,td{border-bottom:1px solid #d0d7de;padding:6px 8px;text-align:left;vertical-align:top}th{background:#f6f8fa;font-weight:600}
tr.failed{background:#fff8f7}.badge{font-weight:700;font-size:11px;padding:2px 6px;border-radius:10px}.badge.pass{background:#dafbe1;color:#1a7f37}.badge.fail{background:#ffebe9;color:#cf222e}.badge.fail.warn{background:#fff8c5;color:#9a6700}
.sev{font-size:12px}.sev.error{color:#cf222e}.sev.warn{color:#9a6700}.sev.quarantine{color:#8250df}.detail{font-size:12px;color:#656d76}
.samples td,.samples th{font-size:12px;padding:3px 6px}.scroll{overflow-x:auto;max-width:520px}.null{color:#8c959f;font-style:italic}
.failing li{margin:2px 0}svg.bars{margin-top:8px;max-width:100%}`;

export function renderQualityHtml(doc: ReportDoc): string {
  const failing = doc.nodes.flatMap((n) => n.checks.filter((c) => !c.passed).map((c) => ({ n, c })));
  const failingList =
    failing.length === 0
      ? '<p class="all-passed">All checks passed.</p>'
      : `<ul class="failing">${failing.map(({ n, c }) => `<li><span class="sev ${c.severity}">${esc(c.severity)}</span> <code>${esc(n.nodeId)}</code> ${esc(describeFailure(c))}</li>`).join('')}</ul>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Quality report: ${esc(doc.pipeline)}</title><style>${CSS}</style></head>
<body>
<div class="header">${ring(doc.score)}<div><h1>Quality report: ${esc(doc.pipeline)}</h1>
<div class="muted">run ${esc(doc.runId)} · ${esc(doc.generatedAt)} · score = share of passed checks, weighted</div>
<div id="overall-score">Quality score <strong>${doc.score.toFixed(1)}%</strong></div></div></div>
<h2>Failing checks (${failing.length})</h2>
${failingList}
${doc.nodes.map(nodeSection).join('\n')}
</body></html>
`;
}
