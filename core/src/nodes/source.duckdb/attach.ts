import { createHash } from 'node:crypto';
import { ident, stringLiteral } from '../../compiler/sql.js';
import type { Db } from '../../compiler/db.js';
import { CaudalError, errorMessage } from '../../util/errors.js';
import { duckdbLockError } from '../shared/duckdb-lock.js';

/** The alias a read attaches a file under (a sink's own attachment, if any, is reused instead). */
function aliasFor(file: string): string {
  return `caudal_src_${createHash('sha256').update(file).digest('hex').slice(0, 12)}`;
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
    throw duckdbLockError(nodeId, file, e, 'read') ?? new CaudalError('io', `node '${nodeId}': cannot open ${file} as a DuckDB database: ${errorMessage(e)}`, { nodeId, hint: 'the file must be a DuckDB database (e.g. one sink.duckdb wrote)' });
  }
  try {
    return await read(alias);
  } finally {
    await db.run(`DETACH DATABASE IF EXISTS ${ident(alias)}`).catch(() => undefined);
  }
}
