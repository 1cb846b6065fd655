import { CaudalError, errorMessage } from '../util/errors.js';

/**
 * Secrets of this many characters or more are replaced wherever they occur inside a text; shorter
 * ones only where they stand alone (see `redactText`), so a password such as `1000`, `null` or `t`
 * hides its own appearances without blanking out "10000 rows", "nullable" or every letter t.
 */
export const REDACT_ANYWHERE_MIN = 8;
export const REDACTED = '***';

const WORD_CHAR = /[\p{L}\p{N}]/u;

/**
 * A text with every appearance of a secret replaced by `***`:
 * - a secret of 8 or more characters, wherever it occurs (also inside a longer word);
 * - a shorter secret, where it stands alone: the characters just before and after it are not
 *   letters or digits (or are the text's start or end). "password 1000 rejected",
 *   `user:t@host` and `"null"` are redacted; "10000 rows", "it's" and "nullable" are not.
 * Longer secrets go first, so a secret that contains a shorter one is hidden whole.
 */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) {
    if (s.length === 0 || !out.includes(s)) continue;
    out = s.length >= REDACT_ANYWHERE_MIN ? out.split(s).join(REDACTED) : replaceStandalone(out, s);
  }
  return out;
}

function replaceStandalone(text: string, secret: string): string {
  let out = '';
  let from = 0;
  for (let at = text.indexOf(secret); at !== -1; ) {
    const before = text.codePointAt(at - 1 >= 0 && isLowSurrogate(text, at - 1) ? at - 2 : at - 1);
    const after = text.codePointAt(at + secret.length);
    const alone = !isWordChar(at > 0 ? before : undefined) && !isWordChar(after);
    if (alone) {
      out += text.slice(from, at) + REDACTED;
      from = at + secret.length;
      at = text.indexOf(secret, from);
    } else at = text.indexOf(secret, at + 1);
  }
  return out + text.slice(from);
}

const isLowSurrogate = (s: string, i: number) => {
  const c = s.charCodeAt(i);
  return c >= 0xdc00 && c <= 0xdfff;
};
const isWordChar = (cp: number | undefined) => cp !== undefined && WORD_CHAR.test(String.fromCodePoint(cp));

/**
 * An error whose text cannot contain any of the given secrets (drivers sometimes echo connection
 * strings). Keeps the driver's message otherwise: it is what tells the user what to fix.
 */
export function redact(e: unknown, secrets: Array<string | undefined>): CaudalError {
  const message = redactText(errorMessage(e), secrets.filter((s): s is string => !!s));
  return e instanceof CaudalError ? new CaudalError(e.kind, message, { hint: e.hint && redactText(e.hint, secrets.filter((s): s is string => !!s)) }) : new CaudalError('io', message);
}
