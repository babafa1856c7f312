import { DynamoChatStore, type DynamoChatStoreOptions } from '../adapters/dynamo-chat-store.js';
import { intEnv, requireEnv, type Environment } from '../shared/env.js';

const DAY = 86_400;

/** The DynamoDB store as configured by TABLE_NAME, the retention and the rate-limit settings. */
export const storeFromEnv = (): DynamoChatStore => new DynamoChatStore(storeOptionsFromEnv());

/** The store's settings from an environment (the process's, or a template's in the benchmarks). */
export function storeOptionsFromEnv(env: Environment = process.env): DynamoChatStoreOptions {
  const int = (name: string, fallback: number, max: number, min = 0) => intEnv(name, fallback, { min, max }, env);
  const roomDays = int('ROOM_RETENTION_DAYS', 0, 36_500);
  const messageDays = int('MESSAGE_RETENTION_DAYS', 0, 36_500);
  return {
    tableName: requireEnv('TABLE_NAME', env),
    retention: {
      roomSeconds: roomDays === 0 ? undefined : roomDays * DAY,
      messageSeconds: messageDays === 0 ? undefined : messageDays * DAY,
      // API Gateway ends every WebSocket after 2 hours; the row outlives it a little.
      connectionSeconds: int('CONNECTION_TTL_SECONDS', 3 * 3600, 7 * DAY, 60),
    },
    limits: {
      messagesPerSecond: int('MESSAGES_PER_SECOND_PER_CONNECTION', 5, 50),
      // At most 100: the sliding window writes one attribute per admitted start in one
      // UpdateExpression, and past ~115 that expression exceeds DynamoDB's 4 KB limit.
      startsPerMinute: int('ROOM_STARTS_PER_MINUTE_PER_IP', 10, 100),
      startsPerHourPerOwner: int('ROOM_STARTS_PER_HOUR_PER_OWNER', 30, 100),
    },
  };
}
