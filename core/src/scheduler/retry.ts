import type { Retries } from './project.js';

/** Wait before attempt `failedAttempt + 1`: delay × backoff^(failedAttempt − 1), capped. */
export function retryDelayMs(r: Retries, failedAttempt: number): number {
  return Math.min(r.max_delay_s, r.delay_s * r.backoff ** (failedAttempt - 1)) * 1000;
}
