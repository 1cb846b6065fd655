import { z } from 'zod';

/**
 * A REST API: its base URL, default headers and how to authenticate. Secrets (API key, token,
 * password, client secret) live only in a SecretStore; everything else in the connections file.
 */
export const restFields = z
  .object({
    base_url: z.url({ protocol: /^https?$/ }).meta({ label: 'Base URL', help: 'e.g. https://api.example.com/v2; node paths are appended to it.' }),
    auth: z.enum(['none', 'api_key', 'bearer', 'basic', 'oauth2_client_credentials']).default('none').meta({
      label: 'Authentication',
      help: 'api_key: a key in a header or query param. bearer: a fixed token. basic: user and password. oauth2_client_credentials: a token fetched from the token URL with the client id and secret, cached until it expires.',
      widget: 'select',
    }),
    api_key_name: z.string().min(1).default('X-API-Key').meta({ label: 'API key name', help: 'The header or query param that carries the key.', group: 'API key' }),
    api_key_in: z.enum(['header', 'query']).default('header').meta({ label: 'API key goes in', widget: 'select', group: 'API key' }),
    api_key: z.string().optional().meta({ label: 'API key', help: 'Stored in the OS keychain, never in files.', group: 'API key' }),
    token: z.string().optional().meta({ label: 'Bearer token', help: 'Stored in the OS keychain, never in files.', group: 'Bearer' }),
    username: z.string().optional().meta({ label: 'User', group: 'Basic' }),
    password: z.string().optional().meta({ label: 'Password', help: 'Stored in the OS keychain, never in files.', group: 'Basic' }),
    token_url: z.url({ protocol: /^https?$/ }).optional().meta({ label: 'Token URL', help: 'OAuth2 token endpoint (client credentials grant).', group: 'OAuth2' }),
    client_id: z.string().optional().meta({ label: 'Client id', group: 'OAuth2' }),
    client_secret: z.string().optional().meta({ label: 'Client secret', help: 'Stored in the OS keychain, never in files.', group: 'OAuth2' }),
    client_auth: z.enum(['basic', 'body']).default('basic').meta({ label: 'Client authentication', help: 'basic: client id and secret in an HTTP Basic header (RFC 6749 default). body: as form fields.', widget: 'select', group: 'OAuth2' }),
    scope: z.string().optional().meta({ label: 'Scope', help: 'Space-separated scopes to ask for (optional).', group: 'OAuth2' }),
    headers: z.record(z.string(), z.string()).default({}).meta({ label: 'Headers', help: 'Sent with every request. No secrets here (Authorization, Cookie, a key or token header are refused): use the fields above, kept in the OS keychain.', widget: 'key-value' }),
    timeout_s: z.number().positive().max(3600).default(30).meta({ label: 'Timeout (s)', help: 'Per request, from connect to the last byte.' }),
    test_path: z.string().default('').meta({ label: 'Test path', help: 'What "Test connection" requests (GET), relative to the base URL.' }),
  })
  .strict()
  .superRefine((c, ctx) => {
    // The connections file holds no secrets (it is listed, shown in the studio, safe to commit):
    // a token in a plain header went there, and back to the renderer, in plain text.
    for (const name of Object.keys(c.headers)) {
      if (!credentialHeader(name)) continue;
      ctx.addIssue({
        code: 'custom',
        path: ['headers', name],
        message: `header '${name}' carries credentials, and the connections file holds no secrets: remove it and use the connection's secret fields, kept in the OS keychain (or CAUDAL_SECRET_<CONNECTION>_<FIELD>): auth bearer with token for "Authorization: Bearer …", auth api_key with api_key_name '${name}' and api_key for a key header, auth basic with username and password`,
      });
    }
    if (c.auth === 'basic' && !c.username) ctx.addIssue({ code: 'custom', path: ['username'], message: 'basic authentication needs a user' });
    if (c.auth === 'oauth2_client_credentials') {
      if (!c.token_url) ctx.addIssue({ code: 'custom', path: ['token_url'], message: 'OAuth2 client credentials need a token URL' });
      if (!c.client_id) ctx.addIssue({ code: 'custom', path: ['client_id'], message: 'OAuth2 client credentials need a client id' });
    }
  });

export type RestConfig = z.infer<typeof restFields>;

/** Words of a header name that say it carries credentials (`X-Api-Key`, `X-Auth-Token`, `Ocp-Apim-Subscription-Key`). */
const CREDENTIAL_WORDS = new Set(['authorization', 'cookie', 'auth', 'token', 'secret', 'key', 'apikey', 'password', 'passwd', 'signature', 'credential', 'credentials', 'session']);

/**
 * Whether a header of a REST connection's plain `headers` would carry credentials by its name:
 * Authorization, Proxy-Authorization, Cookie, or a name with a word such as key, token, secret,
 * password or auth.
 */
export function credentialHeader(name: string): boolean {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .some((w) => CREDENTIAL_WORDS.has(w));
}

/** The secret values of a configuration, for redaction. */
export function restSecretValues(c: RestConfig): string[] {
  return [c.api_key, c.token, c.password, c.client_secret].filter((v): v is string => !!v);
}

export const REST_SECRETS = ['api_key', 'token', 'password', 'client_secret'] as const;
