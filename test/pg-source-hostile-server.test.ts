import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPipeline } from '../core/src/engine/engine.js';
import { listStates } from '../core/src/engine/state.js';
import type { ResolvedConnection } from '../core/src/nodes/define.js';
import { pipeline, tempDir } from './support/pipeline.js';
import { PG, loadingRole, pgConnection, pgSandbox } from './support/postgres.js';
import { queryStarts, tcpCutProxy } from './support/tcp-cut-proxy.js';

const connections = { db: { type: 'postgres' } };

/**
 * The server stops a read midway: the run fails saying why and what to do, writes nothing and
 * keeps the watermark. A session ended between two fetches of a cursor came back as the driver's
 * "Client has encountered a connection error and is not queryable", presented as PostgreSQL's
 * words, and a statement_timeout with no word of the setting.
 */
describe('source.postgres: the server stops a read', async () => {
  const { schema, q } = await pgSandbox();
  const dir = await tempDir();
  const stateDir = path.join(dir, 'state');
  const out = path.join(dir, 'out');

  const doc = (src: Record<string, unknown>, name: string) =>
    pipeline(
      [
        { id: 'src', type: 'source.postgres', params: { connection: 'db', schema, ...src } },
        { id: 'dst', type: 'sink.duckdb', params: { database: path.join(out, `${name}.duckdb`), table: name, mode: 'append' } },
      ],
      ['src -> dst'],
      { connections, name },
    );

  it('a session ended between two fetches of a cursor says the server ended it, in its words, with the rows read; nothing written, no watermark', async () => {
    await q(`CREATE TABLE big AS SELECT g AS id, repeat('x', 100) AS pad FROM generate_series(1, 1500000) g`);
    const d = doc({ table: 'big', filters: [{ column: 'id', op: '>', value: 0 }], incremental: { column: 'id', initial: '0' }, fetch_size: 20000 }, 'big');
    const running = runPipeline({ pipeline: d, baseDir: dir, connections: pgConnection(), stateDir });
    // The session is the one that declared the cursor; ended once some rows came (the client spends
    // most of a read between fetches, writing the rows it received).
    let pid: number | undefined;
    for (let i = 0; i < 800 && pid === undefined; i++) {
      await new Promise((r) => setTimeout(r, 25));
      pid = (await q<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE application_name = 'caudal' AND query LIKE 'FETCH%' AND backend_xid IS NULL AND datname = current_database() AND pid IN (SELECT pid FROM pg_locks WHERE relation = '"${schema}".big'::regclass)`))[0]?.pid;
    }
    expect(pid).toBeDefined();
    await new Promise((r) => setTimeout(r, 200));
    await q('SELECT pg_terminate_backend($1)', [pid]);
    const s = await running;
    expect(s.status).toBe('failed');
    // The server's words, or the driver's when the socket closed (or was reset) before they were read.
    const said = /^node 'src' \(connection 'db'\): (?:the server ended the session after [\d,]+ rows of the read: (?:terminating connection due to administrator command|Connection terminated unexpectedly)|the connection to the server was lost after [\d,]+ rows of the read: read ECONNRESET)$/;
    expect(s.error!.message).toMatch(said);
    expect(s.error!.hint).toMatch(/ended (it|the session).*; nothing was written and the watermark did not move: run again$/);
    expect(s.error).toMatchObject({ nodeId: 'src', kind: 'io' });
    expect(await listStates(stateDir, d.name)).toEqual([]);
    expect(await readdir(out).catch(() => [])).toEqual([]);
  });

  it('a connection reset under a read (a firewall, a crashed host) says the connection was lost, not that PostgreSQL said so; nothing written, no watermark', async () => {
    await q(`CREATE TABLE reset_under (id int)`);
    await q(`INSERT INTO reset_under SELECT generate_series(1, 10)`);
    const proxy = await tcpCutProxy({ host: PG.host, port: PG.port }, { trigger: queryStarts('FETCH'), action: 'reset-before' });
    const conn: Record<string, ResolvedConnection> = { db: { name: 'db', type: 'postgres', config: { ...PG, port: proxy.port, ssl: 'disable', connect_timeout_s: 10 } } };
    const d = doc({ table: 'reset_under', filters: [{ column: 'id', op: '>', value: 0 }], incremental: { column: 'id', initial: '0' } }, 'reset_under');
    const s = await runPipeline({ pipeline: d, baseDir: dir, connections: conn, stateDir });
    expect(proxy.fired()).toBe(true);
    expect(s.status).toBe('failed');
    expect(s.error!.message).toBe("node 'src' (connection 'db'): the connection to the server was lost after 0 rows of the read: read ECONNRESET");
    expect(s.error!.hint).toBe('the server ended the session (an administrator, a restart or a failover) or the network dropped the connection; nothing was written and the watermark did not move: run again');
    expect(s.error).toMatchObject({ nodeId: 'src', kind: 'io' });
    expect(await listStates(stateDir, d.name)).toEqual([]);
    expect(await readdir(out).catch(() => [])).toEqual([]);
  });

  it('a statement_timeout stops the read with a hint naming the setting', async () => {
    const role = await loadingRole(q, schema, [`statement_timeout = '300ms'`]);
    const conn: Record<string, ResolvedConnection> = { db: { name: 'db', type: 'postgres', config: { ...PG, user: role.user, password: role.password, ssl: 'disable', connect_timeout_s: 10 } } };
    for (const [name, src] of [
      ['copy', { query: 'SELECT g, pg_sleep(0.2) AS s FROM generate_series(1, 5) g' }],
      ['cursor', { query: 'SELECT g, pg_sleep(0.2) AS s FROM generate_series(1, $1::int) g', query_params: [5] }],
    ] as const) {
      const d = doc(src, `timeout_${name}`);
      const s = await runPipeline({ pipeline: d, baseDir: dir, connections: conn });
      expect(s.status).toBe('failed');
      expect(s.error!.message).toMatch(/^node 'src' \(connection 'db'\): the server cancelled the read after [\d,]+ rows: canceling statement due to statement timeout$/);
      expect(s.error!.hint).toBe(
        "the statement_timeout of the connection's user or database (SHOW statement_timeout) is shorter than the read: raise it for that user (ALTER ROLE … SET statement_timeout = '1h'), or read less at a time (filters, an incremental read)",
      );
      expect(s.error).toMatchObject({ nodeId: 'src', kind: 'io' });
      expect(await readdir(out).catch(() => [])).toEqual([]);
    }
  });

  it('a user granted only some columns: the hint says to list them in Columns, and listing them reads', async () => {
    await q(`CREATE TABLE partly (id int, secret text)`);
    await q(`INSERT INTO partly VALUES (1, 'x')`);
    const role = await loadingRole(q, schema);
    await q(`GRANT SELECT (id) ON "${schema}".partly TO "${role.user}"`);
    const conn: Record<string, ResolvedConnection> = { db: { name: 'db', type: 'postgres', config: { ...PG, user: role.user, password: role.password, ssl: 'disable', connect_timeout_s: 10 } } };
    const all = await runPipeline({ pipeline: doc({ table: 'partly' }, 'partly_all'), baseDir: dir, connections: conn });
    expect(all.status).toBe('failed');
    expect(all.error!.hint).toMatch(/reading needs SELECT on the table .*; if the user may read only some columns, list those in Columns$/);
    const listed = await runPipeline({ pipeline: doc({ table: 'partly', columns: ['id'] }, 'partly_id'), baseDir: dir, connections: conn });
    expect(listed.error).toBeUndefined();
  });
});
