import { CaudalError, errorMessage } from '../util/errors.js';

/**
 * Secrets of this many characters or more are replaced wherever they occur inside a text; shorter
 * ones only where they stand alone (see `redactText`), so a password such as `1000`, `null` or `t`
 * hides its own appearances without blanking out "10000 rows", "nullable" or every letter t.
 */
export const REDACT_ANYWHERE_MIN = 8;
export const REDACTED = '***';

/** Letters, digits and `_`: a short secret glued to one is part of a longer word or identifier. */
const WORD_CHAR = /[\p{L}\p{N}_]/u;

/** The node types (the node registry has the same; a test compares them: this layer cannot import it). */
export const NODE_TYPES = ['quality.check', 'sink.csv', 'sink.duckdb', 'sink.elasticsearch', 'sink.json',
  'sink.kafka', 'sink.parquet', 'sink.postgres', 'sink.rabbitmq', 'sink.redis', 'sink.s3', 'sink.sqlserver',
  'source.csv', 'source.duckdb', 'source.json', 'source.kafka', 'source.parquet', 'source.postgres',
  'source.postgres_cdc', 'source.rabbitmq', 'source.rest', 'source.s3', 'source.sqlserver',
  'transform.aggregate', 'transform.cast', 'transform.clean_text', 'transform.dedupe', 'transform.derive',
  'transform.fill_nulls', 'transform.filter', 'transform.http_enrich', 'transform.join', 'transform.limit',
  'transform.lookup', 'transform.map_values', 'transform.parse_dates', 'transform.pivot', 'transform.rules',
  'transform.sample', 'transform.select', 'transform.sort', 'transform.split', 'transform.sql',
  'transform.union', 'transform.unpivot', 'transform.window'] as const;

/** The commands of the CLI (cli/help.ts lists the same; a test compares them). */
export const CLI_COMMANDS = ['run', 'validate', 'preview', 'sql', 'profile', 'connections', 'state', 'serve', 'doctor', 'clean', 'schedule', 'jobs', 'alerts', 'export'] as const;

/**
 * Names Caudal itself writes into messages, which a secret may be part of by chance: the password
 * `postgres` in the node type `source.postgres`, `caudal` in `caudal clean` or in a run's temp
 * folder. An appearance of a secret inside one of these (longer than the secret) is not the
 * secret echoed back, and hiding it would corrupt the node type, command or path and show readers
 * what the secret is (`source.***`).
 */
export const PRODUCT_NAMES: readonly RegExp[] = [
  new RegExp(`\\b(?:${NODE_TYPES.map((t) => t.replace('.', '\\.')).join('|')})\\b`, 'g'),
  new RegExp(`\\bcaudal (?:${CLI_COMMANDS.join('|')})\\b`, 'g'),
  /caudal-run-h[0-9a-f]{4}p\d+-/g,
  /\.caudal(?:-staging)?\//g,
  /\bcaudal\.(?:connections|project)\.json\b/g,
  /\bcaudal:(?:stage|staging|aside)\b/g,
];

/** Where the text holds a product name: [start, end) ranges. */
function productNames(text: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const re of PRODUCT_NAMES) for (const m of text.matchAll(re)) out.push([m.index, m.index + m[0].length]);
  return out;
}

/**
 * A text with every appearance of a secret replaced by `***`:
 * - a secret of 8 or more characters, wherever it occurs (also inside a longer word);
 * - a shorter secret, where it stands alone: the characters just before and after it are not
 *   letters, digits or `_` (or are the text's start or end). "password 1000 rejected",
 *   `user:t@host` and `"null"` are redacted; "10000 rows", "it's", "nullable" and "caudal_slot"
 *   are not;
 * - but not inside a name Caudal writes itself that is longer than the secret (`PRODUCT_NAMES`).
 * A character that is itself being replaced counts as a separator, so what remains never shows a
 * secret standing alone (with the secrets `a-` and `b`, `a-b` becomes `***`, not `a-***`).
 */
export function redactText(text: string, secrets: readonly string[]): string {
  const found = secrets.filter((s) => s.length > 0 && text.includes(s));
  const cut = cutPrefixes(text, secrets);
  if (found.length === 0 && cut.length === 0) return text;
  const hidden = new Uint8Array(text.length);
  const hide = (at: number, length: number) => hidden.fill(1, at, at + length);
  for (const c of cut) hide(c.at, c.length);
  const standalone: Array<{ at: number; length: number }> = [];
  const names = found.length > 0 ? productNames(text) : [];
  const inName = (at: number, length: number) => names.some(([from, to]) => from <= at && at + length <= to && to - from > length);
  for (const s of found) {
    for (let at = text.indexOf(s); at !== -1; at = text.indexOf(s, at + 1)) {
      if (inName(at, s.length)) continue;
      if (s.length >= REDACT_ANYWHERE_MIN) hide(at, s.length);
      else standalone.push({ at, length: s.length });
    }
  }
  // Until nothing changes: hiding one appearance can leave a neighbouring one standing alone.
  for (let changed = true; changed; ) {
    changed = false;
    for (const o of standalone) {
      if (hidden[o.at] && hidden[o.at + o.length - 1]) continue;
      if (!wordBefore(text, o.at, hidden) && !wordAfter(text, o.at + o.length, hidden)) {
        hide(o.at, o.length);
        changed = true;
      }
    }
  }
  let out = '';
  for (let i = 0; i < text.length; ) {
    if (!hidden[i]) {
      const next = hidden.indexOf(1, i);
      const stop = next === -1 ? text.length : next;
      out += text.slice(i, stop);
      i = stop;
    } else {
      out += REDACTED;
      while (i < text.length && hidden[i]) i++;
    }
  }
  return out;
}

/**
 * Where a text shows the start of a secret (its first `REDACT_ANYWHERE_MIN` characters or more,
 * not all of it) right where the text was cut: at its end, or before an ellipsis (`…`, `...`).
 * Text cut to a length before it reaches redaction (a driver's message, a line of a file) would
 * otherwise show most of a secret that straddled the cut.
 */
function cutPrefixes(text: string, secrets: readonly string[]): Array<{ at: number; length: number }> {
  const out: Array<{ at: number; length: number }> = [];
  for (const s of secrets) {
    if (s.length <= REDACT_ANYWHERE_MIN) continue;
    const head = s.slice(0, REDACT_ANYWHERE_MIN);
    for (let at = text.indexOf(head); at !== -1; at = text.indexOf(head, at + 1)) {
      let n = REDACT_ANYWHERE_MIN;
      while (n < s.length && at + n < text.length && text[at + n] === s[n]) n++;
      if (n === s.length) continue;
      const after = text.slice(at + n, at + n + 3);
      if (at + n === text.length || after.startsWith('…') || after === '...') out.push({ at, length: n });
    }
  }
  return out;
}

/**
 * Redacts, then cuts to at most `max` characters: a secret that straddles the cut is hidden
 * whole instead of showing its start. Only the part that can reach the cut is searched, so a
 * large body costs no more than its start.
 */
export function redactedSnippet(text: string, max: number, secrets: readonly string[]): string {
  const longest = secrets.reduce((m, s) => Math.max(m, s.length), 0);
  const head = text.length > max + longest ? text.slice(0, max + longest) : text;
  const redacted = redactText(head, secrets);
  return redacted.length > max ? redacted.slice(0, max) : redacted;
}

/**
 * The ways a secret travels and comes back: as is, percent-encoded (a URL), form-encoded (`+` for a
 * space), JSON-escaped and base64. A server that echoes a request back (the query string, a
 * header) shows one of these, not the secret as typed; every form is redacted like the secret.
 */
export function secretForms(secret: string): string[] {
  if (secret.length === 0) return [];
  const forms = new Set([
    secret,
    encodeURIComponent(secret),
    new URLSearchParams({ s: secret }).toString().slice(2),
    JSON.stringify(secret).slice(1, -1),
    Buffer.from(secret).toString('base64'),
  ]);
  return [...forms];
}

/** HTTP Basic credentials as sent in an Authorization header (RFC 7617): base64 of `user:password`. */
export function basicCredentials(user: string, password: string): string {
  return Buffer.from(`${user}:${password}`).toString('base64');
}

/**
 * Secrets that a connection's fields combine into on the wire: Basic credentials of a user and
 * password, and of an OAuth2 client (whose id and secret are percent-encoded first, RFC 6749 §2.3.1).
 * Their base64 hides the password from plain redaction, so these are redacted too.
 */
export function combinedSecrets(config: Record<string, unknown>): string[] {
  const text = (k: string) => (typeof config[k] === 'string' ? (config[k] as string) : undefined);
  const out: string[] = [];
  const user = text('username') ?? text('user');
  const password = text('password');
  if (password) out.push(basicCredentials(user ?? '', password));
  const clientId = text('client_id');
  const clientSecret = text('client_secret');
  if (clientSecret) out.push(basicCredentials(encodeURIComponent(clientId ?? ''), encodeURIComponent(clientSecret)));
  return out;
}

/** Whether a letter or digit ends just before `i` (a character being hidden is none). */
function wordBefore(text: string, i: number, hidden: Uint8Array): boolean {
  if (i === 0 || hidden[i - 1]) return false;
  const low = text.charCodeAt(i - 1);
  const start = low >= 0xdc00 && low <= 0xdfff && i >= 2 ? i - 2 : i - 1;
  return WORD_CHAR.test(String.fromCodePoint(text.codePointAt(start)!));
}

/** Whether a letter or digit starts at `i` (a character being hidden is none). */
function wordAfter(text: string, i: number, hidden: Uint8Array): boolean {
  if (i >= text.length || hidden[i]) return false;
  return WORD_CHAR.test(String.fromCodePoint(text.codePointAt(i)!));
}

/**
 * An error whose text cannot contain any of the given secrets (drivers sometimes echo connection
 * strings). Keeps the driver's message otherwise: it is what tells the user what to fix.
 */
export function redact(e: unknown, secrets: Array<string | undefined>): CaudalError {
  const message = redactText(errorMessage(e), secrets.filter((s): s is string => !!s));
  return e instanceof CaudalError ? new CaudalError(e.kind, message, { hint: e.hint && redactText(e.hint, secrets.filter((s): s is string => !!s)) }) : new CaudalError('io', message);
}
