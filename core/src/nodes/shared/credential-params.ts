import { isSecretParam } from '../../connectors/http/safe-url.js';

/** Headers that carry credentials by their name alone. */
const CREDENTIAL_HEADER = /^(authorization|proxy-authorization|cookie|x-api-key|api-key|apikey|x-auth-token|x-access-token|x-token)$/i;

/**
 * Warnings for credentials written into a node's own headers or query params (the pipeline file,
 * or a pipeline param given on the command line): those are neither kept out of the file nor
 * redacted from run records. A value built from a row's columns (`{token}`) is data, not named here;
 * a pipeline param (`${token}`) is a plain value given on the command line, and named.
 */
export function credentialParamWarnings(who: string, headers: Record<string, string>, params: Record<string, string>): string[] {
  const where = 'credentials belong in a REST connection (auth bearer, api_key, basic or oauth2_client_credentials), whose secrets live in the OS keychain or in CAUDAL_SECRET_<CONNECTION>_<FIELD> and are redacted from every message and record';
  const plain = (v: string) => v.trim() !== '' && !/(^|[^$])\{[^{}]+\}/.test(v);
  const out: string[] = [];
  for (const [name, value] of Object.entries(headers))
    if (CREDENTIAL_HEADER.test(name) && plain(value)) out.push(`${who}: header '${name}' looks like a secret written into the pipeline (or passed as a param): it is kept in the file and shown unredacted; ${where}`);
  for (const [name, value] of Object.entries(params))
    if (isSecretParam(name) && plain(value)) out.push(`${who}: query param '${name}' looks like a secret written into the pipeline (or passed as a param): it is kept in the file and shown unredacted; ${where}`);
  return out;
}
