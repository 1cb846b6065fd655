import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { runPipeline } from '../core/src/engine/engine.js';
import type { ResolvedConnection } from '../core/src/nodes/define.js';
import { REGISTRY_KEY } from '../core/src/connectors/redis/names.js';
import { cleanUp } from '../core/src/engine/commit/clean.js';
import { listJournals } from '../core/src/engine/commit/journal.js';
import { ownerTag, self } from '../core/src/util/owner.js';
import { pipeline, tempDir } from './support/pipeline.js';
import { cuttingProxy, freePort, privateRedis } from './support/redis-private.js';

/**
 * sink.redis against a hostile or failing Redis: a private redis-server this file starts (so it may
 * be broken on purpose without touching the shared one), a TCP proxy in front of it that cuts the
 * connection at a chosen command (support/redis-private.ts), and a server that accepts connections
 * and never answers.
 */

const dir = await tempDir('caudal-redis-hostile-');
const { port, client } = await privateRedis(dir);

function connection(p: number, extra: Record<string, unknown> = {}): Record<string, ResolvedConnection> {
  return { cache: { name: 'cache', type: 'redis', config: { host: '127.0.0.1', port: p, database: 0, tls: 'disable', connect_timeout_s: 10, ...extra } } };
}

const load = (sql: string, sink: Record<string, unknown>) =>
  pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query: sql } },
      { id: 'dst', type: 'sink.redis', params: { connection: 'cache', ...sink } },
    ],
    ['src -> dst'],
    { connections: { cache: { type: 'redis' } } },
  );

async function keys(pattern: string): Promise<string[]> {
  const out: string[] = [];
  for await (const page of client.scanIterator({ MATCH: pattern, COUNT: 1000 })) out.push(...page.map(String));
  return out.sort();
}

/** What the sink may leave behind: its own keys and registry entries. */
async function debris(): Promise<string[]> {
  return [...(await keys('caudal:*')).filter((k) => k !== REGISTRY_KEY), ...((await client.sMembers(REGISTRY_KEY)) as string[]).map((m) => `registry ${m}`)];
}

describe('sink.redis: the connection drops while the run publishes', () => {
  it('upsert: the connection lost after some batches were written onto their keys: the run fails and every key is as it was', async () => {
    await client.hSet('up:1', { v: 'old 1' });
    await client.set('up:2500', 'old 2500');
    // MOVE_ROWS_IN's text: the second batch's commit reaches the server, its reply never comes back.
    const proxy = await cuttingProxy(port, 'is gone before the commit', 2);
    try {
      const s = await runPipeline({ pipeline: load(`SELECT range AS id, 'new ' || range AS v FROM range(1, 3001)`, { key: 'up:{id}' }), baseDir: dir, connections: connection(proxy.port) });
      expect(proxy.cut()).toBe(true);
      expect(s.status).toBe('failed');
      expect(s.error).toMatchObject({ kind: 'io', nodeId: 'dst', message: "node 'dst' (connection 'cache'): the connection to the server was lost: Socket closed unexpectedly" });
      expect(await client.hGetAll('up:1')).toEqual({ v: 'old 1' });
      expect(await client.get('up:2500')).toBe('old 2500');
      expect(await keys('up:*')).toEqual(['up:1', 'up:2500']);
      expect(await debris()).toEqual([]);
    } finally {
      proxy.close();
    }
  }, 60_000);

  it('upsert: a server lost for good during the commit: the run fails saying it could not undo, keeps its journal, and caudal clean puts the keys back once the server is reachable', async () => {
    await client.hSet('gone:1', { v: 'old 1' });
    await client.set('gone:2500', 'old 2500');
    // The server is gone for good until the test brings it back, at the same address: recovery acts
    // only through a connection to the server the load was on (its journal records host and port).
    const lost = { refuseAfterCut: true };
    const proxy = await cuttingProxy(port, 'is gone before the commit', 2, lost);
    let runId = '';
    try {
      const logged: string[] = [];
      const s = await runPipeline({
        pipeline: load(`SELECT range AS id, 'new ' || range AS v FROM range(1, 3001)`, { key: 'gone:{id}' }),
        baseDir: dir,
        connections: connection(proxy.port),
        onEvent: (e) => void ((e.type === 'log' || e.type === 'warning') && logged.push(e.message)),
      });
      runId = s.runId;
      expect(proxy.cut()).toBe(true);
      expect(s.status).toBe('failed');
      expect(s.error?.message).toMatch(/could not be put back as it was/);
      expect(s.error?.hint).toMatch(/the next run of any pipeline or `caudal clean` finishes the undo/);
      expect(logged.join('\n')).toMatch(/could not undo the Redis load/);
      // Keys of the first batch were replaced and could not be put back while the server was away.
      expect(await client.hGetAll('gone:1')).toEqual({ id: '1', v: 'new 1' });
      const left = (await listJournals()).flatMap((f) => (f.journal?.runId === runId ? [f.journal] : []));
      expect(left).toEqual([expect.objectContaining({ abandoned: true, sinks: [expect.objectContaining({ nodeId: 'dst' })] })]);
      lost.refuseAfterCut = false;
      const report = await cleanUp({ fix: true, connection: async (name) => connection(proxy.port)[name], baseDir: dir });
      expect(report.recovered.filter((r) => r.runId === runId)).toEqual([expect.objectContaining({ action: 'rolled back', pending: [] })]);
    } finally {
      proxy.close();
    }
    expect(await client.hGetAll('gone:1')).toEqual({ v: 'old 1' });
    expect(await client.get('gone:2500')).toBe('old 2500');
    expect(await keys('gone:*')).toEqual(['gone:1', 'gone:2500']);
    expect(await debris()).toEqual([]);
    expect((await listJournals()).filter((f) => f.journal?.runId === runId)).toEqual([]);
  }, 60_000);

  it('replace_namespace: the connection lost as the pointer switches: the run fails, the pointer names the old version, the new one is gone', async () => {
    const sink = { key: 'c:{id}', mode: 'replace_namespace', namespace: 'nsa', old_ttl_s: 0 };
    const first = await runPipeline({ pipeline: load(`SELECT 1 AS id, 'first' AS v`, sink), baseDir: dir, connections: connection(port) });
    expect(first.status, JSON.stringify(first.error)).toBe('succeeded');
    const v1 = (await client.get('nsa:current'))!;
    // SWITCH_POINTER's text: the switch runs on the server, its reply is lost.
    const proxy = await cuttingProxy(port, 'by someone else while the run was writing');
    try {
      const s = await runPipeline({ pipeline: load(`SELECT 2 AS id, 'second' AS v`, sink), baseDir: dir, connections: connection(proxy.port) });
      expect(proxy.cut()).toBe(true);
      expect(s.status).toBe('failed');
      expect(await client.get('nsa:current')).toBe(v1);
      expect(await keys('nsa:*')).toEqual([`nsa:${v1}:c:1`, 'nsa:current']);
      expect(await debris()).toEqual([]);
    } finally {
      proxy.close();
    }
  }, 60_000);
});

describe('sink.redis: keys that name the sink\'s own bookkeeping', () => {
  it('a row whose key is caudal:staging (or a staging key) is refused before anything is written; the registry stays a set', async () => {
    await client.sAdd(REGISTRY_KEY, '{"kind":"upsert","stage":"caudal:stage:someone-else-h0000p1:n:"}');
    const s = await runPipeline({ pipeline: load(`SELECT * FROM (VALUES ('user:1'), ('caudal:staging')) t(k)`, { key: '{k}' }), baseDir: dir, connections: connection(port) });
    expect(s.status).toBe('failed');
    expect(s.error!.message).toContain(`key 'caudal:staging'`);
    expect(s.error!.message).toMatch(/reserved/);
    expect(await client.type(REGISTRY_KEY)).toBe('set');
    expect(await client.exists('user:1')).toBe(0);
    await client.sRem(REGISTRY_KEY, '{"kind":"upsert","stage":"caudal:stage:someone-else-h0000p1:n:"}');
    expect(await debris()).toEqual([]);
  }, 30_000);
});

describe('sink.redis: the sweep of killed runs', () => {
  it('a registry entry whose names do not belong together (not a staging prefix, a prefix without its version) removes nothing but itself', async () => {
    const dead = ownerTag({ host: self.host, pid: spawnSync('true').pid! });
    await client.set('victim:1', 'mine');
    await client.set('stage-lookalike:1', 'mine too');
    const forged = [
      JSON.stringify({ kind: 'version', pointer: 'victim:current', prefix: 'victim:', version: `20250101T000000-abcd1234-${dead}` }),
      JSON.stringify({ kind: 'version', pointer: 'x:current', prefix: '', version: `20250101T000000-abcd1234-${dead}` }),
      JSON.stringify({ kind: 'upsert', stage: `stage-lookalike:${dead}` }),
    ];
    await client.sAdd(REGISTRY_KEY, forged);
    const s = await runPipeline({ pipeline: load(`SELECT 1 AS id, 'x' AS v`, { key: 'sweep:{id}' }), baseDir: dir, connections: connection(port) });
    expect(s.status, JSON.stringify(s.error)).toBe('succeeded');
    expect(await client.get('victim:1')).toBe('mine');
    expect(await client.get('stage-lookalike:1')).toBe('mine too');
    expect(await client.hGetAll('sweep:1')).toEqual({ id: '1', v: 'x' });
    expect(await client.sMembers(REGISTRY_KEY)).toEqual([]);
  }, 30_000);
});

describe('sink.redis: a server that never answers', () => {
  it('accepting the connection and saying nothing fails the run within the connect timeout, not never', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((s) => void sockets.add(s.on('error', () => undefined)));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const t0 = Date.now();
    try {
      const run = runPipeline({ pipeline: load(`SELECT 1 AS id, 'x' AS v`, { key: 'silent:{id}' }), baseDir: dir, connections: connection((silent.address() as net.AddressInfo).port, { connect_timeout_s: 1 }) });
      const s = await Promise.race([run, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 30_000))]);
      expect(s).not.toBe('hung');
      if (s === 'hung') return;
      expect(s.status).toBe('failed');
      expect(s.error!.message).toMatch(/did not answer within 1 s/);
      expect(Date.now() - t0).toBeLessThan(30_000);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  }, 40_000);
});

describe('sink.redis: a server that stops answering after the handshake', () => {
  it('fails the run within the command timeout, naming the command, and leaves no keys', async () => {
    // Passes the handshake through to the real server, then swallows every answer from the first
    // SADD (the sink's registry entry) on, without closing: a hung server.
    const sockets = new Set<net.Socket>();
    const proxy = net.createServer((down) => {
      const up = net.connect(port, '127.0.0.1');
      sockets.add(down).add(up);
      let silent = false;
      down.on('data', (d) => {
        if (d.toString('latin1').includes('SADD')) silent = true;
        up.write(d);
      });
      up.on('data', (d) => void (!silent && down.write(d)));
      down.on('error', () => undefined);
      up.on('error', () => undefined);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    const t0 = Date.now();
    try {
      const run = runPipeline({ pipeline: load(`SELECT 1 AS id, 'x' AS v`, { key: 'hung:{id}' }), baseDir: dir, connections: connection((proxy.address() as net.AddressInfo).port, { command_timeout_s: 2 }) });
      const s = await Promise.race([run, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 30_000))]);
      expect(s).not.toBe('hung');
      if (s === 'hung') return;
      expect(s.status).toBe('failed');
      expect(s.error!.message, s.error!.message).toMatch(/did not answer SADD within 2 s \(the connection's command_timeout_s\)/);
      expect(Date.now() - t0).toBeLessThan(30_000);
    } finally {
      for (const s of sockets) s.destroy();
      proxy.close();
    }
    // The SADD itself reached the server; the cleanup after the failure removed it on a new connection.
    expect(await keys('hung:*')).toEqual([]);
    expect(await debris()).toEqual([]);
  }, 40_000);
});

describe('sink.redis: a server that takes no writes', () => {
  it('a read-only replica fails the run saying so and what to point the connection at', { timeout: 30_000 }, async () => {
    const replicaPort = await freePort();
    const replica = spawn('redis-server', ['--port', String(replicaPort), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--replicaof', '127.0.0.1', String(port)], { stdio: 'ignore' });
    try {
      let summary;
      for (let i = 0; ; i++) {
        summary = await runPipeline({ pipeline: load("SELECT 'r1' AS id, 1 AS v", { key: 'ro:{id}', mode: 'upsert' }), baseDir: dir, connections: connection(replicaPort, { connect_timeout_s: 2 }) });
        // Until the replica listens, the run cannot reach it; then every write is refused.
        if (!/cannot reach the server/.test(summary.error?.message ?? '') || i > 30) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(summary.status).toBe('failed');
      expect(summary.error?.message).toMatch(/^node 'dst' \(connection 'cache'\): the server is a read-only replica: READONLY/);
      expect(summary.error?.hint).toBe('point the connection at the primary (a replica takes no writes)');
    } finally {
      replica.kill('SIGKILL');
    }
  });
});
