import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterFile } from './cleanup.js';
import type { ResolvedConnection } from '../../core/src/nodes/define.js';
import { connectTo, SERVICES } from './services.js';

/** The test PostgreSQL cluster that test/services/up.sh starts (scram auth on 127.0.0.1). */
export const PG = SERVICES.postgres;
export const PG_ADDRESS = `${PG.user}@${PG.host}:${PG.port}/${PG.database}`;

/** Environment for `caudal` child processes whose connection files name this server as `name`. */
export function pgSecretEnv(name = 'db'): Record<string, string> {
  return { [`CAUDAL_SECRET_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_PASSWORD`]: PG.password };
}

/** A project's `caudal.connections.json` in `dir` naming this server as the connection `db`, as `user`. */
export async function writePgConnectionsFile(dir: string, user: string = PG.user): Promise<void> {
  await writeFile(path.join(dir, 'caudal.connections.json'), JSON.stringify({ format: 'caudal.connections/1', connections: { db: { type: 'postgres', host: PG.host, port: PG.port, database: PG.database, user } } }));
}

/**
 * A role of its own for loads, dropped after the test file: it may use `schema` but not create
 * schemas (no CREATE on the database), as many loading roles. Unlike pgLoginRole it inherits
 * nothing from the test user, whose database it owns. `settings` are role settings
 * (`idle_in_transaction_session_timeout = '1s'`).
 */
export async function loadingRole(q: (sql: string) => Promise<unknown>, schema: string, settings: string[] = []): Promise<{ user: string; password: string }> {
  const user = `caudal_loader_${randomUUID().slice(0, 8)}`;
  const password = randomUUID();
  await q(`CREATE ROLE "${user}" LOGIN PASSWORD '${password}'`);
  afterFile(async () => {
    await q(`DROP OWNED BY "${user}"`);
    await q(`DROP ROLE "${user}"`);
  });
  for (const setting of settings) await q(`ALTER ROLE "${user}" SET ${setting}`);
  await q(`GRANT ALL ON SCHEMA "${schema}" TO "${user}"`);
  return { user, password };
}

export function pgConnection(name = 'db'): Record<string, ResolvedConnection> {
  return { [name]: { name, type: 'postgres', config: { ...PG, ssl: 'disable', connect_timeout_s: 10 } } };
}

/** A connected client, or a failure that says how to start the test server. */
export async function pgClient(): Promise<pg.Client> {
  return connectTo('postgres', PG_ADDRESS, async () => {
    const client = new pg.Client(PG);
    await client.connect();
    return client;
  });
}

/**
 * A client and a fresh schema per test file, dropped afterwards, so test files can run in
 * parallel against one database without seeing each other's tables.
 */
export async function pgSandbox(): Promise<{ client: pg.Client; schema: string; q: <T extends pg.QueryResultRow = Record<string, unknown>>(sql: string, values?: unknown[]) => Promise<T[]> }> {
  const client = await pgClient();
  const schema = `caudal_test_${randomUUID().slice(0, 8)}`;
  await client.query(`CREATE SCHEMA "${schema}"`);
  await client.query(`SET search_path = "${schema}"`);
  afterFile(async () => {
    // A test that failed half way may have left a run's prepared transaction on the schema's tables:
    // it would block the DROP for ever, and every other file's replication slot creation with it
    // (a slot waits for every running transaction, prepared ones included).
    for (const gid of await preparedTransactionsIn(client, schema)) await client.query(`ROLLBACK PREPARED '${gid.replaceAll("'", "''")}'`).catch(() => undefined);
    await client.query(`DROP SCHEMA "${schema}" CASCADE`);
    await client.end();
  });
  return { client, schema, q: async (sql, values) => (await client.query(sql, values)).rows };
}

/**
 * The prepared transactions that hold a lock on a table of `schema`: what a test's own runs left
 * prepared. Test files run at the same time against one server, and some keep a transaction prepared
 * on purpose for a while (a killed run, until its recovery), so a count over the whole server is not
 * the test's own.
 */
export async function preparedTransactionsIn(client: pg.Client, schema: string): Promise<string[]> {
  const { rows } = await client.query<{ gid: string }>(
    `SELECT DISTINCT p.gid FROM pg_prepared_xacts p
       JOIN pg_locks x ON x.locktype = 'transactionid' AND x.transactionid = p.transaction
       JOIN pg_locks r ON r.virtualtransaction = x.virtualtransaction AND r.locktype = 'relation'
       JOIN pg_class c ON c.oid = r.relation JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE p.database = current_database() AND n.nspname = $1 ORDER BY 1`,
    [schema],
  );
  return rows.map((r) => r.gid);
}

/**
 * A login role whose password is `password`, for tests that check a secret travels from a store to
 * the server and nowhere else. It inherits the test user's privileges (so it reads the sandbox
 * schemas) and is dropped after the file's tests.
 */
export async function pgLoginRole(password: string): Promise<string> {
  const client = await pgClient();
  const role = `caudal_login_${randomUUID().slice(0, 8)}`;
  // Utility statements take no bind parameters: the server quotes the name and the password itself.
  const { rows } = await client.query<{ sql: string }>('SELECT format($$CREATE ROLE %I LOGIN PASSWORD %L IN ROLE %I$$, $1::text, $2::text, current_user) AS sql', [role, password]);
  await client.query(rows[0]!.sql);
  afterFile(async () => {
    const { rows: drop } = await client.query<{ sql: string }>('SELECT format($$DROP ROLE IF EXISTS %I$$, $1::text) AS sql', [role]);
    await client.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1`, [role]);
    await client.query(drop[0]!.sql);
    await client.end();
  });
  return role;
}

/**
 * After the file: drops every replication slot and publication whose name holds `tag` (a slot left
 * behind keeps WAL on the shared server for ever), ending the sessions that still read them.
 */
export function dropReplicationAfterFile(tag: string): void {
  afterFile(async () => {
    // Own client: a sandbox's is closed by its own cleanup, which runs after this one.
    const client = await pgClient();
    try {
      const like = `%${tag}%`;
      await client.query(`SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name LIKE $1 AND active_pid IS NOT NULL`, [like]);
      await new Promise((r) => setTimeout(r, 300));
      await client.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE $1`, [like]);
      const { rows } = await client.query<{ sql: string }>(`SELECT format('DROP PUBLICATION %I', pubname) AS sql FROM pg_publication WHERE pubname LIKE $1`, [like]);
      for (const r of rows) await client.query(r.sql);
    } finally {
      await client.end();
    }
  });
}
