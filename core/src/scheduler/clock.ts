/**
 * Time as the scheduler sees it: the system clock in production, a manual one in tests (cron edge
 * cases, retries and timeouts are checked without waiting). Timers take absolute times so a fake
 * clock can fire them in order as it advances.
 */
export interface Clock {
  now(): number;
  /** Calls `fn` once the clock reaches `at` (at once when it is already past). */
  at(at: number, fn: () => void): Timer;
}

export interface Timer {
  cancel(): void;
}

/** setTimeout caps delays at about 24.8 days; the scheduler wakes at least every minute anyway. */
const MAX_DELAY_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  at(at, fn) {
    let handle: NodeJS.Timeout;
    const arm = () => {
      const delay = at - Date.now();
      handle = delay > MAX_DELAY_MS ? setTimeout(arm, MAX_DELAY_MS) : setTimeout(fn, Math.max(0, delay));
    };
    arm();
    return { cancel: () => clearTimeout(handle) };
  },
};

/** A clock that moves only when told to (tests, benchmarks). */
export class ManualClock implements Clock {
  private timers: Array<{ at: number; fn: () => void; seq: number; cancelled: boolean }> = [];
  private seq = 0;

  /** Awaited after each timer fires (tests set it to the scheduler's `idle`). */
  settle: () => Promise<void> = flush;

  constructor(private t: number) {}

  now(): number {
    return this.t;
  }

  at(at: number, fn: () => void): Timer {
    const timer = { at, fn, seq: this.seq++, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => void (timer.cancelled = true) };
  }

  /** Moves to `to`, firing every timer due on the way in time order (with `settle` after each, for async work). */
  async advanceTo(to: number): Promise<void> {
    for (;;) {
      this.timers = this.timers.filter((x) => !x.cancelled);
      const due = this.timers.filter((x) => x.at <= to).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers.splice(this.timers.indexOf(due), 1);
      this.t = Math.max(this.t, due.at);
      due.fn();
      await this.settle();
    }
    this.t = Math.max(this.t, to);
    await this.settle();
  }

  advance(ms: number): Promise<void> {
    return this.advanceTo(this.t + ms);
  }

  /** When the next timer fires, or null. */
  nextTimer(): number | null {
    const live = this.timers.filter((x) => !x.cancelled);
    return live.length === 0 ? null : Math.min(...live.map((x) => x.at));
  }
}

/** Lets pending promise callbacks and file I/O of the scheduler finish. */
async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}
