import { PassThrough } from 'node:stream';
import { ProgressPrinter } from '../../core/src/cli/progress.js';
import type { RunEvent } from '../../core/src/engine/protocol.js';

/** The lines `caudal run` prints for these events (not a TTY: one line per finished node or batch). */
export function printedLines(events: RunEvent[]): string[] {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  const printer = new ProgressPrinter(out as unknown as NodeJS.WriteStream, false);
  for (const e of events) printer.handle(e);
  return text.split('\n').filter((l) => l.length > 0);
}
