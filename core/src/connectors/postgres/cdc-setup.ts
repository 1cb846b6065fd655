import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { PostgresConfig } from '../../connections/postgres/postgres.connection.js';
import { stringLiteral } from '../../compiler/sql.js';
import { CaudalError, errorMessage } from '../../util/errors.js';
import { anotherCopyError } from './cdc-copy.js';
import { connect } from './client.js';
import { pgIdent, pgTable } from './sql.js';

/**
 * The publication and replication slot of a change capture, and the checks that they are this
 * node's: a slot or publication shared with another pipeline, or covering another table, makes one
 * pipeline read (and acknowledge) the other's changes, so it is refused rather than used.
 */
export interface ReplicationSpec {
  table: { schema: string; name: string };
  slot: string;
  publication: string;
  /** Create the publication and the slot when they are missing. */
  create: boolean;
  /** The pipeline and node that capture through them, written on the publications Caudal creates. */
  owner: { pipeline: string; node: string; copy?: CopyOwner };
}

/** Runs only (cdc-copy.ts): which copy of the pipeline this is, and where its state lives. */
export interface CopyOwner {
  id: string;
  stateFolder: string;
}

const MARK = 'caudal change capture ';

/** What Caudal writes as the comment of a publication it creates: whose it is, and with which slot. */
interface Mark {
  pipeline: string;
  node: string;
  slot: string;
  /** The copy id of the pipeline's copy that reads them (absent on marks of earlier versions). */
  copy?: string;
}

function markText(m: Mark): string {
  return MARK + JSON.stringify(m);
}

function mark(spec: ReplicationSpec): string {
  return markText({ pipeline: spec.owner.pipeline, node: spec.owner.node, slot: spec.slot, ...(spec.owner.copy ? { copy: spec.owner.copy.id } : {}) });
}

/** The SQL that lets this copy take over a publication another copy marked: its mark without the copy id. */
function claimSql(publication: string, m: Mark): string {
  const { copy: _, ...unclaimed } = m;
  return `COMMENT ON PUBLICATION ${pgIdent(publication)} IS ${stringLiteral(markText(unclaimed))}`;
}

/** Marked for this pipeline and node, but by another copy of it. */
function anotherCopy(m: Mark, spec: ReplicationSpec): boolean {
  return spec.owner.copy !== undefined && m.copy !== undefined && m.copy !== spec.owner.copy.id;
}

function readMark(comment: string | null): Mark | undefined {
  if (!comment?.startsWith(MARK)) return undefined;
  try {
    const m = JSON.parse(comment.slice(MARK.length)) as Partial<Mark>;
    return typeof m.pipeline === 'string' && typeof m.node === 'string' && typeof m.slot === 'string' && (m.copy === undefined || typeof m.copy === 'string') ? (m as Mark) : undefined;
  } catch {
    return undefined;
  }
}

/** PostgreSQL's slot name rule: lower-case letters, digits and `_`, at most 63 bytes. */
function slotSafe(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}

/**
 * The default slot (and publication) name: readable, plus a hash of the exact pipeline name and
 * node id, so names that differ only in case or punctuation (`sales-eu`, `Sales EU`) get their own.
 */
export function defaultReplicationName(pipeline: string, node: string): string {
  const hash = createHash('sha256').update(JSON.stringify([pipeline, node])).digest('hex').slice(0, 12);
  return `${slotSafe(`caudal_${pipeline}_${node}`).slice(0, 63 - hash.length - 1)}_${hash}`;
}

/** The default of versions before the hash, still used where such a slot exists for this table. */
export function legacyReplicationName(pipeline: string, node: string): string {
  return slotSafe(`caudal_${pipeline}_${node}`).slice(0, 63);
}

/**
 * The default slot name for a node: the legacy one when a slot of that name exists and its
 * publication is missing or covers exactly this table (an upgraded pipeline keeps its position),
 * else the hashed one.
 */
export async function resolveDefaultSlot(config: PostgresConfig, owner: ReplicationSpec['owner'], table: ReplicationSpec['table'], publication: string | undefined): Promise<string> {
  const fresh = defaultReplicationName(owner.pipeline, owner.node);
  const legacy = legacyReplicationName(owner.pipeline, owner.node);
  return withClient(config, async (client) => {
    const { rows } = await client.query<{ slot_name: string }>('SELECT slot_name FROM pg_replication_slots WHERE slot_name = ANY($1::text[]) AND database = current_database()', [[fresh, legacy]]);
    const names = new Set(rows.map((r) => r.slot_name));
    if (names.has(fresh) || !names.has(legacy)) return fresh;
    const pub = await publicationOf(client, publication ?? legacy);
    if (!pub) return legacy;
    const m = readMark(pub.comment);
    const mine = !m || (m.pipeline === owner.pipeline && m.node === owner.node);
    return mine && !pub.all && pub.tables.length === 1 && pub.tables[0] === pgTable(table) ? legacy : fresh;
  });
}

interface Publication {
  oid: number;
  all: boolean;
  actions: Record<'insert' | 'update' | 'delete' | 'truncate', boolean>;
  comment: string | null;
  /** Quoted schema.table of each table it covers. */
  tables: string[];
}

async function publicationOf(client: pg.Client, name: string): Promise<Publication | undefined> {
  const { rows } = await client.query<{ oid: number; puballtables: boolean; pubinsert: boolean; pubupdate: boolean; pubdelete: boolean; pubtruncate: boolean; comment: string | null }>(
    `SELECT oid, puballtables, pubinsert, pubupdate, pubdelete, pubtruncate, obj_description(oid, 'pg_publication') AS comment FROM pg_publication WHERE pubname = $1`,
    [name],
  );
  const p = rows[0];
  if (!p) return undefined;
  const { rows: tables } = await client.query<{ schemaname: string; tablename: string }>('SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = $1 ORDER BY 1, 2', [name]);
  return {
    oid: p.oid,
    all: p.puballtables,
    actions: { insert: p.pubinsert, update: p.pubupdate, delete: p.pubdelete, truncate: p.pubtruncate },
    comment: p.comment,
    tables: tables.map((t) => pgTable({ schema: t.schemaname, name: t.tablename })),
  };
}

/**
 * Refuses what would capture the wrong changes or harm the source, before anything is created:
 * a table without a replica identity (publishing it makes the application's UPDATE and DELETE
 * fail), a publication that covers other tables, filters rows or columns, leaves out an operation
 * or belongs to another pipeline, and a slot that is not a pgoutput slot of this database or that
 * another pipeline's publication names. Returns which of the two exist.
 */
export async function checkReplication(client: pg.Client, spec: ReplicationSpec, nodeId: string): Promise<{
  publication: boolean;
  slot: boolean;
  unclaimed: boolean;
  /** The slot holds back more WAL than max_slot_wal_keep_size: the next checkpoint may invalidate it. */
  atRisk: boolean;
  primaryKey: string[];
  /**
   * The columns of a REPLICA IDENTITY USING INDEX that are not the primary key's: a delete (and an
   * update of them) carries only these, every other column NULL, so a mirror must key on them.
   */
  identityKey?: string[];
}> {
  const table = pgTable(spec.table);
  const refuse = (message: string, hint: string) => new CaudalError('validation', `node '${nodeId}': ${message}`, { nodeId, hint });

  const { rows: rel } = await client.query<{ ident: string; pk: boolean; index: boolean }>(
    `SELECT c.relreplident::text AS ident,
            EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary) AS pk,
            EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisreplident) AS index
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`,
    [spec.table.schema, spec.table.name],
  );
  const r = rel[0];
  if (!r) throw refuse(`table ${spec.table.schema}.${spec.table.name} does not exist`, 'check the schema and table names');
  if (r.ident === 'n' || (r.ident === 'd' && !r.pk) || (r.ident === 'i' && !r.index)) {
    throw refuse(
      `table ${spec.table.schema}.${spec.table.name} has no primary key or replica identity: publishing its changes would make every UPDATE and DELETE on it fail ("does not have a replica identity"), and deletes could not say which row went`,
      `add a primary key, or run ALTER TABLE ${table} REPLICA IDENTITY FULL (or REPLICA IDENTITY USING INDEX on a unique index of NOT NULL columns), then run again`,
    );
  }

  const pub = await publicationOf(client, spec.publication);
  const pubMark = readMark(pub?.comment ?? null);
  if (pub) {
    const others = 'give this node its own slot and publication (or leave both empty for the default names)';
    const ours = !pubMark || (pubMark.pipeline === spec.owner.pipeline && pubMark.node === spec.owner.node);
    if (ours && !pub.all && pub.tables.length === 0) {
      // DROP TABLE takes the table out of every publication; one created again under the name is in none.
      throw refuse(
        `publication '${spec.publication}' covers no table any more: ${spec.table.schema}.${spec.table.name} was dropped since it was made (and perhaps created again), and changes made since were not captured`,
        `to capture the table again: empty the target, drop the slot and the publication (SELECT pg_drop_replication_slot('${spec.slot}'); DROP PUBLICATION ${pgIdent(spec.publication)}) and run again: the run creates both and starts with a snapshot of the table`,
      );
    }
    if (pub.all || pub.tables.length !== 1 || pub.tables[0] !== table) {
      const covers = pub.all ? 'all tables' : pub.tables.length === 0 ? 'no table' : pub.tables.map(unquote).join(', ');
      throw refuse(`publication '${spec.publication}' covers ${covers}, not ${spec.table.schema}.${spec.table.name} alone`, `${others}; a publication must cover exactly the captured table`);
    }
    if (pubMark && !ours) {
      throw refuse(`publication '${spec.publication}' belongs to node '${pubMark.node}' of pipeline '${pubMark.pipeline}': sharing it would let one pipeline acknowledge the other's changes`, others);
    }
    if (pubMark && spec.owner.copy && anotherCopy(pubMark, spec)) throw anotherCopyError(nodeId, `publication '${spec.publication}'`, spec, spec.owner.copy.stateFolder, claimSql(spec.publication, pubMark));
    const missingActions = Object.entries(pub.actions).filter(([, on]) => !on).map(([a]) => a);
    if (missingActions.length > 0) {
      throw refuse(`publication '${spec.publication}' does not publish ${missingActions.join(', ')}: those changes would be missed`, `ALTER PUBLICATION ${pgIdent(spec.publication)} SET (publish = 'insert, update, delete, truncate')`);
    }
    const v = await client.query<{ v: number }>(`SELECT current_setting('server_version_num')::int AS v`);
    if (v.rows[0]!.v >= 150000) {
      const { rows: f } = await client.query<{ rows: boolean; cols: boolean }>('SELECT prqual IS NOT NULL AS rows, prattrs IS NOT NULL AS cols FROM pg_publication_rel WHERE prpubid = $1', [pub.oid]);
      if (f.some((x) => x.rows || x.cols)) throw refuse(`publication '${spec.publication}' filters rows or columns of ${spec.table.schema}.${spec.table.name}: the changes would be incomplete`, others);
    }
  }

  // wal_status (PostgreSQL 13 on) through to_jsonb: the column does not exist on older servers.
  const { rows: slots } = await client.query<{ slot_type: string; plugin: string | null; here: boolean; wal_status: string | null }>(
    `SELECT slot_type, plugin, database = current_database() AS here, to_jsonb(s) ->> 'wal_status' AS wal_status FROM pg_replication_slots s WHERE slot_name = $1`,
    [spec.slot],
  );
  const slot = slots[0];
  if (slot && (slot.slot_type !== 'logical' || slot.plugin !== 'pgoutput' || !slot.here)) {
    throw refuse(`replication slot '${spec.slot}' is not a pgoutput slot of this database (${slot.slot_type}, ${slot.plugin ?? 'no plugin'})`, 'give this node another slot name');
  }
  if (slot?.wal_status === 'lost') {
    // The server's own words ("cannot read from logical replication slot") said neither why nor what to do.
    throw refuse(
      `replication slot '${spec.slot}' was invalidated by the server: it held back more WAL than max_slot_wal_keep_size allows (the pipeline did not run for a long time?), and the changes made since its position are gone`,
      `to capture the table again: empty the target, drop the slot (SELECT pg_drop_replication_slot('${spec.slot}')) and run again: a new slot starts with a snapshot of the table. Run the pipeline more often, or raise max_slot_wal_keep_size, so that it does not happen again`,
    );
  }
  if (slot) {
    const { rows: marked } = await client.query<{ pubname: string; comment: string }>(
      `SELECT pubname, obj_description(oid, 'pg_publication') AS comment FROM pg_publication WHERE pubname <> $1 AND obj_description(oid, 'pg_publication') LIKE $2`,
      [spec.publication, `${MARK}%`],
    );
    for (const p of marked) {
      const m = readMark(p.comment);
      if (m?.slot === spec.slot && (m.pipeline !== spec.owner.pipeline || m.node !== spec.owner.node)) {
        throw refuse(`replication slot '${spec.slot}' belongs to node '${m.node}' of pipeline '${m.pipeline}' (publication '${p.pubname}'): sharing it would let one pipeline acknowledge the other's changes`, 'give this node its own slot');
      }
      if (m?.slot === spec.slot && spec.owner.copy && anotherCopy(m, spec)) throw anotherCopyError(nodeId, `replication slot '${spec.slot}' (publication '${p.pubname}')`, spec, spec.owner.copy.stateFolder, claimSql(p.pubname, m));
    }
  }
  // A mark of an earlier version names no copy: the first copy that runs now claims it.
  const unclaimed = pubMark !== undefined && pubMark.copy === undefined && spec.owner.copy !== undefined;
  const primaryKey = await primaryKeyOf(client, spec.table);
  const identity = r.ident === 'i' ? await indexColumns(client, spec.table, 'identity') : [];
  const sameKey = identity.length === primaryKey.length && identity.every((c, i) => c === primaryKey[i]);
  return {
    publication: pub !== undefined,
    slot: slot !== undefined,
    unclaimed,
    atRisk: slot?.wal_status === 'unreserved',
    primaryKey,
    ...(identity.length > 0 && !sameKey ? { identityKey: identity } : {}),
  };
}

function unquote(quoted: string): string {
  return quoted.replace(/"((?:[^"]|"")*)"/g, (_, s: string) => s.replaceAll('""', '"'));
}

/** The table's primary key columns, in key order (none: no primary key). */
function primaryKeyOf(client: pg.Client, table: { schema: string; name: string }): Promise<string[]> {
  return indexColumns(client, table, 'primary');
}

/** The columns of the table's primary key or of its replica identity index, in key order. */
async function indexColumns(client: pg.Client, table: { schema: string; name: string }, which: 'primary' | 'identity'): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT a.attname AS name
       FROM pg_index i
       JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
      WHERE n.nspname = $1 AND c.relname = $2 AND (CASE WHEN $3 = 'primary' THEN i.indisprimary ELSE i.indisreplident END)
      ORDER BY k.ord`,
    [table.schema, table.name, which],
  );
  return rows.map((r) => r.name);
}

/**
 * The table's generated columns: logical replication does not send them (pgoutput skips them before
 * PostgreSQL 18, and from 18 on unless the publication asks), so every change would carry them NULL.
 */
export async function generatedColumnsOf(client: pg.Client, table: { schema: string; name: string }): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT a.attname AS name
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated <> ''
      ORDER BY a.attnum`,
    [table.schema, table.name],
  );
  return rows.map((r) => r.name);
}

/** Checks (checkReplication), then creates what is missing; true when the slot was new. */
export async function ensureReplication(config: PostgresConfig, spec: ReplicationSpec, nodeId: string, log?: (message: string) => void): Promise<boolean> {
  try {
    return await withClient(config, async (client) => {
      const exists = await checkReplication(client, spec, nodeId);
      if (!exists.publication) {
        if (!spec.create) throw missing(nodeId, `publication '${spec.publication}'`);
        // With its mark in one transaction: no publication without an owner is left behind.
        await client.query('BEGIN');
        try {
          await client.query(`CREATE PUBLICATION ${pgIdent(spec.publication)} FOR TABLE ${pgTable(spec.table)}`);
          await client.query(`COMMENT ON PUBLICATION ${pgIdent(spec.publication)} IS ${stringLiteral(mark(spec))}`);
          await client.query('COMMIT');
        } catch (e) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw e;
        }
      } else if (exists.unclaimed) await client.query(`COMMENT ON PUBLICATION ${pgIdent(spec.publication)} IS ${stringLiteral(mark(spec))}`);
      if (exists.slot) return false;
      if (!spec.create) throw missing(nodeId, `replication slot '${spec.slot}'`);
      await whileReporting(client.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [spec.slot]), () => waitingFor(config, spec, (client as unknown as { processID?: number }).processID, log));
      return true;
    });
  } catch (e) {
    if (e instanceof CaudalError) throw e;
    const msg = errorMessage(e);
    throw new CaudalError('io', `node '${nodeId}': cannot set up change capture on ${spec.table.schema}.${spec.table.name}: ${msg}`, {
      nodeId,
      hint: /wal_level/.test(msg)
        ? 'the server needs wal_level = logical (postgresql.conf, then a restart)'
        : /permission|must be/.test(msg)
          ? 'the user needs the REPLICATION attribute and ownership of the table (or create the publication and slot as an administrator)'
          : undefined,
    });
  }
}

const FIRST_REPORT_MS = 3_000;
const REPORT_EVERY_MS = 10_000;

/** `work`, calling `report` after a few seconds and then every few more until it is done. */
async function whileReporting<T>(work: Promise<T>, report: () => Promise<void>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let done = false;
  const next = (ms: number) => {
    if (!done) timer = setTimeout(() => void report().finally(() => next(REPORT_EVERY_MS)), ms);
  };
  next(FIRST_REPORT_MS);
  try {
    return await work;
  } finally {
    done = true;
    clearTimeout(timer);
  }
}

/**
 * Creating a logical slot waits until every transaction that holds a transaction id has ended,
 * prepared ones included: on a busy server a first run can wait minutes without a word. Says which.
 */
async function waitingFor(config: PostgresConfig, spec: ReplicationSpec, creator: number | undefined, log?: (message: string) => void): Promise<void> {
  if (!log) return;
  try {
    const found = await withClient(config, async (c) => {
      const open = await c.query<{ pid: number; secs: number; state: string; usename: string }>(
        `SELECT pid, extract(epoch FROM now() - xact_start)::int AS secs, coalesce(state, '') AS state, coalesce(usename::text, '') AS usename
           FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND pid <> $1 ORDER BY xact_start LIMIT 5`,
        [creator ?? 0],
      );
      const prepared = await c.query<{ gid: string; secs: number }>(`SELECT gid, extract(epoch FROM now() - prepared)::int AS secs FROM pg_prepared_xacts ORDER BY prepared LIMIT 5`);
      return [
        ...open.rows.map((r) => `pid ${r.pid} (${r.usename || 'unknown user'}, ${r.state || 'active'}, open ${r.secs} s)`),
        ...prepared.rows.map((r) => `prepared transaction '${r.gid}' (${r.secs} s old)`),
      ];
    });
    const which = found.length > 0 ? `: ${found.join('; ')}` : '';
    log(`creating replication slot '${spec.slot}' waits for the transactions open on the server to end${which} (end or commit them, or wait; COMMIT PREPARED / ROLLBACK PREPARED for a prepared one)`);
  } catch {
    // Only a progress message: a failed look changes nothing.
  }
}

function missing(nodeId: string, what: string): CaudalError {
  return new CaudalError('validation', `node '${nodeId}': ${what} does not exist`, { nodeId, hint: 'create it, or set create to true to let Caudal create it' });
}

/** Drops the slot (and publication) — `caudal state reset` of a CDC source, and tests. */
export async function dropReplication(config: PostgresConfig, spec: Pick<ReplicationSpec, 'slot' | 'publication'>): Promise<void> {
  await withClient(config, async (client) => {
    await client.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [spec.slot]);
    await client.query(`DROP PUBLICATION IF EXISTS ${pgIdent(spec.publication)}`);
  });
}

export async function withClient<T>(config: PostgresConfig, f: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await connect(config);
  try {
    return await f(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
