import { afterAll } from 'vitest';

/**
 * Cleanup that runs when the current test file has finished, whenever it was asked for. Vitest
 * takes hooks only while it collects a file, so an `afterAll` called after an `await` (in a helper
 * that first creates a folder, a schema or a server), or inside a test, was silently dropped and
 * the thing stayed behind. This module registers one `afterAll` when a test file first imports it
 * (each file gets its own copy of the module), and runs the tasks given to it in reverse order.
 */
const tasks: Array<() => unknown> = [];

afterAll(async () => {
  const errors: unknown[] = [];
  for (const task of tasks.splice(0).reverse()) {
    try {
      await task();
    } catch (e) {
      errors.push(e);
    }
  }
  if (errors.length > 0) throw new AggregateError(errors, `${errors.length} cleanup task(s) failed`);
});

export function afterFile(task: () => unknown): void {
  tasks.push(task);
}
