import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Client, explainS3Error } from './client.js';
import { listObjects } from './objects.js';

/**
 * A bucket in another region than the connection's: S3 answers 301 PermanentRedirect, naming the
 * bucket's region in a header. A node:http server answers as S3 does; the error must say which
 * region to set.
 */
let server: http.Server;
let endpoint: string;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    res.writeHead(301, { 'content-type': 'application/xml', 'x-amz-bucket-region': 'eu-central-1' });
    res.end(
      '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.</Message><Endpoint>lake.s3.eu-central-1.amazonaws.com</Endpoint><Bucket>lake</Bucket><RequestId>1</RequestId><HostId>2</HostId></Error>',
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('a bucket in another region', () => {
  it("names the bucket's region and says to set it on the connection", async () => {
    const config = { endpoint, region: 'us-east-1', force_path_style: true, access_key_id: 'k', secret_access_key: 's3cr3t-value' } as never;
    const e = await listObjects(s3Client(config), 'lake', 'x/').catch((err: unknown) => err);
    const err = explainS3Error(e, 'cannot list s3://lake/x/', config);
    expect(err.message).toMatch(/^cannot list s3:\/\/lake\/x\/: PermanentRedirect \(HTTP 301\)/);
    expect(err.hint).toBe("the bucket is in region 'eu-central-1': set the connection's region to eu-central-1");
    expect(err.message).not.toContain('s3cr3t-value');
  });
});
