import { scryptSync } from 'node:crypto';
import type { RestConfig } from '../../connections/rest/rest.connection.js';
import { basicCredentials, combinedSecrets, redactedSnippet, redactText, secretForms } from '../../connections/redact.js';
import { CaudalError } from '../../util/errors.js';

export interface OutgoingRequest {
  url: string;
  headers: Record<string, string>;
  params: Record<string, string>;
}

/** Fetches an OAuth2 token: the client's POST to the token URL, outside the API's auth. */
export type TokenFetcher = (url: string, form: Record<string, string>, headers: Record<string, string>) => Promise<{ status: number; body: string }>;

/**
 * Adds a connection's credentials to requests. OAuth2 client-credentials tokens are fetched on
 * first use, kept until shortly before they expire, and fetched again after a 401.
 */
export class Auth {
  private token?: { value: string; expiresAt: number };
  private fetching?: Promise<string>;
  private account?: string;

  constructor(
    private readonly config: RestConfig,
    private readonly fetchToken: TokenFetcher,
  ) {}

  get kind(): RestConfig['auth'] {
    return this.config.auth;
  }

  /**
   * Which account the requests are made as, for keys of cached answers: an answer fetched with one
   * API key must not be served to a connection switched to another account's key. Derived with
   * scrypt (once per connection and run) from the configured credentials, so a cache key never lets
   * a password be guessed back from it; a fetched OAuth2 token, which changes, is not part of it.
   */
  identity(): string {
    const c = this.config;
    this.account ??= scryptSync(JSON.stringify([c.auth, c.api_key_in, c.api_key_name, c.api_key, c.token, c.username, c.password, c.client_id, c.client_secret, c.token_url, c.scope]), 'caudal.http-cache.account/1', 16).toString('hex');
    return this.account;
  }

  /** Query params that carry credentials (for redaction and for cache keys that must not hold them). */
  get secretParams(): string[] {
    return this.config.auth === 'api_key' && this.config.api_key_in === 'query' ? [this.config.api_key_name] : [];
  }

  /** Header names that carry credentials. */
  get secretHeaders(): string[] {
    return this.config.auth === 'api_key' && this.config.api_key_in === 'header' ? [this.config.api_key_name.toLowerCase(), 'authorization'] : ['authorization'];
  }

  /**
   * Secret values known now, including a fetched OAuth2 token, in every form they travel in (a
   * server may echo the query string or the Basic header it got: percent-encoded, base64).
   */
  secrets(): string[] {
    const c = this.config;
    const raw = [c.api_key, c.token, c.password, c.client_secret, this.token?.value].filter((v): v is string => !!v);
    return [...new Set([...raw.flatMap(secretForms), ...combinedSecrets(c)])];
  }

  async apply(req: OutgoingRequest): Promise<void> {
    const c = this.config;
    const missing = (field: string) =>
      new CaudalError('usage', `the connection has authentication "${c.auth}" but no ${field}`, {
        hint: `store it with \`caudal connections add <name> --type rest ...\` (it is asked for) or set CAUDAL_SECRET_<CONNECTION>_${field.toUpperCase()}`,
      });
    switch (c.auth) {
      case 'none':
        return;
      case 'api_key':
        if (!c.api_key) throw missing('api_key');
        if (c.api_key_in === 'header') req.headers[c.api_key_name] = c.api_key;
        else req.params[c.api_key_name] = c.api_key;
        return;
      case 'bearer':
        if (!c.token) throw missing('token');
        req.headers.Authorization = `Bearer ${c.token}`;
        return;
      case 'basic':
        if (c.password === undefined) throw missing('password');
        req.headers.Authorization = `Basic ${basicCredentials(c.username ?? '', c.password)}`;
        return;
      case 'oauth2_client_credentials':
        if (!c.client_secret) throw missing('client_secret');
        req.headers.Authorization = `Bearer ${await this.accessToken()}`;
        return;
    }
  }

  /**
   * After a 401: forget the token the request was sent with (`sent`, its headers), so the next
   * attempt gets a new one. Requests in flight together share a token: when another one's 401 has
   * already replaced it, the current token stays. True when asking again may help.
   */
  invalidate(sent: Record<string, string>): boolean {
    if (this.config.auth !== 'oauth2_client_credentials') return false;
    if (this.token && sent.Authorization === `Bearer ${this.token.value}`) this.token = undefined;
    return true;
  }

  private accessToken(): Promise<string> {
    if (this.token && Date.now() < this.token.expiresAt) return Promise.resolve(this.token.value);
    // One fetch at a time: concurrent requests wait for the same token.
    this.fetching ??= this.fetchNewToken().finally(() => (this.fetching = undefined));
    return this.fetching;
  }

  private async fetchNewToken(): Promise<string> {
    const c = this.config;
    const form: Record<string, string> = { grant_type: 'client_credentials' };
    if (c.scope) form.scope = c.scope;
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (c.client_auth === 'basic') {
      headers.Authorization = `Basic ${basicCredentials(encodeURIComponent(c.client_id!), encodeURIComponent(c.client_secret!))}`;
    } else {
      form.client_id = c.client_id!;
      form.client_secret = c.client_secret!;
    }
    const res = await this.fetchToken(c.token_url!, form, headers);
    let body: { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown } = {};
    try {
      body = JSON.parse(res.body) as typeof body;
    } catch {
      // Reported below with the status.
    }
    if (res.status !== 200 || typeof body.access_token !== 'string') {
      const why = typeof body.error === 'string' ? `${body.error}${typeof body.error_description === 'string' ? `: ${body.error_description}` : ''}` : redactedSnippet(res.body, 200, this.secrets());
      // The token server may echo the credentials it got (the client secret, the Basic header):
      // redacted before the body is cut, so no part of one is shown.
      throw new CaudalError('io', redactText(`the OAuth2 token request to ${c.token_url} failed: HTTP ${res.status} ${why}`, this.secrets()), {
        hint: 'check the client id, the client secret and the token URL of the connection',
      });
    }
    const ttl = typeof body.expires_in === 'number' ? body.expires_in : Number(body.expires_in ?? 3600);
    // Renew a little early so a token does not expire between check and use.
    this.token = { value: body.access_token, expiresAt: Date.now() + Math.max(1, (Number.isFinite(ttl) ? ttl : 3600) - 30) * 1000 };
    return body.access_token;
  }
}
