import { createRequire } from 'node:module';
import type * as S3 from '@aws-sdk/client-s3';
import type * as Storage from '@aws-sdk/lib-storage';

// The AWS SDK takes ~0.2 s to load, and every engine worker loads the whole node registry: loaded on
// first use, only runs that touch S3 pay for it (require() caches it after that).
const require = createRequire(import.meta.url);
export const s3Sdk = (): typeof S3 => require('@aws-sdk/client-s3') as typeof S3;
export const s3Storage = (): typeof Storage => require('@aws-sdk/lib-storage') as typeof Storage;
