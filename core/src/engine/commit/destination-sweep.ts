import { elasticsearchFields } from '../../connections/elasticsearch/elasticsearch.connection.js';
import { redisFields } from '../../connections/redis/redis.connection.js';
import { s3Fields } from '../../connections/s3/s3.connection.js';
import { elasticsearchClient, explainEsError } from '../../connectors/elasticsearch/client.js';
import { sweepDeadWorkIndices } from '../../connectors/elasticsearch/sweep.js';
import { sweepDeadRuns } from '../../connectors/redis/cleanup.js';
import { closeRedis, connectRedis } from '../../connectors/redis/client.js';
import { explainRedisError } from '../../connectors/redis/errors.js';
import { explainS3Error, s3Client } from '../../connectors/s3/client.js';
import { parseS3Url } from '../../connectors/s3/location.js';
import { sweepDeadStaging } from '../../connectors/s3/write.js';
import type { Pipeline } from '../../model/schema.js';
import type { ResolvedConnection } from '../../nodes/define.js';
import { redactText } from '../../connections/redact.js';
import type { CaudalError } from '../../util/errors.js';

/**
 * What runs killed while they were still staging left in the Redis servers, S3 buckets and
 * Elasticsearch clusters a pipeline writes to: staged Redis batches and unfinished versions, S3
 * staging folders and incomplete multipart uploads, Elasticsearch work indices. No commit journal names them yet when the process dies (they exist
 * before the commit starts), so `caudal doctor <pipeline>` lists them and `caudal clean <pipeline>`
 * removes them, as the pipeline's next load into the same server or bucket would. Owned by a live
 * process: never touched.
 */
export async function sweepStagedDestinations(
  doc: Pipeline,
  connection: (name: string) => Promise<ResolvedConnection | undefined>,
  fix: boolean,
): Promise<{ found: string[]; problems: string[] }> {
  const found: string[] = [];
  const problems: string[] = [];
  for (const node of doc.nodes) {
    const p = node.params as Record<string, unknown>;
    if (node.type !== 'sink.redis' && node.type !== 'sink.s3' && node.type !== 'sink.elasticsearch') continue;
    const conn = typeof p.connection === 'string' ? await connection(p.connection) : undefined;
    if (!conn) continue;
    try {
      if (node.type === 'sink.elasticsearch') {
        // An index named by a param is known only to a run.
        if (typeof p.index !== 'string' || p.index.includes('${')) continue;
        const client = await elasticsearchClient(elasticsearchFields.parse(conn.config));
        try {
          for (const f of await sweepDeadWorkIndices(client, p.index, { dryRun: !fix })) found.push(`elasticsearch index ${f} (node '${node.id}')`);
        } finally {
          await client.close().catch(() => undefined);
        }
      } else if (node.type === 'sink.redis') {
        const client = await connectRedis(redisFields.parse(conn.config));
        try {
          for (const f of await sweepDeadRuns(client, { dryRun: !fix })) found.push(`redis (node '${node.id}'): ${f}`);
        } finally {
          closeRedis(client);
        }
      } else {
        const url = typeof p.url === 'string' ? p.url : '';
        // A bucket named by a param is known only to a run.
        if (url.replace(/^s3:\/\//, '').split('/')[0]!.includes('${')) continue;
        const { bucket } = parseS3Url(url, `node '${node.id}'`);
        const root = typeof p.staging_prefix === 'string' ? p.staging_prefix : '.caudal-staging/';
        const client = s3Client(s3Fields.parse(conn.config));
        try {
          for (const f of await sweepDeadStaging(client, bucket, root, { dryRun: !fix })) found.push(`s3://${bucket}/${f} (node '${node.id}')`);
        } finally {
          client.destroy();
        }
      }
    } catch (e) {
      problems.push(`node '${node.id}': could not look for what killed runs left: ${explained(node.type, e, node.id, conn).message}`);
    }
  }
  return { found, problems };
}

/** The secret fields of the connections swept here (S3 keys and tokens, Redis and Elasticsearch passwords and API keys). */
const SECRET_FIELDS = ['secret_access_key', 'session_token', 'password', 'api_key'];

/**
 * A sweep's failure in its connector's words, which never hold a secret: an SDK's own message may
 * quote a request (an S3 session token in a signed URL or header). Whatever the explainer lets
 * through, the connection's secret values are cut out again.
 */
function explained(type: string, e: unknown, nodeId: string, conn: ResolvedConnection): CaudalError {
  const config = conn.config as Record<string, unknown>;
  const secrets = SECRET_FIELDS.map((k) => config[k]).filter((v): v is string => typeof v === 'string' && v !== '');
  const err =
    type === 'sink.s3'
      ? explainS3Error(e, 'listing the staging prefix', s3Fields.parse(conn.config))
      : type === 'sink.redis'
        ? explainRedisError(e, { nodeId, connection: conn.name, password: typeof config.password === 'string' ? config.password : undefined })
        : explainEsError(e, { nodeId, connection: conn.name, secrets });
  err.message = redactText(err.message, secrets);
  return err;
}
