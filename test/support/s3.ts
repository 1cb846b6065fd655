import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterFile } from './cleanup.js';
import type { ResolvedConnection } from '../../core/src/nodes/define.js';
import { S3_CREDENTIALS, startS3, type TestS3 } from '../services/s3/server.js';
import { listObjects } from '../../core/src/connectors/s3/objects.js';

/** An s3rver for this test file (stopped after it), its connection, and helpers to put and list objects. */
export async function s3Sandbox(buckets: string[]) {
  const server: TestS3 = await startS3({ buckets });
  afterFile(() => server.close());
  const config = { region: 'us-east-1', endpoint: server.endpoint, force_path_style: true, access_key_id: S3_CREDENTIALS.accessKeyId, secret_access_key: S3_CREDENTIALS.secretAccessKey };
  const client = new S3Client({ region: 'us-east-1', endpoint: server.endpoint, forcePathStyle: true, credentials: S3_CREDENTIALS, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  afterFile(() => client.destroy());
  return {
    server,
    config,
    connection: (name = 'lake'): Record<string, ResolvedConnection> => ({ [name]: { name, type: 's3', config } }),
    put: (bucket: string, key: string, body: string | Uint8Array) => client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body })),
    keys: async (bucket: string, prefix = '') => (await listObjects(client, bucket, prefix)).map((o) => o.key),
    client,
  };
}
