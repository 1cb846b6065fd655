import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import type { Alert } from '../core/src/scheduler/alert-types.js';
import { sendAlert } from '../core/src/scheduler/alerts/notify.js';
import { RotatingFile } from '../core/src/scheduler/log.js';
import { parseProject } from '../core/src/scheduler/load-project.js';
import { pruneHistory } from '../core/src/scheduler/retention.js';
import { EnvSecretStore } from '../core/src/secrets/env-store.js';
import { startCaudal } from './support/cli.js';
import { tempDir } from './support/pipeline.js';

const alert: Alert = {
  kind: 'failure',
  project: 'shop',
  job: 'orders',
  runId: '20260501T040000-abcd1234',
  pipeline: '/srv/shop/orders.json',
  message: "job 'orders' failed after 3 attempts: boom",
  status: 'failed',
  error: { kind: 'execution', message: 'boom', hint: 'look at the file' },
  attempt: 3,
  startedAt: '2026-05-01T04:00:00.000Z',
  runDir: '/srv/shop/.caudal/runs/20260501T040000-abcd1234',
  host: 'box',
  at: '2026-05-01T04:05:00.000Z',
};

interface Received {
  url: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

const servers: Array<Server | SMTPServer> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(() => r(undefined)))));
});

/** A local webhook receiver; `statuses` are answered in turn (then 200). */
async function webhookServer(statuses: number[] = []): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let data = '';
    req.on('data', (d) => (data += d));
    req.on('end', () => {
      received.push({ url: req.url ?? '', headers: req.headers, body: JSON.parse(data) });
      res.statusCode = statuses.shift() ?? 200;
      res.end();
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

describe('alert channels', () => {
  it('webhook: POSTs the alert as JSON with the bearer token from the secret stores', async () => {
    const hook = await webhookServer();
    const env = new EnvSecretStore({ CAUDAL_SECRET_ALERT_OPS_TOKEN: 's3cret' });
    await sendAlert('ops', { type: 'webhook', url: `${hook.url}/alerts`, auth: 'bearer', headers: { 'x-team': 'data' }, timeout_s: 5 }, alert, [env]);
    expect(hook.received).toHaveLength(1);
    expect(hook.received[0]!.url).toBe('/alerts');
    expect(hook.received[0]!.headers).toMatchObject({ authorization: 'Bearer s3cret', 'content-type': 'application/json', 'x-team': 'data' });
    expect(hook.received[0]!.body).toMatchObject({ source: 'caudal', kind: 'failure', job: 'orders', attempt: 3, error: { message: 'boom' } });
  });

  it('webhook: a secret URL comes from the stores; a 503 is retried; a 404 fails naming the channel, not the URL', async () => {
    const hook = await webhookServer([503]);
    const secretUrl = `${hook.url}/T0/B0/XXXXSECRET`;
    await sendAlert('chat', { type: 'webhook', auth: 'none', headers: {}, timeout_s: 5 }, alert, [new EnvSecretStore({ CAUDAL_SECRET_ALERT_CHAT_URL: secretUrl })], { retryDelayMs: 10 });
    expect(hook.received.map((r) => r.url)).toEqual(['/T0/B0/XXXXSECRET', '/T0/B0/XXXXSECRET']);
    const gone = await webhookServer([404, 404, 404]);
    const err = await sendAlert('chat', { type: 'webhook', auth: 'none', headers: {}, timeout_s: 5 }, alert, [new EnvSecretStore({ CAUDAL_SECRET_ALERT_CHAT_URL: `${gone.url}/XXXXSECRET` })], { retryDelayMs: 10 }).catch((e: Error) => e);
    expect((err as Error).message).toBe("webhook 'chat' did not accept the alert: HTTP 404 Not Found");
    expect(gone.received).toHaveLength(1);
  });

  it('webhook: a network failure gives its cause and where, never the URL path or a secret URL', async () => {
    // 6000 is a port fetch refuses to use ("bad port"): the error has a cause without a code
    const blocked = await sendAlert('bp', { type: 'webhook', url: 'http://127.0.0.1:6000/hook/TOKEN123', auth: 'none', headers: {}, timeout_s: 5 }, alert, [new EnvSecretStore({})], { retryDelayMs: 1 }).catch((e: Error) => e);
    expect((blocked as Error).message).toBe("webhook 'bp' did not accept the alert: could not reach http://127.0.0.1:6000: bad port");
    const secret = await sendAlert('chat', { type: 'webhook', auth: 'none', headers: {}, timeout_s: 5 }, alert, [new EnvSecretStore({ CAUDAL_SECRET_ALERT_CHAT_URL: 'http://127.0.0.1:6000/T0/XXXXSECRET' })], { retryDelayMs: 1 }).catch((e: Error) => e);
    expect((secret as Error).message).toBe("webhook 'chat' did not accept the alert: could not reach the webhook (its URL is a secret): bad port");
  });

  it('a missing secret names the variable and the command that stores it', async () => {
    const err = await sendAlert('ops', { type: 'webhook', url: 'http://127.0.0.1:9/x', auth: 'bearer', headers: {}, timeout_s: 1 }, alert, [new EnvSecretStore({})]).catch((e: Error & { hint?: string }) => e);
    expect((err as Error).message).toBe("alert channel 'ops' needs its token, which is neither in the OS keychain nor in CAUDAL_SECRET_ALERT_OPS_TOKEN");
    expect((err as { hint?: string }).hint).toMatch(/caudal alerts set-secret ops token/);
  });

  it('email: sends through SMTP with the password from the secret stores', async () => {
    const mails: Array<{ from: string; to: string[]; text: string; user?: string }> = [];
    const smtp = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      onAuth(auth, _session, cb) {
        if (auth.username === 'alerts' && auth.password === 'mail-pass') cb(null, { user: 'alerts' });
        else cb(new Error('invalid credentials'));
      },
      onData(stream, session, cb) {
        let text = '';
        stream.on('data', (d: Buffer) => (text += d.toString()));
        stream.on('end', () => {
          mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), text, user: session.user as string });
          cb();
        });
      },
    });
    servers.push(smtp);
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
    const port = (smtp.server.address() as AddressInfo).port;
    const channel = { type: 'email' as const, host: '127.0.0.1', port, security: 'none' as const, user: 'alerts', from: 'caudal@example.com', to: ['data-team@example.com', 'oncall@example.com'] };
    await sendAlert('mail', channel, alert, [new EnvSecretStore({ CAUDAL_SECRET_ALERT_MAIL_PASSWORD: 'mail-pass' })]);
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatchObject({ from: 'caudal@example.com', to: ['data-team@example.com', 'oncall@example.com'], user: 'alerts' });
    expect(mails[0]!.text).toMatch(/Subject: \[caudal\] shop \/ orders: failed/);
    expect(mails[0]!.text).toMatch(/Error: +boom/);
    const wrong = await sendAlert('mail', channel, alert, [new EnvSecretStore({ CAUDAL_SECRET_ALERT_MAIL_PASSWORD: 'nope' })]).catch((e: Error) => e);
    expect((wrong as Error).message).toMatch(/^email 'mail' via 127\.0\.0\.1:\d+ failed: .*535/);
    expect((wrong as Error).message).not.toMatch(/nope/);
  });

  it('caudal schedule: a failing job sends its failure alert to the webhook, token from the environment', async () => {
    const hook = await webhookServer();
    const dir = await tempDir('caudal-alerts-');
    await writeFile(
      path.join(dir, 'broken.json'),
      JSON.stringify({ format: 'caudal.pipeline/1', name: 'broken', nodes: [{ id: 'src', type: 'transform.sql', params: { query: "SELECT CAST('x' AS INTEGER) AS n" } }, { id: 'out', type: 'sink.csv', params: { path: 'out.csv' } }], edges: [{ from: 'src:out', to: 'out:in' }] }),
    );
    const file = path.join(dir, 'caudal.project.json');
    await writeFile(file, JSON.stringify({ format: 'caudal.project/1', name: 'alerting', jobs: { broken: { pipeline: 'broken.json', schedule: '*/2 * * * * *', alerts: { channels: ['ops'] } } }, alerts: { ops: { type: 'webhook', url: `${hook.url}/caudal`, auth: 'bearer' } } }));
    const sched = startCaudal(['schedule', file, '--json'], { cwd: dir, env: { CAUDAL_SECRET_ALERT_OPS_TOKEN: 'tok-123' } });
    for (let i = 0; i < 600 && hook.received.length === 0; i++) await new Promise((r) => setTimeout(r, 200));
    sched.child.kill('SIGTERM');
    const out = await sched.result;
    expect(out.code).toBe(0);
    expect(hook.received[0]!.headers.authorization).toBe('Bearer tok-123');
    expect(hook.received[0]!.body).toMatchObject({ kind: 'failure', project: 'alerting', job: 'broken', status: 'failed', error: { message: expect.stringMatching(/Could not convert string 'x' to INT32/) } });
    expect(out.stdout).toMatch(/"event":"alert_sent"/);
    expect(out.stdout).not.toMatch(/tok-123/);
  });
});

describe('log rotation and history retention', () => {
  it('the scheduler log rotates at its size limit and keeps the newest files', async () => {
    const dir = await tempDir('caudal-rotate-');
    const file = path.join(dir, 'logs', 'scheduler.log');
    const log = new RotatingFile(file, 1000, 2);
    for (let i = 0; i < 50; i++) log.write(JSON.stringify({ i, pad: 'x'.repeat(80) }) + '\n');
    expect((await readdir(path.dirname(file))).sort()).toEqual(['scheduler.log', 'scheduler.log.1', 'scheduler.log.2']);
    const lines = async (f: string) => (await readFile(f, 'utf8')).trim().split('\n').map((l) => JSON.parse(l).i as number);
    const current = await lines(file);
    const previous = await lines(`${file}.1`);
    const oldest = await lines(`${file}.2`);
    expect(current.at(-1)).toBe(49);
    expect(previous.at(-1)).toBe(current[0]! - 1);
    expect(oldest.at(-1)).toBe(previous[0]! - 1);
    for (const f of [file, `${file}.1`, `${file}.2`]) expect((await readFile(f)).length).toBeLessThanOrEqual(1000);
    // a new writer continues from the file's size
    new RotatingFile(file, 1000, 2).write('{"i":50}\n');
    expect((await lines(file)).at(-1)).toBe(50);
  });

  it('retention removes runs past max_age_days, then the oldest beyond max_total_mb, never the newest keep_last or a running one', async () => {
    const dir = await tempDir('caudal-retention-');
    await writeFile(path.join(dir, 'p.json'), '{}');
    const runsDir = path.join(dir, '.caudal', 'runs');
    const now = Date.parse('2026-06-01T00:00:00Z');
    const day = 86_400_000;
    const make = async (id: string, daysAgo: number, kb: number, extra: Record<string, unknown> = {}) => {
      const d = path.join(runsDir, id);
      await mkdir(d, { recursive: true });
      await writeFile(path.join(d, 'run.json'), JSON.stringify({ runId: id, pipeline: 'p', pipelinePath: path.join(dir, 'p.json'), status: 'succeeded', startedAt: new Date(now - daysAgo * day).toISOString(), elapsedMs: 1, rows: 1, qualityScore: null, targets: [], params: {}, dir: d, job: 'j', summary: null, ...extra }));
      await writeFile(path.join(d, 'events.jsonl'), 'x'.repeat(kb * 1024));
    };
    await make('r01-old', 40, 10);
    await make('r02-old', 35, 10);
    await make('r03-running', 33, 10, { status: 'running', owner: { host: 'ffff', pid: 1 } });
    for (let i = 4; i <= 9; i++) await make(`r0${i}-recent`, 10 - i, 400);
    const project = parseProject(JSON.stringify({ format: 'caudal.project/1', name: 'r', jobs: { j: { pipeline: 'p.json' } }, history: { max_age_days: 30, max_total_mb: 1.5, keep_last: 2 } }), path.join(dir, 'caudal.project.json'));
    const r = await pruneHistory(project, now);
    // 2,410 KB remain after the age pass; the oldest go until 1.5 MB (1,536 KB) is reached
    expect(r.removed.map((x) => [x.runId, x.reason]).sort()).toEqual([
      ['r01-old', 'age'],
      ['r02-old', 'age'],
      ['r04-recent', 'size'],
      ['r05-recent', 'size'],
      ['r06-recent', 'size'],
    ]);
    expect((await readdir(runsDir)).sort()).toEqual(['r03-running', 'r07-recent', 'r08-recent', 'r09-recent']);
    expect(r.keptBytes).toBeLessThanOrEqual(1.5 * 1024 * 1024);
  });
});
