import { buildReadQuery } from '../../connectors/postgres/query.js';
import { inlineBinds, postgresJdbc } from '../../connectors/postgres/spark-jdbc.js';
import { jdbcSourceSpark } from '../shared/spark-jdbc-source.js';

/** Spark: the same remote statement over PostgreSQL's JDBC driver (see jdbcSourceSpark). */
export const postgresSourceSpark = jdbcSourceSpark({
  type: 'postgres',
  jdbc: postgresJdbc,
  readQuery: (spec) => inlineBinds(buildReadQuery(spec)),
  refuseQueryParams: { message: "Spark's JDBC reader takes a query text without bind parameters", hint: 'write the values into the query, or use table with filters' },
});
