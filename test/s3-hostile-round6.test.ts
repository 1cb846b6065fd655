import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { inspect, runPipeline } from '../core/src/engine/engine.js';
import { s3Client, s3DestinationKey } from '../core/src/connectors/s3/client.js';
import { listObjects } from '../core/src/connectors/s3/objects.js';
import type { ResolvedConnection } from '../core/src/nodes/define.js';
import type { RunEvent } from '../core/src/engine/protocol.js';
import { afterFile } from './support/cleanup.js';
import { pipeline, tempDir } from './support/pipeline.js';
import { hostileS3 } from './support/s3-hostile-server.js';
import { connectTo, SERVICES } from './support/services.js';

/**
 * The sixth hostile probe of source.s3 and sink.s3, against moto: one store written through
 * differently spelled endpoints, the file sources' explanations of a failed read, long partition
 * folders written and read back, params that decide the format, and many objects read at once.
 */
const real = { region: 'us-east-1', endpoint: SERVICES.motoUrl, force_path_style: true, access_key_id: 'caudal-test', secret_access_key: 'caudal-round6-secret' };
const client = s3Client(real);
afterFile(() => client.destroy());
const bucket = `s39t-r6-${Date.now().toString(36)}`;
await connectTo('moto', SERVICES.motoUrl, () => client.send(new CreateBucketCommand({ Bucket: bucket })));
afterFile(async () => {
  for (const o of await listObjects(client, bucket, '')) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: o.key }));
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
});
const dir = await tempDir('caudal-s3-round6-');
process.env.CAUDAL_CACHE_DIR = path.join(dir, 'cache');

/** Connections named after their endpoints' spellings, all to moto (or to `endpoint`). */
const connection = (name: string, config: Record<string, unknown> = {}): Record<string, ResolvedConnection> => ({ [name]: { name, type: 's3', config: { ...real, ...config } } });
const put = (key: string, body: string | Uint8Array) => client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
const keys = async (prefix: string) => (await listObjects(client, bucket, prefix)).map((o) => o.key);
const url = (key: string) => `s3://${bucket}/${key}`;
const moto = new URL(SERVICES.motoUrl);

const readInto = (src: Record<string, unknown>, out: string) =>
  pipeline(
    [
      { id: 'src', type: 'source.s3', params: { connection: 'lake', ...src } },
      { id: 'dst', type: 'sink.json', params: { path: out, format: 'array', if_exists: 'overwrite' } },
    ],
    ['src -> dst'],
    { connections: { lake: { type: 's3' } } },
  );
async function runRead(src: Record<string, unknown>, out: string) {
  const events: RunEvent[] = [];
  const summary = await runPipeline({ pipeline: readInto(src, out), baseDir: dir, connections: connection('lake'), onEvent: (e) => events.push(e) });
  const warnings = events.flatMap((e) => (e.type === 'warning' ? [e.message] : []));
  return { summary, warnings };
}
const rowsIn = async (file: string) => JSON.parse(await readFile(file, 'utf8')) as Array<Record<string, unknown>>;

describe('sink.s3: one store is one store, however its endpoint is written (defect 1)', () => {
  const twoSinks = (inner: string, outer: string) =>
    pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: "SELECT 1 AS id, 'ES' AS country" } },
        { id: 'outer', type: 'sink.s3', params: { connection: 'plain', url: outer, if_exists: 'overwrite', partition_by: ['country'] } },
        { id: 'inner', type: 'sink.s3', params: { connection: 'spelled', url: inner, if_exists: 'overwrite' } },
      ],
      ['src -> outer', 'src -> inner'],
      { connections: { plain: { type: 's3' }, spelled: { type: 's3' } } },
    );

  it.each([
    ['with a trailing /', `${SERVICES.motoUrl}/`],
    ['as localhost, in capitals', `http://LOCALHOST:${moto.port}`],
  ])('an object inside a prefix another sink of the run overwrites is refused, the endpoint written %s', async (_, spelled) => {
    const doc = twoSinks(url('nest1/orders/x.parquet'), url('nest1/orders/'));
    const { problems } = await inspect({ pipeline: doc, baseDir: dir, connections: { ...connection('plain'), ...connection('spelled', { endpoint: spelled }) } });
    expect(problems).toEqual([
      expect.objectContaining({
        code: 'invalid_param',
        nodeId: 'inner',
        message: `nodes 'outer' and 'inner' write nested destinations: ${url('nest1/orders/x.parquet')} is inside ${url('nest1/orders/')}, whose overwrite deletes what it did not write`,
      }),
    ]);
  }, 60_000);

  it('two sinks of one run writing the same object through two spellings are refused as one destination written twice', async () => {
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: 'SELECT 1 AS id' } },
        { id: 'a', type: 'sink.s3', params: { connection: 'plain', url: url('twice/o.csv'), if_exists: 'overwrite' } },
        { id: 'b', type: 'sink.s3', params: { connection: 'spelled', url: url('twice/o.csv'), if_exists: 'overwrite' } },
      ],
      ['src -> a', 'src -> b'],
      { connections: { plain: { type: 's3' }, spelled: { type: 's3' } } },
    );
    const { problems } = await inspect({ pipeline: doc, baseDir: dir, connections: { ...connection('plain'), ...connection('spelled', { endpoint: `${SERVICES.motoUrl}/` }) } });
    expect(problems).toEqual([expect.objectContaining({ nodeId: 'b', message: `nodes 'a' and 'b' both write ${url('twice/o.csv')}; a run writes each destination once` })]);
  }, 60_000);

  it('a run into a prefix another run is writing through the same store, its endpoint spelled otherwise, stops as busy and writes nothing', async () => {
    // The first run is held while it uploads; the second goes through the same server, written with a trailing /.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let first = true;
    const proxy = await hostileS3(SERVICES.motoUrl, async (req) => {
      if (first && req.method === 'PUT' && req.key.includes('.caudal-staging/')) {
        first = false;
        await held;
      }
      return false;
    });
    const write = (name: string, endpoint: string, value: string) => {
      const doc = pipeline(
        [
          { id: 'src', type: 'transform.sql', params: { query: `SELECT range AS id, '${value}' AS country FROM range(150)` } },
          { id: 'out', type: 'sink.s3', params: { connection: 'lake', url: url('locked/orders/'), if_exists: 'overwrite', partition_by: ['country'] } },
        ],
        ['src -> out'],
        { name, connections: { lake: { type: 's3' } } },
      );
      return runPipeline({ pipeline: doc, baseDir: dir, connections: connection('lake', { endpoint }) });
    };
    const one = write('writer_one', proxy.endpoint, 'ES');
    while (first) await new Promise((r) => setTimeout(r, 20));
    let two;
    try {
      two = await write('writer_two', `${proxy.endpoint}/`, 'FR');
    } finally {
      release();
    }
    expect(two.status).toBe('failed');
    expect(two.error).toMatchObject({ kind: 'busy', message: expect.stringContaining(url('locked/orders/')) });
    expect((await one).status).toBe('succeeded');
    expect(await keys('locked/orders/')).toEqual([expect.stringMatching(/^locked\/orders\/country=ES\/[^/]+\.parquet$/)]);
  }, 90_000);
});

describe('the destination key of an object (defect 1)', () => {
  const key = (endpoint: string | undefined, region = 'us-east-1') => s3DestinationKey({ endpoint, region }, 'b', 'lake/o.csv');

  it('is one for every spelling of an endpoint: case, a trailing /, a default port, a loopback name', () => {
    const one = key('http://127.0.0.1:9000');
    for (const spelled of ['http://127.0.0.1:9000/', 'http://localhost:9000', 'HTTP://LocalHost:9000//', 'http://[::1]:9000', 'http://user:pw@127.0.0.1:9000']) expect(key(spelled), spelled).toBe(one);
    expect(key('https://minio.example.com')).toBe(key('https://MINIO.example.com:443/'));
    expect(key('http://minio.example.com')).toBe(key('http://minio.example.com:80'));
  });

  it('keeps stores apart: another port, host or path', () => {
    const keys = ['http://127.0.0.1:9000', 'http://127.0.0.1:9001', 'http://minio.example.com:9000', 'http://127.0.0.1:9000/tenant-a', 'https://minio.example.com'].map((e) => key(e));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('on Amazon S3 is the bucket and key whatever the region or endpoint (bucket names are global), apart from China and GovCloud', () => {
    const aws = key(undefined);
    for (const [endpoint, region] of [[undefined, 'eu-west-1'], ['https://s3.eu-west-1.amazonaws.com', 'eu-west-1'], ['https://s3.amazonaws.com/', 'us-east-1'], ['https://s3.dualstack.ap-south-1.amazonaws.com', 'ap-south-1']] as const) expect(key(endpoint, region), `${endpoint} ${region}`).toBe(aws);
    expect(key(undefined, 'cn-north-1')).not.toBe(aws);
    expect(key('https://s3.cn-north-1.amazonaws.com.cn', 'cn-north-1')).toBe(key(undefined, 'cn-northwest-1'));
    expect(key(undefined, 'us-gov-west-1')).not.toBe(aws);
  });

  it('never holds user info an endpoint could carry', () => {
    expect(key('http://AKIA:s3cr3t@127.0.0.1:9000')).not.toMatch(/AKIA|s3cr3t/);
  });
});

describe('source.s3: the file sources\' explanations of a failed run name the objects (defect 2)', () => {
  it('CSV: a value that does not convert, past the rows sampled, is found on its line', async () => {
    const lines = ['id,v'];
    for (let i = 1; i <= 50_000; i++) lines.push(`${i},a`);
    await put('deep/deepint.csv', `${lines.join('\n')}\n12.5,x\n`);
    const out = path.join(dir, 'deepint.json');
    const { summary } = await runRead({ url: url('deep/deepint.csv') }, out);
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain(`column "id" of ${url('deep/deepint.csv')}: '12.5' is not a whole number of type BIGINT (line 50002 of ${url('deep/deepint.csv')}: 12.5,x)`);
    expect(summary.error?.message).not.toContain(dir);
    await expect(readFile(out)).rejects.toThrow(/ENOENT/);
  }, 90_000);

  it('CSV: line endings that change past the rows sampled are named with the object and the line', async () => {
    const lines = ['id,name,qty'];
    for (let i = 1; i <= 30_000; i++) lines.push(`${i},n${i},${i}`);
    await put('deep/deepmix.csv', `${lines.join('\n')}\n30001,late,5\r\n`);
    const { summary } = await runRead({ url: url('deep/deepmix.csv') }, path.join(dir, 'deepmix.json'));
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain(`${url('deep/deepmix.csv')} mixes line endings: line 30002 ends with CRLF (\\r\\n, Windows), the lines before it with LF (\\n, Unix)`);
    expect(summary.error?.message).not.toMatch(/\/tmp\/|caudal-run-|src__s3/);
  }, 90_000);

  it('CSV with rejects: the warning about rows set aside names the URL, not the local copy', async () => {
    await put('rej/a.csv', 'id,v\n1,a\n2,b,extra\n3,c\n');
    const out = path.join(dir, 'rej.json');
    const { summary, warnings } = await runRead({ url: url('rej/'), csv: { on_error: 'reject', delimiter: ',' } }, out);
    expect(summary.status).toBe('succeeded');
    expect(warnings).toContain(`1 malformed row of ${url('rej/')} was set aside on the 'rejects' port; nothing is connected to 'rejects', so they are dropped: connect it to a sink to keep them`);
    expect(warnings.join('\n')).not.toMatch(/\/tmp\/|caudal-run-|src__s3/);
  }, 60_000);

  it('JSON: a value past the records sampled says what to set', async () => {
    const lines: string[] = [];
    for (let i = 1; i <= 30_000; i++) lines.push(`{"id": ${i}}`);
    lines.push('{"id": "thirty thousand and one"}');
    await put('deepj/late-type.jsonl', `${lines.join('\n')}\n`);
    const { summary } = await runRead({ url: url('deepj/late-type.jsonl') }, path.join(dir, 'late-type.json'));
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain(url('deepj/late-type.jsonl'));
    expect(summary.error?.message).toContain('set sample_size to -1 to read every record first, or list the keys with their types under columns');
  }, 90_000);

  it('JSON: a broken record past the records sampled is found on its line', async () => {
    const lines: string[] = [];
    for (let i = 1; i <= 30_000; i++) lines.push(`{"id": ${i}}`);
    lines.push('{"id": 30001 x}');
    await put('deepj/broken.jsonl', `${lines.join('\n')}\n`);
    const { summary } = await runRead({ url: url('deepj/broken.jsonl') }, path.join(dir, 'broken.json'));
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain(url('deepj/broken.jsonl'));
    expect(summary.error?.message).toContain('(record 30001 is line 30001 of the file)');
  }, 90_000);
});

describe('sink.s3 and source.s3: a partition folder as long as sink.s3 writes it is read back (defect 3)', () => {
  it('a 230-character partition value round-trips', async () => {
    const value = `v${'x'.repeat(228)}z`;
    const write = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: `SELECT 1 AS id, '${value}' AS k UNION ALL SELECT 2, 'short'` } },
        { id: 'out', type: 'sink.s3', params: { connection: 'lake', url: url('long/'), if_exists: 'overwrite', partition_by: ['k'] } },
      ],
      ['src -> out'],
      { connections: { lake: { type: 's3' } } },
    );
    const written = await runPipeline({ pipeline: write, baseDir: dir, connections: connection('lake') });
    expect(written.error).toBeUndefined();
    expect((await keys('long/')).some((k) => k.startsWith(`long/k=${value}/`))).toBe(true);
    const out = path.join(dir, 'long.json');
    const { summary } = await runRead({ url: url('long/') }, out);
    expect(summary.error).toBeUndefined();
    expect((await rowsIn(out)).sort((a, b) => Number(a.id) - Number(b.id))).toEqual([
      { id: 1, k: value },
      { id: 2, k: 'short' },
    ]);
  }, 90_000);
});

describe('sink.s3: params and the format (defect 5)', () => {
  const doc = (params: Record<string, unknown>) =>
    pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: 'SELECT 1 AS id' } },
        { id: 'out', type: 'sink.s3', params: { connection: 'lake', if_exists: 'overwrite', ...params } },
      ],
      ['src -> out'],
      { connections: { lake: { type: 's3' } }, params: { k: { type: 'string', default: 'x.csv' }, sp: { type: 'string', default: 'stage/' } } },
    );

  it("format auto takes the extension a param's value gives the name", async () => {
    const s = await runPipeline({ pipeline: doc({ url: url('fmt/${k}') }), baseDir: dir, params: { k: 'orders.csv' }, connections: connection('lake') });
    expect(s.error).toBeUndefined();
    const body = await (await client.send(new (await import('@aws-sdk/client-s3')).GetObjectCommand({ Bucket: bucket, Key: 'fmt/orders.csv' }))).Body!.transformToString();
    expect(body).toBe('id\n1\n');
  }, 60_000);

  it('a value without a known extension is refused naming the name it made, at format', async () => {
    const { problems } = await inspect({ pipeline: doc({ url: url('fmt/${k}') }), baseDir: dir, params: { k: 'orders.bin' }, connections: connection('lake') });
    expect(problems).toEqual([
      expect.objectContaining({
        path: 'nodes[1].params.format',
        message: `node 'out': cannot tell the format from 'fmt/orders.bin', the object's name with the params filled in (${url('fmt/${k}')})`,
        hint: expect.stringContaining('or set format'),
      }),
    ]);
  }, 60_000);

  it('a param in the staging prefix is refused as such, not as a prefix without /', async () => {
    const { problems } = await inspect({ pipeline: doc({ url: url('fmt/o.csv'), staging_prefix: '${sp}' }), baseDir: dir, connections: connection('lake') });
    expect(problems).toEqual([
      expect.objectContaining({
        path: 'nodes[1].params.staging_prefix',
        message: expect.stringContaining("params are not filled in in the staging prefix: '${sp}'"),
      }),
    ]);
  }, 60_000);
});

describe('sink.s3: an object that appears while the run runs (defect 6)', () => {
  it('fails the run as a failed run (exit 1), not as an invalid pipeline, and leaves the object', async () => {
    let done = false;
    const proxy = await hostileS3(SERVICES.motoUrl, async (req) => {
      if (!done && req.method === 'PUT' && req.key.includes('.caudal-staging/')) {
        done = true;
        await put('late/o.csv', 'theirs\n');
      }
      return false;
    });
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: 'SELECT 1 AS id' } },
        { id: 'out', type: 'sink.s3', params: { connection: 'lake', url: url('late/o.csv') } },
      ],
      ['src -> out'],
      { connections: { lake: { type: 's3' } } },
    );
    const s = await runPipeline({ pipeline: doc, baseDir: dir, connections: connection('lake', { endpoint: proxy.endpoint }) });
    expect(s.error).toMatchObject({ kind: 'execution', message: `node 'out': ${url('late/o.csv')} exists now (it appeared while the run was running), and the sink's if_exists is "fail"` });
    expect(await keys('late/')).toEqual(['late/o.csv']);
  }, 60_000);
});

describe('source.s3: many objects at once (defect 7)', () => {
  it('reads 24 objects 12 at a time without a warning about abort listeners', async () => {
    for (let i = 0; i < 24; i++) await put(`many/p${String(i).padStart(2, '0')}.csv`, `id\n${i}\n`);
    const written: string[] = [];
    const original = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      written.push(String(chunk));
      return original(chunk, ...rest);
    }) as typeof process.stderr.write;
    let result;
    try {
      result = await runRead({ url: url('many/'), parallel_downloads: 12 }, path.join(dir, 'many.json'));
      // The worker's stderr reaches this process asynchronously.
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      process.stderr.write = original;
    }
    expect(result.summary.error).toBeUndefined();
    expect(await rowsIn(path.join(dir, 'many.json'))).toHaveLength(24);
    expect(written.join('')).not.toContain('MaxListenersExceededWarning');
  }, 60_000);
});
