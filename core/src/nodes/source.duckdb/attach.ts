import { createHash } from 'node:crypto';
import { ident, stringLiteral } from '../../compiler/sql.js';
import type { Db } from '../../compiler/db.js';
import { CaudalError, errorMessage } from '../../util/errors.js';

/** The alias a read attaches a file under (a sink's own attachment, if any, is reused instead). */
function aliasFor(file: string): string {
  return `caudal_src_${createHash('sha256').update(file).digest('hex').slice(0, 12)}`;
}

/**
 * DuckDB lets one process open a database file for writing, and while it does no other process
 * may open it at all. Its message names the other process; say what that means and what to do.
 */
export function lockError(nodeId: string, file: string, e: unknown): CaudalError | undefined {
  const m = /Could not set lock on file[^:]*: Conflicting lock is held in (.+?) \(PID (\d+)\)/.exec(errorMessage(e));
  if (!m) return undefined;
  return new CaudalError('io', `node '${nodeId}': cannot read ${file}: another process has it open for writing (${m[1]}, PID ${m[2]})`, {
    nodeId,
    hint: 'DuckDB lets one process write a database file at a time, and no other process can read it meanwhile: wait until that process is done (e.g. a run loading this warehouse) or close it (a duckdb shell, a notebook, a BI tool), then try again; or read a copy of the file',
  });
}

/**
 * Runs `read` with the database file attached READ_ONLY, and detaches it afterwards so the file is
 * not held for the rest of the run (a sink of the same run, or another program, may need it).
 * When this run already has the file attached (a sink writing it), that attachment is used.
 */
export async function withAttached<T>(db: Db, file: string, nodeId: string, read: (catalog: string) => Promise<T>): Promise<T> {
  const [existing] = await db.rows('SELECT database_name AS name FROM duckdb_databases() WHERE path = ?', [file]);
  if (existing) return read(String(existing.name));
  const alias = aliasFor(file);
  try {
    await db.run(`ATTACH ${stringLiteral(file)} AS ${ident(alias)} (READ_ONLY)`);
  } catch (e) {
    throw lockError(nodeId, file, e) ?? new CaudalError('io', `node '${nodeId}': cannot open ${file} as a DuckDB database: ${errorMessage(e)}`, { nodeId, hint: 'the file must be a DuckDB database (e.g. one sink.duckdb wrote)' });
  }
  try {
    return await read(alias);
  } finally {
    await db.run(`DETACH DATABASE IF EXISTS ${ident(alias)}`).catch(() => undefined);
  }
}
