import { z } from 'zod';

/**
 * Amazon S3 or an S3-compatible store (MinIO, Cloudflare R2, Ceph). With an access key id the
 * secret key (and an optional session token) come from a SecretStore; without one, the standard AWS
 * chain applies: environment variables, the shared config/credentials files (profile), SSO, the
 * instance or task role.
 */
export const s3Fields = z
  .object({
    region: z.string().min(1).default('us-east-1').meta({ label: 'Region', help: 'e.g. eu-west-1; S3-compatible stores often accept any value (R2: auto).' }),
    endpoint: z.url({ protocol: /^https?$/ }).optional().meta({ label: 'Endpoint', help: 'Only for S3-compatible stores, e.g. http://127.0.0.1:9000 (MinIO) or https://<account>.r2.cloudflarestorage.com.' }),
    force_path_style: z.boolean().default(false).meta({ label: 'Path-style URLs', help: 'host/bucket/key instead of bucket.host/key: MinIO, Ceph and most local servers need it.', widget: 'boolean' }),
    access_key_id: z.string().min(1).optional().meta({ label: 'Access key id', help: 'Empty: the standard AWS credential chain (environment, profile, instance role).', group: 'Credentials' }),
    secret_access_key: z.string().optional().meta({ label: 'Secret access key', help: 'Stored in the OS keychain, never in files.', group: 'Credentials' }),
    session_token: z.string().optional().meta({ label: 'Session token', help: 'For temporary credentials; stored in the OS keychain.', group: 'Credentials' }),
    profile: z.string().min(1).optional().meta({ label: 'Profile', help: 'A profile of ~/.aws/config and ~/.aws/credentials (standard chain only).', group: 'Credentials' }),
    bucket: z.string().min(1).optional().meta({ label: 'Test bucket', help: '"Test connection" checks access to this bucket; empty: it lists the buckets.' }),
  })
  .strict();

export type S3Config = z.infer<typeof s3Fields>;

export const S3_SECRETS = ['secret_access_key', 'session_token'] as const;
