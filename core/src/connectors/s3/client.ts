import type { S3Client } from '@aws-sdk/client-s3';
import { s3Sdk } from './sdk.js';
import type { S3Config } from '../../connections/s3/s3.connection.js';
import { CaudalError, errorMessage } from '../../util/errors.js';

/**
 * How long a request may wait without a byte moving (connecting, or an answer that stalls), in
 * seconds: `CAUDAL_S3_IDLE_TIMEOUT_S`, 300 by default. The SDK has no limit of its own, so a server
 * that accepts the connection and never answers held a run, or planning (which no cancel reaches),
 * forever. Idle time, not total time: a large download that keeps moving is never cut. Generous,
 * since some S3-compatible stores stay silent while they copy a large object.
 */
export function s3IdleTimeoutSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.CAUDAL_S3_IDLE_TIMEOUT_S);
  return Number.isFinite(n) && n > 0 ? n : 300;
}

/**
 * An SDK client for a connection. Checksums only where S3 requires them: with the SDK's newer
 * default, S3-compatible stores (and s3rver in the tests) store streamed uploads with the chunk
 * framing inside, or reject them.
 */
export function s3Client(c: S3Config): S3Client {
  if (c.access_key_id && !c.secret_access_key) {
    throw new CaudalError('usage', `the S3 connection has an access key id but no secret access key`, {
      hint: 'store it with `caudal connections add <name> --type s3 ...` (it is asked for) or set CAUDAL_SECRET_<CONNECTION>_SECRET_ACCESS_KEY; or remove the access key id to use the standard AWS chain',
    });
  }
  return new (s3Sdk().S3Client)({
    region: c.region,
    endpoint: c.endpoint,
    forcePathStyle: c.force_path_style,
    credentials: c.access_key_id ? { accessKeyId: c.access_key_id, secretAccessKey: c.secret_access_key!, sessionToken: c.session_token } : undefined,
    profile: c.access_key_id ? undefined : c.profile,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 5,
    requestHandler: { connectionTimeout: s3IdleTimeoutSeconds() * 1000, socketTimeout: s3IdleTimeoutSeconds() * 1000 },
  });
}

/**
 * Which store a connection points at, for the commit journal (connector.recoveryTarget): an
 * S3-compatible store's endpoint (scheme, host, port and path: never user info, keys or tokens),
 * or Amazon S3's region. The bucket is in each load's own reference. Recovery of a killed run's
 * write goes through a connection with the same one only: another project's connection of the same
 * name may be another store with a bucket of the same name, whose objects recovery would replace.
 */
export function s3RecoveryTarget(config: Pick<S3Config, 'endpoint' | 'region'>): Record<string, string> {
  if (!config.endpoint) return { region: config.region };
  const u = new URL(config.endpoint);
  return { endpoint: `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}` };
}

/** Names of this machine's loopback interface: a server on one port answers on all of them alike. */
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Which store a connection's objects are in, one text per store whatever the endpoint's spelling,
 * for what compares destinations (run locks, the plan's check of nested targets): Amazon S3 (no
 * endpoint, or an amazonaws.com host) is its partition alone, since a bucket name is global there
 * (the region only says where the bucket is); an S3-compatible store is its host in lower case,
 * its port (the scheme's default when none is written), and its path without trailing slashes,
 * never user info. `localhost`, `127.0.0.1` and `[::1]` are one machine. Other names of one server
 * (a DNS alias and its address) cannot be told apart without asking DNS, and are not.
 */
export function s3StoreId(config: Pick<S3Config, 'endpoint' | 'region'>): string {
  // AWS's partitions each have their own bucket names: China's and GovCloud's apart from the rest.
  const partition = (where: string) => (/(^|\.)cn-|\.amazonaws\.com\.cn$/.test(where) ? 'aws-cn' : /(^|\.)us-gov-/.test(where) ? 'aws-us-gov' : 'aws');
  if (!config.endpoint) return partition(config.region);
  const u = new URL(config.endpoint);
  const host = u.hostname.toLowerCase().replace(/\.$/, '');
  if (/(^|\.)amazonaws\.com(\.cn)?$/.test(host)) return partition(host);
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  return `${LOOPBACK.has(host) ? 'localhost' : host}:${port}${u.pathname.replace(/\/+$/, '')}`;
}

/**
 * The destination key of an object or prefix (SinkPlan.destination.key): the store (s3StoreId,
 * with its `/` escaped so that it cannot run into the bucket) then the bucket and the key.
 */
export function s3DestinationKey(config: Pick<S3Config, 'endpoint' | 'region'>, bucket: string, key: string): string {
  return `s3:${encodeURIComponent(s3StoreId(config))}/${bucket}/${key}`;
}

/** The endpoint as an error may name it: its origin, never user info a URL could carry. */
function endpointShown(config: S3Config): string {
  if (!config.endpoint) return `S3 (${config.region})`;
  try {
    return new URL(config.endpoint).origin;
  } catch {
    return 'the endpoint';
  }
}

/** An SDK error as a message that says what failed, never a credential. */
export function explainS3Error(e: unknown, what: string, config: S3Config): CaudalError {
  if (e instanceof CaudalError) return e;
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number }; $response?: { headers?: Record<string, string> }; Code?: string; Region?: string };
  const name = err.name ?? err.Code ?? 'Error';
  let message = errorMessage(e);
  for (const s of [config.secret_access_key, config.session_token]) if (s) message = message.split(s).join('***');
  const status = err.$metadata?.httpStatusCode;
  // A bucket in another region: S3 names the bucket's region in a header (301), or in the error (a signature for the wrong region).
  const region = err.$response?.headers?.['x-amz-bucket-region'] ?? (name === 'AuthorizationHeaderMalformed' ? err.Region : undefined);
  const hint =
    region && (name === 'PermanentRedirect' || status === 301 || name === 'AuthorizationHeaderMalformed')
      ? `the bucket is in region '${region}': set the connection's region to ${region}`
      : name === 'NoSuchBucket'
      ? 'check the bucket name (and the region or endpoint of the connection)'
      : name === 'AccessDenied' || name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch' || status === 403
        ? 'check the credentials of the connection and that they may use this bucket and prefix'
        : name === 'CredentialsProviderError'
          ? 'set an access key id and secret on the connection, or configure the AWS chain (AWS_ACCESS_KEY_ID, a profile, an instance role)'
          : /ECONNREFUSED|ENOTFOUND|getaddrinfo/.test(message)
            ? 'check the endpoint of the connection'
            : undefined;
  if (name === 'TimeoutError') {
    const seconds = s3IdleTimeoutSeconds();
    return new CaudalError('io', `${what}: no answer from ${endpointShown(config)} for ${seconds} s`, {
      hint: `check that the endpoint answers (a proxy or firewall may hold the connection); a store that is slow to answer may be given longer with CAUDAL_S3_IDLE_TIMEOUT_S (now ${seconds})`,
      cause: e,
    });
  }
  return new CaudalError('io', `${what}: ${name}${status ? ` (HTTP ${status})` : ''}: ${message}`, { hint, cause: e });
}
