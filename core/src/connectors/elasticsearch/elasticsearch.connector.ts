import { elasticsearchConnection } from '../../connections/elasticsearch/elasticsearch.connection.js';
import type { Connector } from '../connector.js';
import { elasticsearchClient, elasticsearchRecoveryTarget } from './client.js';
import { discoverElasticsearch } from './discover.js';
import { recoverElasticsearch } from './write.js';

/** Elasticsearch: a sink only (sink.elasticsearch writes through writeElasticsearch). */
export const elasticsearchConnector = {
  ...elasticsearchConnection,
  capabilities: { pushdown: false, upsert: true, incremental: false, transactional: true },
  async discover(config, scope) {
    const client = await elasticsearchClient(config);
    try {
      return await discoverElasticsearch(client, scope);
    } finally {
      await client.close().catch(() => undefined);
    }
  },
  recoveryTarget: elasticsearchRecoveryTarget,
  async recover(config, recovery, action) {
    const client = await elasticsearchClient(config);
    try {
      await recoverElasticsearch(client, recovery, action);
    } finally {
      await client.close().catch(() => undefined);
    }
  },
} satisfies Connector<typeof elasticsearchConnection.fields>;
