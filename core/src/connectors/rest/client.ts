import type { RestConfig } from '../../connections/rest/rest.connection.js';
import { CaudalError } from '../../util/errors.js';
import { Auth } from '../http/auth.js';
import { HttpClient, originOf } from '../http/client.js';
import { RequestLimiter } from '../http/limiter.js';
import { DEFAULT_HTTP_RETRY } from '../http/retry-policy.js';

export interface RestClientOptions {
  who: string;
  timeoutMs?: number;
  /** Attempts in all for one request. */
  attempts?: number;
  ratePerSecond?: number;
  concurrency?: number;
  isCancelled?: () => boolean;
  log?: (message: string) => void;
  /**
   * URLs the node was configured with (a full URL beside the connection's base URL): their origins
   * get the credentials too. Any other origin (a next link to another host) gets none.
   */
  configuredUrls?: readonly string[];
}

/**
 * An HTTP client with a REST connection's base headers and credentials (or none, for public APIs).
 * The credentials go only to the origin of the connection's base URL and of the URLs the node was
 * configured with: an API's next link to another host is followed without them.
 */
export function restClient(config: RestConfig | undefined, opts: RestClientOptions): HttpClient {
  const timeoutMs = opts.timeoutMs ?? (config?.timeout_s ?? 30) * 1000;
  const retry = { ...DEFAULT_HTTP_RETRY, attempts: opts.attempts ?? DEFAULT_HTTP_RETRY.attempts };
  const limiter = new RequestLimiter(opts.concurrency ?? 1, opts.ratePerSecond);
  let auth: Auth | undefined;
  if (config && config.auth !== 'none') {
    // The token endpoint gets its own client: same timeout and retries, no credentials of the API.
    // Its messages (a token server's 500 echoing the form) are redacted with the connection's secrets.
    const tokens = new HttpClient({ who: `${opts.who} (OAuth2 token)`, timeoutMs, retry, limiter: new RequestLimiter(1), log: opts.log, redact: () => auth?.secrets() ?? [] });
    auth = new Auth(config, async (url, form, headers) => {
      const res = await tokens.send({ method: 'POST', url, headers, form }, { accept: [400, 401, 403] });
      return { status: res.status, body: res.text };
    });
  }
  const credentialOrigins = config ? [config.base_url, ...(opts.configuredUrls ?? [])].map(originOf).filter((o): o is string => o !== undefined && o !== 'null') : undefined;
  return new HttpClient({ who: opts.who, auth, headers: config?.headers, credentialOrigins, timeoutMs, retry, limiter, isCancelled: opts.isCancelled, log: opts.log });
}

/** The URL a node asks for: absolute, or a path under the connection's base URL. */
export function resolveUrl(config: RestConfig | undefined, url: string, where: string): string {
  if (/^https?:\/\//i.test(url)) return url;
  if (!config) throw new CaudalError('validation', `${where}: '${url}' is not an absolute URL and there is no connection to take a base URL from`, { hint: 'write the full URL (https://…) or set a REST connection' });
  const base = config.base_url.endsWith('/') ? config.base_url : `${config.base_url}/`;
  return new URL(url.replace(/^\/+/, ''), base).toString();
}

/**
 * The scheme, host and port a URL template names when they hold no `{column}` (a host taken from the
 * data is not one the credentials were configured for), or undefined. `https://geo.x/q?a={a}` gives
 * `https://geo.x`; `https://{host}/q` and a path under the base URL give nothing.
 */
export function templateOrigin(template: string): string | undefined {
  const m = /^(https?:\/\/[^/?#]*)/i.exec(template);
  return m && !m[1]!.includes('{') ? m[1] : undefined;
}
