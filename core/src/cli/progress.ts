import type { RunEvent } from '../engine/protocol.js';
import { formatCount, formatMs, formatProblems } from './format.js';
import { describeFailure } from '../quality/messages.js';
import type { Problem } from '../util/errors.js';

/** The status an HTTP server answered with, as a failed request's message says it (`… failed after 3 attempts: HTTP 503 …`). */
const ANSWERED = /\bfailed(?: after \d+ attempts)?: HTTP (\d{3})\b/;

/**
 * The servers behind `unavailable` problems, in words: one that gave no answer could not be
 * reached; one that answered (a 503, a 429: its message names the status) did answer, and saying
 * "could not reach" sent users looking at the network instead of at the server.
 */
function unavailableServers(problems: readonly Problem[]): string {
  const statuses = [...new Set(problems.map((p) => ANSWERED.exec(p.message)?.[1]).filter((x): x is string => x !== undefined))];
  const servers = problems.length === 1 ? 'a server' : 'servers';
  if (statuses.length === 0) {
    // A DuckDB database another process holds open is a file, not a server (duckdb-lock.ts).
    const files = problems.filter((p) => /\.params\.database$/.test(p.path)).length;
    if (files === problems.length) return `could not open ${files === 1 ? 'a database file' : 'database files'} the pipeline reads while planning`;
    return `could not reach ${servers}${files > 0 ? ' or open database files' : ''} the pipeline reads while planning`;
  }
  const answered = `answered with an error (${statuses.map((x) => `HTTP ${x}`).join(', ')})`;
  const all = problems.every((p) => ANSWERED.test(p.message));
  return all ? `${servers} the pipeline reads while planning ${answered}` : `servers the pipeline reads while planning could not be reached or ${answered}`;
}

/**
 * Human output for `caudal run`. On a TTY the current node's progress redraws one line;
 * otherwise each finished node prints one line, so logs stay readable in CI.
 */
export class ProgressPrinter {
  private liveLine = false;
  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly quiet: boolean,
  ) {}

  private get tty(): boolean {
    return !!this.out.isTTY;
  }

  private clear(): void {
    if (this.liveLine) {
      this.out.write('\r\x1b[2K');
      this.liveLine = false;
    }
  }

  private print(line: string): void {
    this.clear();
    this.out.write(line + '\n');
  }

  /** Inside a --watch run (one line per batch). */
  private watching = false;
  /** The failed batch whose error was printed under its line: the run's end then points to it. */
  private failedBatch?: { batch: number; message: string };

  handle(e: RunEvent): void {
    if (this.quiet) {
      // The error itself comes as a log line; its hint only with the run's summary.
      if (e.type === 'log' && e.level === 'error') this.print(`error: ${e.message}`);
      if (e.type === 'run_finished' && e.summary.error?.hint) this.print(`  hint: ${e.summary.error.hint}`);
      return;
    }
    switch (e.type) {
      case 'run_started':
        this.print(`▶ ${e.pipeline}: ${e.nodes} nodes (run ${e.runId})`);
        break;
      case 'node_started':
        if (this.tty) {
          this.clear();
          this.out.write(`  … ${e.nodeId} (${e.nodeType})`);
          this.liveLine = true;
        }
        break;
      case 'node_progress':
        if (this.tty) {
          this.clear();
          const pct = e.percent >= 0 ? ` ${e.percent.toFixed(0)}%` : '';
          this.out.write(`  … ${e.nodeId}${pct} (${formatCount(e.rowsProcessed)} rows read)`);
          this.liveLine = true;
        }
        break;
      case 'batch_started':
        this.watching = true;
        break;
      case 'batch_finished': {
        const b = e.summary;
        // A batch's rows reached its destinations only if its sinks committed: a failed or stopped
        // batch that did not has staged counts only, which would read as written.
        const wrote = b.status === 'succeeded' || b.reachedDestinations === true;
        const out = wrote ? b.outputs.map((o) => `${formatCount(o.rows)} → ${o.nodeId}`).join(', ') : 'nothing written';
        const mark = b.status === 'succeeded' ? '✓' : b.status === 'cancelled' ? '■' : '✗';
        this.print(`  ${mark} batch ${b.batch}: ${formatCount(b.rowsIn)} rows read${out ? `, ${out}` : ''} in ${formatMs(b.latencyMs)}${b.lag !== undefined ? `, lag ${formatCount(b.lag)}` : ''}`);
        // Why this batch failed, under its own line: it may have reached the destinations (its source
        // could not acknowledge it), which the run's last line alone would not tell apart.
        if (b.status === 'failed' && b.error) {
          for (const line of b.error.message.split('\n')) this.print(`      ${line}`);
          if (b.error.hint) this.print(`      hint: ${b.error.hint}`);
          this.failedBatch = { batch: b.batch, message: b.error.message };
        }
        break;
      }
      case 'node_finished': {
        // A --watch run prints one line per batch instead.
        if (this.watching && e.status === 'ok') break;
        const mark = e.status === 'ok' ? '✓' : e.status === 'cancelled' ? '■' : '✗';
        // Fused nodes run inside a downstream query; their rows are not counted (see --metrics).
        // A sink's rows are staged here: they reach the destination only when the run commits (→ lines).
        const staged = e.nodeType.startsWith('sink.') && e.status === 'ok' ? ' staged' : '';
        const rows = e.rowsOut === null ? (e.status === 'ok' ? ' (fused)' : '') : ` ${formatCount(e.rowsOut)} rows${staged}`;
        this.print(`  ${mark} ${e.nodeId.padEnd(20)} ${e.nodeType.padEnd(18)}${rows} ${formatMs(e.elapsedMs)}`);
        if (e.metrics && Object.keys(e.metrics).length > 0)
          this.print(`      ${Object.entries(e.metrics).map(([k, v]) => `${k}=${formatCount(v)}`).join('  ')}`);
        break;
      }
      case 'quality_result': {
        const r = e.result;
        this.print(`  ◆ ${e.nodeId}: quality score ${r.score.toFixed(1)}% (${r.checks.filter((c) => c.passed).length} of ${r.checks.length} checks passed)`);
        for (const c of r.checks) if (!c.passed && c.severity === 'error') this.print(`      ✗ ${describeFailure(c)}`);
        break;
      }
      case 'warning':
        this.print(`  ! ${e.nodeId ? `${e.nodeId}: ` : ''}${e.message}`);
        break;
      case 'log':
        if (e.level === 'warn') this.print(`  ${e.level === 'warn' ? '!' : '·'} ${e.nodeId ? `${e.nodeId}: ` : ''}${e.message}`);
        break;
      case 'run_finished': {
        const s = e.summary;
        if (s.status === 'succeeded') {
          for (const o of s.outputs) this.print(`  → ${o.target} (${formatCount(o.rows)} rows)`);
          this.print(`✔ succeeded in ${formatMs(s.elapsedMs)}`);
        } else if (s.status === 'cancelled' && s.batches) {
          for (const o of s.outputs) this.print(`  → ${o.target} (${formatCount(o.rows)} rows)`);
          this.print(`■ stopped after ${formatMs(s.elapsedMs)}: ${s.error?.message ?? ''}`);
        } else if (s.status === 'cancelled') {
          this.print(`■ cancelled after ${formatMs(s.elapsedMs)}; no destination was changed`);
        } else if (s.error?.problems?.length) {
          // Problems found before anything ran: listed with their paths and hints, as validate does.
          // A server that could not be reached, or answered that it is down, is not a problem of the pipeline file.
          const n = s.error.problems.length;
          const unavailable = s.error.problems.every((p) => p.code === 'unavailable');
          this.print(`✘ failed after ${formatMs(s.elapsedMs)}: ${unavailable ? unavailableServers(s.error.problems) : `${n} problem${n === 1 ? '' : 's'} in the pipeline`}`);
          this.print(formatProblems(s.error.problems));
        } else if (s.batches && s.error && this.failedBatch?.message === s.error.message) {
          const n = s.batches.committed;
          this.print(`✘ failed after ${formatMs(s.elapsedMs)} at batch ${this.failedBatch.batch} (above); ${n} batch${n === 1 ? '' : 'es'} reached the destinations`);
        } else {
          this.print(`✘ failed after ${formatMs(s.elapsedMs)}: ${s.error?.message ?? 'unknown error'}`);
          if (s.error?.hint) this.print(`  hint: ${s.error.hint}`);
        }
        if (s.quality?.artifacts) this.print(`  quality score ${s.quality.score.toFixed(1)}%, report: ${s.quality.artifacts.html}`);
        break;
      }
    }
  }
}
