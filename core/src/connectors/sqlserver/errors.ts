import { secretEnvName } from '../../secrets/env-store.js';
import { redact } from '../../connections/redact.js';
import { CaudalError, DuckDbFailure, errorMessage, isDuckDbError, type ProblemCode } from '../../util/errors.js';
import type { ReadSpec, WriteSpec } from '../connector.js';

export interface ErrorContext {
  nodeId: string;
  connection: string;
  spec?: ReadSpec | WriteSpec;
  password?: string;
}

function where(spec: ReadSpec | WriteSpec | undefined): string {
  const t = spec && 'table' in spec ? spec.table : undefined;
  return t ? `table [${t.schema}].[${t.name}]` : 'the query';
}

const isQuery = (spec: ReadSpec | WriteSpec | undefined) => Boolean(spec && 'query' in spec && spec.query);

/**
 * A SQL Server failure in the words of the node that hit it. The server's error number (`number`,
 * e.g. 208 invalid object) decides the advice; the driver's code (ELOGIN, ESOCKET, …) covers the
 * connection. Never contains the password.
 */
export function explainSqlServerError(e: unknown, ctx: ErrorContext): CaudalError {
  // DuckDB's own error (an upstream value that does not convert): the engine names the node and column.
  if (isDuckDbError(e)) return new DuckDbFailure(e, ctx.nodeId || undefined);
  if (e instanceof CaudalError && (e.kind === 'cancelled' || e.nodeId)) return e;
  const safe = redact(e, [ctx.password]);
  const err = e as { number?: number; code?: string; originalError?: { code?: string } };
  const number = err?.number;
  const code = err?.code ?? err?.originalError?.code;
  const prefix = `node '${ctx.nodeId}' (connection '${ctx.connection}')`;
  // The connector's own words (no driver code or server number): not something SQL Server said.
  if (e instanceof CaudalError && code === undefined && number === undefined) {
    return new CaudalError(e.kind, `${prefix}: ${safe.message}`, { nodeId: ctx.nodeId, column: e.column, hint: e.hint, cause: e });
  }
  const problem = (pc: ProblemCode, field: string, message: string, hint?: string, col?: string) =>
    new CaudalError('validation', message, { nodeId: ctx.nodeId, hint, column: col, problems: [{ code: pc, path: `params.${field}`, message, hint, column: col }] });
  switch (number) {
    case 208:
      return problem('invalid_param', isQuery(ctx.spec) ? 'query' : 'table', `${prefix}: ${where(ctx.spec)} does not exist: ${safe.message}`, 'check the schema and table name, and that the login may see it');
    case 207: {
      const col = /Invalid column name '([^']+)'/.exec(safe.message)?.[1];
      return problem('unknown_column', isQuery(ctx.spec) ? 'query' : 'columns', `${prefix}: ${safe.message} in ${where(ctx.spec)}`, undefined, col);
    }
    case 102:
    case 156:
    case 4145:
    case 8114:
    case 245:
      return problem('invalid_expression', isQuery(ctx.spec) ? 'query' : 'filters', `${prefix}: ${safe.message}`);
    case 18456:
    case 18452:
      return new CaudalError('io', `${prefix}: login failed: ${safe.message}`, {
        nodeId: ctx.nodeId,
        hint: `store the password with \`caudal connections add ${ctx.connection}\` or set ${secretEnvName(ctx.connection, 'password')}`,
      });
    case 4060:
      return new CaudalError('io', `${prefix}: cannot open the database: ${safe.message}`, { nodeId: ctx.nodeId, hint: 'check the database name and that the login has access to it' });
    case 2627:
    case 2601:
      return new CaudalError('execution', `${prefix}: a row breaks a unique key of ${where(ctx.spec)}: ${safe.message}`, { nodeId: ctx.nodeId, hint: 'nothing was written; dedupe the data, or use mode "upsert" on those keys' });
    case 547:
      return new CaudalError('execution', `${prefix}: a row breaks a constraint of ${where(ctx.spec)}: ${safe.message}`, { nodeId: ctx.nodeId, hint: 'nothing was written; fix the rows the constraint names' });
    case 515:
      return new CaudalError('execution', `${prefix}: a NULL goes into a NOT NULL column of ${where(ctx.spec)}: ${safe.message}`, { nodeId: ctx.nodeId, hint: 'nothing was written; fill the column before the sink' });
    case 2628:
    case 8152:
      return new CaudalError('execution', `${prefix}: a value is too long for its column in ${where(ctx.spec)}: ${safe.message}`, { nodeId: ctx.nodeId, hint: 'nothing was written; widen the column or shorten the values' });
    case 1205:
      return new CaudalError('execution', `${prefix}: chosen as a deadlock victim: ${safe.message}`, { nodeId: ctx.nodeId, hint: 'nothing was written; run again' });
    // Permission denied on an object or a column, CREATE TABLE denied, a table that cannot be
    // dropped or truncated by this login.
    case 229:
    case 230:
    case 262:
    case 3701:
    case 1088:
      return new CaudalError('execution', `${prefix}: the login may not do this on ${where(ctx.spec)}: ${safe.message}`, { nodeId: ctx.nodeId, hint: privilegeHint(ctx.spec) });
    case 3726:
    case 3729:
      return new CaudalError('execution', `${prefix}: cannot replace ${where(ctx.spec)}: ${safe.message}`, { nodeId: ctx.nodeId, hint: 'mode "replace" recreates the table; use "truncate_insert" to keep it (and what depends on it)' });
    default:
      break;
  }
  const load = Boolean(ctx.spec && 'mode' in ctx.spec);
  if (statementTimedOut(e)) {
    return new CaudalError('io', `${prefix}: ${load ? 'a statement of the load' : 'the statement'} ran longer than the connection's request_timeout_s allows: ${safe.message}`, {
      nodeId: ctx.nodeId,
      hint: `${load ? 'nothing was written; ' : ''}raise request_timeout_s of connection '${ctx.connection}' (0 lets statements run as long as they need)`,
    });
  }
  if (connectionLost(e)) {
    const after = load ? 'the load\'s transaction ends with the session and the server rolls it back, so nothing was written: run again' : 'run again';
    return new CaudalError('io', `${prefix}: the connection to the server was lost: ${safe.message}`, {
      nodeId: ctx.nodeId,
      hint: `the server ended the session (an administrator, a restart or a failover) or the network dropped the connection; ${after}`,
    });
  }
  switch (code) {
    case 'ELOGIN':
      return new CaudalError('io', `${prefix}: login failed: ${safe.message}`, { nodeId: ctx.nodeId, hint: `check the user and password (\`caudal connections test ${ctx.connection}\`)` });
    case 'ETIMEOUT':
      return new CaudalError('io', `${prefix}: cannot reach the server: ${safe.message}`, {
        nodeId: ctx.nodeId,
        hint: `check host, port or instance with \`caudal connections test ${ctx.connection}\`; a server that is slow to accept connections needs a longer connect_timeout_s`,
      });
    case 'ESOCKET':
    case 'EINSTLOOKUP':
      return new CaudalError('io', `${prefix}: cannot reach the server: ${safe.message}`, {
        nodeId: ctx.nodeId,
        hint: `check host, port or instance, and encrypt/trust_server_certificate, with \`caudal connections test ${ctx.connection}\``,
      });
    default:
      return new CaudalError('execution', `${prefix}: SQL Server said: ${safe.message}`, { nodeId: ctx.nodeId });
  }
}

const codeOf = (e: unknown): string | undefined => {
  const err = e as { code?: unknown; originalError?: { code?: unknown } } | undefined;
  const code = err?.code ?? err?.originalError?.code;
  return typeof code === 'string' ? code : undefined;
};

/**
 * A connection that broke after it was made, under a statement or between two: the socket was
 * reset or closed (ESOCKET "Connection lost", ECLOSE), or the driver found it gone (ECONNCLOSED,
 * EINVALIDSTATE), or a statement it cancelled never ended. Not "cannot reach the server": it was
 * reached, and host or port are not what to check.
 */
export function connectionLost(e: unknown): boolean {
  const code = codeOf(e);
  const message = errorMessage(e);
  switch (code) {
    case 'ECLOSE':
    case 'ECONNCLOSED':
    case 'EINVALIDSTATE':
    case 'ECONNRESET':
    case 'EPIPE':
      return true;
    case 'ESOCKET':
      return !/Failed to connect/i.test(message);
    case 'ETIMEOUT':
      // The server did not answer the cancel of a statement (tedious then ends the connection).
      return /Failed to cancel request/i.test(message);
    default:
      return false;
  }
}

/** A statement that ran past the connection's request_timeout_s (the driver cancelled it). */
export function statementTimedOut(e: unknown): boolean {
  return codeOf(e) === 'ETIMEOUT' && /Request failed to complete/i.test(errorMessage(e));
}

/**
 * A read that stopped midway, said as such with what to do (undefined for other errors): the
 * connection lost, or request_timeout_s reached, after `rows` rows. Nothing was written (the rows
 * wait in the run's temp folder, which goes with the run), so running again is safe.
 */
export function readStopped(e: unknown, read: { rows: number; incremental: boolean }, ctx: ErrorContext): CaudalError | undefined {
  const said = redact(e, [ctx.password]).message;
  const where = `node '${ctx.nodeId}' (connection '${ctx.connection}')`;
  const after = `after ${read.rows.toLocaleString('en-US')} rows`;
  const rest = `nothing was written${read.incremental ? ' and the watermark did not move' : ''}: run again`;
  if (statementTimedOut(e)) {
    return new CaudalError('io', `${where}: the read ran longer than the connection's request_timeout_s allows and was cancelled ${after}: ${said}`, {
      nodeId: ctx.nodeId,
      hint: `raise request_timeout_s of connection '${ctx.connection}' (0 lets a read run as long as it needs), or read less at a time (filters, an incremental read); ${rest}`,
    });
  }
  if (connectionLost(e)) {
    return new CaudalError('io', `${where}: the connection to the server was lost ${after} of the read: ${said}`, {
      nodeId: ctx.nodeId,
      hint: `the server ended the session (an administrator, a restart or a failover) or the network dropped the connection; ${rest}`,
    });
  }
  return undefined;
}

/** What a SQL Server login needs for the node's work, by what it does. */
function privilegeHint(spec: ReadSpec | WriteSpec | undefined): string {
  const grant = "grant it to the connection's login (GRANT … TO <user>), or connect as a login that has it";
  if (!spec || !('mode' in spec)) return `reading needs SELECT on the table: ${grant}`;
  switch (spec.mode) {
    case 'replace':
      return `mode "replace" drops the table and creates it anew, which needs ALTER on its schema and CREATE TABLE in the database: ${grant}, or use "truncate_insert" (needs ALTER and INSERT on the table) or "append"`;
    case 'truncate_insert':
      return `mode "truncate_insert" empties the table first, which needs ALTER on the table besides INSERT: ${grant}, or use "append"`;
    case 'upsert':
      return `mode "upsert" needs SELECT, INSERT and UPDATE on the table (and DELETE with a delete flag): ${grant}`;
    default:
      return `mode "append" needs INSERT on the table (and CREATE TABLE in the database with ALTER on the schema when the table is created): ${grant}`;
  }
}
