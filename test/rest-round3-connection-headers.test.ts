import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { restFields } from '../core/src/connections/rest/rest.connection.js';
import { ConnectionService } from '../core/src/connections/service.js';
import { MemoryStore } from './support/memory-store.js';
import { tempDir } from './support/pipeline.js';

/**
 * A REST connection's plain `headers` go to the connections file and back to the studio in plain
 * text: credentials there are refused, as a user:password@ in a URL is, with where they belong.
 */
describe('REST connections: credentials in plain headers', () => {
  it('are refused on add, naming the header and the secret fields to use instead', async () => {
    const secrets = new MemoryStore();
    const dir = await tempDir();
    const service = new ConnectionService({ stores: [secrets], writeStore: secrets, env: { CAUDAL_CONFIG_DIR: dir } });
    for (const header of ['Authorization', 'X-Api-Key', 'Cookie', 'X-Auth-Token', 'Ocp-Apim-Subscription-Key', 'private-token']) {
      await expect(service.add('api', 'rest', { base_url: 'https://api.example.com', headers: { [header]: 'Bearer abc123' } }, {})).rejects.toThrow(
        `connection 'api': field 'headers.${header}': header '${header}' carries credentials, and the connections file holds no secrets: remove it and use the connection's secret fields, kept in the OS keychain`,
      );
    }
    expect(secrets.values.size).toBe(0);
  });

  it('harmless headers stay allowed', () => {
    expect(restFields.safeParse({ base_url: 'https://api.example.com', headers: { Accept: 'application/json', 'X-Client': 'caudal', 'Accept-Language': 'es', 'If-None-Match': 'x' } }).success).toBe(true);
  });

  it('an existing connections file with such a header is refused when the connection is used, saying how to move the value', async () => {
    const secrets = new MemoryStore();
    const dir = await tempDir();
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'connections.json'), JSON.stringify({ format: 'caudal.connections/1', connections: { api: { type: 'rest', base_url: 'https://api.example.com', headers: { Authorization: 'Bearer abc123' } } } }));
    const service = new ConnectionService({ stores: [secrets], writeStore: secrets, env: { CAUDAL_CONFIG_DIR: dir } });
    const err = await service.resolve('api').then(
      () => undefined,
      (e: unknown) => e as Error & { hint?: string },
    );
    expect(err?.message).toMatch(/^connection 'api' in .*: field 'headers\.Authorization': header 'Authorization' carries credentials, .*auth bearer with token for "Authorization: Bearer …"/);
    expect(err?.message).not.toContain('abc123');
  });
});
