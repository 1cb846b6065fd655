import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Db } from '../core/src/compiler/db.js';
import { planPipeline } from '../core/src/compiler/plan.js';
import { nodeStateStore } from '../core/src/engine/state.js';
import { previewPipeline, startRun } from '../core/src/engine/engine.js';
import type { ResolvedConnection } from '../core/src/nodes/define.js';
import type { Pipeline } from '../core/src/model/schema.js';
import { pipeline, tempDir } from './support/pipeline.js';

/**
 * source.rest without columns listed reads its first page while the run is planned, before its run
 * hook gives it the run's cancel flag and log: a Ctrl-C then waited for every retry to time out,
 * and the lines its HTTP client logged (retries, a request sent without the credentials) were lost.
 * The planner's compile context now carries both (PlanOptions.isCancelled and log).
 */
describe('source.rest reading its first page while the run is planned', () => {
  let server: http.Server;
  let base = '';
  /** Requests still open on the server (never answered, not yet closed by the client). */
  let open = 0;
  let flaky = 0;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const u = new URL(req.url!, 'http://x');
      if (u.pathname === '/never') {
        // Holds the request: no status, no body, until the client goes away.
        open++;
        res.on('close', () => open--);
        return;
      }
      // Answers 503 (Retry-After 0) every other time, then the records.
      if (u.pathname === '/flaky' && flaky++ % 2 === 0) {
        res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '0' });
        return res.end('{"error":"busy"}');
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: [{ id: 1 }, { id: 2 }] }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  let db: Db | undefined;
  afterEach(() => {
    db?.close();
    db = undefined;
  });

  /** Plans as a run does (mode run), with the given cancel flag and log. */
  const plan = async (doc: Pipeline, opts: { isCancelled?: () => boolean; log?: (message: string, nodeId: string) => void; params?: Record<string, string>; connections?: Record<string, ResolvedConnection> } = {}) => {
    const dir = await tempDir();
    db = await Db.open({ threads: 1 });
    return planPipeline(doc, db, { mode: 'run', baseDir: dir, params: opts.params ?? {}, tempDir: dir, runId: 'round7', connections: opts.connections, state: nodeStateStore(undefined, dir), isCancelled: opts.isCancelled, log: opts.log });
  };

  it('a cancel while the first page is awaited aborts the request in flight at once, not after its retries', async () => {
    const doc = pipeline([{ id: 'api', type: 'source.rest', params: { url: `${base}/never`, records_path: 'data', retries: 2, timeout_s: 5 } }]);
    let cancelled = false;
    const t0 = Date.now();
    setTimeout(() => (cancelled = true), 300);
    // A cancel is the run's, not a problem of the node: planning stops with it.
    await expect(plan(doc, { isCancelled: () => cancelled })).rejects.toMatchObject({ kind: 'cancelled' });
    const took = Date.now() - t0;
    // Without the cancel: 3 attempts of 5 s each, plus the waits between them (a liveness bound, not a timing).
    expect(took).toBeLessThan(8_000);
    // The server saw the request go away (the client aborted it), not left waiting.
    await expect.poll(() => open, { timeout: 1_000 }).toBe(0);
  });

  it('a run cancelled while its source.rest awaits the first page ends cancelled at once, the request in flight aborted', async () => {
    const doc = pipeline([
      { id: 'api', type: 'source.rest', params: { url: `${base}/never`, records_path: 'data', retries: 2, timeout_s: 5 } },
      { id: 'out', type: 'sink.json', params: { path: 'out.json' } },
    ], ['api -> out']);
    const dir = await tempDir();
    const t0 = Date.now();
    const handle = startRun({ pipeline: doc, baseDir: dir });
    await expect.poll(() => open, { timeout: 10_000 }).toBeGreaterThan(0);
    handle.cancel();
    const summary = await handle.done;
    expect(summary.status).toBe('cancelled');
    expect(Date.now() - t0).toBeLessThan(8_000);
    await expect.poll(() => open, { timeout: 2_000 }).toBe(0);
  });

  it('a preview cancelled while its source.rest awaits the first page ends at once, the request in flight aborted', async () => {
    const doc = pipeline([{ id: 'api', type: 'source.rest', params: { url: `${base}/never`, records_path: 'data', retries: 2, timeout_s: 5 } }]);
    const abort = new AbortController();
    const t0 = Date.now();
    const previewing = previewPipeline({ pipeline: doc, baseDir: await tempDir(), nodeId: 'api' }, { signal: abort.signal });
    await expect.poll(() => open, { timeout: 10_000 }).toBeGreaterThan(0);
    abort.abort();
    await expect(previewing).rejects.toMatchObject({ kind: 'cancelled' });
    expect(Date.now() - t0).toBeLessThan(8_000);
    await expect.poll(() => open, { timeout: 2_000 }).toBe(0);
  });

  it("the client's log lines reach the run's log, naming the node: a retry, a first page sent without the credentials", async () => {
    const connections: Record<string, ResolvedConnection> = {
      // The credentials are for another origin: the node's URL comes from a param, so its host gets none.
      api: { name: 'api', type: 'rest', config: { base_url: 'http://127.0.0.1:9', auth: 'bearer', token: 'tok-round7-51f0a3', client_auth: 'basic', headers: {}, timeout_s: 5, test_path: '' } },
    };
    const doc = pipeline([{ id: 'api', type: 'source.rest', params: { connection: 'api', url: '${host}/flaky', records_path: 'data', retries: 2 } }], [], {
      connections: { api: { type: 'rest' } },
      params: { host: { type: 'string', default: base } },
    });
    const logs: Array<{ nodeId: string; message: string }> = [];
    const planned = await plan(doc, { connections, log: (message, nodeId) => logs.push({ nodeId, message }) });
    expect(planned.problems).toEqual([]);
    expect(planned.nodes.map((n) => n.outputs[0]?.columns)).toEqual([[{ name: 'id', type: 'BIGINT' }]]);
    expect(logs).toEqual([
      { nodeId: 'api', message: `node 'api': ${base}/flaky is on another origin than the connection's (http://127.0.0.1:9): sent without its credentials` },
      { nodeId: 'api', message: `node 'api': GET ${base}/flaky: HTTP 503 Service Unavailable: {"error":"busy"}; retrying in 0.0 s (attempt 2 of 3)` },
    ]);
    expect(JSON.stringify(logs)).not.toContain('tok-round7-51f0a3');
  });
});
