/** Limits for retrying transient failures (a server restarting, a full connection pool). */
export interface RetryPolicy {
  attempts: number;
  /** Delay before the second attempt; doubles each time, with jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 250, maxDelayMs: 4_000 };

/**
 * Runs `fn` until it succeeds, fails with an error `isTransient` rejects, or runs out of attempts.
 * Only for steps that are safe to repeat (connecting), never for half-done writes.
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  isTransient: (e: unknown) => boolean,
  policy: RetryPolicy = DEFAULT_RETRY,
  onRetry?: (e: unknown, attempt: number, delayMs: number) => void,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (attempt >= policy.attempts || !isTransient(e)) throw e;
      const delay = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)) * (0.75 + Math.random() * 0.5);
      onRetry?.(e, attempt, delay);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
