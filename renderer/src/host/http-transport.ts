import type { CallResult, HostEventMessage, HostTransport } from '../../../core/src/host-api/contract.js';

/** The parts of the WebSocket API used here (the browser's, or `ws` in Node tests). */
interface SocketLike {
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  close(): void;
}
type SocketFactory = new (url: string) => SocketLike;

export interface HttpTransportOptions {
  /** e.g. http://127.0.0.1:4817 */
  baseUrl: string;
  token: string;
  fetchImpl?: typeof fetch;
  WebSocketImpl?: SocketFactory;
}

const MAX_BACKOFF_MS = 5000;

/**
 * Browser mode: `POST /api/<method>` with the token as a bearer header; events from one WebSocket
 * on `/events`, opened on the first subscription and reopened (with backoff) if it drops while
 * anyone listens.
 */
export function httpTransport(opts: HttpTransportOptions): HostTransport & { close(): void; ready(): Promise<void> } {
  const doFetch = opts.fetchImpl ?? fetch;
  const Socket = opts.WebSocketImpl ?? (globalThis.WebSocket as unknown as SocketFactory);
  const base = opts.baseUrl.replace(/\/$/, '');
  const listeners = new Set<(m: HostEventMessage) => void>();
  let socket: SocketLike | undefined;
  let opened: Promise<void> | undefined;
  let backoff = 250;
  let closed = false;

  function connect(): Promise<void> {
    const ws = new Socket(`${base.replace(/^http/, 'ws')}/events?token=${encodeURIComponent(opts.token)}`);
    socket = ws;
    opened = new Promise<void>((resolve) => {
      ws.onopen = () => {
        backoff = 250;
        resolve();
      };
      ws.onerror = () => resolve();
    });
    ws.onmessage = (ev) => {
      const message = JSON.parse(String(ev.data)) as HostEventMessage;
      for (const l of listeners) l(message);
    };
    ws.onclose = () => {
      socket = undefined;
      if (closed || listeners.size === 0) return;
      setTimeout(() => {
        if (!socket && !closed && listeners.size > 0) void connect();
      }, backoff);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    };
    return opened;
  }

  return {
    async invoke(method, input): Promise<CallResult> {
      let res: Response;
      try {
        res = await doFetch(`${base}/api/${encodeURIComponent(method)}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${opts.token}` },
          body: JSON.stringify(input ?? {}),
        });
      } catch (e) {
        return { ok: false, error: { kind: 'io', message: `cannot reach the Caudal server at ${base}: ${(e as Error).message}`, hint: 'is `caudal serve` still running?' } };
      }
      if (res.status === 401) return { ok: false, error: { kind: 'usage', message: 'the server refused the access token', hint: 'open the studio again with the URL `caudal serve` printed' } };
      if (!res.ok) return { ok: false, error: { kind: 'io', message: `the server answered ${res.status}: ${await res.text()}` } };
      return (await res.json()) as CallResult;
    },
    subscribe(listener) {
      listeners.add(listener);
      if (!socket) void connect();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) socket?.close();
      };
    },
    /** Resolves once the event socket is open (or failed to open). */
    ready: () => opened ?? Promise.resolve(),
    close() {
      closed = true;
      socket?.close();
    },
  };
}
