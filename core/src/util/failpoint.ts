/**
 * Crash-test hook: with CAUDAL_FAILPOINT=<name> the process kills itself (SIGKILL, no cleanup) at
 * that point, so tests can check what recovery makes of a real crash there. The commit protocol's
 * points are in engine/commit/protocol.ts; connectors name their own (e.g. `after-pg-prepare`).
 */
export function failpoint(name: string): void {
  if (process.env.CAUDAL_FAILPOINT === name) process.kill(process.pid, 'SIGKILL');
}
