import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspect, runPipeline } from '../core/src/engine/engine.js';
import type { ResolvedConnection } from '../core/src/nodes/define.js';
import { pipeline, tempDir } from './support/pipeline.js';
import { hostileS3 } from './support/s3-hostile-server.js';
import { SERVICES } from './support/services.js';

/**
 * An S3 endpoint that accepts connections and then says nothing (a proxy holding them, a provider
 * gone quiet). Its own file: the idle limit is read from the environment when a client is made,
 * and engine workers take the environment they start with.
 */
process.env.CAUDAL_S3_IDLE_TIMEOUT_S = '1';
const dir = await tempDir('caudal-s3-silent-');
process.env.CAUDAL_CACHE_DIR = path.join(dir, 'cache');
const secret = 'caudal-silent-secret';
const server = await hostileS3(SERVICES.motoUrl, () => true); // every request taken, none answered
const connections: Record<string, ResolvedConnection> = {
  lake: { name: 'lake', type: 's3', config: { region: 'us-east-1', endpoint: server.endpoint, force_path_style: true, access_key_id: 'caudal-test', secret_access_key: secret } },
};
const doc = (nodes: Array<{ id: string; type: string; params: Record<string, unknown> }>) => pipeline(nodes, nodes.length > 1 ? ['src -> dst'] : [], { connections: { lake: { type: 's3' } } });

describe('S3 against a server that never answers', () => {
  it('planning source.s3 stops after the idle limit (retries included) with an error naming the endpoint and the setting', async () => {
    const t0 = Date.now();
    const { problems } = await inspect({ pipeline: doc([{ id: 'src', type: 'source.s3', params: { connection: 'lake', url: 's3://lake/silent/' } }]), baseDir: dir, connections });
    expect(Date.now() - t0).toBeLessThan(25_000);
    expect(problems).toEqual([expect.objectContaining({ path: 'nodes[0].params.url' })]);
    expect(problems[0]!.message).toBe(`node 'src': cannot list s3://lake/silent/: no answer from ${server.endpoint} for 1 s`);
    expect(problems[0]!.hint).toMatch(/CAUDAL_S3_IDLE_TIMEOUT_S \(now 1\)/);
  }, 40_000);

  it('a sink.s3 run fails after the idle limit instead of hanging, and says so without the secret', async () => {
    const input = path.join(dir, 'in.csv');
    await writeFile(input, 'id\n1\n');
    const summary = await runPipeline({
      pipeline: doc([
        { id: 'src', type: 'source.csv', params: { path: input } },
        { id: 'dst', type: 'sink.s3', params: { connection: 'lake', url: 's3://lake/out/ids.csv' } },
      ]),
      baseDir: dir,
      connections,
    });
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain(`no answer from ${server.endpoint} for 1 s`);
    expect(JSON.stringify(summary)).not.toContain(secret);
  }, 40_000);
});
