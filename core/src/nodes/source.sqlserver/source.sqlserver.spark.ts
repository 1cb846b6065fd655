import { buildReadQuery } from '../../connectors/sqlserver/query.js';
import { inlineTsqlBinds, sqlserverJdbc } from '../../connectors/sqlserver/spark-jdbc.js';
import { jdbcSourceSpark } from '../shared/spark-jdbc-source.js';

/** Spark: the same remote statement over Microsoft's JDBC driver, `@p1…` values written in as T-SQL literals. */
export const sqlserverSourceSpark = jdbcSourceSpark({
  type: 'sqlserver',
  jdbc: sqlserverJdbc,
  readQuery: (spec) => inlineTsqlBinds(buildReadQuery(spec)),
  notes: "Read over Microsoft's JDBC driver (mssql-jdbc, fetched by spark-submit); incremental reads are not available on Spark.",
});
