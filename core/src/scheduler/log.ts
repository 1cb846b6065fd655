import { appendFileSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

export type LogLevel = 'info' | 'warn' | 'error';

/** One scheduler log line: what happened, to which job and run, in words and as fields. */
export interface LogEntry {
  at: string;
  level: LogLevel;
  /** Stable name, e.g. run_started, run_finished, slot_skipped, retry_scheduled, alert_failed. */
  event: string;
  message: string;
  job?: string;
  runId?: string;
  [field: string]: unknown;
}

export type LogSink = (entry: LogEntry) => void;

/**
 * A size-rotated JSON-lines file (`scheduler.log`, then `.1` newest … `.<keep>`): structured logs
 * a log shipper (Vector, Fluent Bit, Filebeat) can tail. Written synchronously line by line: the
 * scheduler logs a few lines per run, and a line must be on disk before a crash.
 */
export class RotatingFile {
  private size: number;
  constructor(
    readonly file: string,
    private readonly maxBytes: number,
    private readonly keep: number,
  ) {
    mkdirSync(path.dirname(file), { recursive: true });
    this.size = fileSize(file);
  }

  write(line: string): void {
    const bytes = Buffer.byteLength(line);
    if (this.size > 0 && this.size + bytes > this.maxBytes) this.rotate();
    try {
      appendFileSync(this.file, line);
    } catch (e) {
      // Its folder deleted while the scheduler runs (a `rm -rf .caudal`, a cleanup job): made again,
      // or every later line would be lost.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      mkdirSync(path.dirname(this.file), { recursive: true });
      this.size = 0;
      appendFileSync(this.file, line);
    }
    this.size += bytes;
  }

  private rotate(): void {
    rmSync(`${this.file}.${this.keep}`, { force: true });
    for (let i = this.keep - 1; i >= 1; i--) {
      try {
        renameSync(`${this.file}.${i}`, `${this.file}.${i + 1}`);
      } catch {
        // a gap in the numbering: nothing to move
      }
    }
    if (this.keep > 0) {
      try {
        renameSync(this.file, `${this.file}.1`);
      } catch {
        // gone (its folder deleted): the next line starts a new one
      }
    }
    else rmSync(this.file, { force: true });
    this.size = 0;
  }
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** Human lines for a terminal or journald: `2026-03-29T06:00:00Z info  [orders] run started (run …)`. */
export function textLine(e: LogEntry): string {
  const who = e.job ? ` [${e.job}]` : '';
  return `${e.at} ${e.level.padEnd(5)}${who} ${e.message}\n`;
}

export function jsonLine(e: LogEntry): string {
  return JSON.stringify(e) + '\n';
}
