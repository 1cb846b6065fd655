import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { caudal } from './support/cli.js';
import { pipeline, tempDir } from './support/pipeline.js';
import { PG, pgLoginRole, pgSandbox } from './support/postgres.js';

/**
 * The CLI side of connections and secrets (built code, `dist/`): credentials typed into
 * non-secret fields are refused, a password stored nowhere is named as missing, `profile`
 * resolves connections, and connection names with `-` work in pipelines as in `connections add`.
 * Each test has its own config folder: nothing touches the user's connections.
 */
const USER_PASSWORD = 'UrlPw-cli-0123456789';
const ROLE_PASSWORD = 'RolePw-cli-0123456789abcdef';

async function configDir(): Promise<{ dir: string; env: Record<string, string> }> {
  const dir = await tempDir('caudal-conn-cli-');
  return { dir, env: { CAUDAL_CONFIG_DIR: dir } };
}

describe('credentials in non-secret fields', () => {
  it('connections add refuses a URL with user:password, naming the field and never repeating the value', async () => {
    const { dir, env } = await configDir();
    const r = await caudal(['connections', 'add', 'api', '--type', 'rest', '--set', `base_url=http://qa:${USER_PASSWORD}@127.0.0.1:18571`], { env });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("field 'base_url' has a user name or password in its URL");
    expect(r.stderr).toContain('secret fields');
    expect(r.stderr + r.stdout).not.toContain(USER_PASSWORD);
    await expect(readFile(path.join(dir, 'connections.json'), 'utf8')).rejects.toThrow();
  });

  it('a connections file holding one is refused when loaded (list, run), without the value', async () => {
    const { dir, env } = await configDir();
    await writeFile(path.join(dir, 'connections.json'), JSON.stringify({ format: 'caudal.connections/1', connections: { api: { type: 'rest', base_url: `http://qa:${USER_PASSWORD}@127.0.0.1:18571` } } }));
    const r = await caudal(['connections', 'list'], { env });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("connection 'api' in");
    expect(r.stderr).toContain("field 'base_url'");
    expect(r.stderr + r.stdout).not.toContain(USER_PASSWORD);
  });

  // Without a scheme the drivers took `user:password@host` for a host name, failed to resolve it and
  // put it, password and all, into the error and the run's record.
  it('connections add refuses a host written as user:password@host, without repeating the value', async () => {
    const { dir, env } = await configDir();
    const r = await caudal(['connections', 'add', 'mq', '--type', 'rabbitmq', '--set', `host=guest:${USER_PASSWORD}@127.0.0.1`], { env });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("field 'host' has a user name or password");
    expect(r.stderr + r.stdout).not.toContain(USER_PASSWORD);
    await expect(readFile(path.join(dir, 'connections.json'), 'utf8')).rejects.toThrow();
  });

  it('a connections file with one in a Kafka broker list is refused when loaded, naming the field', async () => {
    const { dir, env } = await configDir();
    await writeFile(path.join(dir, 'connections.json'), JSON.stringify({ format: 'caudal.connections/1', connections: { bus: { type: 'kafka', brokers: `127.0.0.1:9092,alice:${USER_PASSWORD}@127.0.0.1:9093` } } }));
    const r = await caudal(['connections', 'list'], { env });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("field 'brokers' has a user name or password");
    expect(r.stderr + r.stdout).not.toContain(USER_PASSWORD);
  });

  it('hosts and broker lists without user info are taken as they are', async () => {
    const { env } = await configDir();
    const r = await caudal(['connections', 'add', 'bus', '--type', 'kafka', '--set', 'brokers=kafka-1:9092,kafka-2:9092'], { env });
    expect(r.code, r.stderr).toBe(0);
  });

  it('a password written into a connections file by hand is used but never listed: list says it is there, in plain text, and how to move it', async () => {
    const { dir, env } = await configDir();
    const file = path.join(dir, 'connections.json');
    await writeFile(file, JSON.stringify({ format: 'caudal.connections/1', connections: { 'db-eu': { type: 'postgres', host: PG.host, port: PG.port, database: PG.database, user: PG.user, password: PG.password } } }));
    const listed = await caudal(['connections', 'list'], { env });
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^db-eu +postgres +host=127\.0\.0\.1 port=5432 database=test user=postgres +\(password: in the file, plain text\)\n$/);
    expect(listed.stderr).toContain(`warning: connection 'db-eu' keeps password in plain text in ${file}: remove it there and store it with \`caudal connections add db-eu --type postgres --set …\` (the OS keychain) or a CAUDAL_SECRET_DB_EU_PASSWORD variable`);
    const json = await caudal(['connections', 'list', '--json'], { env });
    expect(JSON.parse(json.stdout)).toEqual([expect.objectContaining({ name: 'db-eu', fields: { host: PG.host, port: PG.port, database: PG.database, user: PG.user }, secrets: { password: true }, plainTextInFile: ['password'] })]);
    for (const r of [listed, json]) expect(r.stdout + r.stderr).not.toContain(`=${PG.password}`);
    expect(json.stdout).not.toContain(`"${PG.password}"`);
    // The user's choice: the engine uses it.
    const tested = await caudal(['connections', 'test', 'db-eu'], { env });
    expect(tested.stdout).toMatch(/^✔ db-eu: PostgreSQL /);
  });

  it("validate warns of an Authorization header or an api_key param written into a REST node, and says where secrets belong", async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'hdr.json');
    const doc = pipeline(
      [
        { id: 'src', type: 'source.rest', params: { url: 'http://127.0.0.1:9/items', headers: { Authorization: 'Bearer PipeTok-cli-abcdef' }, params: { api_key: '${tok}' }, columns: [{ name: 'id', type: 'BIGINT' }] } },
        { id: 'out', type: 'sink.csv', params: { path: 'out.csv' } },
      ],
      ['src -> out'],
      { params: { tok: { type: 'string' } } },
    );
    await writeFile(file, JSON.stringify(doc));
    const r = await caudal(['validate', file, '--param', 'tok=ParamTok-cli-abcdef']);
    const text = r.stdout + r.stderr;
    expect(text).toContain("header 'Authorization' looks like a secret");
    expect(text).toContain("query param 'api_key' looks like a secret");
    expect(text).toContain('CAUDAL_SECRET_<CONNECTION>_<FIELD>');
  });
});

describe('PostgreSQL connections from the CLI', () => {
  let dir: string;
  let schema: string;
  let role: string;
  beforeAll(async () => {
    const sandbox = await pgSandbox();
    schema = sandbox.schema;
    await sandbox.q('CREATE TABLE users (id int, name text)');
    await sandbox.q("INSERT INTO users VALUES (1, 'a'), (2, 'b')");
    role = await pgLoginRole(ROLE_PASSWORD);
    dir = await tempDir('caudal-conn-pg-');
    // A name with '-', as `connections add` and the docs use it: its variable is CAUDAL_SECRET_WAREHOUSE_EU_PASSWORD.
    await writeFile(path.join(dir, 'caudal.connections.json'), JSON.stringify({ format: 'caudal.connections/1', connections: { 'warehouse-eu': { type: 'postgres', host: PG.host, port: PG.port, database: PG.database, user: role } } }));
    const doc = pipeline(
      [
        { id: 'src', type: 'source.postgres', params: { connection: 'warehouse-eu', schema, table: 'users' } },
        { id: 'out', type: 'sink.csv', params: { path: 'out.csv' } },
      ],
      ['src -> out'],
      { connections: { 'warehouse-eu': { type: 'postgres' } } },
    );
    await writeFile(path.join(dir, 'pg.json'), JSON.stringify(doc));
  });
  // No keychain here (an empty HOME, no D-Bus session): the environment is the only store.
  const env = (extra: Record<string, string> = {}) => ({ CAUDAL_CONFIG_DIR: path.join(dir, 'user-config'), HOME: dir, DBUS_SESSION_BUS_ADDRESS: '', ...extra });
  const withPassword = () => env({ CAUDAL_SECRET_WAREHOUSE_EU_PASSWORD: ROLE_PASSWORD });

  it('a pipeline uses a connection whose name has a -, its password from CAUDAL_SECRET_WAREHOUSE_EU_PASSWORD', async () => {
    const r = await caudal(['run', path.join(dir, 'pg.json'), '-q'], { env: withPassword() });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await readFile(path.join(dir, 'out.csv'), 'utf8')).toContain('2,b');
  });

  it('a password stored nowhere: run and connections test name the connection, the field and both ways to provide it', async () => {
    const run = await caudal(['run', path.join(dir, 'pg.json')], { env: env() });
    expect(run.code).not.toBe(0);
    const test = await caudal(['connections', 'test', 'warehouse-eu', '--project', dir], { env: env() });
    expect(test.code).not.toBe(0);
    for (const out of [run.stdout + run.stderr, test.stdout + test.stderr]) {
      expect(out).toContain("connection 'warehouse-eu' needs its password");
      expect(out).toContain('caudal connections add warehouse-eu');
      expect(out).toContain('CAUDAL_SECRET_WAREHOUSE_EU_PASSWORD');
      expect(out).not.toContain('must be a string');
    }
  });

  it('profile resolves the connection as run and preview do', async () => {
    const r = await caudal(['profile', path.join(dir, 'pg.json'), '--node', 'src', '--json'], { env: withPassword() });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).rows).toBe(2);
  });
});

describe('connections add: values as the docs write them, names that keep secret variables apart', () => {
  it('--set force_path_style=true is a boolean', async () => {
    const { dir, env } = await configDir();
    const r = await caudal(['connections', 'add', 'lake', '--type', 's3', '--set', 'endpoint=http://127.0.0.1:9000', '--set', 'force_path_style=true'], { env, timeoutMs: 30_000 });
    expect(r.stderr).not.toContain('expected boolean');
    expect(r.code).toBe(0);
    expect(JSON.parse(await readFile(path.join(dir, 'connections.json'), 'utf8')).connections.lake.force_path_style).toBe(true);
  });

  it('refuses a name whose secret variables another connection already has (warehouse-eu, warehouse_eu)', async () => {
    const { env } = await configDir();
    const add = (name: string) => caudal(['connections', 'add', name, '--type', 'rest', '--set', 'base_url=http://127.0.0.1:9', '--set', 'auth=none'], { env });
    expect((await add('warehouse-eu')).code).toBe(0);
    const r = await add('warehouse_eu');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("would share its secret variables (CAUDAL_SECRET_WAREHOUSE_EU_<FIELD>) with connection 'warehouse-eu'");
  });
});
