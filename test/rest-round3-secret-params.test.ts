import { describe, expect, it } from 'vitest';
import { isSecretParam, safeUrl } from '../core/src/connectors/http/safe-url.js';
import { credentialParamWarnings } from '../core/src/nodes/shared/credential-params.js';

describe('query params that carry credentials by their name', () => {
  it('are redacted from URLs in messages and records: common API key and token names, in any spelling', () => {
    const secret = ['appid', 'private_token', 'api_key', 'apiKey', 'X-Api-Key', 'access_token', 'auth_token', 'oauth_token', 'client_secret', 'clientSecret', 'password', 'db_password', 'X-Amz-Signature', 'sig', 'key', 'access_key', 'sessionid', 'token'];
    for (const name of secret) expect([name, isSecretParam(name)]).toEqual([name, true]);
    expect(safeUrl('https://api.openweathermap.org/data/2.5/weather?q=Madrid&appid=0123456789abcdef')).toBe('https://api.openweathermap.org/data/2.5/weather?q=Madrid&appid=***');
    expect(safeUrl('https://gitlab.example.com/api/v4/projects?private_token=glpat-XXXX&per_page=100')).toBe('https://gitlab.example.com/api/v4/projects?private_token=***&per_page=100');
  });

  it('leave harmless params alone: words that merely contain one, and paging tokens', () => {
    const harmless = ['q', 'keyword', 'keywords', 'author', 'monkey', 'page', 'per_page', 'sort', 'page_token', 'pageToken', 'nextPageToken', 'sync_token', 'cursor', 'offset', 'limit', 'fields', 'signed', 'authority'];
    for (const name of harmless) expect([name, isSecretParam(name)]).toEqual([name, false]);
    expect(safeUrl('https://api.x/search?keyword=caudal&pageToken=abc&author=me')).toBe('https://api.x/search?keyword=caudal&pageToken=abc&author=me');
  });

  it("a node's own params with such names are warned about", () => {
    expect(credentialParamWarnings("node 'w'", {}, { appid: 'abc123', q: 'Madrid' })).toEqual([
      "node 'w': query param 'appid' looks like a secret written into the pipeline (or passed as a param): it is kept in the file and shown unredacted; credentials belong in a REST connection (auth bearer, api_key, basic or oauth2_client_credentials), whose secrets live in the OS keychain or in CAUDAL_SECRET_<CONNECTION>_<FIELD> and are redacted from every message and record",
    ]);
  });
});
