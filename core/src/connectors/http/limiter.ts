/**
 * At most `concurrency` calls in flight and, with `perSecond`, call starts spaced at least
 * 1/perSecond apart (a smooth client-side rate limit rather than bursts at window edges). After
 * `holdUntil(t)` no call starts before t (a server's 429 or Retry-After holds every request of the
 * client, also those already queued, not only the one retried).
 */
export class RequestLimiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private nextStart = 0;
  private notBefore = 0;

  constructor(
    private readonly concurrency: number,
    private readonly perSecond?: number,
  ) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      for (let now = Date.now(); now < this.notBefore; now = Date.now()) await new Promise((r) => setTimeout(r, this.notBefore - now));
      if (this.perSecond) {
        const now = Date.now();
        const at = Math.max(now, this.nextStart);
        this.nextStart = at + 1000 / this.perSecond;
        if (at > now) await new Promise((r) => setTimeout(r, at - now));
      }
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }

  holdUntil(at: number): void {
    this.notBefore = Math.max(this.notBefore, at);
  }
}
