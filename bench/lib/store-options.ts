import type { DynamoChatStoreOptions } from '../../lambdas/adapters/dynamo-chat-store.js';
import { DEFAULT_MAX_MESSAGE_LENGTH } from '../../lambdas/domain/messages.js';

const DAY = 86_400;

/**
 * The store's settings as the deployed functions get them: the template's environment,
 * read with the fallbacks of lambdas/config/store.ts, so the bench measures what is deployed.
 */
export function storeOptionsFromTemplate(
  environment: Record<string, unknown>,
  tableName: string,
): Omit<DynamoChatStoreOptions, 'client'> & { maxMessageLength: number } {
  const int = (name: string, fallback: number) => {
    const raw = environment[name];
    return typeof raw === 'string' && raw !== '' ? Number(raw) : fallback;
  };
  const roomDays = int('ROOM_RETENTION_DAYS', 0);
  const messageDays = int('MESSAGE_RETENTION_DAYS', 0);
  return {
    tableName,
    retention: {
      roomSeconds: roomDays === 0 ? undefined : roomDays * DAY,
      messageSeconds: messageDays === 0 ? undefined : messageDays * DAY,
      connectionSeconds: int('CONNECTION_TTL_SECONDS', 3 * 3600),
    },
    limits: {
      messagesPerSecond: int('MESSAGES_PER_SECOND_PER_CONNECTION', 5),
      startsPerMinute: int('ROOM_STARTS_PER_MINUTE_PER_IP', 10),
    },
    maxMessageLength: int('MAX_MESSAGE_LENGTH', DEFAULT_MAX_MESSAGE_LENGTH),
  };
}
