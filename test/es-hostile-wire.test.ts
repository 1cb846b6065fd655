import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Db } from '../core/src/compiler/db.js';
import { elasticsearchClient } from '../core/src/connectors/elasticsearch/client.js';
import { type EsWriteSpec, writeElasticsearch } from '../core/src/connectors/elasticsearch/write.js';
import type { Column, HookIo } from '../core/src/nodes/define.js';

/**
 * sink.elasticsearch on the wire, against a node:http server that speaks just enough of the
 * Elasticsearch API to let a load start, then misbehaves on `_bulk`: never answers, or answers 200
 * with a page that is not JSON (a proxy's). The real client and transport run over real sockets.
 */
type BulkBehaviour = 'hang' | 'html' | 'too-large';
let behaviour: BulkBehaviour = 'hang';
const seen: string[] = [];
const server = http.createServer((req, res) => {
  seen.push(`${req.method} ${req.url}`);
  req.resume();
  req.on('end', () => {
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' });
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url!, 'http://x');
    if (url.pathname === '/_bulk') {
      if (behaviour === 'hang') return; // no answer, the socket stays open
      if (behaviour === 'too-large') {
        // nginx in front of the cluster, with its default client_max_body_size of 1 MB.
        res.writeHead(413, { 'content-type': 'text/html' });
        return res.end('<html><head><title>413 Request Entity Too Large</title></head><body><center><h1>413 Request Entity Too Large</h1></center><hr><center>nginx</center></body></html>');
      }
      res.writeHead(200, { 'content-type': 'text/html', 'x-elastic-product': 'Elasticsearch' });
      return res.end('<html><body>Please sign in to continue</body></html>');
    }
    if (req.method === 'HEAD') return json(404, {});
    if (req.method === 'GET') return json(200, {});
    return json(200, { acknowledged: true });
  });
});

let db: Db;
let url = '';
beforeAll(async () => {
  db = await Db.open({ threads: 1 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await db.close();
});

const spec: EsWriteSpec = { index: 'customers', mode: 'upsert', idColumns: ['id'], mappings: {}, settings: {}, onError: 'fail', createIndex: true, flushBytes: 5_000_000, concurrency: 2, retries: 0, retryWaitMs: 5 };

/** As the node does: a client of its own handed to the stage, which closes it when it is over. */
async function stage(isCancelled: () => boolean) {
  await db.run(`CREATE OR REPLACE TEMP VIEW src AS SELECT range AS id, 'n' || range AS name FROM range(3)`);
  const columns: Column[] = (await db.rows('DESCRIBE src')).map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
  const io: HookIo = { db, isCancelled, log: () => undefined, progress: () => undefined };
  const client = await elasticsearchClient({ url, auth: 'none', tls_verify: true, request_timeout_s: 60 });
  return writeElasticsearch(client, spec, { relation: 'src', columns, table: 'docs' }, io, { nodeId: 'es', connection: 'search', runId: '20250101-abcdef12' });
}

const openSockets = () => new Promise<number>((resolve) => server.getConnections((_e, n) => resolve(n)));

describe('a cluster that stops answering a bulk request', () => {
  it('a cancelled run stops at once, not when the request times out, and deletes its work index', async () => {
    behaviour = 'hang';
    seen.length = 0;
    const t0 = Date.now();
    setTimeout(() => (cancelled = true), 300);
    let cancelled = false;
    await expect(stage(() => cancelled)).rejects.toMatchObject({ kind: 'cancelled' });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(seen.some((r) => r.startsWith('DELETE /customers-caudal-stage-'))).toBe(true);
  }, 15_000);
});

describe("an answer that is not Elasticsearch's", () => {
  it('a 200 with an HTML page to a bulk request fails the run saying the answer was not Elasticsearch\'s', async () => {
    behaviour = 'html';
    const err = (await stage(() => false).catch((e: unknown) => e)) as Error & { hint?: string };
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/answer to a bulk request.*not JSON.*Please sign in/);
    expect(err.message).not.toMatch(/Cannot read properties/);
  });

  it('a 413 from a proxy in front of the cluster says the bulk request was too large and what to lower', async () => {
    behaviour = 'too-large';
    const err = (await stage(() => false).catch((e: unknown) => e)) as Error & { hint?: string };
    expect(err.message).toMatch(/bulk request was too large/);
    expect(err.hint).toMatch(/flush_mb|Bulk request size/);
  });

  it('a failed load closes its client: no socket to the cluster stays open after the run', async () => {
    behaviour = 'html';
    server.closeAllConnections();
    await expect(stage(() => false)).rejects.toThrow(/not Elasticsearch's/);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await openSockets()).toBe(0);
  });
});
