import type { Sessions } from '../nodes/define.js';
import { errorMessage } from '../util/errors.js';

/**
 * Open connections of streaming sources and sinks for one run or one `--watch` session (HookIo.sessions):
 * a Kafka consumer, a RabbitMQ channel, a replication stream. Opened on first use, kept across
 * batches, closed together at the end (in reverse order of opening), failures reported, not thrown.
 */
export class SessionCache implements Sessions {
  private readonly open = new Map<string, { value: Promise<unknown>; close: (value: never) => Promise<void> }>();

  async get<T>(key: string, open: () => Promise<T>, close: (value: T) => Promise<void>): Promise<T> {
    const known = this.open.get(key);
    if (known) return known.value as Promise<T>;
    const value = open();
    this.open.set(key, { value, close: close as (value: never) => Promise<void> });
    try {
      return await value;
    } catch (e) {
      this.open.delete(key);
      throw e;
    }
  }

  /** Drops one session (e.g. its connection broke) so that the next get() opens a new one. */
  async drop(key: string): Promise<void> {
    const s = this.open.get(key);
    if (!s) return;
    this.open.delete(key);
    await s.close((await s.value.catch(() => undefined)) as never).catch(() => undefined);
  }

  async closeAll(): Promise<string[]> {
    const warnings: string[] = [];
    for (const [key, s] of [...this.open.entries()].reverse()) {
      try {
        await s.close((await s.value) as never);
      } catch (e) {
        warnings.push(`closing ${key}: ${errorMessage(e)}`);
      }
    }
    this.open.clear();
    return warnings;
  }
}
