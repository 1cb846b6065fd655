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
  // warning: keys an undo left because they were written since, for recovery to report with the
  // undo (`lost` is never: a Redis load is not lost by itself).
  async recover(config, recovery, action): Promise<{ warning?: string } | undefined> {
    const client = await connectRedis(config);
    try {
      const warning = await recoverRedisLoad(client, recovery, action);
      return warning ? { warning } : undefined;
    } finally {
      closeRedis(client);
    }
  },
} satisfies Connector<typeof redisConnection.fields>;
