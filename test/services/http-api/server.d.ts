export declare const CREDENTIALS: { apiKey: string; bearer: string; user: string; password: string; clientId: string; clientSecret: string };

export interface ApiRecord {
  id: number;
  name: string;
  updated_at: string;
  customer: { name: string; address: { city: string; zip: string } };
  amount: number;
}

export interface LoggedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  at: number;
  /** Requests being answered when this one arrived, itself included. */
  inFlight: number;
}

export type Fault =
  | { status: number; retryAfter?: number | string; body?: unknown }
  /** The body's text as Latin-1 bytes, with `charset` named in the Content-Type, or none. */
  | { status: number; body: string; latin1: true; charset?: string }
  | { delayMs: number }
  | { hang: true }
  | { truncate: true };

export interface TestApi {
  url: string;
  port: number;
  log: LoggedRequest[];
  readonly records: ApiRecord[];
  fault(pathPrefix: string, ...faults: Fault[]): void;
  addRecords(n: number): void;
  revokeTokens(): void;
  requests(pathPrefix: string): LoggedRequest[];
  close(): Promise<void>;
}

export declare function makeRecord(i: number): ApiRecord;
export declare function startApi(options?: { port?: number; records?: number; pageSize?: number; tokenTtlS?: number }): Promise<TestApi>;
