export declare const S3_CREDENTIALS: { accessKeyId: string; secretAccessKey: string };
export interface S3Request {
  method: string;
  path: string;
  query: string;
  range?: string;
}
export interface TestS3 {
  endpoint: string;
  port: number;
  directory: string;
  log: S3Request[];
  close(): Promise<void>;
}
export declare function startS3(options?: { dir?: string; port?: number; buckets?: string[] }): Promise<TestS3>;
