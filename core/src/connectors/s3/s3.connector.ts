import { s3Sdk } from './sdk.js';
import { S3_SECRETS, s3Fields, type S3Config } from '../../connections/s3/s3.connection.js';
import type { Connector, RemoteTable } from '../connector.js';
import { explainS3Error, s3Client, s3RecoveryTarget } from './client.js';
import { recoverS3Write } from './write.js';

/**
 * S3 and S3-compatible stores: the connection type, discovery (buckets, then objects under a
 * prefix) and recovery of sink.s3 writes a killed run left behind. Reads and writes are source.s3
 * and sink.s3, which move objects with the SDK and let DuckDB read and write local files.
 */
export const s3Connector: Connector<typeof s3Fields> = {
  type: 's3',
  label: 'S3',
  fields: s3Fields,
  secrets: S3_SECRETS,
  capabilities: { pushdown: false, upsert: false, incremental: false, transactional: false },
  async test(config: S3Config) {
    const client = s3Client(config);
    const t0 = performance.now();
    try {
      if (config.bucket) await client.send(new (s3Sdk().HeadBucketCommand)({ Bucket: config.bucket }));
      else await client.send(new (s3Sdk().ListBucketsCommand)({}));
      return { ok: true, serverVersion: `S3${config.endpoint ? ` at ${config.endpoint}` : ` (${config.region})`}${config.bucket ? `, bucket ${config.bucket}` : ''}`, latencyMs: Math.round(performance.now() - t0) };
    } catch (e) {
      throw explainS3Error(e, config.bucket ? `bucket ${config.bucket}` : 'listing the buckets', config);
    } finally {
      client.destroy();
    }
  },
  /** No scope: the buckets (as schemas). With a schema (bucket): its folders and objects under `table` (a prefix). */
  async discover(config, scope): Promise<RemoteTable[]> {
    const client = s3Client(config);
    try {
      if (!scope?.schema) {
        const r = await client.send(new (s3Sdk().ListBucketsCommand)({}));
        return (r.Buckets ?? []).map((b) => ({ schema: b.Name ?? '', name: '', kind: 'table' as const }));
      }
      const r = await client.send(new (s3Sdk().ListObjectsV2Command)({ Bucket: scope.schema, Prefix: scope.table ?? '', Delimiter: '/', MaxKeys: 1000 }));
      return [...(r.CommonPrefixes ?? []).map((p) => ({ schema: scope.schema!, name: p.Prefix ?? '', kind: 'view' as const })), ...(r.Contents ?? []).map((o) => ({ schema: scope.schema!, name: o.Key ?? '', kind: 'table' as const }))];
    } catch (e) {
      throw explainS3Error(e, `listing s3://${scope?.schema ?? ''}`, config);
    } finally {
      client.destroy();
    }
  },
  recoveryTarget: s3RecoveryTarget,
  recover: recoverS3Write,
};
