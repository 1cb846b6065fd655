import type pg from 'pg';
import { ident } from '../../compiler/sql.js';
import type { PostgresConfig } from '../../connections/postgres/postgres.connection.js';
import { redact } from '../../connections/redact.js';
import { CaudalError } from '../../util/errors.js';
import { connect } from './client.js';
import type { BoundSql } from './query.js';
import type { ColumnTransport } from './types.js';

/** Time spent re-reading to find the failing column, after which the error goes without it. */
const LOCATE_BUDGET_MS = 10_000;

/**
 * SQLSTATE classes 22 (data exception: a value that does not convert, overflows, divides by zero)
 * and 23 (integrity): raised while rows stream, they are about the data, not the pipeline, which
 * planning already checked. Such a failure is a failed run (exit 1), not an invalid pipeline.
 */
export function isDataError(e: unknown): boolean {
  const code = (e as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^2[23]/.test(code);
}

interface ReadFailureContext {
  nodeId: string;
  connection: string;
  config: PostgresConfig;
  base: BoundSql;
  columns: Array<{ name: string; transport: ColumnTransport }>;
  /** Rows that arrived before the error: the failing row comes after them in the server's order. */
  rowsRead: number;
  /**
   * How far after them it can be: a cursor's batch fails as a whole (the fetch size); COPY's rows
   * travel in the server's send buffer, and a failure drops the part not sent yet (unknown).
   */
  window?: number;
}

/** A data error met while reading, with its node, column (found by re-reading if PostgreSQL did not say) and rows. */
export async function readFailure(e: unknown, ctx: ReadFailureContext): Promise<CaudalError> {
  const safe = redact(e, [ctx.config.password]);
  const given = (e as { column?: unknown }).column;
  const column = typeof given === 'string' ? given : await locateColumn(ctx).catch(() => undefined);
  const n = (v: number) => v.toLocaleString('en-US');
  const rows = ctx.window === undefined ? `a row after the first ${n(ctx.rowsRead)}` : `one of rows ${n(ctx.rowsRead + 1)}–${n(ctx.rowsRead + ctx.window)}`;
  return new CaudalError('execution', `node '${ctx.nodeId}' (connection '${ctx.connection}'): ${column === undefined ? '' : `column '${column}', `}${rows} of the result: ${safe.message}`, {
    nodeId: ctx.nodeId,
    column,
    hint: dataErrorHint((e as { code?: unknown }).code),
  });
}

/** What to do about a data error, by SQLSTATE: a division by zero is not a value that does not fit. */
function dataErrorHint(code: unknown): string {
  if (code === '22012') return 'a divisor is 0 in one of the rows: handle it in the query (NULLIF(divisor, 0) gives NULL instead)';
  if (typeof code === 'string' && code.startsWith('23')) return 'a row breaks a constraint of the query\'s tables: fix it at the source';
  return 'a value does not fit its type: fix it at the source, or handle it in the query (a CASE, NULLIF, or reading it as text and converting with transform.cast)';
}

/**
 * Re-reads from the first row that may have failed, one column at a time (OFFSET skips the rows
 * that arrived): the first column whose value fails is the one to name. Bounded by a statement
 * timeout; gives up quietly.
 */
async function locateColumn(ctx: ReadFailureContext): Promise<string | undefined> {
  if (ctx.columns.length === 1) return ctx.columns[0]!.name;
  const deadline = Date.now() + LOCATE_BUDGET_MS;
  const client: pg.Client = await connect(ctx.config);
  try {
    for (const c of ctx.columns) {
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await client.query(`SET statement_timeout = ${Math.ceil(left)}`);
      const limit = ctx.window === undefined ? '' : ` LIMIT ${ctx.window}`;
      try {
        // Only the column's value is returned (the count), so reading the rest of the result stays cheap.
        await client.query({ text: `SELECT count(${c.transport.remote(ident(c.name))}) FROM (SELECT * FROM (${ctx.base.text}) AS _caudal_src OFFSET ${ctx.rowsRead}${limit}) AS _caudal_rest`, values: ctx.base.values });
      } catch (e) {
        if (isDataError(e)) return c.name;
        if ((e as { code?: unknown }).code === '57014') return undefined;
      }
    }
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}
