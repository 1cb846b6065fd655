import { stat } from 'node:fs/promises';
import { z } from 'zod';
import { defineNode, type HookIo } from '../define.js';
import { duckdbSourceSpark } from './source.duckdb.spark.js';
import { ident } from '../../compiler/sql.js';
import { CaudalError } from '../../util/errors.js';
import { didYouMean } from '../../util/suggest.js';
import { columnNamed, duplicateIndexes, foldNameSql, paramError } from '../shared/columns.js';
import { withAttached } from './attach.js';
import { missingTableError, objectsIn } from './missing-table.js';

/** Rows a preview reads (it says it is sampled when the table may have more). */
const PREVIEW_ROWS = 1000;

const params = z
  .object({
    database: z.string().min(1).default('warehouse.duckdb').meta({
      label: 'Database file',
      help: 'A DuckDB database file, e.g. the warehouse a DuckDB sink writes. Relative paths start at the pipeline file\'s folder; `${param}` references are filled in.',
      widget: 'path',
      placeholder: 'warehouse.duckdb',
    }),
    schema: z.string().min(1).default('main').meta({ label: 'Schema', help: '`${param}` inserts a pipeline param.', group: 'Table', placeholder: 'main' }),
    table: z.string().min(1).optional().meta({ label: 'Table', help: 'Read this table or view (names compared without case, as DuckDB does). Or write a query instead.', group: 'Table', placeholder: 'order_facts' }),
    columns: z.array(z.string().min(1)).default([]).meta({ label: 'Columns', help: 'Only these columns are read, in this order. Empty: every column.', widget: 'list', group: 'Table', placeholder: 'order_id' }),
    query: z.string().min(1).optional().meta({
      label: 'Query',
      help: 'A DuckDB SELECT over the file\'s tables (unqualified names are looked up in the schema above). `$param` inserts a pipeline param.',
      widget: 'sql-query',
      group: 'Query',
    }),
  })
  .strict();

type Params = z.output<typeof params>;

/**
 * The name of `names` that `name` means to DuckDB: the exact spelling first, then ignoring the case of
 * ASCII letters only (tables 'é' and 'É', like columns, are two; see shared/columns.ts foldName).
 */
const named = (names: readonly string[], name: string): string | undefined => columnNamed(names.map((n) => ({ name: n })), name)?.name;

/** The SELECT that reads the table (with its columns checked, in the file's spelling) or the query. */
async function relation(io: HookIo, p: Params, nodeId: string, catalog: string, schema: string, table: string | undefined, query: string | undefined, file: string): Promise<string> {
  if (query !== undefined) return query;
  const names = await objectsIn(io, catalog, schema);
  const found = named(names, table!);
  if (!found) {
    const message = `node '${nodeId}': no table or view '${table}' in schema '${schema}' of ${file}${didYouMean(table!, names)}`;
    throw paramError(nodeId, 'table', message, names.length ? `tables and views there: ${names.join(', ')}` : `schema '${schema}' has no tables (check the schema and the file)`);
  }
  const from = `${ident(catalog)}.${ident(schema)}.${ident(found)}`;
  if (p.columns.length === 0) return `SELECT * FROM ${from}`;
  const available = (await io.db.rows(`SELECT column_name AS name FROM duckdb_columns() WHERE database_name = ? AND ${foldNameSql('schema_name')} = ${foldNameSql('?')} AND table_name = ? ORDER BY column_index`, [catalog, schema, found])).map((r) => String(r.name));
  const missing = p.columns.filter((c) => named(available, c) === undefined);
  if (missing.length > 0) {
    const what = missing.map((m) => `'${m}'${didYouMean(m, available)}`).join(', ');
    const message = `node '${nodeId}': ${missing.length === 1 ? 'column' : 'columns'} ${what} not found in ${schema}.${found}`;
    const hint = `columns of ${found}: ${available.join(', ')}`;
    throw new CaudalError('validation', message, { nodeId, column: missing[0], hint, problems: [{ code: 'unknown_column', path: 'params.columns', message, hint, column: missing[0] }] });
  }
  return `SELECT ${p.columns.map((c) => ident(named(available, c)!)).join(', ')} FROM ${from}`;
}

/** The view's name as the file spells it, when `name` is a view of `schema` (names compared as DuckDB does: see named); undefined for a table. */
async function viewNamed(io: HookIo, catalog: string, schema: string, name: string): Promise<string | undefined> {
  // Not SQL's lower(), which folds 'É' to 'é' too: the match is made here, as for the table.
  const rows = await io.db.rows(`SELECT view_name AS name FROM duckdb_views() WHERE database_name = ? AND ${foldNameSql('schema_name')} = ${foldNameSql('?')} AND NOT internal`, [catalog, schema]);
  return named(rows.map((r) => String(r.name)), name);
}

export const duckdbSourceNode = defineNode({
  type: 'source.duckdb',
  version: 1,
  spark: duckdbSourceSpark,
  category: 'source',
  title: 'DuckDB table',
  description: 'Reads a table, a view or a query from a DuckDB database file (such as the warehouse a DuckDB sink writes).',
  aliases: ['duckdb', 'warehouse', 'database', 'table', 'read table'],
  inputs: [],
  outputs: [{ name: 'out' }],
  params,
  check(p) {
    const out: Array<{ path: string; message: string; hint?: string }> = [];
    if (!p.table === !p.query) out.push({ path: 'table', message: 'set either a table or a query', hint: 'a table reads it (optionally some columns); a query runs as written inside the file' });
    if (p.query && p.columns.length > 0) out.push({ path: 'columns', message: 'columns apply to a table; with a query, select the columns in the query' });
    for (const i of duplicateIndexes(p.columns)) out.push({ path: `columns[${i}]`, message: `column '${p.columns[i]}' is listed twice`, hint: 'remove one of them' });
    return out;
  },
  async compile(ctx) {
    const p = ctx.params;
    const file = ctx.path(p.database);
    const schema = ctx.text(p.schema);
    const table = p.table === undefined ? undefined : ctx.text(p.table);
    const query = p.query === undefined ? undefined : ctx.query(p.query, 'query');
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) {
      const message = `node '${ctx.nodeId}': ${info ? `${file} is not a file` : `no DuckDB database file at ${file}`}`;
      throw new CaudalError('validation', message, { nodeId: ctx.nodeId, hint: 'relative paths start at the folder of the pipeline file', problems: [{ code: 'io_error', path: 'params.database', message, hint: 'relative paths start at the folder of the pipeline file' }] });
    }
    const data = ctx.auxName('data');
    const limit = ctx.mode === 'run' ? '' : ` LIMIT ${ctx.mode === 'preview' ? PREVIEW_ROWS : 0}`;
    // The rows are copied into the run's own DuckDB while the file is attached, then it is
    // detached: the file is held for the copy only, never for the whole run.
    const load = (io: HookIo) =>
      withAttached(io.db, file, ctx.nodeId, async (catalog) => {
        const select = await relation(io, p, ctx.nodeId, catalog, schema, table, query, file);
        const [before] = await io.db.rows('SELECT current_database() AS db, current_schema() AS schema');
        // A query's unqualified names mean the file's tables: look them up there while it runs.
        if (query !== undefined) await io.db.run(`USE ${ident(catalog)}.${ident(schema)}`);
        try {
          await io.db.run(`CREATE OR REPLACE TEMP TABLE ${data} AS SELECT * FROM (${select}) AS _caudal_read${limit}`);
        } catch (e) {
          // Only a query or a view reads tables by name; a table itself cannot miss one.
          const view = table === undefined ? undefined : await viewNamed(io, catalog, schema, table);
          if (query === undefined && view === undefined) throw e;
          throw (await missingTableError(e, io, { nodeId: ctx.nodeId, file, catalog, schema, view })) ?? e;
        } finally {
          if (query !== undefined) await io.db.run(`USE ${ident(String(before!.db))}.${ident(String(before!.schema))}`);
        }
        return io.db.count(`SELECT count(*) FROM ${data}`);
      });
    return {
      setup: [
        {
          kind: 'hook',
          description: `read ${table === undefined ? 'a query' : `${schema}.${table}`} from ${file} (attached read-only, detached after)`,
          countsRows: true,
          run: (io) => load(io),
          async dry(io) {
            const rows = await load(io);
            return ctx.mode === 'preview' ? { sampled: rows >= PREVIEW_ROWS } : undefined;
          },
        },
      ],
      outputs: { out: `SELECT * FROM ${data}` },
    };
  },
  docs: `Reads from a DuckDB database file: a table or view (optionally only some columns), or the
result of a DuckDB query over the file's tables. It is the way back from the local warehouse that
\`sink.duckdb\` writes: build a table in one pipeline, read it in the next.

**Table or query.** With a *table* (in *schema*, \`main\` by default), names are matched without
regard to case, as DuckDB does; a missing table or column is reported before the run, with the
closest name and the list of what is there. A view whose table was dropped, and a query naming a
table the file does not have, are reported the same way, naming the file. *Columns* reads only those, in that order. With a
*query*, write DuckDB SQL; unqualified table names are looked up in the file's *schema*
(\`SELECT country, sum(revenue) FROM order_facts GROUP BY ALL\`), and \`$param\` inserts a pipeline param.
The query reads the file's tables and views and nothing else: table functions that read files, URLs or
the database's settings (\`read_csv\`, \`read_text\`, \`glob\`, \`query\`, …) and a file name where a table goes
(\`FROM 'data.parquet'\`) are refused before the run, as in the SQL node. A view kept in the file runs as
it was defined, as it would in any DuckDB client: a view over files (\`CREATE VIEW v AS FROM 'lake/*.parquet'\`)
reads them. Look at the views of a database file
you did not make (\`SELECT view_name, sql FROM duckdb_views()\` in a DuckDB shell) before reading them.

**Read-only, held briefly.** The file is attached \`READ_ONLY\` only while its rows are copied into the
run's own DuckDB, then detached: the run never writes it, and does not keep it open while later
nodes work. A DuckDB sink of the same run may write the same file afterwards.

**Locked files.** DuckDB lets one process write a database file at a time, and while one does, no
other process can open the file, not even to read. If another program holds it (a \`duckdb\` shell,
a notebook, a run loading this warehouse), the node fails with that program's name and PID and
says to wait for it or close it. A run of the studio never keeps the file open between runs.

**Schema pinning.** Like every source, *Expected schema* pins the columns (and types) this node must
produce; a table that changed is reported before the run (or as a warning, with \`on_drift: warn\`).

**Previews** read the first ${PREVIEW_ROWS} rows and say they are sampled. The rows are copied into the
run's DuckDB (which spills to disk beyond its memory limit) before the next node reads them.`,
  example: {
    description: 'Read three columns of the warehouse table another pipeline loads',
    params: { database: 'out/warehouse.duckdb', schema: 'main', table: 'order_facts', columns: ['order_id', 'country', 'revenue'] },
  },
});
