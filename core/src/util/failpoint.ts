/**
 * Crash-test hook: with CAUDAL_FAILPOINT=<name> the process kills itself (SIGKILL, no cleanup) at
 * that point, so tests can check what recovery makes of a real crash there (with `pause:<name>` it
 * waits there instead; with `crash:<name>` an error nobody catches is thrown there). The commit
 * protocol's points are in engine/commit/protocol.ts; connectors name their own (e.g.
 * `after-pg-prepare`).
 */
export function failpoint(name: string): void {
  const point = process.env.CAUDAL_FAILPOINT;
  if (point === name) process.kill(process.pid, 'SIGKILL');
  // pause:<name>: the thread stops there for three seconds, for tests of what must last across a
  // step (a database session's idle timeout).
  if (point === `pause:${name}`) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3000);
  // crash:<name>: an error nothing catches, thrown once the current step yields (an engine worker
  // thread dies of it, as of a library's stray error), for tests of what is left behind.
  if (point === `crash:${name}`) {
    setImmediate(() => {
      throw new Error(`failpoint crash:${name}`);
    });
  }
}
