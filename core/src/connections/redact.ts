import { CaudalError, errorMessage } from '../util/errors.js';

/**
 * An error whose text cannot contain any of the given secrets (drivers sometimes echo connection
 * strings). Keeps the driver's message otherwise: it is what tells the user what to fix.
 */
export function redact(e: unknown, secrets: Array<string | undefined>): CaudalError {
  let message = errorMessage(e);
  for (const s of secrets) if (s) message = message.split(s).join('***');
  return e instanceof CaudalError ? new CaudalError(e.kind, message, { hint: e.hint }) : new CaudalError('io', message);
}
