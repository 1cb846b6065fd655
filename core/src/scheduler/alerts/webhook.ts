import { setTimeout as sleep } from 'node:timers/promises';
import { CaudalError } from '../../util/errors.js';
import { packageVersion } from '../../util/package-root.js';
import { secretVariable } from './secrets.js';
import type { Alert } from '../alert-types.js';
import type { z } from 'zod';
import type { webhookChannelSchema } from '../project.js';

type WebhookChannel = z.infer<typeof webhookChannelSchema>;

/** Tries this often, waiting 1 s, then 2 s: a receiver restarting for a moment still gets it. */
const ATTEMPTS = 3;
/** Node's timers hold at most this; a longer AbortSignal.timeout fires after 1 ms instead. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * POSTs the alert as JSON. Errors name the channel and the HTTP status, never the URL (it may
 * carry a token) nor the token.
 */
export async function sendWebhook(name: string, c: WebhookChannel, secrets: Record<string, string>, alert: Alert, opts: { retryDelayMs?: number } = {}): Promise<void> {
  const url = c.url ?? secrets.url!;
  // A secret URL is checked only here (the project file's is checked when it is read): a bad one is
  // a channel set up wrong, not a receiver that refused. The message never repeats it.
  if (c.url === undefined && !isHttpUrl(url))
    throw new CaudalError('usage', `alert channel '${name}': its secret url is not an http:// or https:// URL`, {
      hint: `store the webhook's whole URL again with \`caudal alerts set-secret ${name} url\`, or fix ${secretVariable(name, 'url')}`,
    });
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': `caudal/${packageVersion()}`, ...c.headers };
  if (c.auth === 'bearer') {
    // fetch refuses such a header with a message that repeats its value: the token, in logs.
    if (!isHeaderText(secrets.token!))
      throw new CaudalError('usage', `alert channel '${name}': its secret token holds a line break, a control character or a character outside ASCII, which an HTTP header cannot carry`, {
        hint: `store the token again with \`caudal alerts set-secret ${name} token\`, or fix ${secretVariable(name, 'token')} (a stray newline at its end is the usual cause)`,
      });
    headers.authorization = `Bearer ${secrets.token}`;
  }
  for (const [header, value] of Object.entries(c.headers ?? {}))
    if (!isHeaderText(value)) throw new CaudalError('usage', `alert channel '${name}': header '${header}' holds a line break, a control character or a character outside ASCII, which an HTTP header cannot carry`, { hint: `fix alerts.channels.${name}.headers in the project file` });
  const body = JSON.stringify({ source: 'caudal', ...alert });
  let last = '';
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    try {
      const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(Math.min(c.timeout_s * 1000, MAX_TIMER_MS)), redirect: 'error' });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return;
      last = `HTTP ${res.status} ${res.statusText}`.trim();
      // A client error will not improve by asking again (except 408 and 429).
      if (res.status < 500 && res.status !== 408 && res.status !== 429) break;
    } catch (e) {
      last = (e as Error).name === 'TimeoutError' ? `no answer within ${c.timeout_s} s` : `could not reach ${where(c.url)}: ${networkCause(e, [url, ...Object.values(secrets)])}`;
    }
    if (attempt < ATTEMPTS) await sleep((opts.retryDelayMs ?? 1000) * attempt);
  }
  throw new Error(`webhook '${name}' did not accept the alert: ${last}`);
}

/** Printable ASCII and tabs: what a header value can hold for every HTTP client and server. */
function isHeaderText(text: string): boolean {
  return /^[\t\x20-\x7e]*$/.test(text);
}

function isHttpUrl(text: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}

/** Where the alert went, never a secret: the origin of a URL in the project file; a secret URL not at all. */
function where(projectUrl: string | undefined): string {
  if (projectUrl === undefined) return 'the webhook (its URL is a secret)';
  try {
    return new URL(projectUrl).origin;
  } catch {
    return 'the webhook URL';
  }
}

/**
 * Why fetch failed: the system's error code (ECONNREFUSED, ENOTFOUND), else the cause's message
 * (undici's "bad port" for a port fetch refuses, "Invalid URL"), else the error's own; the URL and
 * the channel's secrets are never repeated (undici's messages quote header values and URLs).
 */
function networkCause(e: unknown, secrets: string[]): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  let text = err.cause?.code ?? (err.cause?.message || err.message || err.name);
  for (const s of secrets.filter((v) => v.length >= 4).sort((a, b) => b.length - a.length)) text = text.split(s).join('(a secret)');
  return text;
}
