import { z } from 'zod';
import { defineNode } from '../define.js';
import { sqlSpark } from './transform.sql.spark.js';
import { ident } from '../../compiler/sql.js';

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
(e.g. \`orders__rejects\`). Pipeline params are written \`$name\` and become typed literals.`,
  example: {
    description: 'Revenue per country',
    params: { query: 'SELECT country, sum(revenue) AS revenue\nFROM orders JOIN customers USING (customer_id)\nGROUP BY country' },
  },
  compile(ctx) {
    const inputs = ctx.inputs();
    // Each input becomes a CTE under the name the user types, so the query cannot see other nodes.
    const ctes = inputs.map((r) => `${ident(r.port === 'out' ? r.nodeId : `${r.nodeId}__${r.port}`)} AS (SELECT * FROM ${r.ref})`);
    const body = `SELECT * FROM (\n${ctx.query(ctx.params.query, 'query')}\n)`;
    return { outputs: { out: ctes.length > 0 ? `WITH ${ctes.join(',\n')}\n${body}` : body } };
  },
});
