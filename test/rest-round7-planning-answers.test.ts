import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipeline, problemsOf, run, tempDir } from './support/pipeline.js';
import { printedLines } from './support/progress.js';

/**
 * A source.rest that reads its first page while the run is planned, against a server that answers
 * with an error: `caudal run` said it "could not reach a server", although the server answered.
 * Only a server that gave no answer is unreachable; one that answered says its status. A 5xx or
 * 429 stays a failed run (exit 1, problem code unavailable: nothing is wrong with the pipeline);
 * a 200 that is no JSON (an HTML page) points at the URL, a problem of the pipeline (exit 2).
 */
describe('source.rest: the first page read while planning, answered with an error', () => {
  let server: http.Server;
  let base = '';
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const u = new URL(req.url!, 'http://x');
      if (u.pathname === '/busy') {
        res.writeHead(503, { 'content-type': 'application/json' });
        return res.end('{"error":"maintenance"}');
      }
      if (u.pathname === '/limited') {
        res.writeHead(429, { 'content-type': 'application/json' });
        return res.end('{"error":"slow down"}');
      }
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><body>Sign in</body></html>');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const doc = (url: string) => pipeline([{ id: 'api', type: 'source.rest', params: { url, records_path: 'data', retries: 0 } }, { id: 'out', type: 'sink.csv', params: { path: 'out.csv' } }], ['api -> out']);

  /** The run's summary line and the problem's code, as `caudal run` and `caudal validate` see them. */
  const outcome = async (url: string) => {
    const dir = await tempDir();
    const problems = await problemsOf(doc(url), dir);
    const { summary, events } = await run(doc(url), dir);
    const headline = printedLines(events).find((l) => l.startsWith('✘'))!.replace(/after \S+ m?s/, 'after T');
    return { codes: problems.map((p) => p.code), kind: summary.error?.kind, headline };
  };

  it('a 503 or a 429: the server answered, with its status; still a failed run (exit 1), not an invalid pipeline', async () => {
    expect(await outcome(`${base}/busy`)).toEqual({ codes: ['unavailable'], kind: 'io', headline: '✘ failed after T: a server the pipeline reads while planning answered with an error (HTTP 503)' });
    expect(await outcome(`${base}/limited`)).toEqual({ codes: ['unavailable'], kind: 'io', headline: '✘ failed after T: a server the pipeline reads while planning answered with an error (HTTP 429)' });
  });

  it('a 200 with an HTML page: a problem of the pipeline (the URL), exit 2, not an unreachable server', async () => {
    expect(await outcome(`${base}/login`)).toEqual({ codes: ['io_error'], kind: 'validation', headline: '✘ failed after T: 1 problem in the pipeline' });
  });

  it('a server that is not there is still said so', async () => {
    // A port just freed: nothing listens there.
    const gone = http.createServer();
    await new Promise<void>((r) => gone.listen(0, '127.0.0.1', r));
    const port = (gone.address() as AddressInfo).port;
    await new Promise<void>((r) => gone.close(() => r()));
    expect(await outcome(`http://127.0.0.1:${port}/items`)).toEqual({ codes: ['unavailable'], kind: 'io', headline: '✘ failed after T: could not reach a server the pipeline reads while planning' });
  });
});

describe('caudal run: servers unavailable while planning, some unreachable and some answering', () => {
  it('says both, with the statuses answered', () => {
    const problem = (message: string) => ({ code: 'unavailable', path: 'nodes[0].params.url', message });
    const finished = {
      type: 'run_finished',
      runId: 'r',
      summary: {
        status: 'failed',
        elapsedMs: 9,
        outputs: [],
        error: {
          kind: 'io',
          message: 'x',
          problems: [problem("node 'a': GET http://127.0.0.1:1/x failed after 3 attempts: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1"), problem("node 'b': GET http://h/y failed after 3 attempts: HTTP 502 Bad Gateway")],
        },
      },
    } as never;
    expect(printedLines([finished])[0]).toBe('✘ failed after 9 ms: servers the pipeline reads while planning could not be reached or answered with an error (HTTP 502)');
  });
});
