/** The one HostClient the renderer talks to; main.tsx installs it (tests install a fake). */
import type { HostClient } from '../../core/src/host-api/contract.js';

let current: HostClient | null = null;

export function setHost(client: HostClient): void {
  current = client;
}

export function host(): HostClient {
  if (!current) throw new Error('The studio is not connected to a Caudal host yet.');
  return current;
}

/** The message to show for a failed host call (HostCallError carries the host's structured error). */
export function errorText(e: unknown): string {
  if (e && typeof e === 'object' && 'error' in e) {
    const err = (e as { error: { message: string; hint?: string } }).error;
    return err.hint ? `${err.message} (${err.hint})` : err.message;
  }
  return e instanceof Error ? e.message : String(e);
}
