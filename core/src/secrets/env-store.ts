import { envNamePart } from '../model/schema.js';
import { CaudalError } from '../util/errors.js';
import type { SecretStore } from './secret-store.js';

/**
 * `CAUDAL_SECRET_<CONNECTION>_<FIELD>`: upper case, every run of characters other than letters and
 * digits becomes one underscore. `warehouse-eu` / `password` → `CAUDAL_SECRET_WAREHOUSE_EU_PASSWORD`.
 */
export function secretEnvName(connection: string, field: string): string {
  return `CAUDAL_SECRET_${envNamePart(connection)}_${envNamePart(field)}`;
}

/** Read-only secrets from environment variables, for headless runs (CI, servers, containers). */
export class EnvSecretStore implements SecretStore {
  readonly label = 'environment';
  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  async get(connection: string, field: string): Promise<string | undefined> {
    const v = this.env[secretEnvName(connection, field)];
    return v === undefined || v === '' ? undefined : v;
  }

  async set(connection: string, field: string): Promise<void> {
    throw new CaudalError('usage', `environment variables are read-only here: set ${secretEnvName(connection, field)} in the environment of the run instead`);
  }

  async delete(): Promise<boolean> {
    return false;
  }
}
