import type { Db } from './db.js';
import { findInParseTree, isParseNode } from './parse-tree.js';

/**
 * User SQL (expressions, the SQL node's query, a DuckDB source's query) computes over the rows the
 * pipeline hands it. DuckDB would also let it read any file or URL the process can reach
 * (`(SELECT content FROM read_text('~/.ssh/id_rsa'))`, `FROM '/etc/passwd'`) or run other SQL
 * (`query(…)`, `json_execute_serialized_sql`), out of sight of the source nodes, their checks and a
 * reader of the pipeline. So each piece of user SQL is parsed by DuckDB itself (json_serialize_sql:
 * nothing is bound or read) and refused when it names a table function outside a short list of
 * pure ones, or a table whose name DuckDB would read as a file or URL (a replacement scan).
 */

/** Table functions that only compute: they read no file, URL, setting or catalog. */
const PURE_TABLE_FUNCTIONS = new Set(['range', 'generate_series', 'unnest', 'repeat', 'repeat_row', 'json_each', 'json_tree', 'pg_timezone_names', 'icu_calendar_names']);

/** A name DuckDB reads as a file or URL when no table has it: a path, a URL, a name with an extension. */
const FILE_LIKE_NAME = /[/\\:.]/;

export interface OutsideRead {
  /** What the SQL names, as a user would write it: `read_text(…)`, `'/etc/passwd'`. */
  what: string;
  reason: string;
}

/**
 * The first thing `sql` would read from outside the pipeline's rows, or undefined. `kind` says how
 * the text is used: an expression (placed in parentheses) or a whole query. Text DuckDB cannot
 * parse is left to the binder, which reports it without running anything.
 */
export async function outsideRead(db: Db, sql: string, kind: 'expression' | 'query'): Promise<OutsideRead | undefined> {
  const statement = kind === 'expression' ? `SELECT (\n${sql}\n)` : sql;
  const rows = await db.rows('SELECT json_serialize_sql(?::VARCHAR) AS ast', [statement]);
  const ast = JSON.parse(String(rows[0]?.ast)) as unknown;
  if (isParseNode(ast) && ast.error === true) {
    const message = String(ast.error_message ?? '');
    // A statement that is not one SELECT (a PIVOT whose values come from the data runs a query of its
    // own first): nothing tells what it reads, so it is refused; DuckDB could not use it in a view anyway.
    if (/only select statements/i.test(message))
      return { what: 'the query', reason: 'it is not a single SELECT that can be checked (a PIVOT must list its values: ON column IN (…))' };
    return undefined;
  }
  return firstOutsideRead(ast);
}

/** Schemas of the database's own catalog. */
const CATALOG_SCHEMAS = new Set(['information_schema', 'pg_catalog']);
/** The catalog's views by their bare names (DuckDB's own, and the SQLite and PostgreSQL ones it mimics). */
const CATALOG_VIEW = /^(duckdb_[a-z_]+|sqlite_(temp_)?(master|schema)|pg_[a-z_]+)$/i;
/** The planner's names for nodes' rows (`_n_<node>__<port>`): a node names its inputs by their ids. */
const INTERNAL_RELATION = /^_n_\w+__\w+$/i;

/** Every name a WITH of the statement defines, anywhere in it (they may shadow a catalog name). */
function cteNames(ast: unknown): Set<string> {
  const names = new Set<string>();
  findInParseTree(ast, (node) => {
    const map = isParseNode(node.cte_map) && Array.isArray(node.cte_map.map) ? node.cte_map.map : [];
    for (const entry of map) if (isParseNode(entry) && typeof entry.key === 'string') names.add(entry.key.toLowerCase());
    return undefined;
  });
  return names;
}

function firstOutsideRead(ast: unknown): OutsideRead | undefined {
  const ctes = cteNames(ast);
  return findInParseTree<OutsideRead>(ast, (node) => {
    if (node.type === 'BASE_TABLE' && typeof node.table_name === 'string' && !ctes.has(node.table_name.toLowerCase())) {
      const schema = typeof node.schema_name === 'string' ? node.schema_name.toLowerCase() : '';
      const catalog = typeof node.catalog_name === 'string' ? node.catalog_name.toLowerCase() : '';
      if (CATALOG_SCHEMAS.has(schema) || catalog === 'system' || ((schema === '' || schema === 'main') && CATALOG_VIEW.test(node.table_name)))
        return { what: `${schema ? `${node.schema_name}.` : ''}${node.table_name}`, reason: "this is the database's catalog (every node's SQL, settings and files), not rows of the pipeline" };
      if (INTERNAL_RELATION.test(node.table_name))
        return { what: node.table_name, reason: "this is the planner's name for another node's rows: connect that node to this one and name it by its id" };
    }
    if (node.type === 'TABLE_FUNCTION') {
      const fn = isParseNode(node.function) ? node.function : {};
      const name = String(fn.function_name ?? '');
      if (!PURE_TABLE_FUNCTIONS.has(name.toLowerCase())) return { what: `${name}(…)`, reason: 'this table function reads files, URLs or the database itself' };
    }
    if ((node.type === 'BASE_TABLE' || node.type === 'SHOW_REF') && typeof node.table_name === 'string' && FILE_LIKE_NAME.test(node.table_name))
      return { what: `'${node.table_name}'`, reason: 'DuckDB would read this name as a file or URL' };
    return undefined;
  });
}
