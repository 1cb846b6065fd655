import { REST_SECRETS, restFields } from '../../connections/rest/rest.connection.js';
import type { Connector } from '../connector.js';
import { testRest } from './test-connection.js';

/**
 * REST APIs: a connection type (base URL, headers, credentials) for source.rest and
 * transform.http_enrich, which read through connectors/http. Nothing to discover or write.
 */
export const restConnector: Connector<typeof restFields> = {
  type: 'rest',
  label: 'REST API',
  fields: restFields,
  secrets: REST_SECRETS,
  capabilities: { pushdown: false, upsert: false, incremental: true, transactional: false },
  discover: async () => [],
  test: testRest,
};
