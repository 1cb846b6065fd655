import path from 'node:path';
import { startProfile } from '../engine/engine.js';
import { distinctLabel, escapeControls, ESTIMATED_TOP, exactNumber, figureNumber, nonFiniteLabel, quantileTexts, quoteText, valueText } from '../quality/profile/labels.js';
import { isProfileHtml, renderProfileHtml } from '../quality/profile/report-html.js';
import type { ColumnProfile, ProfileResult } from '../quality/profile/types.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { checkGeneratedTargets } from './generated-files.js';
import { CaudalError } from '../util/errors.js';
import { parse, parseMemoryLimit, parseParams, parseThreads, refuseGiven, singleNode } from './args.js';
import { EXIT } from './exit-codes.js';
import { formatMs, formatProblems } from './format.js';
import { checkNodeIds } from './pipeline-args.js';
import { loadPipelineArg } from './pipeline-file.js';
import { engineContext } from './engine-context.js';

interface Io {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

/** `caudal profile <pipeline> --node <id> [--port p] [--exact] [--sample N] [--random] [--json] [--html out.html]` */
export async function profileCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, {
    positionals: 1,
    only: ['node', 'port', 'exact', 'sample', 'random', 'html', 'force', 'param', 'project', 'threads', 'memory-limit', 'state-dir', 'json', 'quiet'],
    command: 'profile',
  });
  const nodeId = singleNode(values, 'profile');
  // An exact profile reads every row: a sample size or method would be ignored.
  if (values.exact) refuseGiven(values, ['sample', 'random'], 'for a sampled profile, not with --exact (which reads every row)', (g) => `leave out --exact for a sample, or ${g} to read every row`);
  if (values.html === undefined) refuseGiven(values, ['force'], 'for --html (it replaces a file there that is not a profile)', () => 'add --html FILE, or leave out --force');
  if (!nodeId) throw new CaudalError('usage', 'profile needs --node <id>');
  const file = positionals[0];
  if (!file) throw new CaudalError('usage', 'missing the pipeline file argument');
  const sampleRows = values.sample === undefined ? undefined : Number(values.sample);
  if (sampleRows !== undefined && (!Number.isInteger(sampleRows) || sampleRows < 1)) throw new CaudalError('usage', `--sample expects a positive whole number, got "${values.sample}"`);
  const loaded = await loadPipelineArg(file);
  const abs = loaded.abs;
  if (!loaded.pipeline) throw new CaudalError('validation', `${file} is not a valid pipeline:\n${formatProblems(loaded.problems)}`, { problems: loaded.problems });
  checkNodeIds(loaded.pipeline, [nodeId], file);
  // Before the work: --html names a file that may be a data file or anyone's page, not a report.
  if (values.html) await checkGeneratedTargets([{ file: path.resolve(values.html), isGenerated: isProfileHtml }], values.force === true, 'profile');

  const tty = !!io.stderr.isTTY && !values.quiet && !values.json;
  let step = '';
  // Connections resolved as for run and preview (project file next to the pipeline, or --project).
  const context = await engineContext(loaded.pipeline, path.dirname(abs), values);
  const handle = startProfile(
    {
      ...context,
      pipeline: loaded.pipeline,
      baseDir: path.dirname(abs),
      nodeId,
      port: values.port,
      mode: values.exact ? 'exact' : 'sample',
      sampleRows,
      sampleMethod: values.random ? 'random' : 'first',
      params: parseParams(values.param),
      options: { threads: parseThreads(values.threads), memoryLimit: parseMemoryLimit(values['memory-limit']) },
    },
    (e) => {
      if (e.type === 'log') step = e.message;
      else if (e.type === 'node_progress' && tty) io.stderr.write(`\r\x1b[2K  … ${step} ${e.percent.toFixed(0)}%`);
    },
  );
  const onSigint = () => handle.cancel();
  process.once('SIGINT', onSigint);
  let result: ProfileResult;
  try {
    result = await handle.done;
  } catch (e) {
    if (e instanceof CaudalError && e.kind === 'cancelled') {
      if (tty) io.stderr.write('\r\x1b[2K');
      io.stderr.write('■ profile cancelled\n');
      return EXIT.cancelled;
    }
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
    if (tty) io.stderr.write('\r\x1b[2K');
  }
  if (values.html) {
    await writeFileAtomic(path.resolve(values.html), renderProfileHtml(result));
    if (!values.quiet && !values.json) io.stderr.write(`profile written to ${path.resolve(values.html)}\n`);
  }
  if (values.json) io.stdout.write(JSON.stringify(result) + '\n');
  else io.stdout.write(formatProfile(result));
  return EXIT.ok;
}

const n = (v: number) => v.toLocaleString('en-US');
/** Text shown in a terminal: control characters escaped (labels.ts escapeControls). */
const safe = (s: string) => escapeControls(s);
/**
 * A value of the column (min, max, a top value) exactly as it is: numbers never rounded, text in
 * quotes (so '', ' ' and 'NULL' differ from each other and from a missing value), nested values
 * as JSON, control characters escaped.
 */
const val = (c: ColumnProfile, v: unknown) => {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') return exactNumber(v);
  if (typeof v === 'object') return escapeControls(valueText(v), false);
  return c.category === 'string' ? quoteText(String(v)) : safe(String(v));
};
/** A computed figure (mean, standard deviation): 10 significant digits, a nonzero figure never 0. */
const fig = (v: unknown) => (v === null || v === undefined ? '—' : typeof v === 'number' ? figureNumber(v) : safe(String(v)));

function formatColumn(c: ColumnProfile): string {
  const lines = [`${safe(c.name)}  ${safe(c.type)}${c.semanticType ? `  (looks like ${c.semanticType.type})` : ''}`];
  lines.push(`    nulls ${n(c.nulls)} (${c.nullPercent.toFixed(2)}%)  distinct ${distinctLabel(c)}${c.min !== undefined ? `  min ${val(c, c.min)}  max ${val(c, c.max)}` : ''}`);
  if (c.nonFinite) lines.push(`    not finite: ${nonFiniteLabel(c)}`);
  const qs = c.quantiles ? quantileTexts(c.quantiles.map((q) => q.value)) : [];
  if (c.mean !== undefined) lines.push(`    mean ${fig(c.mean)}  stddev ${fig(c.stddev)}${c.quantiles ? `  ${c.quantiles.map((q, k) => `p${Math.round(q.p * 100)} ${q.value === null ? '—' : safe(qs[k]!)}`).join('  ')}` : ''}`);
  if (c.lengths) lines.push(`    length ${c.lengths.min}–${c.lengths.max} (mean ${c.lengths.mean.toFixed(1)})`);
  if (c.topValuesSkipped) lines.push(`    top: none, ${c.topValuesSkipped}`);
  if (c.topValues.length) lines.push(`    top${c.topValuesEstimated ? ` (${ESTIMATED_TOP})` : ''}: ${c.topValues.slice(0, 5).map((t) => `${val(c, t.value)} (${n(t.count)})`).join(', ')}`);
  if (c.patterns?.length) lines.push(`    patterns: ${c.patterns.slice(0, 5).map((t) => `${quoteText(String(t.value))} (${n(t.count)})`).join(', ')}`);
  for (const note of c.notes ?? []) lines.push(`    note: ${safe(note)}`);
  return lines.join('\n');
}

export function formatProfile(p: ProfileResult): string {
  const head = `${safe(p.nodeId)}:${safe(p.port)}: ${p.method} — ${n(p.rows)} rows profiled in ${formatMs(p.elapsedMs)}${p.quantiles === 'approximate' ? ' (quantiles estimated: t-digest)' : ''}`;
  return [head, '', ...p.columns.map(formatColumn), ''].join('\n');
}
