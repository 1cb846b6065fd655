/**
 * Where connection secrets (passwords, tokens, keys) live. Pipelines and connection files hold only
 * non-secret fields; a secret is addressed by connection name and field name and read at run time.
 */
export interface SecretStore {
  /** Shown in errors and `caudal connections list` (e.g. "OS keychain", "environment"). */
  readonly label: string;
  get(connection: string, field: string): Promise<string | undefined>;
  /** Stores may be read-only (environment variables); they throw a CaudalError saying so. */
  set(connection: string, field: string, value: string): Promise<void>;
  /** True when something was deleted. */
  delete(connection: string, field: string): Promise<boolean>;
}
