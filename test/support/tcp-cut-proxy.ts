import net from 'node:net';
import { afterFile } from './cleanup.js';

/**
 * What the proxy does once a client sends a chunk that matches the trigger:
 * - `cut-before`: closes both sides; the server never sees the statement.
 * - `reset-before`: the same, but the client's side is reset (TCP RST: ECONNRESET), as a firewall
 *   or a crashed host does, rather than closed.
 * - `cut-after-answer`: passes the statement on, waits for the server's first answer to it, then
 *   closes both sides without passing that answer back (the statement ran; the client never hears it).
 * - `hang`: passes nothing more either way and closes nothing (a server that stopped answering).
 */
export type CutAction = 'cut-before' | 'reset-before' | 'cut-after-answer' | 'hang';

export interface CutRule {
  /** Matched against each chunk the client sends, read as latin1 (a simple-protocol query is 'Q', its length, its text). */
  trigger: RegExp;
  action: CutAction;
  /** Once it fired: new connections are passed on (`pass`, the default), refused at once, or accepted and never answered. */
  thereafter?: 'pass' | 'refuse' | 'hang';
}

export interface CutProxy {
  port: number;
  /** Whether the rule has fired. */
  fired(): boolean;
  /** New rule (or none), reset to not fired. */
  arm(rule: CutRule | undefined): void;
  close(): Promise<void>;
}

/** A simple-protocol query whose text is exactly `sql` (e.g. `COMMIT`, not `COMMIT PREPARED …`). */
export function queryIs(sql: string): RegExp {
  return new RegExp(`Q[\\s\\S]{4}${sql.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\x00`);
}

/** A simple-protocol query whose text starts with `prefix`. */
export function queryStarts(prefix: string): RegExp {
  return new RegExp(`Q[\\s\\S]{4}${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`);
}

/**
 * A TCP proxy in front of a real server that cuts or freezes a connection at the moment a chosen
 * statement goes by: the failures a network or a dying server causes, at moments a test picks.
 * Closed after the test file.
 */
export async function tcpCutProxy(target: { host: string; port: number }, rule?: CutRule): Promise<CutProxy> {
  let current = rule;
  let fired = false;
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    return s;
  };
  const server = net.createServer((client) => {
    track(client);
    if (fired && current?.thereafter === 'refuse') return void client.destroy();
    if (fired && current?.thereafter === 'hang') return;
    const upstream = track(net.connect(target.port, target.host));
    let state: 'relay' | 'awaiting-answer' | 'frozen' | 'closed' = 'relay';
    const closeBoth = () => {
      state = 'closed';
      client.destroy();
      upstream.destroy();
    };
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => {
      if (state !== 'frozen') client.destroy();
    });
    upstream.on('data', (chunk: Buffer) => {
      if (state === 'relay') client.write(chunk);
      else if (state === 'awaiting-answer') closeBoth();
    });
    client.on('data', (chunk: Buffer) => {
      if (state !== 'relay') return;
      const r = current;
      if (r && !fired && r.trigger.test(chunk.toString('latin1'))) {
        fired = true;
        if (r.action === 'cut-before') return closeBoth();
        if (r.action === 'reset-before') {
          state = 'closed';
          client.resetAndDestroy();
          return void upstream.destroy();
        }
        if (r.action === 'hang') {
          state = 'frozen';
          return;
        }
        state = 'awaiting-answer';
      }
      upstream.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const proxy: CutProxy = {
    port,
    fired: () => fired,
    arm(r) {
      current = r;
      fired = false;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  afterFile(() => proxy.close());
  return proxy;
}
