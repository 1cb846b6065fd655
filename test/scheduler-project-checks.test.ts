import { mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sendAlert } from '../core/src/scheduler/alerts/notify.js';
import { loadProject, parseProject } from '../core/src/scheduler/load-project.js';
import { MemoryStore } from './support/memory-store.js';
import { tempDir } from './support/pipeline.js';

/**
 * What `caudal schedule`, `caudal jobs` and `caudal export airflow` refuse when they read the
 * project file, rather than at 3 a.m. when a run fails or an alert goes to the wrong endpoint.
 */
const PIPELINE = {
  format: 'caudal.pipeline/1',
  name: 'p',
  params: { secs: { type: 'number' }, day: { type: 'date' }, label: { type: 'string', default: 'x' }, full: { type: 'boolean', default: false } },
  connections: { 'alert-ops': { type: 'postgres' } },
};

async function projectWith(doc: Record<string, unknown>): Promise<string> {
  const dir = await tempDir('caudal-project-checks-');
  await mkdir(path.join(dir, 'p'), { recursive: true });
  await writeFile(path.join(dir, 'p', 'p.json'), JSON.stringify(PIPELINE));
  await writeFile(path.join(dir, 'p', 'plain.json'), JSON.stringify({ format: 'caudal.pipeline/1', name: 'plain' }));
  const file = path.join(dir, 'caudal.project.json');
  await writeFile(file, JSON.stringify({ format: 'caudal.project/1', name: 't', ...doc }));
  return file;
}

const refusal = async (file: string): Promise<string> => {
  try {
    await loadProject(file);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('the project was accepted');
};

const webhook = { type: 'webhook', url: 'https://hooks.example.com/x', auth: 'bearer' };

describe('a project file is refused when', () => {
  it('two alert channels read their secrets from the same variables, naming both and the variables', async () => {
    const file = await projectWith({ jobs: { a: { pipeline: 'p/plain.json' } }, alerts: { 'ops-a': webhook, ops_a: webhook } });
    const message = await refusal(file);
    expect(message).toContain("alerts.ops_a: alert channels 'ops-a' and 'ops_a' differ only in case or in - and _");
    expect(message).toContain('CAUDAL_SECRET_ALERT_OPS_A_*');
    // OPS-A too
    expect(await refusal(await projectWith({ jobs: { a: { pipeline: 'p/plain.json' } }, alerts: { ops_a: webhook, 'OPS-A': webhook } }))).toContain("'ops_a' and 'OPS-A'");
  });

  it('a channel reads the secrets of a connection of a job\'s pipeline (connection alert-ops, channel ops)', async () => {
    const file = await projectWith({ jobs: { a: { pipeline: 'p/p.json', params: { secs: 1, day: '{scheduled_date}' } } }, alerts: { ops: webhook } });
    const message = await refusal(file);
    expect(message).toContain("alert channel 'ops' and the connection 'alert-ops' of p.json (job 'a') read their secrets from the same variables (CAUDAL_SECRET_ALERT_OPS_*)");
  });

  it('a job that runs unattended gives no value for a pipeline param without a default, saying what to write', async () => {
    const file = await projectWith({ jobs: { nightly: { pipeline: 'p/p.json', schedule: '0 3 * * *', params: { day: '{scheduled_date}' } } } });
    const message = await refusal(file);
    expect(message).toContain("jobs.nightly.params: job 'nightly': the pipeline p.json needs the param 'secs' (a number, no default), and the job gives no value for it");
    expect(message).toContain('add "secs": 42 to jobs.nightly.params');
  });

  it('a job gives a value of the wrong type, or a placeholder that becomes one', async () => {
    const file = await projectWith({ jobs: { nightly: { pipeline: 'p/p.json', schedule: '0 3 * * *', params: { secs: 'abc', day: '{scheduled_time}', full: 'yes' } } } });
    const message = await refusal(file);
    expect(message).toContain(`jobs.nightly.params.secs: job 'nightly': param 'secs' of p.json is a number, but the job gives "abc"`);
    expect(message).toContain(`jobs.nightly.params.day: job 'nightly': param 'day' of p.json is a date, but the job gives "{scheduled_time}", which becomes "2026-01-31T06:00:00+00:00" at run time`);
    expect(message).toContain(`jobs.nightly.params.full: job 'nightly': param 'full' of p.json is a boolean, but the job gives "yes"`);
  });

  it('a job gives a value of the right type that its type still refuses: the reason is said, not a wrong type', async () => {
    const file = await projectWith({ jobs: { nightly: { pipeline: 'p/p.json', schedule: '0 3 * * *', params: { secs: 5, day: '{scheduled_date}', label: 'a\u0000b' } } } });
    const message = await refusal(file);
    expect(message).toContain(`jobs.nightly.params.label: job 'nightly': param 'label' of p.json cannot be "a\\u0000b": a text cannot hold the NUL character (U+0000)`);
    expect(message).not.toContain('is a string, but');
  });
});

describe('a project file is accepted when', () => {
  it('params are of their types as written or as placeholders fill them, and a job run on demand leaves a required param to `jobs run --param`', async () => {
    const file = await projectWith({
      jobs: {
        nightly: { pipeline: 'p/p.json', schedule: '0 3 * * *', params: { secs: '5', day: '{scheduled_date}', label: '{{scheduled_time}}', full: true } },
        after: { pipeline: 'p/p.json', depends_on: ['nightly'], params: { secs: 2.5, day: '2026-01-01' } },
        manual: { pipeline: 'p/p.json' },
      },
    });
    const project = await loadProject(file);
    expect(project.jobs.map((j) => j.name)).toEqual(['nightly', 'after', 'manual']);
  });
});

describe('messages that say the rule', () => {
  const problemOf = (text: string): string => {
    try {
      parseProject(text, '/nowhere/caudal.project.json');
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error('the project was accepted');
  };
  const doc = (jobs: unknown) => JSON.stringify({ format: 'caudal.project/1', name: 't', jobs });

  it('a bad job name gets the naming rule, and a line break in it is printed escaped', () => {
    expect(problemOf(doc({ día: { pipeline: 'x' } }))).toContain('jobs.día: a job name starts with a letter and has only letters, digits, _ and -');
    const broken = problemOf(doc({ 'a\n  jobs.b: ✔ fine': { pipeline: 'x' } }));
    expect(broken).toContain('jobs.a\\u000a  jobs.b: ✔ fine: a job name starts with a letter');
    expect(broken.split('\n')).toHaveLength(2);
  });

  it('a number too large for a double is called that, not "an number"', () => {
    const message = problemOf(doc({ a: { pipeline: 'x', params: { secs: 1 } } }).replace('"secs":1', '"secs":1e999'));
    expect(message).toContain('jobs.a.params.secs: expected a string, a number or a boolean, got Infinity (a number too large)');
    expect(problemOf(doc({ a: { pipeline: 'x', params: { o: {} } } }))).toContain('got an object');
  });

  it('a project name with a line break or another control character is refused: it is printed in log lines and alerts', () => {
    const named = (name: string) => JSON.stringify({ format: 'caudal.project/1', name, jobs: {} });
    expect(problemOf(named('shop\nFAKE line'))).toContain('name: a project name holds no control characters');
    expect(problemOf(named('shop\u202eevil'))).toContain('a project name holds no control characters');
    expect(() => parseProject(named('Tienda · nightly loads'), '/nowhere/caudal.project.json')).not.toThrow();
  });

  it('a cron value out of range names the field and its range as written in cron, not croner\'s zero-based one', () => {
    expect(problemOf(doc({ a: { pipeline: 'x', schedule: '0 0 0 * *' } }))).toContain("invalid cron expression '0 0 0 * *': invalid day-of-month: 0 (a day-of-month is 1–31");
    expect(problemOf(doc({ a: { pipeline: 'x', schedule: '0 0 * 13 *' } }))).toContain("invalid cron expression '0 0 * 13 *': invalid month: 13 (a month is 1–12");
    expect(problemOf(doc({ a: { pipeline: 'x', schedule: '0 24 * * *' } }))).toContain('an hour is 0–23');
  });

  it('a webhook whose secret URL is not an http(s) URL is a channel set up wrong (usage, exit 2), never sent nor repeated', async () => {
    const store = new MemoryStore();
    await store.set('alert-ops', 'url', 'not a url with-token-s3cret');
    const alert = { kind: 'failure', project: 't', job: 'j', runId: 'r', pipeline: 'p', message: 'm', attempt: 1, startedAt: '', runDir: '', host: '', at: '' } as const;
    const sent = sendAlert('ops', { type: 'webhook', auth: 'none', headers: {}, timeout_s: 1 }, alert, [store], { retryDelayMs: 1 });
    await expect(sent).rejects.toMatchObject({ kind: 'usage', message: "alert channel 'ops': its secret url is not an http:// or https:// URL" });
    await expect(sent).rejects.not.toThrow(/s3cret/);
  });

  it('a bearer token with a line break or a character outside ASCII is refused before sending, naming where it comes from, never the token', async () => {
    const alert = { kind: 'failure', project: 't', job: 'j', runId: 'r', pipeline: 'p', message: 'm', attempt: 1, startedAt: '', runDir: '', host: '', at: '' } as const;
    let requests = 0;
    const server = http.createServer((req, res) => {
      requests++;
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    try {
      for (const token of ['TOPSECRET-line1\nline2', 'TOPSECRET\u20ac', 'TOPSECRET\r\n']) {
        const store = new MemoryStore();
        await store.set('alert-ops', 'token', token);
        const sent = sendAlert('ops', { type: 'webhook', url, auth: 'bearer', headers: {}, timeout_s: 1 }, alert, [store], { retryDelayMs: 1 });
        await expect(sent).rejects.toMatchObject({ kind: 'usage', message: expect.stringContaining("alert channel 'ops': its secret token holds a line break, a control character or a character outside ASCII") });
        await expect(sent).rejects.toMatchObject({ hint: expect.stringContaining('CAUDAL_SECRET_ALERT_OPS_TOKEN') });
        await expect(sent).rejects.not.toThrow(/TOPSECRET/);
      }
      expect(requests).toBe(0);
      // A token of printable ASCII goes out as before.
      const store = new MemoryStore();
      await store.set('alert-ops', 'token', 'TOPSECRET-ok');
      await sendAlert('ops', { type: 'webhook', url, auth: 'bearer', headers: {}, timeout_s: 1 }, alert, [store], { retryDelayMs: 1 });
      expect(requests).toBe(1);
    } finally {
      server.close();
    }
  });
});
