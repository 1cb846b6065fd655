/** Query params whose values are credentials by their name alone. */
export const SECRET_PARAM = /^(api[-_]?key|apikey|key|token|access[-_]?token|auth|secret|client[-_]?secret|password|pwd|signature|sig)$/i;

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
      if (SECRET_PARAM.test(k) || names.has(k.toLowerCase()) || secrets.includes(v)) u.searchParams.set(k, '***');
    }
    // URLSearchParams encodes the asterisks; keep them readable.
    out = u.toString().replaceAll('%2A%2A%2A', '***');
  } catch {
    // Not a URL: only the value search below applies.
  }
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('***').split(encodeURIComponent(s)).join('***');
  return out;
}
