import { spawn } from 'node:child_process';
import net from 'node:net';
import { createClient } from 'redis';
import { afterFile } from './cleanup.js';

/**
 * A redis-server of the test file's own (so it may be broken on purpose, and its keyspace holds
 * nothing of another file's), and a TCP proxy in front of it that cuts the connection at a chosen
 * command.
 */

export const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

const makeClient = (port: number) => createClient({ socket: { host: '127.0.0.1', port, reconnectStrategy: false } });
export type PrivateClient = ReturnType<typeof makeClient>;

/** Starts the server (no persistence, files in `dir`) and a client to it; both end after the file. */
export async function privateRedis(dir: string): Promise<{ port: number; client: PrivateClient }> {
  const port = await freePort();
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no'], { stdio: 'ignore' });
  let client: PrivateClient;
  for (let i = 0; ; i++) {
    try {
      client = makeClient(port);
      client.on('error', () => undefined);
      await client.connect();
      break;
    } catch (e) {
      if (i > 50) {
        server.kill('SIGKILL');
        throw e;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  afterFile(async () => {
    client.destroy();
    server.kill('SIGKILL');
  });
  return { port, client };
}

/**
 * A proxy to the server at `port` that, once the client has sent `marker` `times` times, lets that
 * command through to the server, waits for the server to have run it, then drops the connection
 * without passing on the reply: the client cannot tell whether the command ran. Later connections
 * pass through untouched, or (refuseAfterCut, which the test may change) are dropped at once.
 */
export async function cuttingProxy(port: number, marker: string, times = 1, opts: { refuseAfterCut?: boolean } = {}): Promise<{ port: number; cut: () => boolean; close: () => void }> {
  let seen = 0;
  let cut = false;
  const sockets = new Set<net.Socket>();
  const proxy = net.createServer((down) => {
    // The server is gone for good: every later connection is dropped at once.
    if (cut && opts.refuseAfterCut) return void down.destroy();
    const up = net.connect(port, '127.0.0.1');
    sockets.add(down).add(up);
    let text = '';
    let dropping = false;
    down.on('data', (d) => {
      up.write(d);
      if (cut) return;
      text += d.toString('latin1');
      let at = text.indexOf(marker);
      while (at >= 0) {
        seen++;
        text = text.slice(at + marker.length);
        at = text.indexOf(marker);
      }
      text = text.slice(-marker.length);
      if (seen >= times && !dropping) {
        dropping = true;
        cut = true;
        setTimeout(() => {
          down.destroy();
          up.destroy();
        }, 300);
      }
    });
    up.on('data', (d) => {
      if (!dropping) down.write(d);
    });
    const end = () => {
      down.destroy();
      up.destroy();
    };
    down.on('error', end).on('close', end);
    up.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
  return {
    port: (proxy.address() as net.AddressInfo).port,
    cut: () => cut,
    close: () => {
      for (const s of sockets) s.destroy();
      proxy.close();
    },
  };
}
