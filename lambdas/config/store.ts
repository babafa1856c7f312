import { DynamoChatStore } from '../adapters/dynamo-chat-store.js';
import { intEnv, requireEnv } from '../shared/env.js';

const DAY = 86_400;

/** The DynamoDB store as configured by TABLE_NAME, the retention and the rate-limit settings. */
export function storeFromEnv(): DynamoChatStore {
  const roomDays = intEnv('ROOM_RETENTION_DAYS', 0, { min: 0, max: 36_500 });
  const messageDays = intEnv('MESSAGE_RETENTION_DAYS', 0, { min: 0, max: 36_500 });
  return new DynamoChatStore({
    tableName: requireEnv('TABLE_NAME'),
    retention: {
      roomSeconds: roomDays === 0 ? undefined : roomDays * DAY,
      messageSeconds: messageDays === 0 ? undefined : messageDays * DAY,
      // API Gateway ends every WebSocket after 2 hours; the row outlives it a little.
      connectionSeconds: intEnv('CONNECTION_TTL_SECONDS', 3 * 3600, { min: 60, max: 7 * DAY }),
    },
    limits: {
      messagesPerSecond: intEnv('MESSAGES_PER_SECOND_PER_CONNECTION', 5, { min: 0, max: 50 }),
      // At most 100: the sliding window writes one attribute per admitted start in one
      // UpdateExpression, and past ~115 that expression exceeds DynamoDB's 4 KB limit.
      startsPerMinute: intEnv('ROOM_STARTS_PER_MINUTE_PER_IP', 10, { min: 0, max: 100 }),
    },
  });
}
