import type { RunEvent } from '../engine/protocol.js';
import { formatCount, formatMs, formatProblems } from './format.js';
import { describeFailure } from '../quality/messages.js';

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

  handle(e: RunEvent): void {
    if (this.quiet) {
      if (e.type === 'log' && e.level === 'error') this.print(`error: ${e.message}`);
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
      case 'node_finished': {
        const mark = e.status === 'ok' ? '✓' : e.status === 'cancelled' ? '■' : '✗';
        // Fused nodes run inside a downstream query; their rows are not counted (see --metrics).
        const rows = e.rowsOut === null ? (e.status === 'ok' ? ' (fused)' : '') : ` ${formatCount(e.rowsOut)} rows`;
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
        } else if (s.status === 'cancelled') {
          this.print(`■ cancelled after ${formatMs(s.elapsedMs)}; no destination was changed`);
        } else if (s.error?.problems?.length) {
          // Problems found before anything ran: listed with their paths and hints, as validate does.
          const n = s.error.problems.length;
          this.print(`✘ failed after ${formatMs(s.elapsedMs)}: ${n} problem${n === 1 ? '' : 's'} in the pipeline`);
          this.print(formatProblems(s.error.problems));
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
