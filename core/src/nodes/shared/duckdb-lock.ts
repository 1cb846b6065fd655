import { CaudalError, errorMessage } from '../../util/errors.js';

/**
 * DuckDB lets one process open a database file for writing, and while it does no other process
 * may open it at all (nor write it while others read it). Its message names the other process;
 * say what that means and what to do, for the node that reads or writes the file.
 */
export function duckdbLockError(nodeId: string, file: string, e: unknown, action: 'read' | 'write'): CaudalError | undefined {
  const m = /Could not set lock on file[^:]*: Conflicting lock is held in (.+?) \(PID (\d+)\)/.exec(errorMessage(e));
  if (!m) return undefined;
  const holder = `${m[1]}, PID ${m[2]}`;
  if (action === 'read') {
    const message = `node '${nodeId}': cannot read ${file}: another process has it open for writing (${holder})`;
    const hint = 'DuckDB lets one process write a database file at a time, and no other process can read it meanwhile: wait until that process is done (e.g. a run loading this warehouse) or close it (a duckdb shell, a notebook, a BI tool), then try again; or read a copy of the file';
    // Unavailable while planning, as a server down is (exit 1, not an invalid pipeline), at the
    // database param: the run's headline then names a file, not "a server".
    return new CaudalError('io', message, { nodeId, hint, problems: [{ code: 'unavailable', path: 'params.database', nodeId, message, hint }] });
  }
  return new CaudalError('io', `node '${nodeId}': cannot write ${file}: another process has it open (${holder})`, {
    nodeId,
    hint: 'DuckDB lets a database file be written only while no other process has it open: close it there (a duckdb shell, a notebook, a BI tool such as DBeaver) or wait until that process is done (e.g. another run), then run again',
  });
}
