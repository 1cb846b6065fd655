import type { SparkJdbc } from '../../nodes/define.js';
import { postgresFields } from '../../connections/postgres/postgres.connection.js';
import { secretEnvName } from '../../secrets/env-store.js';
import { literal, type SqlValue } from '../../compiler/sql.js';
import type { BoundSql } from './query.js';
import { tableLockKey } from '../table-lock.js';
import { postgresRecoveryTarget } from './write.js';

/** The PostgreSQL JDBC driver the exported job asks Spark to fetch (spark.jars.packages). */
export const PG_JDBC_PACKAGE = 'org.postgresql:postgresql:42.7.4';

/**
 * How a Spark job reaches a PostgreSQL connection over JDBC. Only non-secret fields go into the job;
 * the password is read at run time from the environment variable headless runs use.
 */
export function postgresJdbc(name: string, config: Record<string, unknown>): SparkJdbc {
  const c = postgresFields.parse(config);
  return {
    url: `jdbc:postgresql://${c.host}:${c.port}/${encodeURIComponent(c.database)}`,
    driver: 'org.postgresql.Driver',
    connection: name,
    properties: { user: c.user, sslmode: c.ssl === 'disable' ? 'disable' : c.ssl, connectTimeout: String(c.connect_timeout_s), ApplicationName: 'caudal-spark' },
    secrets: { password: secretEnvName(name, 'password') },
    package: PG_JDBC_PACKAGE,
    recoveryTarget: postgresRecoveryTarget(c),
  };
}

/** The advisory lock a load into `table` holds, as the DuckDB engine's sink takes it (postgres/write.ts). */
export const postgresLockKey = (config: Record<string, unknown>, table: { schema: string; name: string }) => tableLockKey(postgresFields.parse(config).database, table);

/** PostgreSQL literal for a bound value (Spark's JDBC reader takes a query text, not bind parameters). */
function pgLiteral(v: unknown): string {
  if (Array.isArray(v)) return `ARRAY[${v.map(pgLiteral).join(', ')}]`;
  return literal(v as SqlValue);
}

/** A read query with its `$n` placeholders replaced by literals (quoted identifiers left alone). */
export function inlineBinds(bound: BoundSql): string {
  return bound.text.replace(/"(?:[^"]|"")*"|\$(\d+)/g, (m, n: string | undefined) => (n === undefined ? m : pgLiteral(bound.values[Number(n) - 1])));
}
