import type { ClientOptions } from '@elastic/elasticsearch';
import { z } from 'zod';
import { defineConnectionType } from '../connection-type.js';
import { redact } from '../redact.js';

export const elasticsearchFields = z
  .object({
    url: z
      .string()
      .url()
      // The URL is stored as written (connections file, lock files): a password in it would be too.
      .refine((u) => !URL.canParse(u) || (new URL(u).username === '' && new URL(u).password === ''), {
        message: 'the URL must not carry a user or password (it is stored in plain text): set auth to "basic" with User and Password (kept in the keychain), or use an API key',
      })
      .default('http://localhost:9200')
      .meta({ label: 'URL', help: 'The cluster\'s HTTP address, e.g. https://search.internal:9200 (no user or password in it: see Authentication).' }),
    auth: z.enum(['none', 'basic', 'api_key']).default('none').meta({ label: 'Authentication', help: 'basic: user and password. api_key: an API key (its encoded form).', widget: 'select' }),
    username: z.string().min(1).optional().meta({ label: 'User', help: 'basic only.' }),
    password: z.string().optional().meta({ label: 'Password', widget: 'text', help: 'basic only. Stored in the OS keychain, never in files.' }),
    api_key: z.string().optional().meta({ label: 'API key', widget: 'text', help: 'api_key only. Stored in the OS keychain, never in files.' }),
    tls_verify: z.boolean().default(true).meta({ label: 'Check the certificate', help: 'Off: accept a self-signed certificate (local clusters).', widget: 'boolean' }),
    request_timeout_s: z.int().positive().default(60).meta({ label: 'Request timeout (s)' }),
  })
  .strict();

export type ElasticsearchConfig = z.infer<typeof elasticsearchFields>;

/** Client options for a connection. `Connection` lets tests put the official mock in place of HTTP. */
export function elasticsearchClientOptions(c: ElasticsearchConfig, extra: Partial<ClientOptions> = {}): ClientOptions {
  return {
    node: c.url,
    ...(c.auth === 'basic' ? { auth: { username: c.username ?? '', password: c.password ?? '' } } : c.auth === 'api_key' ? { auth: { apiKey: c.api_key ?? '' } } : {}),
    tls: { rejectUnauthorized: c.tls_verify },
    requestTimeout: c.request_timeout_s * 1000,
    maxRetries: 3,
    name: 'caudal',
    ...extra,
  };
}

export const elasticsearchConnection = defineConnectionType({
  type: 'elasticsearch',
  label: 'Elasticsearch',
  fields: elasticsearchFields,
  secrets: ['password', 'api_key'],
  async test(config) {
    const { Client } = await import('@elastic/elasticsearch');
    const client = new Client(elasticsearchClientOptions(config));
    const t0 = performance.now();
    try {
      const info = await client.info();
      return { ok: true, serverVersion: `Elasticsearch ${info.version.number}`, latencyMs: Math.round(performance.now() - t0) };
    } catch (e) {
      throw redact(e, [config.password, config.api_key]);
    } finally {
      await client.close().catch(() => undefined);
    }
  },
});
