/**
 * The renderer's one way to reach core: a typed HostClient over whichever transport this page has.
 * In Electron the preload exposes `window.caudal`; in a browser (`caudal serve`) calls go over
 * HTTP and events over a WebSocket, authorized by the token from the URL `caudal serve` printed.
 * The rest of the renderer never knows which.
 */
import './zod-config.js';
import { makeHostClient, type HostClient, type HostTransport } from '../../../core/src/host-api/contract.js';
import { httpTransport } from './http-transport.js';

declare global {
  interface Window {
    /** Set by electron/preload: exactly the HostTransport primitives. */
    caudal?: HostTransport;
  }
}

const TOKEN_KEY = 'caudal.token';

/** The access token: from `?token=` on first load (then hidden from the address bar), else from this tab's session. */
export function pageToken(): string | null {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    window.sessionStorage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete('token');
    window.history.replaceState(window.history.state, '', url.toString());
    return fromUrl;
  }
  return window.sessionStorage.getItem(TOKEN_KEY);
}

/**
 * A tab opened on the bare address (a second tab, a bookmark) has the page cookie but no token:
 * the server hands it the token for same-origin requests (`GET /session`).
 */
async function sessionToken(): Promise<string | null> {
  try {
    const res = await fetch('/session', { credentials: 'same-origin' });
    if (!res.ok) return null;
    const { token } = (await res.json()) as { token?: string };
    if (!token) return null;
    window.sessionStorage.setItem(TOKEN_KEY, token);
    return token;
  } catch {
    return null;
  }
}

let client: HostClient | undefined;

/** The page's HostClient (one per page). */
export async function hostClient(): Promise<HostClient> {
  if (client) return client;
  if (window.caudal) client = makeHostClient(window.caudal);
  else {
    const token = pageToken() ?? (await sessionToken());
    if (!token) throw new Error('No access token: open the studio with the URL `caudal serve` printed (it ends in ?token=...).');
    client = makeHostClient(httpTransport({ baseUrl: window.location.origin, token }));
  }
  return client;
}

export { makeHostClient, httpTransport };
export type { HostClient };
