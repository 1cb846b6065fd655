import { spawn } from 'node:child_process';
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EnvSecretStore, secretEnvName } from '../core/src/secrets/env-store.js';
import { resolveSecrets } from '../core/src/secrets/resolve.js';
import { packageRoot } from '../core/src/util/package-root.js';
import { tempDir } from './support/pipeline.js';
import { PG, pgLoginRole } from './support/postgres.js';

/**
 * Connections against the real OS keychain: every command runs in its own D-Bus session with a
 * gnome-keyring daemon unlocked over a keyring kept in a temporary HOME (DESIGN.md §7), so state
 * persists between commands exactly as it does on a desktop, and nothing touches the real user's.
 */
const bin = path.join(packageRoot(), 'bin/caudal.js');
const SECRET = 'Pa55-wörd=with spaces';
let home: string;

let calls = 0;
async function inKeyringSession(cmd: string[], input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // Wait until the unlocked daemon owns the Secret Service name: otherwise D-Bus may activate a second,
  // locked daemon. The command's output goes to files, because daemons started by D-Bus print to the
  // session's own stdout.
  const script = [
    'printf "keyring-pw" | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1',
    'i=0; until dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q true; do i=$((i+1)); [ $i -gt 100 ] && break; sleep 0.05; done',
    'exec "$@" >"$OUT_FILE" 2>"$ERR_FILE"',
  ].join('\n');
  const n = ++calls;
  const outFile = path.join(home, `.out-${n}`);
  const errFile = path.join(home, `.err-${n}`);
  const env = { PATH: process.env.PATH, HOME: home, XDG_DATA_HOME: path.join(home, 'share'), XDG_CONFIG_HOME: path.join(home, 'config'), LANG: 'C.UTF-8', OUT_FILE: outFile, ERR_FILE: errFile };
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn('dbus-run-session', ['--', 'sh', '-c', script, 'sh', ...cmd], { env, stdio: ['pipe', 'ignore', 'ignore'] });
    child.stdin.end(input);
    child.on('close', resolve);
  });
  const read = async (f: string) => {
    const text = await readFile(f, 'utf8').catch(() => '');
    await rm(f, { force: true });
    return text;
  };
  return { code, stdout: await read(outFile), stderr: (await read(errFile)).trim() };
}
const caudal = (args: string[], input = '') => inKeyringSession([process.execPath, bin, 'connections', ...args], input);

async function filesContaining(dir: string, needle: string): Promise<string[]> {
  const hits: string[] = [];
  for (const rel of await readdir(dir, { recursive: true })) {
    const file = path.join(dir, rel);
    const buf = await readFile(file).catch(() => undefined);
    if (buf && buf.includes(Buffer.from(needle))) hits.push(rel);
  }
  return hits;
}

let role: string;
beforeAll(async () => {
  home = await tempDir('caudal-home-');
  // The stored password must be the real one: the test server checks it (scram).
  role = await pgLoginRole(SECRET);
});

describe('connections in the OS keychain (gnome-keyring over D-Bus)', () => {
  it('add stores the password in the keychain and the other fields in the user file, never the password', async () => {
    const r = await caudal(['add', 'warehouse', '--type', 'postgres', '--set', `host=${PG.host}`, '--set', `port=${PG.port}`, '--set', `database=${PG.database}`, '--set', `user=${role}`], `${SECRET}\n`);
    expect(r.stderr).toContain("connection 'warehouse' saved to");
    expect(r.code).toBe(0);
    const file = JSON.parse(await readFile(path.join(home, 'config/caudal/connections.json'), 'utf8'));
    expect(file).toEqual({
      format: 'caudal.connections/1',
      connections: { warehouse: { type: 'postgres', host: PG.host, port: PG.port, database: PG.database, user: role, ssl: 'disable', connect_timeout_s: 10, commit_timeout_s: 120 } },
    });
    const lookup = await inKeyringSession(['secret-tool', 'lookup', 'service', 'caudal', 'username', 'warehouse/password']);
    expect(lookup.stdout).toBe(SECRET);
    // The keyring file is encrypted; no file under HOME holds the secret in plain text.
    expect(await filesContaining(home, SECRET)).toEqual([]);
  });

  it('list shows that a password is stored, never its value', async () => {
    const r = await caudal(['list']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^warehouse\s+postgres\s+host=127\.0\.0\.1 .*\(password: stored\)$/m);
    const json = await caudal(['list', '--json']);
    expect(JSON.parse(json.stdout)).toEqual([expect.objectContaining({ name: 'warehouse', secrets: { password: true } })]);
    expect(r.stdout + json.stdout).not.toContain(SECRET);
  });

  it('test connects to the real PostgreSQL and reports its version and latency', async () => {
    const r = await caudal(['test', 'warehouse']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^✔ warehouse: PostgreSQL \d+\.\d+.*, connected in \d+ ms$/m);
  });

  it('a failing test exits 1 with the connection and the cause, and no secret in the output', async () => {
    await caudal(['add', 'nowhere', '--type', 'postgres', '--set', 'host=127.0.0.1', '--set', 'port=1', '--set', 'database=x', '--set', 'user=x'], `${SECRET}\n`);
    const r = await caudal(['test', 'nowhere']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/connection 'nowhere' \(PostgreSQL\) failed: .*ECONNREFUSED/);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
  });

  it('refuses a secret on the command line and an unknown type, with a suggestion', async () => {
    const secretArg = await caudal(['add', 'x', '--type', 'postgres', '--set', 'password=oops', '--set', 'database=d', '--set', 'user=u']);
    expect(secretArg.code).toBe(2);
    expect(secretArg.stderr).toContain("'password' is a secret of PostgreSQL connections and is never passed on the command line");
    const badType = await caudal(['add', 'x', '--type', 'postgress']);
    expect(badType.code).toBe(2);
    expect(badType.stderr).toContain("unknown connection type 'postgress' (did you mean 'postgres'?)");
  });

  it('remove deletes the definition and the keychain entry', async () => {
    expect((await caudal(['remove', 'warehouse'])).code).toBe(0);
    const lookup = await inKeyringSession(['secret-tool', 'lookup', 'service', 'caudal', 'username', 'warehouse/password']);
    expect(lookup.stdout).toBe('');
    expect((await caudal(['list'])).stdout).not.toMatch(/^warehouse/m);
    const again = await caudal(['test', 'warehouse']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("no connection named 'warehouse'");
  });
});

describe('secrets from the environment (headless runs)', () => {
  it('names variables CAUDAL_SECRET_<CONNECTION>_<FIELD>', () => {
    expect(secretEnvName('warehouse-eu', 'password')).toBe('CAUDAL_SECRET_WAREHOUSE_EU_PASSWORD');
    expect(secretEnvName('s3 lake', 'secret_access_key')).toBe('CAUDAL_SECRET_S3_LAKE_SECRET_ACCESS_KEY');
  });

  it('reads them, and a missing one is an error naming the connection, the field and both fixes', async () => {
    const env = new EnvSecretStore({ CAUDAL_SECRET_WAREHOUSE_PASSWORD: 'from-env' });
    expect(await resolveSecrets('warehouse', ['password'], [env])).toEqual({ password: 'from-env' });
    await expect(resolveSecrets('crm', ['token'], [env])).rejects.toMatchObject({
      message: "connection 'crm' needs its token, which is not in the environment",
      hint: 'run `caudal connections add crm` to store it in the OS keychain, or set CAUDAL_SECRET_CRM_TOKEN for a headless run',
    });
  });

  it('an unreachable store does not hide a store that has the secret', async () => {
    const broken = { label: 'OS keychain', get: () => Promise.reject(new Error('no D-Bus session')), set: async () => {}, delete: async () => false };
    const env = new EnvSecretStore({ CAUDAL_SECRET_WH_PASSWORD: 'x' });
    expect(await resolveSecrets('wh', ['password'], [broken, env])).toEqual({ password: 'x' });
    await expect(resolveSecrets('other', ['password'], [broken, env])).rejects.toThrow(/not in the OS keychain or the environment \(OS keychain: no D-Bus session\)/);
  });
});
