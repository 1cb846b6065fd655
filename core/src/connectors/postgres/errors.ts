import { redact } from '../../connections/redact.js';
import { missingSecret, missingSecretField, secretHint } from '../../secrets/resolve.js';
import { CaudalError, DuckDbFailure, isDuckDbError, type ProblemCode } from '../../util/errors.js';
import type { Column } from '../../nodes/define.js';
import type { ReadSpec, WriteSpec } from '../connector.js';

interface PgErrorContext {
  nodeId: string;
  connection: string;
  spec?: ReadSpec | WriteSpec;
  password?: string;
  /** A load: the input's columns and, when it existed, the table's column types (format_type). */
  load?: { input: Column[]; table?: Map<string, string> };
  /**
   * The user's own statement that failed (a sink's `pre_sql` or `post_sql`): the server's refusal is
   * that statement's, not a problem with the node's table, columns or filters.
   */
  statement?: 'pre_sql' | 'post_sql';
}

/** What the Inspector calls a sink's own statements. */
const STATEMENT_LABELS = { pre_sql: 'SQL before', post_sql: 'SQL after' } as const;

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
  const field = missingSecretField(e);
  if (field) {
    // The server asks for a password and none is stored (the driver's words would be
    // "SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string").
    const missing = missingSecret(ctx.connection, field);
    return new CaudalError('usage', `node '${ctx.nodeId}' (connection '${ctx.connection}'): the server asks for a ${field}: ${missing.message}`, { nodeId: ctx.nodeId, hint: missing.hint });
  }
  const safe = redact(e, [ctx.password]);
  const code = (e as { code?: string })?.code;
  // PostgreSQL's DETAIL names what its message leaves out (the key that already exists).
  const detail = typeof (e as { detail?: unknown })?.detail === 'string' ? redact((e as { detail: string }).detail, [ctx.password]).message : undefined;
  const said = detail ? `${safe.message} (${detail.replace(/\.$/, '')})` : safe.message;
  const column = (e as { column?: string })?.column;
  const prefix = `node '${ctx.nodeId}' (connection '${ctx.connection}')`;
  const refused = ctx.load && refusedValue(e, safe.message, ctx.spec, ctx.load);
  if (refused) return new CaudalError('execution', `${prefix}: ${refused.message}`, { nodeId: ctx.nodeId, column: refused.column, hint: refused.hint });
  const problem = (pc: ProblemCode, field: string, message: string, hint?: string, col?: string) =>
    new CaudalError('validation', message, { nodeId: ctx.nodeId, hint, column: col, problems: [{ code: pc, path: `params.${field}`, message, hint, column: col }] });
  if (connectionLost(e)) {
    return new CaudalError('io', `${prefix}: the connection to the server was lost: ${safe.message}`, { nodeId: ctx.nodeId, hint: 'the server ended the session (an administrator, a restart or a failover) or the network dropped the connection: run again once the server is reachable' });
  }
  if (ctx.statement && typeof (e as { severity?: unknown })?.severity === 'string') {
    // The server refused the user's statement itself (a syntax error, an unknown table or column in
    // it, a constraint it broke): the run ran and failed there, the pipeline is not invalid.
    const at = typeof (e as { position?: unknown }).position === 'string' ? ` (at character ${(e as { position: string }).position} of ${ctx.statement})` : '';
    return new CaudalError('execution', `${prefix}: ${ctx.statement} failed: ${said}${at}`, {
      nodeId: ctx.nodeId,
      hint: `fix the statement in ${STATEMENT_LABELS[ctx.statement]} (${ctx.statement}); it ran in the load's transaction, which was rolled back, so ${where(ctx.spec)} is unchanged`,
    });
  }
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
        hint: secretHint(ctx.connection, 'password'),
      });
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
      return new CaudalError('io', `${prefix}: cannot reach the server: ${safe.message}`, { nodeId: ctx.nodeId, hint: `check the host and port with \`caudal connections test ${ctx.connection}\`` });
    case '42501':
      return new CaudalError('execution', `${prefix}: the connection's user may not do this on ${where(ctx.spec)}: ${safe.message}`, { nodeId: ctx.nodeId, hint: privilegeHint(ctx.spec) });
    case '428C9': // INSERT into a generated or GENERATED ALWAYS identity column (upsert)
    case '42P10': // COPY into a generated column (42P10 is any invalid column reference: only that one)
      if (code === '42P10' && !/generated column/.test(safe.message)) break;
      return new CaudalError('execution', `${prefix}: ${safe.message} of ${where(ctx.spec)}, whose values PostgreSQL computes`, {
        nodeId: ctx.nodeId,
        column: column ?? /column "([^"]+)"/.exec(safe.message)?.[1],
        hint: 'leave that column out of the load (Columns not written / exclude_columns, or a select node before the sink)',
      });
    case '23505':
      if (catalogConflict(e)) {
        // A unique index of the system catalogs: two sessions created the same schema or table at
        // once and the other committed first. No row of the data is involved.
        const what = CATALOG_OBJECTS[(e as { table?: string }).table ?? ''] ?? 'database object';
        return new CaudalError('execution', `${prefix}: another session created the same ${what} at the same moment and committed first: ${said}`, {
          nodeId: ctx.nodeId,
          hint: `the ${what} exists now: run again`,
        });
      }
      return new CaudalError('execution', `${prefix}: ${where(ctx.spec)} already holds a row with a key of the rows sent: ${said}`, {
        nodeId: ctx.nodeId,
        hint: ctx.spec && 'mode' in ctx.spec && ctx.spec.mode === 'upsert' ? 'two rows of the input have that key: remove the duplicates before the sink (Dedupe on the keys)' : 'use mode "upsert" with the key columns as keys to update such rows, or remove the duplicates before the sink (Dedupe)',
      });
    case '23503':
      return new CaudalError('execution', `${prefix}: ${where(ctx.spec)} refused a row whose reference is missing: ${said}`, {
        nodeId: ctx.nodeId,
        hint: 'load the referenced table first (a job that runs before this one), or filter out such rows before the sink',
      });
    case '2BP01':
      return new CaudalError('execution', `${prefix}: cannot replace ${where(ctx.spec)}: ${safe.message}`, {
        nodeId: ctx.nodeId,
        hint: 'mode "replace" recreates the table; use "truncate_insert" to keep it (and the views that depend on it)',
      });
  }
  return new CaudalError('execution', `${prefix}: PostgreSQL said: ${said}`, { nodeId: ctx.nodeId });
}

/** The object a unique index of the system catalogs stands for, by its catalog. */
const CATALOG_OBJECTS: Record<string, string> = {
  pg_namespace: 'schema',
  pg_class: 'table',
  pg_type: 'table (or type)',
};

/** A unique violation in PostgreSQL's own catalogs (pg_namespace_nspname_index…), not in a table of the user's. */
export function catalogConflict(e: unknown): boolean {
  const { code, schema, constraint } = (e ?? {}) as { code?: unknown; schema?: unknown; constraint?: unknown };
  if (code !== '23505') return false;
  return schema === 'pg_catalog' || (schema === undefined && typeof constraint === 'string' && constraint.startsWith('pg_'));
}

/** Node's codes of a connection that broke under the client (a reset, a write to a closed socket). */
const CONNECTION_LOST = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/**
 * The connection broke without a word from the server (or before its last words were read): the
 * socket was reset or closed under the driver. Not "PostgreSQL said": the server may never have.
 */
export function connectionLost(e: unknown): boolean {
  const code = (e as { code?: unknown } | undefined)?.code;
  return (typeof code === 'string' && CONNECTION_LOST.has(code)) || (e instanceof Error && /^Connection terminated unexpectedly$/.test(e.message));
}

/** What a PostgreSQL user needs for the node's work, by what it does (SQLSTATE 42501). */
function privilegeHint(spec: ReadSpec | WriteSpec | undefined): string {
  const grant = 'grant it to the connection\'s user (GRANT … TO <user>), or connect as a user that has it';
  if (!spec || !('mode' in spec)) {
    // PostgreSQL says the same when only some columns are granted (GRANT SELECT (a, b) …) and the read asks for all.
    const columns = spec && 'table' in spec && spec.table && !spec.columns?.length ? '; if the user may read only some columns, list those in Columns' : '';
    return `reading needs SELECT on the table (and USAGE on its schema): ${grant}${columns}`;
  }
  switch (spec.mode) {
    case 'replace':
      return 'mode "replace" drops the table and creates it anew, which only its owner may do: connect as the owner, or use "truncate_insert" (needs TRUNCATE and INSERT on the table) or "append"';
    case 'truncate_insert':
      return `mode "truncate_insert" empties the table first, which needs the TRUNCATE privilege besides INSERT: ${grant}, or use "append"`;
    case 'upsert':
      // The rows are staged in a table of the load's own in the target's schema (a temporary one
      // could not be part of a two-phase commit), hence CREATE on the schema.
      return `mode "upsert" needs SELECT, INSERT and UPDATE on the table (and DELETE with a delete flag), and CREATE on its schema, where it stages the rows in a table of its own for the length of the load: ${grant}`;
    default:
      return `mode "append" needs INSERT on the table (and CREATE on its schema when the table is created): ${grant}`;
  }
}

/** What to do about a value a table column refused, by SQLSTATE. */
const VALUE_HINTS: Record<string, (column: string) => string> = {
  '22001': (c) => `shorten it before the sink (a Derive with left(${c}, n)), or widen the table's column`,
  '23502': () => `fill it before the sink (Fill nulls), filter out such rows, or let the table's column take NULL`,
  '23514': () => `filter out such rows before the sink, or change the table's check constraint`,
};

/**
 * A value the table refused during COPY (SQLSTATE class 22, a NOT NULL or CHECK violation), named
 * by column, the table's and the input's type and the line of the COPY stream (the row, unless
 * earlier values hold line breaks). PostgreSQL's own message names neither the column nor the line.
 */
function refusedValue(e: unknown, message: string, spec: ReadSpec | WriteSpec | undefined, load: NonNullable<PgErrorContext['load']>): { message: string; column?: string; hint: string } | undefined {
  const { code, where, column: constraintColumn } = e as { code?: string; where?: string; column?: string };
  if (!code || !(code.startsWith('22') || code === '23502' || code === '23514')) return undefined;
  const at = /COPY [^,]+, line (\d+)(?:, column ([^:]+))?/.exec(where ?? '');
  if (!at) return undefined;
  const column = at[2] ?? constraintColumn;
  const tableType = column ? load.table?.get(column) : undefined;
  const inputType = column ? load.input.find((c) => c.name === column)?.type : undefined;
  const table = spec && 'table' in spec && spec.table ? `table "${spec.table.schema}"."${spec.table.name}"` : 'the table';
  const target = column ? `column "${column}" of ${table}${tableType ? ` (${tableType})` : ''}` : table;
  const input = inputType ? `; the input's column is ${inputType}` : '';
  const hint = VALUE_HINTS[code]?.(column ?? 'the column') ?? "convert the values to the column's type before the sink (a Cast or Derive node), or change the table's column type";
  return { message: `${target} refused a value on line ${at[1]} of the rows sent: ${message}${input}`, column, hint };
}
