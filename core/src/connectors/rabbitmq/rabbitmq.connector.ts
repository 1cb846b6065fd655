import { rabbitmqConnection } from '../../connections/rabbitmq/rabbitmq.connection.js';
import type { Connector } from '../connector.js';

/** RabbitMQ: the connection type; source.rabbitmq and sink.rabbitmq use consume.ts and publish.ts. */
export const rabbitmqConnector = {
  ...rabbitmqConnection,
  capabilities: { pushdown: false, upsert: false, incremental: true, transactional: false },
} satisfies Connector<typeof rabbitmqConnection.fields>;
