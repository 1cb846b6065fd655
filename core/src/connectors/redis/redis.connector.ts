import { redisConnection } from '../../connections/redis/redis.connection.js';
import type { Connector } from '../connector.js';
import { closeRedis, connectRedis, redisRecoveryTarget } from './client.js';
import { recoverRedisLoad } from './cleanup.js';
import { discoverRedis } from './discover.js';

/** Redis: a sink only (sink.redis writes through writeRedis). Loads are undoable until the run is over. */
export const redisConnector = {
  ...redisConnection,
  capabilities: { pushdown: false, upsert: true, incremental: false, transactional: true },
  discover: (config) => discoverRedis(config),
  recoveryTarget: redisRecoveryTarget,
  async recover(config, recovery, action) {
    const client = await connectRedis(config);
    try {
      await recoverRedisLoad(client, recovery, action);
    } finally {
      closeRedis(client);
    }
  },
} satisfies Connector<typeof redisConnection.fields>;
