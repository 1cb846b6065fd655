/**
 * Undo history of document snapshots (documents are immutable, so a snapshot is a reference).
 * Changes that carry the same gesture key while that gesture is open merge into one entry: a drag,
 * typing in one field, a multi-node paste. View state and results never come here.
 */
export interface RecordOptions {
  /** Changes with the same key merge into one undo step while they follow each other. */
  gesture?: string;
  /** Merge only when the previous change of this gesture is at most this old (typing bursts). */
  windowMs?: number;
  now?: number;
}

interface Entry<T> {
  before: T;
  gesture?: string;
  at: number;
}

export class History<T> {
  private past: Entry<T>[] = [];
  private future: T[] = [];

  constructor(private readonly limit = 500) {}

  /** Call with the state as it was before a change. */
  record(before: T, opts: RecordOptions = {}): void {
    const now = opts.now ?? Date.now();
    const last = this.past[this.past.length - 1];
    this.future = [];
    if (
      last &&
      opts.gesture !== undefined &&
      last.gesture === opts.gesture &&
      (opts.windowMs === undefined || now - last.at <= opts.windowMs)
    ) {
      last.at = now; // same gesture: keep the state from before the gesture began
      return;
    }
    this.past.push({ before, gesture: opts.gesture, at: now });
    if (this.past.length > this.limit) this.past.shift();
  }

  /** Closes the open gesture so the next change starts a new undo step even with the same key. */
  seal(): void {
    const last = this.past[this.past.length - 1];
    if (last) last.gesture = undefined;
  }

  undo(current: T): T | undefined {
    const entry = this.past.pop();
    if (!entry) return undefined;
    this.future.push(current);
    return entry.before;
  }

  redo(current: T): T | undefined {
    const next = this.future.pop();
    if (next === undefined) return undefined;
    this.past.push({ before: current, at: 0 });
    return next;
  }

  get canUndo(): boolean {
    return this.past.length > 0;
  }

  get canRedo(): boolean {
    return this.future.length > 0;
  }

  clear(): void {
    this.past = [];
    this.future = [];
  }
}
