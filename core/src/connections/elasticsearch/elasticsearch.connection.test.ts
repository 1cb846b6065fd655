import { describe, expect, it } from 'vitest';
import { elasticsearchFields } from './elasticsearch.connection.js';

describe('elasticsearch connection fields', () => {
  it('refuse a URL that carries a user or password (it would be stored in plain text, and in lock files)', () => {
    const r = elasticsearchFields.safeParse({ url: 'https://elastic:s3cret@search.internal:9200' });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]).toMatchObject({ path: ['url'], message: expect.stringMatching(/must not carry a user or password.*auth to "basic"/) });
    expect(JSON.stringify(r.error?.issues)).not.toContain('s3cret');
  });

  it('take a plain URL, with the credentials in their own fields', () => {
    expect(elasticsearchFields.parse({ url: 'https://search.internal:9200', auth: 'basic', username: 'elastic', password: 'x' })).toMatchObject({ url: 'https://search.internal:9200', auth: 'basic' });
  });
});
