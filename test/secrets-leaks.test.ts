import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redactedSnippet, redactText } from '../core/src/connections/redact.js';
import { restFields } from '../core/src/connections/rest/rest.connection.js';
import { ConnectionService } from '../core/src/connections/service.js';
import { restClient } from '../core/src/connectors/rest/client.js';
import { runPipeline } from '../core/src/engine/engine.js';
import type { ResolvedConnection } from '../core/src/nodes/define.js';
import { EnvSecretStore } from '../core/src/secrets/env-store.js';
import { errorMessage } from '../core/src/util/errors.js';
import { pipeline, tempDir } from './support/pipeline.js';

/**
 * Secrets never land anywhere but where they are sent: not at another origin after a redirect,
 * not in part in a cut error text, not in quality reports, not in an HTTP lookup's rejects.
 * Every secret here is distinctive, so a search for it finds any leak.
 */
const API_KEY = 'ApiK3y-leaks-0123456789abcdef';
const TOKEN = 'T0ken-leaks-0123456789abcdefghijklmnopqrstuvwxyz';
const PASSWORD = 'Passw0rd-leaks-0123456789';
const CLIENT_SECRET = 'OAuthSecret-leaks-0123456789abcdefghij';

interface Seen {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A real HTTP server on 127.0.0.1 with its own port that records every request it gets. */
async function server(handle: (req: IncomingMessage, body: string, res: ServerResponse) => void): Promise<{ url: string; seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  const s: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      seen.push({ path: req.url ?? '', headers: req.headers, body });
      handle(req, body, res);
    });
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, seen, close: () => new Promise((r) => s.close(() => r())) };
}

const rest = (base: string, fields: Record<string, unknown>) => restFields.parse({ base_url: base, timeout_s: 5, ...fields });
const everySecret = [API_KEY, TOKEN, PASSWORD, CLIENT_SECRET];
/** Any secret, or its first 8 characters (what a cut text would show). */
const leaks = (text: string) => everySecret.filter((s) => text.includes(s.slice(0, 8)));

describe('credentials and redirects: only the origin they were configured for gets them', () => {
  let api: Awaited<ReturnType<typeof server>>;
  let other: Awaited<ReturnType<typeof server>>;
  beforeAll(async () => {
    // "Another server": the same host name (127.0.0.1) on another port, i.e. another origin.
    other = await server((req, _b, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end('[{"from":"other"}]'));
    api = await server((req, _b, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      if (u.pathname === '/redir') res.writeHead(Number(u.searchParams.get('status') ?? 302), { Location: u.searchParams.get('to')! }).end();
      else if (u.pathname === '/token-redir') res.writeHead(307, { Location: `${other.url}/token` }).end();
      else res.writeHead(200, { 'Content-Type': 'application/json' }).end('[{"from":"api"}]');
    });
  });
  afterAll(async () => {
    await api.close();
    await other.close();
  });

  const get = async (fields: Record<string, unknown>, url: string) => {
    const client = restClient(rest(api.url, fields), { who: 'test', attempts: 1 });
    try {
      return await client.send({ method: 'GET', url }, { json: true });
    } finally {
      client.close();
    }
  };
  const to = (target: string) => `${api.url}/redir?to=${encodeURIComponent(target)}`;

  it.each([
    ['an API key in its own header', { auth: 'api_key', api_key: API_KEY }],
    ['an API key in a custom header', { auth: 'api_key', api_key: API_KEY, api_key_name: 'Api-Token' }],
    ['a bearer token', { auth: 'bearer', token: TOKEN }],
    ['HTTP basic', { auth: 'basic', username: 'u', password: PASSWORD }],
  ])('%s is not sent to the same host on another port after a redirect', async (_name, fields) => {
    const before = other.seen.length;
    const res = await get(fields, to(`${other.url}/ok`));
    expect(res.json).toEqual([{ from: 'other' }]);
    const arrived = other.seen.slice(before);
    expect(arrived).toHaveLength(1);
    expect(leaks(JSON.stringify(arrived))).toEqual([]);
    expect(arrived[0]!.headers.authorization).toBeUndefined();
  });

  it('an API key in a query param is dropped from a redirect to another origin that echoes it in its Location', async () => {
    const before = other.seen.length;
    await get({ auth: 'api_key', api_key: API_KEY, api_key_in: 'query', api_key_name: 'api_key' }, to(`${other.url}/ok?api_key=${API_KEY}&q=1`));
    const arrived = other.seen.slice(before);
    expect(arrived.map((s) => s.path)).toEqual(['/ok?q=1']);
  });

  it('a redirect within the origin keeps the credentials (the API moved a path)', async () => {
    const before = api.seen.length;
    await get({ auth: 'api_key', api_key: API_KEY }, to(`${api.url}/moved`));
    const arrived = api.seen.slice(before);
    expect(arrived.map((s) => s.path)).toEqual([expect.stringMatching(/^\/redir/), '/moved']);
    expect(arrived[1]!.headers['x-api-key']).toBe(API_KEY);
  });

  it('an OAuth2 token request redirected (307) to another origin is not sent there: its form holds the client secret', async () => {
    const before = other.seen.length;
    const fields = { auth: 'oauth2_client_credentials', client_auth: 'body', client_id: 'cid', client_secret: CLIENT_SECRET, token_url: `${api.url}/token-redir` };
    const e = await get(fields, `${api.url}/ok`).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(errorMessage(e)).toContain('redirects to another origin');
    expect(leaks(JSON.stringify(other.seen.slice(before)))).toEqual([]);
  });
});

describe('error texts are redacted before they are cut: no part of a secret is shown', () => {
  let api: Awaited<ReturnType<typeof server>>;
  beforeAll(async () => {
    api = await server((req, body, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      const n = Number(u.searchParams.get('n') ?? 0);
      const got = `got ${req.headers.authorization ?? req.headers['x-api-key'] ?? body}`;
      if (u.pathname === '/pad') res.writeHead(400).end(`${'E'.repeat(n)} ${got}`);
      else if (u.pathname === '/notjson') res.writeHead(200, { 'Content-Type': 'application/json' }).end(`${'E'.repeat(n)} ${got}`);
      else if (u.pathname === '/token') res.writeHead(Number(u.searchParams.get('status') ?? 401)).end(`${'E'.repeat(n)} bad client: ${body}`);
      else if (u.pathname === '/html') res.writeHead(200, { 'Content-Type': 'text/html' }).end(`<html>hello ${req.headers.authorization}</html>`);
      else res.writeHead(200, { 'Content-Type': 'application/json' }).end('[]');
    });
  });
  afterAll(() => api.close());

  const failure = async (fields: Record<string, unknown>, url: string): Promise<string> => {
    const client = restClient(rest(api.url, fields), { who: 'test', attempts: 1 });
    try {
      await client.send({ method: 'GET', url }, { json: true });
      return 'no error';
    } catch (e) {
      return errorMessage(e);
    } finally {
      client.close();
    }
  };

  // Every cut position inside the secret: 300 - 4 ("got ") - "Bearer " … the secret straddles the cut.
  it.each([270, 280, 289])('a REST error body cut at 300 characters with a bearer token across the cut (padding %i)', async (n) => {
    const message = await failure({ auth: 'bearer', token: TOKEN }, `${api.url}/pad?n=${n}`);
    expect(message).toContain('HTTP 400');
    expect(leaks(message)).toEqual([]);
  });

  it('a REST error body with an API key across the cut', async () => {
    const message = await failure({ auth: 'api_key', api_key: API_KEY }, `${api.url}/pad?n=275`);
    expect(message).toContain('got ***');
    expect(leaks(message)).toEqual([]);
  });

  it('an answer that is not valid JSON, its start cut at 80 characters', async () => {
    const message = await failure({ auth: 'api_key', api_key: API_KEY }, `${api.url}/notjson?n=60`);
    expect(message).toContain('not valid JSON');
    expect(leaks(message)).toEqual([]);
  });

  it('an OAuth2 token error echoing the form, cut at 200 characters, and a token server failing with 500', async () => {
    const fields = (status: number) => ({ auth: 'oauth2_client_credentials', client_auth: 'body', client_id: 'qa-client', client_secret: CLIENT_SECRET, token_url: `${api.url}/token?n=99&status=${status}` });
    const refused = await failure(fields(401), `${api.url}/ok`);
    expect(refused).toContain('OAuth2 token request');
    expect(leaks(refused)).toEqual([]);
    const broken = await failure(fields(500), `${api.url}/ok`);
    expect(broken).toContain('HTTP 500');
    expect(leaks(broken)).toEqual([]);
  });

  it('connections test: the same error, through the connection service', async () => {
    const dir = await tempDir();
    const env = { CAUDAL_CONFIG_DIR: dir, CAUDAL_SECRET_PADDED_TOKEN: TOKEN };
    const service = new ConnectionService({ stores: [new EnvSecretStore(env)], writeStore: new EnvSecretStore(env), env });
    await service.add('padded', 'rest', { base_url: api.url, auth: 'bearer', test_path: '/pad?n=280' }, {});
    const message = await service.test('padded').then(
      () => 'no error',
      (e: unknown) => errorMessage(e),
    );
    expect(message).toContain("connection 'padded' (REST API) failed");
    expect(leaks(message)).toEqual([]);
  });

  it('redactedSnippet hides a secret that straddles the cut; redactText hides a secret cut short at the end of a text or before an ellipsis', () => {
    const text = `${'x'.repeat(20)}${TOKEN} tail`;
    expect(redactedSnippet(text, 25, [TOKEN])).toBe(`${'x'.repeat(20)}*** t`);
    expect(redactText(`cut: ${TOKEN.slice(0, 12)}`, [TOKEN])).toBe('cut: ***');
    expect(redactText(`"${TOKEN.slice(0, 20)}…" and more`, [TOKEN])).toBe('"***…" and more');
    expect(redactText(`${TOKEN.slice(0, 20)}... (120 characters)`, [TOKEN])).toBe('***... (120 characters)');
    // Short starts, or a start followed by other text, are ordinary text.
    expect(redactText(`cut: ${TOKEN.slice(0, 7)}`, [TOKEN])).toBe(`cut: ${TOKEN.slice(0, 7)}`);
    expect(redactText(`${TOKEN.slice(0, 12)} and more`, [TOKEN])).toBe(`${TOKEN.slice(0, 12)} and more`);
  });

  describe('transform.http_enrich', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await tempDir();
    });
    const conns = (): Record<string, ResolvedConnection> => ({ api: { name: 'api', type: 'rest', config: rest(api.url, { auth: 'bearer', token: TOKEN }) } });
    const doc = (onError: 'reject' | 'fail', n: number) =>
      pipeline(
        [
          { id: 'ids', type: 'transform.sql', params: { query: 'SELECT range AS id FROM range(2)' } },
          { id: 'en', type: 'transform.http_enrich', params: { connection: 'api', url: '/html?id={id}', on_error: onError, cache: { enabled: false }, outputs: [{ name: 'v', path: '$.v' }] } },
          { id: 'q', type: 'quality.check', params: { checks: [{ name: 'no_errors', kind: 'expression', expression: 'http_error IS NULL', severity: 'warn' }] } },
          { id: 'good', type: 'sink.csv', params: { path: `good_${n}.csv` } },
          { id: 'bad', type: 'sink.csv', params: { path: `rejects_${n}.csv` } },
          { id: 'checked', type: 'sink.csv', params: { path: `checked_${n}.csv` } },
        ],
        ['ids -> en', 'en:out -> good', 'en:rejects -> q', 'q:out -> checked', 'q:rejected -> bad'],
        { connections: { api: { type: 'rest' } }, name: `enrich ${n}` },
      );

    it('an answer that is not JSON goes to the rejects with the token redacted from http_error, and the quality report on them shows no token', async () => {
      const artifactsDir = path.join(dir, 'artifacts_1');
      const s = await runPipeline({ pipeline: doc('reject', 1), baseDir: dir, connections: conns(), stateDir: path.join(dir, 'state'), artifactsDir });
      expect(s.error).toBeUndefined();
      const checked = await readFile(path.join(dir, 'checked_1.csv'), 'utf8');
      expect(checked).toContain('is not JSON: <html>hello Bearer ***</html>');
      expect(leaks(checked)).toEqual([]);
      const files = await readdir(artifactsDir);
      expect(files).toEqual(expect.arrayContaining(['quality.json', 'quality.html']));
      for (const f of files) expect(leaks(await readFile(path.join(artifactsDir, f), 'utf8'))).toEqual([]);
      expect(await readFile(path.join(artifactsDir, 'quality.json'), 'utf8')).toContain('Bearer ***');
    });

    it('with on_error "fail", the run error holds no part of the token', async () => {
      const s = await runPipeline({ pipeline: doc('fail', 2), baseDir: dir, connections: conns(), stateDir: path.join(dir, 'state'), artifactsDir: path.join(dir, 'artifacts_2') });
      expect(s.status).toBe('failed');
      expect(s.error!.message).toContain('is not JSON');
      expect(leaks(JSON.stringify(s))).toEqual([]);
    });
  });
});

describe('quality reports are redacted like everything the engine sends back', () => {
  it('a sample row holding a connection secret shows *** in quality.json, quality.html and the run summary', async () => {
    const dir = await tempDir();
    const artifactsDir = path.join(dir, 'artifacts');
    const doc = pipeline(
      [
        { id: 'users', type: 'transform.sql', params: { query: `SELECT * FROM (VALUES (1, 'a', 'short'), (2, 'b', '${PASSWORD}')) t(id, name, password)` } },
        { id: 'q', type: 'quality.check', params: { checks: [{ name: 'short_pw', kind: 'length_between', column: 'password', min: 1, max: 8, severity: 'warn' }] } },
        { id: 'out', type: 'sink.csv', params: { path: 'out.csv' } },
      ],
      ['users -> q', 'q:out -> out'],
      { connections: { db: { type: 'postgres' } }, name: 'quality secrets' },
    );
    const connections: Record<string, ResolvedConnection> = { db: { name: 'db', type: 'postgres', config: { host: '127.0.0.1', port: 5432, database: 'test', user: 'nobody', password: PASSWORD, ssl: 'disable', connect_timeout_s: 10 } } };
    const s = await runPipeline({ pipeline: doc, baseDir: dir, connections, stateDir: path.join(dir, 'state'), artifactsDir });
    expect(s.error).toBeUndefined();
    const json = await readFile(path.join(artifactsDir, 'quality.json'), 'utf8');
    expect(json).toContain('"password": "***"');
    expect(leaks(json)).toEqual([]);
    expect(leaks(await readFile(path.join(artifactsDir, 'quality.html'), 'utf8'))).toEqual([]);
    expect(leaks(JSON.stringify(s.quality))).toEqual([]);
  });
});
