import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterFile } from './cleanup.js';

/** One request as the hostile server sees it: path-style `/<bucket>/<key>`, the query parsed. */
export interface SeenRequest {
  method: string;
  bucket: string;
  key: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
}

/**
 * What to do with a request: answer it here (write to `res`), or return false to pass it on to
 * the real server unchanged.
 */
export type Misbehaviour = (req: SeenRequest, res: http.ServerResponse) => boolean | Promise<boolean>;

/**
 * An S3-protocol endpoint that forwards to a real one (moto) except where `misbehave` answers
 * instead: a broken proxy, a flaky provider or a malicious server, in front of real objects.
 * Path-style only (the connection sets force_path_style). Stopped when the test file ends.
 */
export async function hostileS3(upstream: string, misbehave: Misbehaviour): Promise<{ endpoint: string; seen: SeenRequest[]; setBehaviour(m: Misbehaviour): void }> {
  const target = new URL(upstream);
  const seen: SeenRequest[] = [];
  let current = misbehave;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const [, bucket = '', ...rest] = url.pathname.split('/');
    const seenReq: SeenRequest = { method: req.method ?? 'GET', bucket: decodeURIComponent(bucket), key: decodeURIComponent(rest.join('/')), query: url.searchParams, headers: req.headers };
    seen.push(seenReq);
    void (async () => {
      if (await current(seenReq, res)) return;
      const out = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      out.on('error', () => res.destroy());
      req.pipe(out);
    })().catch(() => res.destroy());
  });
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  afterFile(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  const { port } = server.address() as AddressInfo;
  return { endpoint: `http://127.0.0.1:${port}`, seen, setBehaviour: (m) => (current = m) };
}

/** A ListObjectsV2 page, as S3 writes it. */
export function listPage(bucket: string, keys: Array<{ key: string; size: number; etag?: string }>, opts: { truncated: boolean; next?: string }): string {
  const contents = keys
    .map((k) => `<Contents><Key>${escapeXml(k.key)}</Key><Size>${k.size}</Size><ETag>&quot;${k.etag ?? 'e0'}&quot;</ETag><LastModified>2026-01-01T00:00:00.000Z</LastModified><StorageClass>STANDARD</StorageClass></Contents>`)
    .join('');
  return (
    `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${escapeXml(bucket)}</Name><Prefix></Prefix>` +
    `<KeyCount>${keys.length}</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>${opts.truncated}</IsTruncated>` +
    `${opts.next !== undefined ? `<NextContinuationToken>${escapeXml(opts.next)}</NextContinuationToken>` : ''}${contents}</ListBucketResult>`
  );
}

export function sendXml(res: http.ServerResponse, status: number, xml: string): true {
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) });
  res.end(xml);
  return true;
}

const escapeXml = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
