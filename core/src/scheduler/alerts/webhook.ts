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
  if (c.auth === 'bearer') headers.authorization = `Bearer ${secrets.token}`;
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
      last = (e as Error).name === 'TimeoutError' ? `no answer within ${c.timeout_s} s` : `could not reach ${where(c.url)}: ${networkCause(e, url)}`;
    }
    if (attempt < ATTEMPTS) await sleep((opts.retryDelayMs ?? 1000) * attempt);
  }
  throw new Error(`webhook '${name}' did not accept the alert: ${last}`);
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
 * (undici's "bad port" for a port fetch refuses, "Invalid URL"), else the error's own; the URL is
 * never repeated (it may hold a token).
 */
function networkCause(e: unknown, url: string): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  const text = err.cause?.code ?? (err.cause?.message || err.message || err.name);
  return text.split(url).join('(the URL)');
}
