import { readFile, writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import path from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ConnectionService } from '../core/src/connections/service.js';
import { ConnectionsApi } from '../core/src/host/connections-api.js';
import { connectionInfoSchema } from '../core/src/host-api/contract.js';
import { CONNECTIONS_FORMAT, PROJECT_FILE, readConnectionsFile, writeConnectionsFile } from '../core/src/connections/file.js';
import { main } from '../core/src/cli/main.js';
import type { SecretStore } from '../core/src/secrets/secret-store.js';
import { CaudalError } from '../core/src/util/errors.js';
import { ownCaudalHome } from './support/cli-in-process.js';
import { MemoryStore } from './support/memory-store.js';
import { tempDir } from './support/pipeline.js';

/**
 * Connections attacked by their names and by a keychain that fails: a name against the rule is
 * never written (it made every later command refuse the file, `remove` included), a file that
 * holds one says how to fix it and `remove` takes it out; a secret the keychain could not read is
 * said to be unreadable, with why, never "not set" or "not in the keychain".
 */

// The CLI's OS keychain, replaced in this file: what it holds, and the reason it fails with (if any).
const keychain = vi.hoisted(() => ({ values: new Map<string, string>(), failures: 0, reason: 'AccessDenied' }));
vi.mock('../core/src/secrets/keychain-store.js', () => ({
  KeychainSecretStore: class {
    readonly label = 'OS keychain';
    async get(c: string, f: string) {
      if (keychain.failures > 0) {
        keychain.failures--;
        throw new CaudalError('io', `could not read the ${f} of connection '${c}' in the OS keychain: ${keychain.reason}`, { hint: 'on Linux the keychain needs a running Secret Service' });
      }
      return keychain.values.get(`${c}/${f}`);
    }
    async set(c: string, f: string, v: string) {
      keychain.values.set(`${c}/${f}`, v);
    }
    async delete(c: string, f: string) {
      return keychain.values.delete(`${c}/${f}`);
    }
  },
}));

ownCaudalHome();
beforeEach(() => {
  keychain.values.clear();
  keychain.failures = 0;
});

const BAD = 's39c bad name';
const PASSWORD = 'Pw-never-shown-4711';

async function cli(argv: string[], input = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const stream = (append: (s: string) => void) => ({ write: (s: string | Uint8Array) => (append(String(s)), true) }) as unknown as NodeJS.WriteStream;
  const stdin = Readable.from(input ? [input] : []) as unknown as NodeJS.ReadStream;
  const code = await main(argv, { stdout: stream((s) => (stdout += s)), stderr: stream((s) => (stderr += s)), stdin });
  return { code, stdout, stderr };
}

async function project(connections: Record<string, unknown>): Promise<{ dir: string; file: string }> {
  const dir = await tempDir('caudal-conn-r6-');
  const file = path.join(dir, PROJECT_FILE);
  await writeFile(file, JSON.stringify({ format: CONNECTIONS_FORMAT, connections }, null, 2));
  return { dir, file };
}

const pg = { type: 'postgres', host: 'h', database: 'd', user: 'u' };

describe('connection names against the rule are never written', () => {
  it('connections add refuses the name with exit 2 and the rule, before any secret is read or stored, and writes no file', async () => {
    const dir = await tempDir('caudal-conn-r6-');
    const r = await cli(['connections', 'add', BAD, '--project', dir, '--type', 'postgres', '--set', 'host=h', '--set', 'database=d', '--set', 'user=u'], `${PASSWORD}\n`);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('connection name "s39c bad name" is not allowed: connection names use letters, digits, _ and -, starting with a letter or _');
    expect(r.stderr).toContain('e.g. s39c_bad_name');
    await expect(readFile(path.join(dir, PROJECT_FILE), 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(keychain.values.size).toBe(0);
    // The project stays usable.
    expect((await cli(['connections', 'list', '--project', dir])).code).toBe(0);
  });

  it('the service refuses it too (the studio saves through it), storing no secret', async () => {
    const { dir, file } = await project({ ok: pg });
    const store = new MemoryStore();
    const service = new ConnectionService({ stores: [store], writeStore: store, projectDir: dir, env: { CAUDAL_CONFIG_DIR: dir } });
    for (const name of [BAD, '9lives', 'a.b', ''])
      await expect(service.add(name, 'postgres', { host: 'h', database: 'd', user: 'u' }, { password: PASSWORD })).rejects.toMatchObject({
        kind: 'usage',
        message: `connection name ${JSON.stringify(name)} is not allowed: connection names use letters, digits, _ and -, starting with a letter or _`,
      });
    expect(store.values.size).toBe(0);
    expect(Object.keys((await readConnectionsFile(file)).connections)).toEqual(['ok']);
  });

  it('writeConnectionsFile refuses a document its reader would refuse, leaving the file as it was', async () => {
    const { file } = await project({ ok: pg });
    const before = await readFile(file, 'utf8');
    await expect(writeConnectionsFile(file, { format: CONNECTIONS_FORMAT, connections: { ok: pg, [BAD]: pg } })).rejects.toMatchObject({
      kind: 'validation',
      message: expect.stringContaining(`not written, as it could not be read back: ${file}: connection name "s39c bad name" is not allowed`),
    });
    await expect(writeConnectionsFile(file, { format: CONNECTIONS_FORMAT, connections: { api: { type: 'rest', base_url: `http://qa:${PASSWORD}@127.0.0.1:9` } } })).rejects.toThrow(/field 'base_url' has a user name or password in its URL/);
    expect(await readFile(file, 'utf8')).toBe(before);
  });
});

describe('a connections file that already holds such a name', () => {
  it('list says which file and which name, and how to fix it: rename it there or remove it', async () => {
    const { dir, file } = await project({ [BAD]: pg, ok: pg });
    const r = await cli(['connections', 'list', '--project', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}: connection name "s39c bad name" is not allowed: connection names use letters, digits, _ and -, starting with a letter or _`);
    expect(r.stderr).toContain(`rename it under "connections" in ${file} (and in the pipelines that use it), or remove it with \`caudal connections remove 's39c bad name' --project ${dir}\``);
  });

  it('connections remove of that name takes it and its secrets out, keeping the other entries', async () => {
    const { dir, file } = await project({ [BAD]: pg, ok: pg });
    keychain.values.set(`${BAD}/password`, PASSWORD);
    keychain.values.set('ok/password', 'other');
    const r = await cli(['connections', 'remove', BAD, '--project', dir]);
    expect(r.stderr).toContain("✔ connection 's39c bad name' removed, with its secrets");
    expect(r.code).toBe(0);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ format: CONNECTIONS_FORMAT, connections: { ok: pg } });
    expect([...keychain.values.keys()]).toEqual(['ok/password']);
    expect((await cli(['connections', 'list', '--project', dir])).code).toBe(0);
  });

  it('remove is refused, naming the first bad name, when the file would still be refused without the entry', async () => {
    const { dir, file } = await project({ [BAD]: pg, 'other bad': pg, ok: pg });
    const before = await readFile(file, 'utf8');
    const store = new MemoryStore();
    const service = new ConnectionService({ stores: [store], writeStore: store, projectDir: dir, env: { CAUDAL_CONFIG_DIR: dir } });
    await expect(service.remove('other bad')).rejects.toThrow(`${file}: connection name "s39c bad name" is not allowed`);
    await expect(service.remove('ok')).rejects.toThrow(`${file}: connection name "s39c bad name" is not allowed`);
    expect(await readFile(file, 'utf8')).toBe(before);
  });
});

/** A store that fails its next `failures` reads, like the container's keychain (first call per process). */
class FailingStore implements SecretStore {
  readonly label = 'OS keychain';
  readonly values = new Map<string, string>();
  reads = 0;
  constructor(public failures = Infinity) {}
  async get(c: string, f: string) {
    this.reads++;
    if (this.failures-- > 0) throw new CaudalError('io', `could not read the ${f} of connection '${c}' in the OS keychain: AccessDenied`);
    return this.values.get(`${c}/${f}`);
  }
  async set(c: string, f: string, v: string) {
    this.values.set(`${c}/${f}`, v);
  }
  async delete(c: string, f: string) {
    return this.values.delete(`${c}/${f}`);
  }
}

describe('a secret the keychain could not read is not a secret that is absent', () => {
  const setup = async (store: SecretStore) => {
    const { dir } = await project({ s39c_pg: { ...pg, host: '127.0.0.1', port: 1 } });
    return new ConnectionService({ stores: [new MemoryStore(), store], writeStore: store, projectDir: dir, env: { CAUDAL_CONFIG_DIR: dir } });
  };

  it('list says the password could not be read, and why, apart from the ones that are not set', async () => {
    const service = await setup(new FailingStore());
    const [info] = await service.list();
    expect(info).toMatchObject({ name: 's39c_pg', secrets: { password: false }, unreadable: { password: "could not read the password of connection 's39c_pg' in the OS keychain: AccessDenied" } });
    const readable = await setup(new FailingStore(0));
    expect((await readable.list())[0]).not.toHaveProperty('unreadable');
  });

  it("the studio's connection list gets the same: why the password could not be read, never a value", async () => {
    const service = await setup(new FailingStore());
    const [info] = await new ConnectionsApi(() => service).list();
    expect(connectionInfoSchema.parse(info)).toMatchObject({ name: 's39c_pg', secrets: { password: false }, unreadable: { password: expect.stringContaining('AccessDenied') } });
    const readable = await setup(new FailingStore(0));
    expect((await new ConnectionsApi(() => readable).list())[0]).not.toHaveProperty('unreadable');
  });

  it('resolve reports the store failure with its reason, never resolving without the password', async () => {
    const store = new FailingStore();
    store.values.set('s39c_pg/password', PASSWORD);
    const service = await setup(store);
    const err = await service.resolve('s39c_pg').then(
      () => undefined,
      (e: unknown) => e as CaudalError,
    );
    expect(err?.message).toBe(
      "connection 's39c_pg' needs its password, which is not in the test store or the OS keychain (OS keychain: could not read the password of connection 's39c_pg' in the OS keychain: AccessDenied)",
    );
    expect(`${err?.message} ${err?.hint}`).not.toContain(PASSWORD);
  });

  it('resolve asks again: a keychain that fails only its first read still gives the password', async () => {
    const store = new FailingStore(1);
    store.values.set('s39c_pg/password', PASSWORD);
    const service = await setup(store);
    expect((await service.resolve('s39c_pg')).config.password).toBe(PASSWORD);
  });

  it('a password that is simply absent is still optional (trust or peer authentication)', async () => {
    const service = await setup(new FailingStore(0));
    expect((await service.resolve('s39c_pg')).config).not.toHaveProperty('password');
  });

  it('the CLI: list shows "could not be read (…)", and test exits 2 with the keychain\'s reason and its hint', async () => {
    const { dir } = await project({ s39c_pg: { ...pg, host: '127.0.0.1', port: 1 } });
    keychain.values.set('s39c_pg/password', PASSWORD);
    keychain.failures = Infinity;
    const list = await cli(['connections', 'list', '--project', dir]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^s39c_pg\s+postgres\s+.*\(password: could not be read \(could not read the password of connection 's39c_pg' in the OS keychain: AccessDenied\)\)$/m);
    expect(list.stdout).not.toContain('not set');
    const test = await cli(['connections', 'test', 's39c_pg', '--project', dir]);
    expect(test.code).toBe(2);
    expect(test.stderr).toContain("(OS keychain: could not read the password of connection 's39c_pg' in the OS keychain: AccessDenied)");
    expect(test.stderr).toContain('hint: on Linux the keychain needs a running Secret Service');
    expect(list.stdout + list.stderr + test.stdout + test.stderr).not.toContain(PASSWORD);
  });
});
