import { describe, expect, it } from 'vitest';
import { restFields } from '../../connections/rest/rest.connection.js';
import { Auth } from './auth.js';
import { jsonPathRecords } from './json-path.js';
import { RequestLimiter } from './limiter.js';
import { backoffMs, DEFAULT_HTTP_RETRY, isRetryableStatus, retryAfterMs } from './retry-policy.js';
import { safeUrl } from './safe-url.js';
import { parseS3Url, selects } from '../s3/location.js';
import { globToRegExp } from '../../util/glob.js';
import { compareCursor } from '../rest/spool.js';

describe('safeUrl', () => {
  it('removes user info, credential-like query params, named params and secret values', () => {
    expect(safeUrl('https://u:p@api.x/a?api_key=abc123&q=ok&token=t1&Signature=zz')).toBe('https://api.x/a?api_key=***&q=ok&token=***&Signature=***');
    expect(safeUrl('https://api.x/a?custom=supersecret&x=1', [], ['custom'])).toBe('https://api.x/a?custom=***&x=1');
    expect(safeUrl('https://api.x/supersecret/b?v=supersecret', ['supersecret'])).toBe('https://api.x/***/b?v=***');
  });
});

describe('retry policy', () => {
  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(retryAfterMs('2')).toBe(2000);
    expect(retryAfterMs(new Date(Date.UTC(2030, 0, 1, 0, 0, 10)).toUTCString(), Date.UTC(2030, 0, 1))).toBe(10_000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(undefined)).toBeUndefined();
  });
  it('backs off exponentially with jitter, capped', () => {
    expect(backoffMs(1, DEFAULT_HTTP_RETRY, () => 0)).toBe(250);
    expect(backoffMs(1, DEFAULT_HTTP_RETRY, () => 1)).toBe(500);
    expect(backoffMs(3, DEFAULT_HTTP_RETRY, () => 1)).toBe(2000);
    expect(backoffMs(30, DEFAULT_HTTP_RETRY, () => 1)).toBe(DEFAULT_HTTP_RETRY.maxDelayMs);
  });
  it('retries 408, 429 and 5xx but not 501 or 4xx', () => {
    expect([408, 429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 404, 501].some(isRetryableStatus)).toBe(false);
  });
});

describe('RequestLimiter', () => {
  it('never runs more than its concurrency at once', async () => {
    const limiter = new RequestLimiter(2);
    let active = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 8 }, () =>
        limiter.run(async () => {
          peak = Math.max(peak, ++active);
          await new Promise((r) => setTimeout(r, 5));
          active--;
        }),
      ),
    );
    expect(peak).toBe(2);
  });
  it('starts nothing before a hold ends, queued calls included', async () => {
    const limiter = new RequestLimiter(1);
    const t0 = Date.now();
    limiter.holdUntil(t0 + 150);
    const started: number[] = [];
    await Promise.all([1, 2].map(() => limiter.run(async () => void started.push(Date.now() - t0))));
    expect(started.every((t) => t >= 145)).toBe(true);
    // A later, shorter hold does not cut an earlier one short.
    limiter.holdUntil(Date.now() + 100);
    limiter.holdUntil(Date.now() + 10);
    const t1 = Date.now();
    await limiter.run(async () => undefined);
    expect(Date.now() - t1).toBeGreaterThanOrEqual(95);
  });
});

describe('JSON paths for records', () => {
  it('takes the elements of one matched array, or every match', () => {
    const body = { data: { items: [{ id: 1 }, { id: 2 }] } };
    expect(jsonPathRecords(body, 'data.items')).toEqual([{ id: 1 }, { id: 2 }]);
    expect(jsonPathRecords(body, '$.data.items[*].id')).toEqual([1, 2]);
    expect(jsonPathRecords(body, 'nope')).toEqual([]);
  });
});

describe('incremental cursor order', () => {
  it('compares timestamps as instants, numbers as numbers', () => {
    expect(compareCursor('2025-01-01T10:00:00+02:00', '2025-01-01T09:00:00Z')).toBeLessThan(0);
    expect(compareCursor(10, 9)).toBeGreaterThan(0);
    expect(compareCursor('b', 'a')).toBeGreaterThan(0);
  });
});

describe('S3 locations', () => {
  it('follows DuckDB glob rules over keys', () => {
    const re = globToRegExp('sales/2025-*/*.parquet');
    expect(re.test('sales/2025-01/a.parquet')).toBe(true);
    expect(re.test('sales/2025-01/x/a.parquet')).toBe(false);
    expect(globToRegExp('sales/**/*.csv').test('sales/a/b/c.csv')).toBe(true);
    expect(globToRegExp('sales/**/*.csv').test('sales/c.csv')).toBe(true);
    expect(globToRegExp('f[0-9].csv').test('f7.csv')).toBe(true);
  });
  it('parses keys, prefixes and globs; prefix reads skip markers and hidden files', () => {
    expect(parseS3Url('s3://b/sales/', 'n')).toMatchObject({ bucket: 'b', kind: 'prefix', listPrefix: 'sales/' });
    expect(parseS3Url('s3://b/sales/2025-*/x.csv', 'n')).toMatchObject({ kind: 'glob', listPrefix: 'sales/2025-' });
    const loc = parseS3Url('s3://b/sales/', 'n');
    expect(['sales/a.csv', 'sales/_SUCCESS', 'sales/x/.part.crc', 'sales/dir/'].filter((k) => selects(loc, k))).toEqual(['sales/a.csv']);
    expect(() => parseS3Url('http://b/x', "node 'n'")).toThrow(/not an S3 URL/);
  });
});

describe('OAuth2 tokens after a 401', () => {
  const config = restFields.parse({ base_url: 'http://127.0.0.1:1', auth: 'oauth2_client_credentials', token_url: 'http://127.0.0.1:1/token', client_id: 'caudal', client_secret: 's3cret' });
  let issued = 0;
  const auth = new Auth(config, async () => ({ status: 200, body: JSON.stringify({ access_token: `t${++issued}`, expires_in: 3600 }) }));
  const send = async () => {
    const req = { url: 'http://127.0.0.1:1/x', headers: {} as Record<string, string>, params: {} };
    await auth.apply(req);
    return req.headers;
  };

  it('forgets the token a refused request was sent with; a later 401 for that old token keeps the new one', async () => {
    const a = await send();
    const b = await send();
    expect(a.Authorization).toBe('Bearer t1');
    // Both were in flight with t1 when it was revoked: the first 401 gets t2 ...
    expect(auth.invalidate(a)).toBe(true);
    expect((await send()).Authorization).toBe('Bearer t2');
    // ... and the second, still about t1, asks again with t2 instead of throwing t2 away.
    expect(auth.invalidate(b)).toBe(true);
    expect((await send()).Authorization).toBe('Bearer t2');
    expect(issued).toBe(2);
  });
});
