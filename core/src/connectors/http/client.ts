import { createRequire } from 'node:module';
import type { AxiosResponse, AxiosStatic } from 'axios';
import { redactedSnippet, redactText } from '../../connections/redact.js';
import { CaudalError, errorMessage } from '../../util/errors.js';
import { bytesTooDeep, JSON_NESTING_LIMIT } from '../../util/json-depth.js';
import type { Auth } from './auth.js';
import type { RequestLimiter } from './limiter.js';
import { backoffMs, DEFAULT_HTTP_RETRY, type HttpRetryPolicy, isRetryableStatus, isTransientNetworkError, retryAfterMs } from './retry-policy.js';
import { safeUrl } from './safe-url.js';
import { jsonBodyAsUtf8 } from './charset.js';

// axios takes ~0.1 s to load and every engine worker loads the whole node registry: loaded on the
// first request, only runs that call HTTP APIs pay for it.
const loadAxios = () => createRequire(import.meta.url)('axios') as AxiosStatic;

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpRequest {
  method: HttpMethod;
  /** Absolute URL; may already carry a query string. */
  url: string;
  params?: Record<string, string>;
  headers?: Record<string, string>;
  /** Sent as JSON (JSON.stringify), or as the text of a JsonText as it is. */
  body?: unknown;
  /** Sent as application/x-www-form-urlencoded (instead of a JSON body). */
  form?: Record<string, string>;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  /** The body's bytes as received (source.rest cuts records from them: rest/record-lines.ts). */
  body: Buffer;
  /** The body as UTF-8 text, without a byte order mark. */
  text: string;
  /** The parsed body when the request asked for JSON. */
  json?: unknown;
  /** The URL requested, secrets removed. */
  shownUrl: string;
  attempts: number;
}

export interface HttpClientOptions {
  /** Who is asking, for messages: "node 'orders'". */
  who: string;
  auth?: Auth;
  /** More secret values to keep out of messages (a token endpoint's client knows its connection's). */
  redact?: () => string[];
  headers?: Record<string, string>;
  /**
   * The origins (scheme, host and port) the credentials are for. A request anywhere else (a next
   * link or cursor URL that an API points at another host) is sent without them, as a redirect
   * there would be. Unset: every request carries them.
   */
  credentialOrigins?: readonly string[];
  timeoutMs: number;
  /** The largest answer read (after decompression); default MAX_ANSWER_BYTES. */
  maxAnswerBytes?: number;
  retry?: HttpRetryPolicy;
  limiter: RequestLimiter;
  isCancelled?: () => boolean;
  log?: (message: string) => void;
}

export interface SendOptions {
  /** A 2xx body must be JSON (else the request is retried as cut short): `json` holds it parsed. */
  json?: boolean;
  /** Statuses that are answers, not errors. */
  accept?: number[];
  /**
   * With `json`: tried first on a 2xx body; what it returns (unless undefined) is `json`, and the
   * body is not parsed (source.rest cuts records from the bytes: rest/record-lines.ts).
   */
  parse?: (body: Buffer) => unknown;
}

/**
 * A request body that is JSON text already, sent as it is: for numbers JSON.stringify cannot write
 * exactly (a BIGINT beyond 2^53 written as its digits).
 */
export class JsonText {
  constructor(readonly text: string) {}
}

/** An HTTP error with its status and a snippet of the body, for callers that route errors (rejects). */
export class HttpError extends CaudalError {
  constructor(
    message: string,
    readonly status: number | undefined,
    hint?: string,
    /** A 2xx answer that is not JSON (an HTML page): its text, for callers that say so in their own words (redact it first). */
    readonly notJson?: string,
  ) {
    super('io', message, { hint });
  }
}

class Retry {
  constructor(
    readonly reason: string,
    readonly delayMs?: number,
  ) {}
}

const SNIPPET = 300;

/**
 * The largest answer read, counted after decompression: an answer is held in memory whole (and
 * parsed as one string), so a gzip bomb or an endless body took the process down (a 2 GB body
 * ended in a V8 fatal error). A page this large means the pages are too big anyway.
 */
export const MAX_ANSWER_BYTES = 256 * 1024 * 1024;

/**
 * HTTP for connectors (axios underneath): credentials from the connection, a total deadline per
 * request, retries with exponential backoff and jitter on network errors, 408/429/5xx and
 * truncated JSON, `Retry-After` honoured, a client-side rate and concurrency limit, and errors that
 * name the URL without its secrets, the status and the start of the body.
 */
export class HttpClient {
  private readonly cancel = new AbortController();
  private readonly poller?: ReturnType<typeof setInterval>;
  private readonly retry: HttpRetryPolicy;
  /** Origins already told about in the log as getting no credentials. */
  private readonly toldUncredentialed = new Set<string>();
  private closed = false;

  constructor(private readonly opts: HttpClientOptions) {
    this.retry = opts.retry ?? DEFAULT_HTTP_RETRY;
    if (opts.isCancelled) {
      this.poller = setInterval(() => {
        if (opts.isCancelled!()) this.cancel.abort();
      }, 100);
      this.poller.unref();
    }
  }

  private get maxAnswerBytes(): number {
    return this.opts.maxAnswerBytes ?? MAX_ANSWER_BYTES;
  }

  /**
   * Done with the client: requests still queued in the limiter or in flight are abandoned (they
   * fail as cancelled without reaching the server). A lookup that failed a run left the rest of its
   * batch, up to 2,000 requests, going on after the run had failed.
   */
  close(): void {
    if (this.poller) clearInterval(this.poller);
    this.closed = true;
    this.cancel.abort();
  }

  /** The URL with the params added, as sent (before credentials). */
  static fullUrl(url: string, params: Record<string, string> = {}): string {
    const u = new URL(url);
    for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
    return u.toString();
  }

  shown(url: string): string {
    return safeUrl(url, this.secrets(), this.opts.auth?.secretParams ?? []);
  }

  /**
   * Sends a request, retrying what is worth retrying. Statuses in `accept` are answers, not errors
   * (e.g. 404 for a lookup with no match). With `json`, a 2xx body must parse.
   */
  async send(req: HttpRequest, options: SendOptions = {}): Promise<HttpResponse> {
    let refreshed = false;
    for (let attempt = 1; ; attempt++) {
      this.checkCancelled();
      const headers: Record<string, string> = { 'User-Agent': 'caudal', Accept: 'application/json', ...this.opts.headers, ...req.headers };
      const params: Record<string, string> = { ...req.params };
      const out = { url: req.url, headers, params };
      const credentialed = this.carriesCredentials(req.url);
      if (credentialed) await this.opts.auth?.apply(out);
      const sent = credentialed ? { url: HttpClient.fullUrl(req.url, out.params), dropped: [] } : this.withoutSecretParams(HttpClient.fullUrl(req.url, out.params));
      const url = sent.url;
      const shownUrl = this.shown(url);
      const what = `${this.opts.who}: ${req.method} ${shownUrl}`;
      if (!credentialed) this.tellUncredentialed(url, shownUrl, sent.dropped);
      let outcome: HttpResponse | Retry;
      let held: number | undefined;
      try {
        const res = await this.opts.limiter.run(async () => {
          // Queued before close(): leaves without asking.
          this.checkCancelled();
          const r = await this.exchange(req, url, headers);
          // A 429 or a Retry-After is about this client, not this request: every request of it
          // waits, also one queued to leave as soon as this answer frees the limiter.
          held = this.serverHold(r, attempt);
          if (held !== undefined) this.opts.limiter.holdUntil(Date.now() + held);
          return r;
        });
        outcome = this.judge(res, what, attempt, options, shownUrl, headers, credentialed);
      } catch (e) {
        if (e instanceof HttpError || e instanceof CaudalError) throw e;
        outcome = this.networkFailure(e, what, attempt);
      }
      if (!(outcome instanceof Retry)) return outcome;
      if (outcome.reason === 'unauthorized') {
        if (refreshed) throw new HttpError(`${what} failed: HTTP 401 Unauthorized, also with a new token`, 401, 'check the client id, secret and scope of the connection');
        refreshed = true;
        attempt--;
        continue;
      }
      const last = outcome.reason;
      if (attempt >= this.retry.attempts) throw new HttpError(`${what} failed${attempt > 1 ? ` after ${attempt} attempts` : ''}: ${last}`, statusOf(last), 'the server kept failing; try again later, or raise retries / lower the rate limit');
      const delay = held ?? outcome.delayMs ?? backoffMs(attempt, this.retry);
      this.opts.log?.(`${what}: ${last}; retrying in ${(delay / 1000).toFixed(1)} s (attempt ${attempt + 1} of ${this.retry.attempts})`);
      await this.sleep(delay);
    }
  }

  /** Which account the credentials are (Auth.identity), '' without any: part of the keys of cached answers. */
  credentialIdentity(): string {
    return this.opts.auth?.identity() ?? '';
  }

  /** Whether a request to `url` gets the connection's credentials: only on the origins they are for. */
  carriesCredentials(url: string): boolean {
    if (!this.opts.auth || this.opts.credentialOrigins === undefined) return true;
    return this.opts.credentialOrigins.includes(originOf(url) ?? '');
  }

  /**
   * A URL for another origin than the credentials' without the query params that carry them: the
   * connection's key param, and any param holding a secret value. An API that writes its next link
   * from the request it got echoes the key in it, and the link followed as written handed the key
   * to that other host (a redirect drops them: beforeRedirect). `dropped` names the params, never values.
   */
  private withoutSecretParams(url: string): { url: string; dropped: string[] } {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return { url, dropped: [] };
    }
    const named = new Set((this.opts.auth?.secretParams ?? []).map((n) => n.toLowerCase()));
    const secrets = this.secrets();
    // A value that is a secret, or holds a long one (`Bearer <token>`); a short secret only whole,
    // so that an unrelated value merely containing a few of its letters stays.
    const holdsSecret = (v: string) => secrets.some((s) => v === s || (s.length >= 8 && v.includes(s)));
    const dropped = [...new Set([...u.searchParams.entries()].filter(([k, v]) => named.has(k.toLowerCase()) || holdsSecret(v)).map(([k]) => k))];
    if (dropped.length === 0) return { url, dropped };
    for (const k of dropped) u.searchParams.delete(k);
    return { url: u.toString(), dropped };
  }

  private tellUncredentialed(url: string, shownUrl: string, dropped: readonly string[]): void {
    const origin = originOf(url) ?? url;
    if (!this.opts.auth || this.toldUncredentialed.has(origin)) return;
    this.toldUncredentialed.add(origin);
    const removed = dropped.length === 0 ? '' : `, its query param${dropped.length === 1 ? '' : 's'} ${dropped.map((k) => `'${k}'`).join(', ')} removed (${dropped.length === 1 ? 'it held a credential' : 'they held credentials'})`;
    this.opts.log?.(`${this.opts.who}: ${shownUrl} is on another origin than the connection's (${this.opts.credentialOrigins?.join(', ')}): sent without its credentials${removed}`);
  }

  private async exchange(req: HttpRequest, url: string, headers: Record<string, string>): Promise<AxiosResponse<Buffer>> {
    // One controller per request, aborted by a plain timer (the whole request: headers and body)
    // or by the client's cancel. Not AbortSignal.any([cancel, AbortSignal.timeout()]): on Node 20
    // nothing held the timeout signal strongly, a garbage collection could drop it before it fired
    // (nodejs/node#57736), and a server trickling a byte now and then kept the run waiting forever
    // (axios's own `timeout` is a socket idle timeout, which a trickle never trips).
    const controller = new AbortController();
    const signal = controller.signal;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.opts.timeoutMs);
    const onCancel = () => controller.abort();
    if (this.cancel.signal.aborted) controller.abort();
    else this.cancel.signal.addEventListener('abort', onCancel, { once: true });
    let refused: CaudalError | undefined;
    try {
      return await loadAxios().request<Buffer>({
        // Node's http stack, named so axios never probes for fetch (core/scripts/bundle-worker.mjs).
        adapter: 'http',
        method: req.method,
        url,
        headers: req.form ? { ...headers, 'Content-Type': 'application/x-www-form-urlencoded' } : req.body !== undefined ? { 'Content-Type': 'application/json', ...headers } : headers,
        data: req.form ? new URLSearchParams(req.form).toString() : req.body instanceof JsonText ? req.body.text : req.body !== undefined ? JSON.stringify(req.body) : undefined,
        // Bytes, decoded here: the records can then be cut from them without writing them again.
        responseType: 'arraybuffer',
        transformResponse: (x: Buffer) => x,
        validateStatus: () => true,
        timeout: this.opts.timeoutMs,
        signal,
        maxRedirects: 5,
        maxContentLength: this.maxAnswerBytes,
        // The credentials are for the origin (scheme, host and port) they were configured for:
        // a redirect anywhere else carries none of them (headers, query param, a form's secrets).
        beforeRedirect: (options: Record<string, unknown>) => {
          if (redirectOrigin(options) === new URL(url).origin) return;
          const hs = (options.headers ?? {}) as Record<string, unknown>;
          const named = new Set(this.opts.auth?.secretHeaders ?? []);
          for (const k of Object.keys(hs)) if (/^(authorization|proxy-authorization|cookie)$/i.test(k) || named.has(k.toLowerCase())) delete hs[k];
          const params = this.opts.auth?.secretParams ?? [];
          if (params.length > 0 && typeof options.path === 'string') options.path = withoutParams(options.path, params);
          // A 307/308 sends the body again: a token request's form holds the client secret.
          if (req.form && !/^(GET|HEAD)$/i.test(String(options.method ?? ''))) {
            throw (refused = new CaudalError('io', `${this.opts.who}: ${req.method} ${this.shown(url)} redirects to another origin (${redirectOrigin(options)}) with its form; not sent, since the form holds credentials`, {
              hint: 'use the final URL in the connection',
            }));
          }
        },
      });
    } catch (e) {
      if (refused) throw refused;
      if (/maxContentLength size of/.test(errorMessage(e))) {
        // Asking again would only read as much again.
        throw new HttpError(`${this.opts.who}: ${req.method} ${this.shown(url)} failed: the answer is larger than ${this.maxAnswerBytes / 1024 / 1024} MiB (counted after decompression); reading stopped there`, undefined, 'ask for smaller pages (a page size or limit param with pagination), or fewer records (filter params)');
      }
      if (this.cancel.signal.aborted) this.checkCancelled();
      if (timedOut || signal.aborted) throw Object.assign(new Error(`no complete answer within ${this.opts.timeoutMs / 1000} s`), { code: 'ETIMEDOUT_TOTAL' });
      throw e;
    } finally {
      clearTimeout(timer);
      this.cancel.signal.removeEventListener('abort', onCancel);
    }
  }

  /** How long the server asked this client to wait: Retry-After on a retryable status, or a 429's backoff. */
  private serverHold(res: AxiosResponse<Buffer>, attempt: number): number | undefined {
    if (!isRetryableStatus(res.status)) return undefined;
    const wait = retryAfterMs(res.headers?.['retry-after']);
    // Longer than the policy allows: the request fails (judge) rather than holding everything.
    if (wait !== undefined) return wait > this.retry.maxRetryAfterMs ? undefined : wait;
    return res.status === 429 ? backoffMs(attempt, this.retry) : undefined;
  }

  private judge(res: AxiosResponse<Buffer>, what: string, attempt: number, options: SendOptions, shownUrl: string, sent: Record<string, string>, credentialed: boolean): HttpResponse | Retry {
    const status = res.status;
    let body = Buffer.isBuffer(res.data) ? res.data : Buffer.from(String(res.data ?? ''));
    // Decoded when asked: a page whose records are cut from the bytes never needs the text.
    let decoded: string | undefined;
    const text = () => (decoded ??= utf8Text(body));
    const headers = Object.fromEntries(Object.entries(res.headers ?? {}).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(', ') : String(v)]));
    const ok = (status >= 200 && status < 300) || (options.accept?.includes(status) ?? false);
    // JSON answers (asked for, or said so by their Content-Type, as enrichment lookups get) are read as UTF-8 from here on.
    if (ok && status >= 200 && status < 300 && (options.json || /json/i.test(headers['content-type'] ?? ''))) {
      const utf8 = jsonBodyAsUtf8(body, headers['content-type']);
      if ('problem' in utf8) throw new HttpError(`${what} failed: HTTP ${status} but ${utf8.problem}`, status, utf8.hint);
      body = utf8.body;
    }
    if (ok) {
      const answer: HttpResponse = {
        status,
        headers,
        body,
        get text() {
          return text();
        },
        shownUrl,
        attempts: attempt,
      };
      if (options.json && status >= 200 && status < 300) {
        // Parsing (and DuckDB reading the records later) would fail without saying why, or crash.
        const deep = bytesTooDeep(body);
        if (deep)
          throw new HttpError(
            `${what} failed: HTTP ${status} but the answer nests objects or lists more than ${JSON_NESTING_LIMIT} levels deep (at byte ${deep.offset}), deeper than any record can be read`,
            status,
            'check what the API returns for this request; nothing real nests that deep',
          );
        try {
          answer.json = options.parse?.(body) ?? (text().trim() === '' ? null : JSON.parse(text()));
        } catch (e) {
          // An HTML or XML page (a login page, a proxy's error page, a wrong path answered by a
          // web app) will be the same next time: said at once, not retried as a body cut short.
          const type = headers['content-type'] ?? '';
          if (/html|xml/i.test(type)) {
            throw new HttpError(
              `${what} failed: HTTP ${status} but the answer is ${type.split(';')[0]!.trim()}, not JSON (${text().length} bytes, starting ${JSON.stringify(redactedSnippet(text(), 80, this.secrets()))})`,
              status,
              'check the URL (a login or error page answers HTML) and the credentials of the connection',
              text(),
            );
          }
          // A body cut short (a dropped connection behind a proxy) parses badly; asking again helps.
          return new Retry(`HTTP ${status} but the body is not valid JSON (${errorMessage(e)}; ${text().length} bytes, starting ${JSON.stringify(redactedSnippet(text(), 80, this.secrets()))})`);
        }
      }
      return answer;
    }
    const snippet = redactedSnippet(text(), SNIPPET, this.secrets()).replace(/\s+/g, ' ').trim();
    const describe = `HTTP ${status}${res.statusText ? ` ${res.statusText}` : ''}${snippet ? `: ${snippet}` : ''}`;
    if (status === 401 && credentialed && this.opts.auth?.invalidate(sent)) return new Retry('unauthorized');
    if (isRetryableStatus(status)) {
      const wait = retryAfterMs(headers['retry-after']);
      if (wait !== undefined && wait > this.retry.maxRetryAfterMs) throw new HttpError(`${what} failed: ${describe} (the server asks to wait ${Math.round(wait / 1000)} s)`, status, 'run again later');
      return new Retry(describe, wait);
    }
    const uncredentialed = !credentialed && (status === 401 || status === 403) ? `${shownUrl} is on another origin than the connection, so it was sent without the connection's credentials (which are only for ${this.opts.credentialOrigins?.join(', ')}); point the connection's base URL at that host if it is the API's own` : undefined;
    throw new HttpError(`${what} failed: ${describe}`, status, uncredentialed ?? hintFor(status, shownUrl));
  }

  private networkFailure(e: unknown, what: string, attempt: number): Retry {
    const code = (e as { code?: string }).code;
    const message = this.redactBody(errorMessage(e));
    if (/^stream has been aborted$/.test(message)) return new Retry('the connection closed before the whole answer arrived');
    if (isTransientNetworkError(code) || /socket hang up|aborted|ECONNRESET/i.test(message)) return new Retry(`${code ?? 'network error'}: ${message}`);
    void attempt;
    throw new HttpError(`${what} failed: ${message}`, undefined, code === 'ENOTFOUND' ? 'check the host name of the URL' : undefined);
  }

  private redactBody(text: string): string {
    return redactText(text, this.secrets());
  }

  /** The secret values of the connection, in every form they travel in (for redaction). */
  secrets(): string[] {
    return [...(this.opts.auth?.secrets() ?? []), ...(this.opts.redact?.() ?? [])];
  }

  private checkCancelled(): void {
    if (this.closed) throw new CaudalError('cancelled', `${this.opts.who}: the request was abandoned (its client was closed, after the read ended or failed)`);
    if (this.cancel.signal.aborted || this.opts.isCancelled?.()) throw new CaudalError('cancelled', `${this.opts.who}: cancelled`);
  }

  private async sleep(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      this.checkCancelled();
      await new Promise((r) => setTimeout(r, Math.min(100, until - Date.now())));
    }
  }
}

function statusOf(reason: string): number | undefined {
  const m = /^HTTP (\d{3})/.exec(reason);
  return m ? Number(m[1]) : undefined;
}

function hintFor(status: number, url: string): string | undefined {
  if (status === 401 || status === 403) return 'check the credentials of the connection (and that they may read this resource)';
  if (status === 404) return `check the path and params: ${url}`;
  if (status === 400 || status === 422) return 'the server rejected the request; check the params and body';
  return undefined;
}

/** The origin (scheme, host, port) of a URL, or undefined when it is not one. */
export function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/** The origin a redirect leads to, from follow-redirects' request options (its default ports implied). */
function redirectOrigin(options: Record<string, unknown>): string {
  const protocol = String(options.protocol ?? '');
  const host = String(options.hostname ?? options.host ?? '');
  try {
    const u = new URL(`${protocol}//${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}`);
    if (options.port !== undefined && options.port !== '') u.port = String(options.port);
    return u.origin;
  } catch {
    return 'an unknown origin';
  }
}

/** A request path (`/a?b=c`) without the named query params. */
function withoutParams(pathAndQuery: string, names: readonly string[]): string {
  const u = new URL(pathAndQuery, 'http://x');
  const drop = new Set(names.map((n) => n.toLowerCase()));
  for (const k of [...u.searchParams.keys()]) if (drop.has(k.toLowerCase())) u.searchParams.delete(k);
  return u.pathname + u.search;
}

/** UTF-8 text of a body, a leading byte order mark dropped (as axios does for text answers). */
function utf8Text(body: Buffer): string {
  const text = body.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
