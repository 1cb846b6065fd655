import { z } from 'zod';
import { defineNode } from '../define.js';
import { sqlSpark } from './transform.sql.spark.js';
import { ident } from '../../compiler/sql.js';
import { paramError } from '../shared/columns.js';
import { queryStatementProblem } from './query-statement.js';
import { describableQuery, duplicateOutputName } from './output-names.js';

const params = z
  .object({
    query: z.string().min(1).meta({
      label: 'Query',
      help: 'A single SELECT. Refer to each connected input by its node id (e.g. FROM orders JOIN customers USING (customer_id)).',
      widget: 'sql-query',
      placeholder: 'SELECT * FROM orders',
    }),
  })
  .strict();

export const sqlNode = defineNode({
  type: 'transform.sql',
  version: 1,
  spark: sqlSpark,
  category: 'transform',
  title: 'SQL',
  description: 'Free DuckDB SQL over the connected inputs, referenced by node id.',
  aliases: ['query', 'select', 'custom sql', 'duckdb'],
  inputs: [{ name: 'in', multiple: true, optional: true, description: 'Connect any number of inputs; each is a table named after its node id.' }],
  outputs: [{ name: 'out' }],
  params,
  docs: `The query is one DuckDB \`SELECT\` (CTEs welcome). Each input is visible as a table named after the
upstream node's id; an input coming from a non-default port is named \`<node>__<port>\`
(e.g. \`orders__rejects\`). Pipeline params are written \`$name\` and become typed literals.

Only a query runs: text that starts (after comments and parentheses) with any word other than
\`SELECT\`, \`WITH\`, \`FROM\`, \`VALUES\`, \`TABLE\`, \`PIVOT\`, \`UNPIVOT\`, \`DESCRIBE\`, \`SHOW\` or
\`SUMMARIZE\` (\`PRAGMA\`, \`SET\`, \`ATTACH\`, \`COPY\`, \`INSTALL\`, \`LOAD\`, \`CREATE\`, \`INSERT\`, \`CALL\`,
\`EXPLAIN\`, …) is refused before the run, naming that word, as is a query whose parentheses do not
balance. The output's column names must differ, ignoring case: \`SELECT o.*, c.*\` over two inputs that
share a \`customer_id\` is refused (DuckDB would rename the second one \`customer_id_1\`); name the
columns, join \`USING (customer_id)\`, or write \`c.* EXCLUDE (customer_id)\`.

The query reads its inputs and nothing else: a table function that reads files, URLs or the database
itself (\`read_csv\`, \`read_parquet\`, \`read_text\`, \`glob\`, \`query\`, \`duckdb_settings\`, …) and a
file name or URL where a table goes (\`FROM 'orders.csv'\`, \`DESCRIBE 'data.parquet'\`), the database's
catalog (\`duckdb_views\`, \`information_schema.tables\`, \`sqlite_master\`: every node's SQL) and
another node's rows by the planner's internal name (\`_n_orders__out\`: connect the node instead) are
refused before anything runs, naming what would be read: read files with a source node, where the
pipeline shows them. Table functions that only make rows are fine: \`range\`, \`generate_series\`, \`unnest\`,
\`repeat\`, \`repeat_row\`, \`json_each\`, \`json_tree\`. A PIVOT lists its values
(\`PIVOT orders ON status IN ('paid', 'open') USING sum(amount)\`): one that finds them in the data runs
a query of its own first, which DuckDB cannot use in a view.`,
  example: {
    description: 'Revenue per country',
    params: { query: 'SELECT country, sum(revenue) AS revenue\nFROM orders JOIN customers USING (customer_id)\nGROUP BY country' },
  },
  async compile(ctx) {
    const inputs = ctx.inputs();
    // Each input becomes a CTE under the name the user types, so the query cannot see other nodes.
    const ctes = inputs.map((r) => `${ident(r.port === 'out' ? r.nodeId : `${r.nodeId}__${r.port}`)} AS (SELECT * FROM ${r.ref})`);
    const query = ctx.query(ctx.params.query, 'query');
    const refused = queryStatementProblem(ctx.params.query);
    if (refused) throw paramError(ctx.nodeId, 'query', `node '${ctx.nodeId}': ${refused.message}`, refused.hint);
    // A query DESCRIBE cannot take as one statement (a parenthesized WITH, a CTE named like an
    // input) is left to the view, which reports its own errors.
    const described = await ctx.describe(describableQuery(query, ctes)).catch(() => undefined);
    const duplicate = described && duplicateOutputName(described);
    if (duplicate) throw paramError(ctx.nodeId, 'query', `node '${ctx.nodeId}': ${duplicate.message}`, duplicate.hint);
    const body = `SELECT * FROM (\n${query}\n)`;
    return { outputs: { out: ctes.length > 0 ? `WITH ${ctes.join(',\n')}\n${body}` : body } };
  },
});
