import type { ConnectionTestResult } from '../../connections/connection-type.js';
import type { RestConfig } from '../../connections/rest/rest.connection.js';
import { restClient, resolveUrl } from './client.js';

/** GET of the connection's test path with its credentials: any 2xx answer means it works. */
export async function testRest(config: RestConfig): Promise<ConnectionTestResult> {
  const client = restClient(config, { who: 'connection test', attempts: 2 });
  const t0 = performance.now();
  try {
    const url = resolveUrl(config, config.test_path || '', 'connection test');
    const res = await client.send({ method: 'GET', url });
    return { ok: true, serverVersion: `HTTP ${res.status}${res.headers.server ? ` (${res.headers.server})` : ''}`, latencyMs: Math.round(performance.now() - t0) };
  } finally {
    client.close();
  }
}
