/** Words of a param name that make its value a credential (`api_key`, `private_token`, `clientSecret`, `X-Amz-Signature`). */
const SECRET_WORDS = new Set(['key', 'apikey', 'token', 'secret', 'password', 'passwd', 'pwd', 'passphrase', 'signature', 'sig', 'auth', 'credential', 'credentials', 'appid', 'sessionid']);
/** Tokens that are positions, not credentials (`page_token`, `nextPageToken`, `sync_token`). */
const POSITION_WORDS = new Set(['page', 'next', 'continuation', 'sync', 'cursor', 'prev', 'previous', 'resume']);

/**
 * Whether a query param's value is a credential by its name alone: a name with one of the words
 * above (split at `-`, `_`, `.` and camelCase: `api_key`, `apiKey`, `X-Api-Key`, `private_token`,
 * `appid` as OpenWeather names its key), but not a word that merely contains one (`keyword`,
 * `author`, `monkey`) nor a paging token (`page_token`, `nextPageToken`).
 */
export function isSecretParam(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '');
  if (!words.some((w) => SECRET_WORDS.has(w))) return false;
  return !(words.includes('token') && words.some((w) => POSITION_WORDS.has(w)));
}

/** Query params whose values are credentials by their name alone (isSecretParam, as a test). */
export const SECRET_PARAM: Pick<RegExp, 'test'> = { test: isSecretParam };

/**
 * A URL fit for messages and logs: user info dropped, values of credential-like query params
 * (by name, or named in `secretParams`) and any occurrence of a secret value replaced by `***`.
 */
export function safeUrl(url: string, secrets: readonly string[] = [], secretParams: readonly string[] = []): string {
  let out = url;
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    const names = new Set(secretParams.map((n) => n.toLowerCase()));
    for (const [k, v] of [...u.searchParams.entries()]) {
      if (isSecretParam(k) || names.has(k.toLowerCase()) || secrets.includes(v)) u.searchParams.set(k, '***');
    }
    // URLSearchParams encodes the asterisks; keep them readable.
    out = u.toString().replaceAll('%2A%2A%2A', '***');
  } catch {
    // Not a URL: only the value search below applies.
  }
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('***').split(encodeURIComponent(s)).join('***');
  return out;
}
