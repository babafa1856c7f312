import { DynamoChatStore, type DynamoChatStoreOptions } from '../adapters/dynamo-chat-store.js';
import { intEnv, requireEnv, type Environment } from './env.js';

const DAY = 86_400;

/** The DynamoDB store as configured by the table name, the retention and the rate-limit settings. */
export const storeFromEnv = (): DynamoChatStore => new DynamoChatStore(storeOptionsFromEnv());

/** The store's settings from an environment (the process's, or a template's in the benchmarks). */
export function storeOptionsFromEnv(env?: Environment): DynamoChatStoreOptions {
  const roomDays = intEnv('roomRetentionDays', env);
  const messageDays = intEnv('messageRetentionDays', env);
  return {
    tableName: requireEnv('tableName', env),
    retention: {
      roomSeconds: roomDays === 0 ? undefined : roomDays * DAY,
      messageSeconds: messageDays === 0 ? undefined : messageDays * DAY,
      connectionSeconds: intEnv('connectionTtlSeconds', env),
    },
    limits: {
      messagesPerSecond: intEnv('messagesPerSecondPerConnection', env),
      startsPerMinute: intEnv('roomStartsPerMinutePerIp', env),
      startsPerHourPerOwner: intEnv('roomStartsPerHourPerOwner', env),
    },
  };
}
