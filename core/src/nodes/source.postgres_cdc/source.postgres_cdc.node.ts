import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { parse as parsePgArray } from 'postgres-array';
import { defineNode, type HookIo } from '../define.js';
import { ident, namedArgs, stringLiteral } from '../../compiler/sql.js';
import { postgresFields } from '../../connections/postgres/postgres.connection.js';
import { CdcSession, QUIET_CONFIRM_MS, type Change, type CdcSpec } from '../../connectors/postgres/cdc.js';
import { SPILL_AT, spilledChanges, type SpilledTransaction } from '../../connectors/postgres/cdc-spill.js';
import { ACKNOWLEDGED_LSN, acknowledgedIn, COPY_ID, copyIdOf, refuseForeignAcknowledgement } from '../../connectors/postgres/cdc-copy.js';
import { lsnText, lsnValue } from '../../connectors/postgres/lsn.js';
import { checkReplication, defaultReplicationName, ensureReplication, generatedColumnsOf, resolveDefaultSlot, withClient } from '../../connectors/postgres/cdc-setup.js';
import { postgresConnector } from '../../connectors/postgres/postgres.connector.js';
import { duckdbEra, eraListFromJson, isNumericAsDouble, numericListFromJson, numericTextAsDouble } from '../../connectors/postgres/types.js';
import type { RemoteColumn } from '../../connectors/connector.js';
import { stateKey } from '../shared/state-key.js';
import { createdSlotFile, forgetCreatedSlot, readCreatedSlot, writeCreatedSlot } from './created-slot.js';
import { forgetQuietPosition, laterOf, quietPositionFile, readQuietPosition, writeQuietPosition } from './quiet-position.js';

/**
 * Slot and publication names: PostgreSQL's rule for slot names (lower-case letters, digits, `_`),
 * used for publications too, because the replication protocol's START_REPLICATION takes the
 * publication as text inside quotes that the replication library does not escape.
 */
const replicationName = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'use lower-case letters, digits and _ only (at most 63, not starting with a digit), as PostgreSQL requires for slot names');
/** The same rule for publications, said as theirs: the replication protocol takes the name unescaped. */
const publicationName = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'use lower-case letters, digits and _ only (at most 63, not starting with a digit): the replication protocol passes the publication name unescaped');

const PREVIEW_ROWS = 100;

const params = z
  .object({
    connection: z.string().min(1).meta({ label: 'Connection', help: 'A PostgreSQL connection whose user may replicate (REPLICATION attribute) and owns the table.', widget: 'connection' }),
    schema: z.string().min(1).default('public').meta({ label: 'Schema' }),
    table: z.string().min(1).meta({ label: 'Table', help: 'The table whose changes to capture.' }),
    slot: replicationName.optional().meta({
      label: 'Replication slot',
      help: 'Keeps every change until Caudal acknowledges it. Default: caudal_<pipeline>_<node>_<hash of the exact pipeline name and node id>. Lower-case letters, digits and _. Another pipeline\'s slot is refused.',
      group: 'Replication',
    }),
    publication: publicationName.optional().meta({
      label: 'Publication',
      help: 'Names the table for logical replication. Default: the slot\'s name. Must cover exactly this table; another pipeline\'s publication is refused.',
      group: 'Replication',
    }),
    create: z.boolean().default(true).meta({ label: 'Create publication and slot', help: 'Create them on the first run when missing (the user needs the rights); off: they must exist.', widget: 'boolean', group: 'Replication' }),
    snapshot: z.boolean().default(true).meta({
      label: 'Start with a snapshot',
      help: 'The first run also reads the table\'s current rows (as _op = "snapshot"), so a mirror starts complete; later runs read changes only.',
      widget: 'boolean',
    }),
    max_rows: z.int().positive().default(50_000).meta({ label: 'Changes per batch', help: 'At most about this many changes per run (whole transactions), per micro-batch with --watch.', group: 'Batches' }),
    max_wait_ms: z.int().nonnegative().default(1_000).meta({ label: 'Batch wait (ms)', help: 'With --watch: after the first change of a batch, how long to wait for more.', group: 'Batches' }),
  })
  .strict();

/** Columns whose PostgreSQL text output DuckDB does not read directly (see the docs). */
function fromText(c: RemoteColumn): string {
  const v = ident(c.name);
  if (c.type === 'BLOB') return `from_hex(substr(${v}, 3))`;
  // Arrays arrive as JSON (writeChanges), converted as the snapshot's array_to_json is.
  if (c.type.endsWith('[]')) {
    if (/^numeric\b/i.test(c.remoteType)) return numericListFromJson(v, c.type, c.name);
    if (['DATE[]', 'TIMESTAMP[]', 'TIMESTAMPTZ[]'].includes(c.type)) return eraListFromJson(v, c.type);
    return `CAST(CAST(${v} AS JSON) AS ${c.type})`;
  }
  if (c.type === 'BOOLEAN') return `(${v} = 't')`;
  // As the snapshot reads it: a value with more digits than a DOUBLE keeps is refused.
  if (isNumericAsDouble(c.remoteType, c.type)) return numericTextAsDouble(v, c.name);
  // A date before year 1 is `0044-03-15 BC` in PostgreSQL's text, which DuckDB read as 44 AD.
  if (['DATE', 'TIMESTAMP', 'TIMESTAMPTZ'].includes(c.type)) return `CAST(${duckdbEra(v)} AS ${c.type})`;
  return `CAST(${v} AS ${c.type})`;
}

export const postgresCdcSourceNode = defineNode({
  type: 'source.postgres_cdc',
  version: 1,
  category: 'source',
  streaming: true,
  title: 'PostgreSQL changes (CDC)',
  description: 'Captures inserts, updates and deletes of a PostgreSQL table through logical replication, acknowledged after the run committed.',
  aliases: ['cdc', 'change data capture', 'postgres', 'replication', 'debezium', 'streaming', 'changes'],
  inputs: [],
  outputs: [{ name: 'out', label: 'Changes' }],
  params,
  async compile(ctx) {
    const p = ctx.params;
    const conn = ctx.connection(p.connection, 'postgres');
    const config = postgresFields.parse(conn.config);
    const table = { schema: ctx.text(p.schema), name: ctx.text(p.table) };
    const owner: CdcSpec['owner'] = { pipeline: ctx.pipelineName, node: ctx.nodeId };
    // The table's columns and their DuckDB types; the snapshot read is the ordinary table read.
    const snapshotRead = await postgresConnector.planRead(config, { table }, { nodeId: ctx.nodeId, connection: p.connection });
    // Generated columns are left out, in the snapshot as in changes: replication never sends their values.
    const generated = new Set(await withClient(config, (client) => generatedColumnsOf(client, table)));
    const cols = snapshotRead.columns.filter((c) => !generated.has(c.name));
    // Previews touch neither slot nor publication; plans (validate) and runs check them before anything is created.
    const slot = p.slot ?? (ctx.mode === 'preview' ? defaultReplicationName(owner.pipeline, owner.node) : await resolveDefaultSlot(config, owner, table, p.publication));
    // One state per slot and server: whether the snapshot was taken, which copy of the pipeline this
    // is, and how far it acknowledged (cdc-copy.ts).
    const key = stateKey({ type: 'postgres_cdc', host: config.host, port: config.port, database: config.database, slot }, `postgres ${config.host}:${config.port}/${config.database}, slot ${slot}`);
    const state = ctx.mode === 'run' ? (await ctx.readState(key))?.state : undefined;
    // Only a run knows its state (validate may run without it): only a run tells copies apart.
    const stateFolder = path.dirname(ctx.nodeFolder('cdc'));
    if (ctx.mode === 'run') owner.copy = { id: copyIdOf(state, stateFolder), stateFolder };
    const spec: CdcSpec = { table, slot, publication: p.publication ?? slot, create: p.create, owner, maxRows: p.max_rows, maxWaitMs: p.max_wait_ms, spillDir: ctx.tempPath('cdc-spill') };
    if (ctx.mode !== 'preview') {
      const checked = await withClient(config, (client) => checkReplication(client, spec, ctx.nodeId));
      spec.primaryKey = checked.primaryKey;
      if (checked.identityKey) {
        const identity = checked.identityKey.join(', ');
        const pk = checked.primaryKey.length > 0 ? `, not its primary key (${checked.primaryKey.join(', ')})` : '';
        ctx.warn(
          `node '${ctx.nodeId}': the replica identity of ${p.schema}.${p.table} is a unique index on (${identity})${pk}: a delete carries only ${identity}, every other column NULL, so key a mirror on ${identity} (dedupe and sink keys), or a delete stops its upsert with a NULL key. REPLICA IDENTITY DEFAULT (the primary key) or FULL send ${pk ? 'the primary key' : 'every column'} too`,
        );
      }
      if (checked.atRisk) ctx.warn(`node '${ctx.nodeId}': replication slot '${slot}' holds back more WAL than the server's max_slot_wal_keep_size allows: the server may invalidate it at its next checkpoint, and the changes not yet read would be lost; this run reads them now if it can. Run the pipeline more often, or raise max_slot_wal_keep_size`);
    }
    const wantSnapshot = p.snapshot && state?.snapshot_done !== true;

    const changes = ctx.tempPath('cdc-changes.ndjson');
    const snapshotFile = ctx.tempPath('cdc-snapshot.csv');
    await writeFile(changes, '');
    await writeFile(snapshotFile, '');
    const planned = cols.map((c) => c.name);
    const arrayColumns = cols.filter((c) => c.type.endsWith('[]')).map((c) => c.name);
    const jsonColumns = { ...Object.fromEntries(cols.map((c) => [c.name, 'VARCHAR'])), _op: 'VARCHAR', _lsn: 'VARCHAR', _seq: 'BIGINT', _commit_time: 'TIMESTAMPTZ' };
    const changesSql = `SELECT ${cols.map((c) => `${fromText(c)} AS ${ident(c.name)}`).join(', ')}, _op, _lsn, _seq, _commit_time FROM read_json(${stringLiteral(changes)}, ${namedArgs({ format: 'newline_delimited', columns: jsonColumns })})`;
    const snapshotColumns = generated.size === 0 ? '*' : `* EXCLUDE (${[...generated].map(ident).join(', ')})`;
    const snapshotSql = `SELECT ${snapshotColumns}, 'snapshot' AS _op, NULL::VARCHAR AS _lsn, (row_number() OVER () - 1)::BIGINT AS _seq, NULL::TIMESTAMPTZ AS _commit_time FROM (${snapshotRead.scanSql(snapshotFile)})`;
    let snapshotTaken = false;
    // A slot created now (first run, or dropped to start over) starts with a snapshot, whatever the state says.
    let slotCreated = false;
    let opened: CdcSession | undefined;
    const createdFile = createdSlotFile(ctx.nodeFolder('cdc'), key.key);
    const quietFile = quietPositionFile(ctx.nodeFolder('cdc'), key.key);
    const acknowledged = acknowledgedIn(state);
    /**
     * Where to start reading, once the slot's position is known: a slot created now has no past (the
     * state, if any, is an older slot's); one that exists must stand where this copy left it (or
     * where a waiting --watch of it confirmed it since, quiet-position.ts), and what the state says
     * was delivered is skipped (a run killed before it acknowledged).
     */
    const start = async (confirmed: bigint): Promise<bigint | undefined> => {
      if (!slotCreated) {
        const earlier = await readCreatedSlot(createdFile, slot);
        const quiet = await readQuietPosition(quietFile, slot);
        const committedSince = earlier !== undefined && acknowledged !== undefined && lsnValue(acknowledged) >= lsnValue(earlier.position);
        if (earlier && !committedSince) {
          // A run of this copy created the slot and never committed: still unread, it is as new.
          refuseForeignAcknowledgement(ctx.nodeId, ctx.pipelineName, spec, confirmed, laterOf(earlier.position, quiet));
          slotCreated = true;
        } else {
          refuseForeignAcknowledgement(ctx.nodeId, ctx.pipelineName, spec, confirmed, laterOf(acknowledged, quiet));
          if (earlier) await forgetCreatedSlot(createdFile);
          return acknowledged === undefined ? undefined : lsnValue(acknowledged);
        }
      }
      // Before anything is read: a run that fails from here on leaves the slot known as this copy's.
      await writeCreatedSlot(createdFile, { slot, position: lsnText(confirmed) });
      return undefined;
    };
    const session = (io: HookIo) =>
      io.sessions!.get(
        `cdc:${ctx.nodeId}`,
        async () => {
          slotCreated = await ensureReplication(config, spec, ctx.nodeId, (m) => io.log(m));
          await mkdir(spec.spillDir, { recursive: true });
          return CdcSession.open(config, spec, start);
        },
        (s) => s.close(),
      );

    return {
      streaming: true,
      setup: [
        {
          kind: 'hook',
          description: `changes of ${table.schema}.${table.name} from replication slot '${slot}'${wantSnapshot ? ', after a snapshot of the table' : ''}`,
          countsRows: true,
          async run(io) {
            const s = (opened = await session(io));
            let rows = 0;
            if (slotCreated && state?.snapshot_done === true && !snapshotTaken) {
              // The state says an earlier run read from this slot: it was dropped since (by hand, or by
              // the server with max_slot_wal_keep_size), and changes made meanwhile were never captured.
              const missing = `replication slot '${slot}' was missing and has been created again (dropped since the last run?): changes made in between were not captured`;
              (io.warn ?? io.log)(p.snapshot ? `${missing}; a new snapshot follows, but rows deleted in between stay in a mirror until it is emptied and loaded again` : `${missing}, and snapshot is off`);
            }
            if ((wantSnapshot || (p.snapshot && slotCreated)) && !snapshotTaken) {
              // The slot exists before the snapshot is read: changes made meanwhile come again as changes.
              rows += await snapshotRead.fetch(io, snapshotFile);
              snapshotTaken = true;
              io.log(`snapshot of ${table.schema}.${table.name}: ${rows} rows`);
            } else await writeFile(snapshotFile, '');
            const batch = await s.read(
              config,
              {
                watch: (io.stream?.watch ?? false) && rows === 0,
                stopping: () => io.stream?.stopping() ?? false,
                isCancelled: io.isCancelled,
                recordQuiet: (position) => writeQuietPosition(quietFile, { slot, position }),
              },
              planned,
            );
            // Snapshot rows come first in _seq order, then the changes.
            await writeChanges(batch.changes, changes, rows, arrayColumns);
            const spilled = batch.changes.filter((c) => c.op === 'spilled');
            if (spilled.length > 0) io.log(`${spilled.length === 1 ? 'a transaction' : `${spilled.length} transactions`} of ${spilled.map((t) => t.count).join(', ')} changes, kept on disk while ${spilled.length === 1 ? 'it' : 'they'} arrived`);
            io.stream?.read({ rows: batch.rows, waitedMs: batch.waitedMs });
            return rows + batch.rows;
          },
          async dry(io) {
            await writeFile(changes, '');
            await writeFile(snapshotFile, '');
            if (ctx.mode !== 'preview') return;
            // A preview consumes nothing: it shows a sample of the table's current rows (as a snapshot would).
            const rows = await (await postgresConnector.planRead(config, { table, limit: PREVIEW_ROWS }, { nodeId: ctx.nodeId, connection: p.connection })).fetch(io, snapshotFile);
            return { sampled: rows >= PREVIEW_ROWS };
          },
        },
      ],
      outputs: { out: `${snapshotSql}\nUNION ALL BY NAME\n${changesSql}` },
      stateKey: key,
      async nextState() {
        // Where the session stands: its last change, else where the slot stood when it opened, which
        // for a slot created by this run is the new slot's start, not the saved position of the old one.
        const position = opened?.position ?? acknowledged;
        return {
          ...(p.snapshot ? { snapshot_done: true } : {}),
          [COPY_ID]: owner.copy!.id,
          ...(position !== undefined ? { [ACKNOWLEDGED_LSN]: position } : {}),
        };
      },
      async onCommitted(io) {
        await (await session(io)).acknowledge();
        // The state now holds the created slot's position, and at least as far as the slot was
        // confirmed while the table was quiet: the records have done their job.
        if (slotCreated) await forgetCreatedSlot(createdFile);
        await forgetQuietPosition(quietFile);
      },
    };
  },
  spark: { kind: 'unsupported', reason: 'change capture keeps a replication slot position in the local state; run it with caudal run --watch and land the changes where Spark reads them' },
  docs: `Captures every insert, update and delete of a PostgreSQL table through logical replication
(the server's built-in \`pgoutput\`), so a mart table, a search index or a cache can follow it. The
server needs \`wal_level = logical\`; the connection's user needs the REPLICATION attribute and
ownership of the table (or an administrator creates the publication and slot once). The table needs a
primary key or \`REPLICA IDENTITY FULL\` (see *Refused*).

**Rows.** Each change is a row with the table's columns (for a delete: the key columns, the rest
NULL, unless the table has \`REPLICA IDENTITY FULL\`), plus \`_op\` (\`insert\`, \`update\`, \`delete\`, or
\`snapshot\` for rows of the initial snapshot), \`_lsn\` (the transaction's commit position),
\`_seq\` (order within the batch) and \`_commit_time\`. An UPDATE that changes the primary key (or
the replica identity's key) arrives as two rows: a \`delete\` of the old key, then an \`insert\` of
the new row, so a mirror keyed on it drops the old row. Changes arrive in commit order, whole
transactions at a time. Column types are those of source.postgres, in changes as in the snapshot
(e.g. unconstrained \`numeric\` as DOUBLE, refusing a value with more than 15 significant digits).
Generated columns (\`GENERATED ALWAYS AS … STORED\`) are left out, in the snapshot as in changes:
logical replication does not send their values (a mirror table computes them itself).

**Mirror a table.** Keep the last change per key (transform.dedupe, keys = the primary key, or the
columns of the replica identity index when the table's \`REPLICA IDENTITY USING INDEX\` names another
unique index: a delete carries only those, and the run warns so; keep
last by \`_seq\`), then sink.postgres in upsert mode with *Delete when* \`_op = 'delete'\` and the
\`_\` columns excluded: the target follows the source, inserts, updates and deletes. Give a table
with large text, JSON or bytea values \`REPLICA IDENTITY FULL\` (see below).

**Delivery.** A run without \`--watch\` takes the changes committed before it started, also those
committed with \`synchronous_commit = off\` (whose records the server writes a moment after the
COMMIT returns), and ends; \`--watch\` goes on with what comes next. To have the server decode up to
then, it commits an empty transaction of its own (a transaction id, no table touched), which makes
the server flush its WAL. The slot is acknowledged only after every sink of the run committed; a run that fails
or is killed before its commit leaves it where it was and the changes come again (at-least-once;
exactly-once into an upsert-and-delete mirror). A run killed after its commit (the next run's recovery
completes it and saves its state) has not acknowledged the slot: the next run skips the transactions up to
the position the state saved instead of delivering them again, and moves the slot there. A slot keeps WAL on the server until acknowledged: a pipeline that stops
running for long makes the server's disk grow. The WAL of other tables (which the publication leaves
out) passes through the slot too, and is acknowledged with it: after its commit a run moves the slot
up to where the server's WAL stood when nothing of the table was left unread, and a \`--watch\` waiting
on a quiet table does so every ${QUIET_CONFIRM_MS / 1000} seconds (noting that position beside the state, so that the next
run knows the slot was moved by this pipeline), never past a change of the table not yet committed. So
the slot of a quiet table on a busy server keeps about the WAL written since the last run (the server
frees older WAL once its next snapshot of running transactions lets the slot's restart point follow),
not everything since the table's last change, which every run decoded again. Remove a slot you no longer need
(\`SELECT pg_drop_replication_slot('…')\`). A server with \`max_slot_wal_keep_size\` invalidates a slot
that held back more than that: the run then refuses it, saying so (the changes since are gone; start
over as below), and warns while a slot is past the limit but not yet invalidated.

**Large transactions.** A batch takes whole transactions: one larger than *Changes per batch* (a bulk
UPDATE of millions of rows) is taken whole, in one batch. Past ${SPILL_AT.toLocaleString('en-US')} changes a transaction is kept
on disk in the run's temp folder while it arrives, not in memory (the log says so), so its size is
bounded by the disk, not the memory (where \`/tmp\` is in memory, set \`TMPDIR\` to a folder on disk); the
files go when the run ends.

**Slot and publication.** By default both are named \`caudal_<pipeline>_<node>_<hash>\`: readable,
plus a hash of the exact pipeline name and node id, so pipelines whose names differ only in case or
punctuation (\`sales-eu\`, \`Sales EU\`) never share one. A slot that earlier versions created under
\`caudal_<pipeline>_<node>\` for the same table keeps being used, from where it stood (no new
snapshot). A publication that Caudal creates carries a comment naming the pipeline, node and slot.
Whenever the slot or the publication already exists, the run checks it first and refuses, before
creating anything, a publication that covers another table (or more than this one, or all tables),
filters rows or columns, or leaves out inserts, updates, deletes or truncates, and a publication or
slot that belongs to another pipeline or node.

**Copies of a pipeline.** Two copies of one pipeline (the same name and node in two folders, or with
two \`--state-dir\`, or on two machines) would get the same default slot, and each would acknowledge
changes the other never saw. A run keeps a copy id in the node's state and on the publication's
comment: a copy whose id is not the publication's is refused before it reads anything (*used by
another copy*). Give each copy its own \`slot\` and \`publication\`, or its own pipeline name.
- A folder moved with its \`.caudal\` state is still the same copy. Until its first run commits, a
  copy is known by its machine's host name and its state folder, so a first run that failed is the
  same copy when run again there (the Airflow export's Kubernetes form gives its pods one host name).
- A pipeline moved without its state (to another machine) takes over where the old copy stopped with
  the \`COMMENT ON PUBLICATION\` statement the refusal gives: the next run claims the publication, and
  takes a snapshot first when snapshot is on. The same after \`caudal state reset\`, which forgets the
  copy id with the rest, when the pipeline moved since its first run.
- A copy made together with its state (\`cp -r\` of the folder) has the same id; the state also keeps
  the position this copy acknowledged, and a run that finds the slot acknowledged past it stops
  before reading (*acknowledged … by another reader*): the changes in between went elsewhere; start
  over as below.
- A publication an administrator created (without Caudal's comment) carries no copy id: only the
  position check applies there.

**Refused.** Rather than deliver a value it does not have, the run stops (a failed run, exit code 1), names
the table and column, and acknowledges nothing from that transaction on (every later run stops there too
until it is fixed):
- *A table without a primary key or replica identity* (validate and the first run say so before
  creating anything): publishing it would make the application's own UPDATE and DELETE on it fail.
  Add a primary key, or \`ALTER TABLE … REPLICA IDENTITY FULL\`.
- *An UPDATE that leaves a large (TOASTed: text, JSON or bytea over about 2 kB) value unchanged*:
  PostgreSQL sends no value for it unless the table has \`REPLICA IDENTITY FULL\`, and a NULL in its
  place would wipe it in a mirror. Run \`ALTER TABLE … REPLICA IDENTITY FULL\` (the old row is then
  logged with each update and delete), then start over as below.
- *TRUNCATE*: it sends no deletes, so a mirror cannot follow it. Start over as below.
- *Columns that changed*: a change made when the table had a column the run did not plan for — added
  while \`--watch\` waited, renamed, or dropped since — stops the run instead of losing that value. After
  an ADD COLUMN run again (the next run plans with the column; changes made before it have it NULL).
  Changes made before a rename or a drop cannot be matched to today's columns: start over.
- *A publication dropped under the slot* (even when the next run made it again): the slot cannot read
  past the drop. Start over.

*Starting over*: empty the target, drop the slot (\`SELECT pg_drop_replication_slot('…')\`) and run
again: a slot created by the run (the first, or after a drop) always starts with a snapshot of the table
when *Start with a snapshot* is on, and the state then follows the new slot. A run that created the slot
and then failed, was cancelled or was killed before its commit saves nothing; it leaves a note beside the
state, so the next run takes that slot, while nobody else has read from it, as one it created (with the
snapshot again).

*Renaming the pipeline or the node* changes the default slot's name: the next run creates a new slot
(and publication) and starts with a snapshot, while the old slot stays on the server and keeps every
change since, holding back WAL until the server's disk fills or \`max_slot_wal_keep_size\` invalidates
it. Drop it (\`SELECT pg_drop_replication_slot('caudal_<old name>…')\`, and \`DROP PUBLICATION\` of the same
name) once the new slot has taken over.

**Snapshot.** With *Start with a snapshot* the first committed run also reads the table's current
rows; the slot is created first, so nothing is missed in between (changes made meanwhile also come as
changes, harmless for a mirror). Array columns arrive in PostgreSQL's text form, are parsed element by
element (quotes, escapes, \`NULL\`, braces inside text) and become lists of the element type, as in the
snapshot; a value that does not convert (a two-dimensional array in an \`integer[]\` column) stops the run
naming the column rather than arriving as NULL.

**Previews** never touch the slot: they show up to ${PREVIEW_ROWS} of the table's current rows, as
\`_op = 'snapshot'\`.`,
  example: {
    description: 'Changes of the customers table, starting with a snapshot',
    params: { connection: 'app_db', schema: 'public', table: 'customers' },
  },
});

/**
 * Changes as NDJSON: text values under their column names, then the change's metadata. Array
 * columns are parsed from PostgreSQL's array text (quotes, escapes, NULL, braces inside elements,
 * nested arrays) by postgres-array into JSON text, which DuckDB converts to the list type or refuses.
 */
async function writeChanges(changes: Array<Change | SpilledTransaction>, file: string, firstSeq: number, arrayColumns: string[]): Promise<void> {
  const out = createWriteStream(file);
  let seq = firstSeq;
  const write = async (c: Change) => {
    const values = { ...c.values };
    for (const name of arrayColumns) {
      const text = values[name];
      if (typeof text === 'string') values[name] = JSON.stringify(parsePgArray(text));
    }
    const line = JSON.stringify({ ...values, _op: c.op, _lsn: c.lsn, _seq: seq++, _commit_time: c.commitTime });
    if (!out.write(line + '\n')) await once(out, 'drain');
  };
  try {
    for (const c of changes) {
      if (c.op !== 'spilled') await write(c);
      else for await (const held of spilledChanges(c)) await write(held);
    }
  } finally {
    out.end();
    await once(out, 'close');
  }
}
