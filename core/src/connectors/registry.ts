import type { Connector } from './connector.js';
import { postgresConnector } from './postgres/postgres.connector.js';
import { kafkaConnector } from './kafka/kafka.connector.js';
import { rabbitmqConnector } from './rabbitmq/rabbitmq.connector.js';
import { restConnector } from './rest/rest.connector.js';
import { s3Connector } from './s3/s3.connector.js';
import { redisConnector } from './redis/redis.connector.js';
import { sqlserverConnector } from './sqlserver/sqlserver.connector.js';
import { elasticsearchConnector } from './elasticsearch/elasticsearch.connector.js';

/** THE list of connectors, like nodes/index.ts for node types; connection types derive from it. */
export const connectors: readonly Connector[] = [postgresConnector, sqlserverConnector, redisConnector, elasticsearchConnector, kafkaConnector, rabbitmqConnector, restConnector, s3Connector] as unknown as Connector[];

export function getConnector(type: string): Connector | undefined {
  return connectors.find((c) => c.type === type);
}
