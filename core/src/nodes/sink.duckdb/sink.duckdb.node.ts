import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { z } from 'zod';
import { defineNode, type Column, type Destination } from '../define.js';
import { duckdbSinkSpark } from './sink.duckdb.spark.js';
import { ident, literal, stringLiteral } from '../../compiler/sql.js';
import { canonicalPath, ensureParentFolder, isUnwritable, targetKind, unwritableTarget, type UnwritableWhy } from '../shared/file-sink.js';
import { DUCKDB_STAGE_PREFIX } from '../shared/staging-names.js';
import { notADuckdbDatabase } from './database-file.js';
import { caudalOwnTargetProblem } from '../shared/caudal-files.js';
import type { Problem } from '../../util/errors.js';
import { ownerTag, shortRunId } from '../../util/owner.js';
import { foldName, foldNameSql as fold } from '../shared/columns.js';

/** Staging tables carry the run and its owner (util/owner.ts), so leftovers of a killed run are recognized. */
const STAGE_PREFIX = DUCKDB_STAGE_PREFIX;

const params = z
  .object({
    database: z
      .string()
      .min(1)
      .default('warehouse.duckdb')
      .meta({
        label: 'Database file',
        help: 'A DuckDB database file, created if missing (with its folders). Relative paths resolve against the pipeline file\'s folder. A symbolic link, a named pipe or a device there is refused: point it at the file itself.',
        widget: 'path',
        placeholder: 'warehouse.duckdb',
      }),
    schema: z
      .string()
      .min(1)
      .default('main')
      .meta({ label: 'Schema', help: 'Created if missing.', widget: 'text', group: 'Table', placeholder: 'main' }),
    table: z
      .string()
      .min(1)
      .refine((t) => !t.toLowerCase().startsWith(STAGE_PREFIX), { message: `table names starting with ${STAGE_PREFIX} are reserved for staging` })
      .meta({
        label: 'Table',
        help: 'Written exactly as typed (any characters, case kept); ${param} inserts a pipeline param.',
        widget: 'text',
        group: 'Table',
        placeholder: 'orders',
      }),
    mode: z
      .enum(['replace', 'append'])
      .default('replace')
      .meta({
        label: 'Mode',
        help: 'replace: the table holds exactly this run\'s rows. append: add the rows to the table (created on the first run); the columns must match.',
        widget: 'select',
        group: 'Table',
      }),
  })
  .strict();

/**
 * Why a database path may not be a link, a pipe or a device. DuckDB writes the file in place and
 * keeps its write-ahead log next to the path it opened: through a link, the log of a run that
 * stops midway lies next to the link, where a program opening the database itself never looks.
 */
const DATABASE_WHY: UnwritableWhy = {
  field: 'database',
  link: 'write the database through the link, and DuckDB would keep its write-ahead log (.wal) next to the link, where a program opening the database itself does not look for it',
  special: 'a DuckDB database is a regular file that the sink opens and writes in place (a pipe would block the run, a device cannot hold a database)',
  hint: 'set the database to a regular file (created if missing)',
};

/** One alias per database file: two sinks into the same file share the attachment (DuckDB allows one per file). */
function aliasFor(file: string): string {
  return `caudal_db_${createHash('sha256').update(file).digest('hex').slice(0, 12)}`;
}

/**
 * The table is the destination (two sinks of one run may not write the same one); the file is what
 * runs take in turn: DuckDB lets one process write a database file at a time, so a second run into
 * another table of it would fail when it opens the file, after reading its whole input. Both use the
 * real path: one file reached through a symlinked folder is one destination, one lock.
 */
function destinationOf(file: string, real: string, schema: string, table: string): Destination & { lock: Destination } {
  const where = `${file}${real === file ? '' : ` (${real})`}`;
  return {
    key: `duckdb:${real}:${foldName(schema)}.${foldName(table)}`,
    label: `table ${schema}.${table} in ${where}`,
    lock: { key: `duckdb:${real}`, label: `DuckDB database ${where}` },
  };
}

/**
 * A statement that raises (through DuckDB's error()) when writing would go wrong: the target is a
 * view, or (append) the table's columns differ from the input's by name or type. It reads only the
 * catalog, so it fails before any data is read.
 */
function guardSql(alias: string, schema: string, table: string, shown: string, columns: Column[], append: boolean): string {
  const where = (nameCol: string) =>
    `database_name = ${stringLiteral(alias)} AND ${fold('schema_name')} = ${fold(stringLiteral(schema))} AND ${fold(nameCol)} = ${fold(stringLiteral(table))}`;
  const isView = `EXISTS (SELECT 1 FROM duckdb_views() WHERE ${where('view_name')})`;
  const viewMsg = stringLiteral(`cannot write ${shown}: it is a view; the DuckDB sink writes tables`);
  if (!append) return `SELECT error(${viewMsg}) WHERE ${isView}`;
  const inputRows = columns.map((c, i) => `(${stringLiteral(c.name)}, ${stringLiteral(c.type)}, ${literal(i)})`).join(', ');
  const q = (col: string) => `'''' || ${col} || ''''`;
  const mismatchMsg = stringLiteral(`cannot append to ${shown}: its columns differ from the input's: `);
  const hint = stringLiteral(` (make the input match, e.g. with a Select or Derive node, or set mode to "replace" to recreate the table)`);
  return `WITH target AS (
  SELECT column_name AS name, data_type AS type, column_index AS pos FROM duckdb_columns() WHERE ${where('table_name')}
),
input(name, type, pos) AS (VALUES ${inputRows}),
missing AS (SELECT string_agg(${q('name')}, ', ' ORDER BY pos) AS v FROM target WHERE ${fold('name')} NOT IN (SELECT ${fold('name')} FROM input)),
extra AS (SELECT string_agg(${q('name')}, ', ' ORDER BY pos) AS v FROM input WHERE ${fold('name')} NOT IN (SELECT ${fold('name')} FROM target)),
changed AS (
  SELECT string_agg(${q('t.name')} || ' is ' || t.type || ' in the table but ' || i.type || ' in the input', ', ' ORDER BY t.pos) AS v
  FROM target t JOIN input i ON ${fold('t.name')} = ${fold('i.name')} WHERE t.type <> i.type
),
problem AS (
  SELECT CASE
    WHEN ${isView} THEN ${viewMsg}
    WHEN NOT EXISTS (SELECT 1 FROM target) THEN NULL
    ELSE nullif(concat_ws('; ',
      'the table has ' || missing.v || ', missing from the input',
      'the input has ' || extra.v || ', missing from the table',
      changed.v), '')
  END AS v
  FROM missing, extra, changed
)
SELECT error(CASE WHEN v LIKE 'cannot write %' THEN v ELSE ${mismatchMsg} || v || ${hint} END) FROM problem WHERE v IS NOT NULL`;
}

export const duckdbSinkNode = defineNode({
  type: 'sink.duckdb',
  replacesContent: (p) => p.mode === 'replace',
  version: 1,
  spark: duckdbSinkSpark,
  category: 'sink',
  title: 'Write DuckDB table',
  description: 'Loads the input into a table of a DuckDB database file (the local warehouse), replacing or appending atomically.',
  aliases: ['duckdb', 'warehouse', 'table', 'load', 'database', 'save'],
  inputs: [{ name: 'in' }],
  outputs: [],
  params,
  docs: `Loads the rows into a table of a DuckDB database file: by default \`warehouse.duckdb\` next to the
pipeline, which any DuckDB client (the \`duckdb\` CLI, Python, DBeaver, another Caudal pipeline)
can open.

**Modes.** \`replace\` (the default) swaps in a new table holding exactly this run's rows, with the
input's column names and types (indexes and constraints of the old table are not kept).
\`append\` adds the rows to the table, creating it on the first run; the input must have the same
columns as the table (any order, names compared without case) with the same types. Otherwise the
sink fails before it writes anything, and the message lists the columns that differ, for example
\`the input has 'discount', missing from the table; 'amount' is DECIMAL(10,2) in the table but DOUBLE in the input\`.

**Atomic.** During the run the rows go to a staging table
\`_caudal_stage_<run>_<owner>_<node id>\` in the same schema. When every sink of the run has been
written, one transaction per database file swaps it in (replace) or inserts it and drops it
(append); it is opened while the run prepares its destinations and committed with the run (see
"Commit guarantees" in the user guide), so readers see the old table or the new one, never a mix. A
failed or cancelled run drops the staging table and leaves the tables as they were; a database file,
folders or a schema that the run created are removed again. A run killed outright (kill -9, power
loss) leaves its staging table behind: the next run into the same file drops it, as does
\`caudal clean\`.

**The database path** must name a regular file, or nothing yet. A symbolic link there (also one to
another database), a named pipe, a device such as \`/dev/null\` or a folder is refused before anything
is read, as the file sinks refuse theirs: DuckDB would keep its write-ahead log next to the link
rather than next to the database, and would wait on a pipe forever. Set the path to the link's
target instead (the message names it). Folders on the way may be symbolic links: the database is
then one destination under its real path. Reading a database through a link (source.duckdb) is fine.
A file there that is not a DuckDB database (other content, or empty) is refused before anything is
read too, and left as it is.

**Locking.** DuckDB lets one process write a database file at a time. The file is opened when this
sink starts writing and closed (detached) when the run commits or rolls back, so the studio never
keeps your warehouse locked; but while a run writes it, other programs cannot open it. The other way
round, while another program has the file open (a duckdb shell, a notebook, a BI tool), the run
stops before writing anything and names that program and its process id. Runs of Caudal take the
file in turn, whatever table they write: a second run into any table of the file stops at once as
busy (exit code 75) before it reads anything, or with \`--wait\` waits for the first. Sinks of one
run into several tables of one file write it together.`,
  example: {
    description: 'Keep a history of daily order snapshots in the local warehouse',
    params: { database: 'warehouse.duckdb', schema: 'sales', table: 'orders_history', mode: 'append' },
  },
  async sink(ctx) {
    const p = ctx.params;
    const file = ctx.path(p.database);
    const schema = ctx.text(p.schema);
    const table = ctx.text(p.table);
    const stageName = `${STAGE_PREFIX}${shortRunId(ctx.runId)}_${ownerTag()}_${ctx.nodeId}`;
    const alias = aliasFor(file);
    const db = ident(alias);
    const targetRef = `${db}.${ident(schema)}.${ident(table)}`;
    const stageRef = `${db}.${ident(schema)}.${ident(stageName)}`;
    const shown = `${schema}.${table} in ${file}`;
    const input = ctx.input();

    const preflight: Problem[] = [];
    let createdFolders: string[] = [];
    // The lock and the destination key use the real path (destinationOf).
    const real = await canonicalPath(file);
    // Refused before anything is read, as the file sinks refuse theirs (a pipe would block the run).
    const kind = await targetKind(file);
    const notDuckdb = kind === 'file' ? await notADuckdbDatabase(file) : undefined;
    if (isUnwritable(kind)) {
      preflight.push(await unwritableTarget(ctx.nodeId, file, kind, DATABASE_WHY));
    } else if (kind === 'folder') {
      preflight.push({
        code: 'destination_exists',
        path: 'params.database',
        nodeId: ctx.nodeId,
        message: `node '${ctx.nodeId}': ${file} is a folder, not a DuckDB database file`,
        hint: 'put a file name at the end of the database path (e.g. warehouse.duckdb)',
      });
    } else if (notDuckdb) {
      preflight.push({
        code: 'destination_exists',
        path: 'params.database',
        nodeId: ctx.nodeId,
        message: `node '${ctx.nodeId}': ${file} is not a DuckDB database (${notDuckdb}); the sink writes into a DuckDB database file and does not replace other files`,
        hint: 'point the database at a DuckDB file, or at a path where none exists yet (the sink creates it); move the file away if it is no longer needed',
      });
    } else {
      // Never inside a .caudal folder or onto Caudal's own files, as the file sinks (caudal-files.ts).
      const own = await caudalOwnTargetProblem(
        { nodeId: ctx.nodeId, param: 'database', written: ctx.params.database, real, kind: kind === 'file' ? 'file' : undefined },
        { baseDir: await canonicalPath(ctx.path('.')), pipelineName: ctx.pipelineName },
      );
      if (own) {
        preflight.push(own);
      } else {
        const parent = await ensureParentFolder(ctx, file, 'database');
        if (parent.problem) preflight.push(parent.problem);
        createdFolders = parent.created;
      }
    }
    const createdFile = !(await stat(file).catch(() => undefined));

    // The engine attaches the file before these run (Publish.attach). A schema the run creates is
    // dropped again if the run does not commit: the flag table remembers whether it existed.
    const stage: string[] = [];
    const schemaFlag = ident(`_caudal_schema_created_${ctx.nodeId}`);
    const discard: Array<string | { sql: string; when: string }> = [`DROP TABLE IF EXISTS ${stageRef}`];
    if (foldName(schema) !== 'main') {
      stage.push(
        `CREATE OR REPLACE TEMP TABLE ${schemaFlag} AS SELECT NOT EXISTS (SELECT 1 FROM duckdb_schemas() WHERE database_name = ${stringLiteral(alias)} AND ${fold('schema_name')} = ${fold(stringLiteral(schema))}) AS created`,
        `CREATE SCHEMA IF NOT EXISTS ${db}.${ident(schema)}`,
      );
      discard.push({ sql: `DROP SCHEMA IF EXISTS ${db}.${ident(schema)}`, when: `SELECT created FROM ${schemaFlag}` });
    }
    stage.push(guardSql(alias, schema, table, shown, input.columns, p.mode === 'append'));
    stage.push(`CREATE TABLE ${stageRef} AS SELECT * FROM ${input.ref}`);

    // Published inside the transaction the engine holds on this file from prepare to commit (shared
    // by every sink into the same file: DuckDB writes one attached database per transaction).
    const apply =
      p.mode === 'replace'
        ? [`DROP TABLE IF EXISTS ${targetRef}`, `ALTER TABLE ${stageRef} RENAME TO ${ident(table)}`]
        : [
            `CREATE TABLE IF NOT EXISTS ${targetRef} AS SELECT * FROM ${stageRef} WITH NO DATA`,
            `INSERT INTO ${targetRef} BY NAME SELECT * FROM ${stageRef}`,
            `DROP TABLE ${stageRef}`,
          ];
    return {
      target: `${file} (table ${schema}.${table})`,
      destination: destinationOf(file, real, schema, table),
      preflight,
      stage,
      publish: {
        kind: 'duckdb',
        file,
        alias,
        attach: `ATTACH IF NOT EXISTS ${stringLiteral(file)} AS ${db}`,
        detach: `DETACH DATABASE IF EXISTS ${db}`,
        apply,
        discard,
        stageTables: [{ schema, table: stageName }],
        createdFile,
      },
      createdFolders,
    };
  },
});
