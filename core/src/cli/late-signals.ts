/**
 * After a command has finished because of a signal, further signals (the second Ctrl-C pressed just
 * as the cancel completes) must end the process with the command's own exit code instead of killing
 * it by the default action. Node's shutdown, once the event loop is empty, puts the default action
 * back while it tears down DuckDB and the worker threads (tens of milliseconds), so the process
 * leaves through process.exit as soon as nothing is left to do. Call this only once the command's
 * cleanup is complete: a later signal exits at once.
 */
export function exitCleanlyOnLateSignals(fallbackCode: number): void {
  const exitNow = () => process.exit(process.exitCode ?? fallbackCode);
  process.on('SIGINT', exitNow);
  process.on('SIGTERM', exitNow);
  process.once('beforeExit', exitNow);
}
