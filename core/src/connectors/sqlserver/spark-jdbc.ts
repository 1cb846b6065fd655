import type { SparkJdbc, SparkSqlPart } from '../../nodes/define.js';
import { sqlserverFields } from '../../connections/sqlserver/sqlserver.connection.js';
import { secretEnvName } from '../../secrets/env-store.js';
import type { BoundTsql } from './query.js';
import { tsqlIdent, tsqlString, tsqlTable } from './sql.js';
import { sqlserverTypeFor } from './types.js';
import { sqlserverLockResource } from '../table-lock.js';
import { sqlserverRecoveryTarget } from './recover.js';

/** The application lock a load into `table` holds, as the DuckDB engine's sink takes it (sqlserver/write.ts). */
export const sqlserverLockKey = (config: Record<string, unknown>, table: { schema: string; name: string }) => sqlserverLockResource(sqlserverFields.parse(config).database, table);

/** Microsoft's JDBC driver the exported job asks Spark to fetch (spark.jars.packages; Java 11+). */
export const SQLSERVER_JDBC_PACKAGE = 'com.microsoft.sqlserver:mssql-jdbc:13.6.2.jre11';

/**
 * How a Spark job reaches a SQL Server connection over JDBC: the same server, instance, database,
 * login kind and TLS settings as the mssql driver uses. Only non-secret fields go into the job; the
 * password is read at run time from the environment variable headless runs use. Settings travel as
 * driver properties rather than inside the URL, so a database name with `;` needs no escaping.
 */
export function sqlserverJdbc(name: string, config: Record<string, unknown>): SparkJdbc {
  const c = sqlserverFields.parse(config);
  const port = c.instance && c.port === undefined ? '' : `:${c.port ?? 1433}`;
  return {
    url: `jdbc:sqlserver://${c.host}${port}`,
    driver: 'com.microsoft.sqlserver.jdbc.SQLServerDriver',
    connection: name,
    properties: {
      databaseName: c.database,
      user: c.user,
      encrypt: String(c.encrypt),
      trustServerCertificate: String(c.trust_server_certificate),
      loginTimeout: String(c.connect_timeout_s),
      applicationName: 'caudal-spark',
      // Spark's JDBC writer sends batched INSERTs; the driver turns them into bulk copies.
      useBulkCopyForBatchInsert: 'true',
      ...(c.instance ? { instanceName: c.instance } : {}),
      ...(c.auth === 'ntlm' ? { authenticationScheme: 'NTLM', integratedSecurity: 'true', ...(c.domain ? { domain: c.domain } : {}) } : {}),
    },
    secrets: { password: secretEnvName(name, 'password') },
    package: SQLSERVER_JDBC_PACKAGE,
    recoveryTarget: sqlserverRecoveryTarget(c),
  };
}

/** A T-SQL literal for a bound value (Spark's JDBC reader takes a query text, not bind parameters). */
function tsqlLiteral(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`a filter value must be a finite number, got ${v}`);
    return String(v);
  }
  if (typeof v === 'bigint') return v.toString();
  return tsqlString(String(v));
}

/**
 * A read query with its `@name` placeholders (the read's `@caudal_n`, the user's `@p1`…) replaced by
 * literals. Bracketed names and string literals are skipped, so `'@p1'` in a query stays text.
 */
export function inlineTsqlBinds(bound: BoundTsql): string {
  const values = new Map(bound.params.map((p) => [p.name.toLowerCase(), p.value]));
  return bound.text.replace(/\[(?:[^\]]|\]\])*\]|N?'(?:[^']|'')*'|@([A-Za-z_][A-Za-z0-9_]*)/g, (m, name: string | undefined) => {
    if (name === undefined || !values.has(name.toLowerCase())) return m;
    return tsqlLiteral(values.get(name.toLowerCase()));
  });
}

interface PublishSpec {
  schema: string;
  table: string;
  mode: 'append' | 'replace' | 'upsert' | 'truncate_insert';
  keys: string[];
  upsertMethod: 'merge' | 'update_insert';
  createTable: boolean;
  preSql?: string;
  postSql?: string;
  columns: Array<{ name: string; type: string }>;
}

const STAGE: SparkSqlPart = { stage: true };

/**
 * The T-SQL a Spark job runs on the driver around the staging table Spark's JDBC writer fills:
 * creating it, publishing it into the target in one transaction, dropping it. Statements are
 * lists of parts; `{ stage: true }` is where the job puts the staging table's (per-run) name.
 */
export function sqlserverSparkStatements(spec: PublishSpec): { stage: SparkSqlPart[][]; publish: SparkSqlPart[][]; drop: SparkSqlPart[][] } {
  const schema = tsqlIdent(spec.schema);
  const target = tsqlTable({ schema: spec.schema, name: spec.table });
  const stage = (...parts: SparkSqlPart[]) => parts;
  const defs = (keys: string[]) =>
    spec.columns.map((c) => `${tsqlIdent(c.name)} ${sqlserverTypeFor(c.type)}${keys.includes(c.name) ? ' NOT NULL' : ' NULL'}`).join(', ') +
    (keys.length > 0 ? `, PRIMARY KEY (${keys.map(tsqlIdent).join(', ')})` : '');
  const cols = spec.columns.map((c) => tsqlIdent(c.name)).join(', ');
  const ensureSchema = `IF SCHEMA_ID(${tsqlString(spec.schema)}) IS NULL EXEC(${tsqlString(`CREATE SCHEMA ${schema}`)})`;
  const createTarget = `CREATE TABLE ${target} (${defs(spec.mode === 'upsert' ? spec.keys : spec.mode === 'replace' ? spec.keys : [])})`;
  const publish: SparkSqlPart[][] = [];
  if (spec.createTable || spec.mode === 'replace') publish.push([ensureSchema]);
  if (spec.preSql) publish.push([spec.preSql]);
  if (spec.mode === 'replace') {
    publish.push([`DROP TABLE IF EXISTS ${target}`], [createTarget]);
  } else if (spec.createTable) {
    publish.push([`IF OBJECT_ID(${tsqlString(target)}, 'U') IS NULL ${createTarget}`]);
  }
  if (spec.mode === 'truncate_insert') publish.push([`TRUNCATE TABLE ${target}`]);
  if (spec.mode === 'upsert') {
    const on = spec.keys.map((k) => `t.${tsqlIdent(k)} = s.${tsqlIdent(k)}`).join(' AND ');
    const nonKeys = spec.columns.map((c) => c.name).filter((c) => !spec.keys.includes(c));
    const set = nonKeys.map((c) => `t.${tsqlIdent(c)} = s.${tsqlIdent(c)}`).join(', ');
    const values = spec.columns.map((c) => `s.${tsqlIdent(c.name)}`).join(', ');
    if (spec.upsertMethod === 'merge') {
      publish.push(stage(`MERGE INTO ${target} WITH (HOLDLOCK) AS t USING ${schema}.`, STAGE, ` AS s ON ${on}${set ? ` WHEN MATCHED THEN UPDATE SET ${set}` : ''} WHEN NOT MATCHED BY TARGET THEN INSERT (${cols}) VALUES (${values});`));
    } else {
      if (set) publish.push(stage(`UPDATE t SET ${set} FROM ${target} AS t INNER JOIN ${schema}.`, STAGE, ` AS s ON ${on}`));
      publish.push(stage(`INSERT INTO ${target} (${cols}) SELECT ${values} FROM ${schema}.`, STAGE, ` AS s WHERE NOT EXISTS (SELECT 1 FROM ${target} AS t WITH (UPDLOCK, HOLDLOCK) WHERE ${on})`));
    }
  } else {
    publish.push(stage(`INSERT INTO ${target} WITH (TABLOCK) (${cols}) SELECT ${cols} FROM ${schema}.`, STAGE));
  }
  if (spec.postSql) publish.push([spec.postSql]);
  publish.push(stage(`DROP TABLE ${schema}.`, STAGE));
  return {
    stage: [[ensureSchema], stage(`CREATE TABLE ${schema}.`, STAGE, ` (${defs([])})`)],
    publish,
    drop: [stage(`DROP TABLE IF EXISTS ${schema}.`, STAGE)],
  };
}
