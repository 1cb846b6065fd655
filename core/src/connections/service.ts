import path from 'node:path';
import type { SecretStore } from '../secrets/secret-store.js';
import { missingSecret, missingSecretField, resolveSecrets } from '../secrets/resolve.js';
import { secretEnvName } from '../secrets/env-store.js';
import { secretValues } from '../engine/redact-secrets.js';
import { redactText } from './redact.js';
import { didYouMean } from '../util/suggest.js';
import { credentialHeader } from './rest/rest.connection.js';
import { CaudalError, errorMessage } from '../util/errors.js';
import type { ConnectionTestResult } from './connection-type.js';
import {
  checkConnectionName,
  checkConnectionsDocument,
  type ConnectionEntry,
  type ConnectionsFile,
  credentialsInUrl,
  PROJECT_FILE,
  readConnectionsFile,
  readConnectionsLoosely,
  urlWithCredentials,
  userConnectionsPath,
  writeConnectionsFile,
} from './file.js';
import { connectionTypes, getConnectionType } from './registry.js';
import type { Pipeline } from '../model/schema.js';
import type { ResolvedConnection } from '../nodes/define.js';

export interface ConnectionInfo {
  name: string;
  type: string;
  /** Non-secret fields as stored. */
  fields: Record<string, unknown>;
  /** For each secret field: whether a store has it. Never the value. */
  secrets: Record<string, boolean>;
  /**
   * Secret fields no store had because a store failed to answer (a locked or unreachable OS
   * keychain), with why: not known to be absent. Only when there are some.
   */
  unreadable?: Record<string, string>;
  /** The file the definition comes from. */
  file: string;
}

export interface ConnectionServiceOptions {
  /** Stores read in order (environment first, so a run can override the keychain). */
  stores: readonly SecretStore[];
  /** Where `add` writes secrets and `remove` deletes them (the OS keychain). */
  writeStore: SecretStore;
  /** Folder of a project (pipelines); its caudal.connections.json overrides the user's file. */
  projectDir?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Named connections: non-secret fields in a connections file (per user, optionally per project),
 * secret fields only in a SecretStore. The CLI and the studio's host API both use this.
 */
export class ConnectionService {
  constructor(private readonly opts: ConnectionServiceOptions) {}

  private get files(): string[] {
    const user = userConnectionsPath(this.opts.env);
    return this.opts.projectDir ? [user, path.join(this.opts.projectDir, PROJECT_FILE)] : [user];
  }

  /** Where `add` and `remove` write: the project file when a project is given, else the user's. */
  private get writeFile(): string {
    return this.files.at(-1)!;
  }

  async list(): Promise<ConnectionInfo[]> {
    const merged = new Map<string, ConnectionInfo>();
    for (const file of this.files) {
      const doc = await readConnectionsFile(file);
      for (const [name, entry] of Object.entries(doc.connections)) merged.set(name, await this.info(name, entry, file));
    }
    return [...merged.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  async get(name: string): Promise<ConnectionInfo> {
    const all = await this.list();
    const found = all.find((c) => c.name === name);
    if (!found)
      throw new CaudalError('usage', `no connection named '${name}'${didYouMean(name, all.map((c) => c.name))}`, {
        hint: all.length > 0 ? `known connections: ${all.map((c) => c.name).join(', ')}` : 'add one with `caudal connections add <name> --type postgres ...`',
      });
    return found;
  }

  /** Validates every field against the type, writes the non-secret ones to the file and the secret ones to the store. */
  async add(name: string, type: string, fields: Record<string, unknown>, secrets: Record<string, string>): Promise<ConnectionInfo> {
    checkConnectionName(name);
    const def = getConnectionType(type);
    if (!def) throw new CaudalError('usage', `unknown connection type '${type}'${didYouMean(type, connectionTypes.map((t) => t.type))}`, { hint: `types: ${connectionTypes.map((t) => t.type).join(', ')}` });
    for (const key of Object.keys(fields))
      if (def.secrets.includes(key)) throw new CaudalError('usage', `'${key}' is a secret of ${def.label} connections and is never passed on the command line`, { hint: 'it is asked for at the prompt, or read from standard input' });
    const inUrl = urlWithCredentials(fields);
    if (inUrl) throw credentialsInUrl(name, inUrl);
    // Secret variables must name one connection: `warehouse-eu` and `warehouse_eu` would share them.
    const variables = (n: string) => secretEnvName(n, 'FIELD').replace(/FIELD$/, '<FIELD>');
    const clash = (await this.list()).find((c) => c.name !== name && variables(c.name) === variables(name));
    if (clash)
      throw new CaudalError('usage', `connection '${name}' would share its secret variables (${variables(name)}) with connection '${clash.name}'`, {
        hint: 'pick a name that differs from it in more than upper/lower case, - and _',
      });
    const parsed = def.fields.safeParse({ ...fields, ...secrets });
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new CaudalError('usage', `connection '${name}': field '${issue.path.join('.')}': ${issue.message}`);
    }
    const plain: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(parsed.data as Record<string, unknown>)) if (!def.secrets.includes(k) && v !== undefined) plain[k] = v;
    const file = this.writeFile;
    const doc = await readConnectionsFile(file);
    doc.connections[name] = { type, ...plain } as ConnectionEntry;
    // Checked before a secret is stored: nothing is left in the keychain for a file never written.
    checkConnectionsDocument(doc, file);
    for (const [field, value] of Object.entries(secrets)) await this.opts.writeStore.set(name, field, value);
    await writeConnectionsFile(file, doc);
    return this.info(name, doc.connections[name]!, file);
  }

  /** Removes the definition from the file it is in and its secrets from every writable store. */
  async remove(name: string): Promise<void> {
    let info: ConnectionInfo;
    try {
      info = await this.get(name);
    } catch (e) {
      if (await this.removeRefusedEntry(name)) return;
      throw e;
    }
    const doc = await readConnectionsFile(info.file);
    delete doc.connections[name];
    await writeConnectionsFile(info.file, doc);
    const def = getConnectionType(info.type);
    for (const field of def?.secrets ?? []) await this.opts.writeStore.delete(name, field);
  }

  /**
   * Takes a connection out of a file the reader refuses when that entry is what makes it refused
   * (a name against the rule, from an older version or a hand edit): `remove` is then the fix the
   * error suggests. False when no file has the name, or the file stays refused without it.
   */
  private async removeRefusedEntry(name: string): Promise<boolean> {
    for (const file of [...this.files].reverse()) {
      const loose = await readConnectionsLoosely(file).catch(() => undefined);
      if (!loose || !Object.hasOwn(loose.connections, name)) continue;
      const entry = loose.connections[name] as { type?: unknown } | null;
      const { [name]: _removed, ...rest } = loose.connections;
      const doc = { ...loose, connections: rest };
      try {
        checkConnectionsDocument(doc, file);
      } catch {
        return false;
      }
      await writeConnectionsFile(file, doc as ConnectionsFile);
      const type = entry !== null && typeof entry === 'object' && typeof entry.type === 'string' ? entry.type : undefined;
      for (const field of (type && getConnectionType(type)?.secrets) || []) await this.opts.writeStore.delete(name, field);
      return true;
    }
    return false;
  }

  /**
   * Every field of a connection, secrets included, validated against its type: what an engine
   * request carries. Only for the engine worker; never for the renderer or a log.
   */
  async resolve(name: string): Promise<ResolvedConnection> {
    const info = await this.get(name);
    const def = getConnectionType(info.type);
    if (!def) throw new CaudalError('usage', `connection '${name}' has unknown type '${info.type}'`);
    // A field a store could not answer for is asked again: it may be there (resolveSecrets then
    // reports the store's failure, never "not stored"). One written in the file by hand is used as is.
    const wanted = def.secrets.filter((f) => info.secrets[f] || (info.unreadable?.[f] !== undefined && typeof info.fields[f] !== 'string'));
    const secrets = await resolveSecrets(name, wanted, this.opts.stores);
    const parsed = def.fields.safeParse({ ...info.fields, ...secrets });
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new CaudalError('usage', `connection '${name}' in ${info.file}: field '${issue.path.join('.')}': ${issue.message}`, { hint: `fix it with \`caudal connections add ${name} --type ${info.type} --set ...\`` });
    }
    return { name, type: info.type, config: parsed.data as Record<string, unknown> };
  }

  /** The connections a pipeline declares, resolved; an error names the first that is missing or of another type. */
  async resolveFor(pipeline: Pipeline): Promise<Record<string, ResolvedConnection>> {
    const out: Record<string, ResolvedConnection> = {};
    for (const [name, ref] of Object.entries(pipeline.connections)) {
      const resolved = await this.resolve(name);
      if (resolved.type !== ref.type) throw new CaudalError('validation', `the pipeline declares connection '${name}' as ${ref.type}, but it is a ${resolved.type} connection`, { hint: 'fix the type under "connections" in the pipeline, or use another connection' });
      out[name] = resolved;
    }
    return out;
  }

  async test(name: string): Promise<ConnectionTestResult> {
    const resolved = await this.resolve(name);
    const def = getConnectionType(resolved.type)!;
    try {
      return await def.test(resolved.config);
    } catch (e) {
      const missing = missingSecretField(e);
      if (missing) {
        const why = missingSecret(name, missing, this.opts.stores.map((s) => s.label).join(' or the '));
        throw new CaudalError('usage', `connection '${name}' (${def.label}) failed: the server asks for a ${missing}: ${why.message}`, { hint: why.hint });
      }
      const err = e instanceof CaudalError ? e : new CaudalError('io', String(e));
      // The same redaction as the engine's: whatever the server echoed, no secret leaves.
      const secrets = secretValues({ [name]: resolved });
      throw new CaudalError('io', redactText(`connection '${name}' (${def.label}) failed: ${err.message}`, secrets), { hint: err.hint && redactText(err.hint, secrets) });
    }
  }

  private async info(name: string, entry: ConnectionEntry, file: string): Promise<ConnectionInfo> {
    const { type, ...fields } = entry;
    const def = getConnectionType(type);
    const secrets: Record<string, boolean> = {};
    const unreadable: Record<string, string> = {};
    for (const field of def?.secrets ?? []) {
      let has = false;
      const failed: string[] = [];
      for (const store of this.opts.stores) {
        try {
          has = (await store.get(name, field)) !== undefined;
        } catch (e) {
          // The store's message (never a secret) says why; it names the store unless it already does.
          const why = errorMessage(e);
          failed.push(why.includes(store.label) ? why : `${store.label}: ${why}`);
          continue;
        }
        if (has) break;
      }
      secrets[field] = has;
      if (!has && failed.length > 0) unreadable[field] = failed.join('; ');
    }
    return { name, type, fields, secrets, ...(Object.keys(unreadable).length > 0 ? { unreadable } : {}), file };
  }
}

/**
 * A connection's fields without its secret ones. `connections add` never writes a secret into a
 * connections file, but a hand-edited or hand-copied file can hold one in plain text; it stays
 * there for the engine (the user's choice), is never shown (`connections list`, the studio), and
 * moves into the secret store when the studio saves the connection (which rewrites the file without it).
 */
export function withoutSecretFields(type: string, fields: Record<string, unknown>): Record<string, unknown> {
  const secret = new Set(getConnectionType(type)?.secrets ?? []);
  const shown = Object.fromEntries(Object.entries(fields).filter(([k]) => !secret.has(k)));
  // A credential header written into the file by hand (`Authorization: Bearer …`) is a secret too:
  // the connection is refused for it when used, and its value is never shown.
  const headers = shown.headers;
  if (headers !== null && typeof headers === 'object' && !Array.isArray(headers))
    shown.headers = Object.fromEntries(Object.entries(headers).filter(([name]) => !credentialHeader(name)));
  return shown;
}

/** The secrets a connections file holds in plain text (see withoutSecretFields). */
export function plainSecrets(c: ConnectionInfo): Record<string, string> {
  const secret = getConnectionType(c.type)?.secrets ?? [];
  return Object.fromEntries(secret.flatMap((f) => (typeof c.fields[f] === 'string' ? [[f, c.fields[f]]] : [])));
}
