import { redact } from '../../connections/redact.js';
import { CaudalError, DuckDbFailure, isDuckDbError, type ProblemCode } from '../../util/errors.js';
import type { ReadSpec, WriteSpec } from '../connector.js';

interface PgErrorContext {
  nodeId: string;
  connection: string;
  spec?: ReadSpec | WriteSpec;
  password?: string;
}

function where(spec: ReadSpec | WriteSpec | undefined): string {
  const t = spec && 'table' in spec ? spec.table : undefined;
  return t ? `table "${t.schema}"."${t.name}"` : 'the query';
}

/**
 * A PostgreSQL failure in the words of the node that hit it: which node, which connection, which
 * table or column, and what to do. Never contains the password (drivers may echo it).
 */
export function explainPgError(e: unknown, ctx: PgErrorContext): CaudalError {
  // DuckDB's own error (an upstream value that does not convert): the engine names the node and column.
  if (isDuckDbError(e)) return new DuckDbFailure(e, ctx.nodeId || undefined);
  if (e instanceof CaudalError && (e.kind === 'cancelled' || e.nodeId)) return e;
  const safe = redact(e, [ctx.password]);
  const code = (e as { code?: string })?.code;
  const column = (e as { column?: string })?.column;
  const prefix = `node '${ctx.nodeId}' (connection '${ctx.connection}')`;
  const problem = (pc: ProblemCode, field: string, message: string, hint?: string, col?: string) =>
    new CaudalError('validation', message, { nodeId: ctx.nodeId, hint, column: col, problems: [{ code: pc, path: `params.${field}`, message, hint, column: col }] });
  switch (code) {
    case '42P01':
      return problem('invalid_param', 'table', `${prefix}: ${where(ctx.spec)} does not exist: ${safe.message}`, 'check the schema and table name (names are case-sensitive when they were created quoted)');
    case '42703': {
      const col = /column "?([^" ]+)"? does not exist/.exec(safe.message)?.[1] ?? column;
      return problem('unknown_column', ctx.spec && 'query' in ctx.spec && ctx.spec.query ? 'query' : 'columns', `${prefix}: ${safe.message} in ${where(ctx.spec)}`, undefined, col);
    }
    case '42601':
    case '42883':
    case '42804':
    case '22P02':
      return problem('invalid_expression', ctx.spec && 'query' in ctx.spec && ctx.spec.query ? 'query' : 'filters', `${prefix}: ${safe.message}`);
    case '28P01':
    case '28000':
      return new CaudalError('io', `${prefix}: authentication failed: ${safe.message}`, {
        nodeId: ctx.nodeId,
        hint: `store the password with \`caudal connections add ${ctx.connection}\` or set CAUDAL_SECRET_${ctx.connection.toUpperCase()}_PASSWORD`,
      });
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
      return new CaudalError('io', `${prefix}: cannot reach the server: ${safe.message}`, { nodeId: ctx.nodeId, hint: `check the host and port with \`caudal connections test ${ctx.connection}\`` });
    case '2BP01':
      return new CaudalError('execution', `${prefix}: cannot replace ${where(ctx.spec)}: ${safe.message}`, {
        nodeId: ctx.nodeId,
        hint: 'mode "replace" recreates the table; use "truncate_insert" to keep it (and the views that depend on it)',
      });
    default:
      return new CaudalError('execution', `${prefix}: PostgreSQL said: ${safe.message}`, { nodeId: ctx.nodeId });
  }
}
