import { execFile } from 'node:child_process';
import { appendFile, chown, mkdtemp, readdir, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ResolvedConnection } from '../../core/src/nodes/define.js';
import { afterFile } from './cleanup.js';

const run = promisify(execFile);

/**
 * A PostgreSQL cluster of the test file's own, for server settings that would harm the shared test
 * server's other users (e.g. a max_slot_wal_keep_size small enough to invalidate their slots).
 * Made with the binaries test/services/up.sh installed, as the postgres user when running as root
 * (the server refuses root), trusting loopback connections; stopped and removed after the file.
 */
export async function privateCluster(settings: Record<string, string>): Promise<{ port: number; connection: Record<string, ResolvedConnection>; psql(sql: string): Promise<string> }> {
  const versions = (await readdir('/usr/lib/postgresql').catch(() => [] as string[])).sort((a, b) => Number(a) - Number(b));
  if (versions.length === 0) throw new Error('no PostgreSQL binaries in /usr/lib/postgresql: run test/services/up.sh');
  const bin = path.join('/usr/lib/postgresql', versions.at(-1)!, 'bin');
  const asRoot = process.getuid?.() === 0;
  const as = (cmd: string, args: string[]) => (asRoot ? run('runuser', ['-u', 'postgres', '--', path.join(bin, cmd), ...args]) : run(path.join(bin, cmd), args));
  // As root, in the postgres user's home (as up.sh does): the test session's temp folder is root's alone.
  const parent = asRoot ? (await run('getent', ['passwd', 'postgres'])).stdout.split(':')[5]! : os.tmpdir();
  const dir = await mkdtemp(path.join(parent, 'caudal-pg-private-'));
  if (asRoot) await chown(dir, Number((await run('id', ['-u', 'postgres'])).stdout.trim()), -1);
  const data = path.join(dir, 'data');
  await as('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
  const port = await freePort();
  const conf = { listen_addresses: "'127.0.0.1'", port: String(port), unix_socket_directories: `'${dir}'`, wal_level: 'logical', fsync: 'off', ...settings };
  // Appended last, these settings win over initdb's.
  await appendFile(path.join(data, 'postgresql.conf'), Object.entries(conf).map(([k, v]) => `${k} = ${v}\n`).join(''));
  // Registered before the start: a cluster that fails to start is removed too.
  afterFile(async () => {
    await as('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });
  await as('pg_ctl', ['-D', data, '-l', path.join(dir, 'server.log'), '-w', '-t', '60', 'start']);
  return {
    port,
    connection: { db: { name: 'db', type: 'postgres', config: { host: '127.0.0.1', port, database: 'postgres', user: 'postgres', password: 'unused-trust-auth' } } },
    psql: async (sql) => (await run(path.join(bin, 'psql'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-qAt', '-v', 'ON_ERROR_STOP=1', '-c', sql])).stdout.trim(),
  };
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
