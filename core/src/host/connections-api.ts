import path from 'node:path';
import { type ConnectionInfo, type ConnectionService, plainSecrets, withoutSecretFields } from '../connections/service.js';
import { userConnectionsPath } from '../connections/file.js';
import type { HostConnectionInfo, MethodOutput } from '../host-api/contract.js';
import { CaudalError, errorMessage } from '../util/errors.js';
import { getConnector } from '../connectors/registry.js';
import { redact } from '../connections/redact.js';

/** Makes the ConnectionService for a project folder (or the user's file alone). */
export type ConnectionServiceFactory = (projectDir: string | undefined) => ConnectionService;

interface SaveInput {
  name: string;
  type: string;
  fields: Record<string, unknown>;
  secrets: Record<string, string>;
  projectDir?: string;
}

/** The connections part of the contract. Only flags about secrets ever leave this file. */
export class ConnectionsApi {
  constructor(
    private readonly factory: ConnectionServiceFactory,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  private service(projectDir: string | undefined): ConnectionService {
    return this.factory(projectDir === undefined ? undefined : path.resolve(projectDir));
  }

  private toInfo(c: ConnectionInfo): HostConnectionInfo {
    const scope = path.resolve(c.file) === path.resolve(userConnectionsPath(this.env)) ? 'user' : 'project';
    const unreadable = c.unreadable && Object.keys(c.unreadable).length > 0 ? { unreadable: { ...c.unreadable } } : {};
    return { name: c.name, type: c.type, fields: withoutSecretFields(c.type, c.fields), secrets: { ...c.secrets }, ...unreadable, scope, file: c.file };
  }

  async list(projectDir?: string): Promise<HostConnectionInfo[]> {
    return (await this.service(projectDir).list()).map((c) => this.toInfo(c));
  }

  async add(input: SaveInput): Promise<HostConnectionInfo> {
    const service = this.service(input.projectDir);
    if ((await service.list()).some((c) => c.name === input.name))
      throw new CaudalError('usage', `a connection named '${input.name}' already exists`, { hint: 'pick another name, or edit the existing one' });
    return this.toInfo(await service.add(input.name, input.type, input.fields, input.secrets));
  }

  async update(input: SaveInput): Promise<HostConnectionInfo> {
    const service = this.service(input.projectDir);
    const existing = await service.get(input.name);
    if (existing.type !== input.type)
      throw new CaudalError('usage', `connection '${input.name}' is a ${existing.type} connection; its type cannot change`, { hint: 'remove it and add a new one' });
    return this.toInfo(await service.add(input.name, input.type, input.fields, { ...plainSecrets(existing), ...input.secrets }));
  }

  async test(name: string, projectDir?: string): Promise<MethodOutput<'connections.test'>> {
    try {
      return await this.service(projectDir).test(name);
    } catch (e) {
      // The service's errors are already redacted (connections/redact.ts).
      const err = e instanceof CaudalError ? e : new CaudalError('io', errorMessage(e));
      return { ok: false, message: err.message, hint: err.hint };
    }
  }

  /** Asks the server for its tables (or one table's columns); errors are redacted like test's. */
  async discover(name: string, scope: { schema?: string; table?: string }, projectDir?: string): Promise<MethodOutput<'connections.discover'>> {
    const resolved = await this.service(projectDir).resolve(name);
    const connector = getConnector(resolved.type);
    if (!connector) throw new CaudalError('usage', `connection '${name}' has type '${resolved.type}', which has no connector`);
    if (!connector.discover) return { tables: [] };
    const secrets = connector.secrets.map((f) => resolved.config[f]).filter((v): v is string => typeof v === 'string');
    try {
      return { tables: await connector.discover(connector.fields.parse(resolved.config), scope) };
    } catch (e) {
      throw redact(e, secrets);
    }
  }

  async remove(name: string, projectDir?: string): Promise<void> {
    await this.service(projectDir).remove(name);
  }
}
