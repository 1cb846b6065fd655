import type { z } from 'zod';

/** What `caudal connections test` and the studio's "Test connection" report. */
export interface ConnectionTestResult {
  ok: true;
  /** e.g. "PostgreSQL 15.20". */
  serverVersion: string;
  latencyMs: number;
}

/**
 * One kind of connection (postgres, later sqlserver, rest, s3, ...). `fields` holds every field,
 * secrets included, as zod with UI metadata; `secrets` names the fields that live only in a
 * SecretStore. Everything else (forms, validation, what is written to disk) derives from this.
 */
export interface ConnectionType<S extends z.ZodObject = z.ZodObject> {
  type: string;
  label: string;
  fields: S;
  secrets: readonly (keyof z.infer<S> & string)[];
  /** Connects, asks the server who it is, disconnects. Errors never contain secret values. */
  test(config: z.infer<S>): Promise<ConnectionTestResult>;
}

export function defineConnectionType<S extends z.ZodObject>(def: ConnectionType<S>): ConnectionType<S> {
  return def;
}
