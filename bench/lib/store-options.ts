import type { DynamoChatStoreOptions } from '../../lambdas/adapters/dynamo-chat-store.js';
import { maxMessageLengthFromEnv, maxMessagesPerRoomFromEnv } from '../../lambdas/config/messages.js';
import { storeOptionsFromEnv } from '../../lambdas/config/store.js';
import { environmentOf } from '../../lambdas/config/settings-contract.js';

/**
 * The store's settings as the deployed functions get them: the template's environment read
 * by the functions' own configuration code, so the bench measures what is deployed.
 */
export function storeOptionsFromTemplate(
  environment: Record<string, unknown>,
  tableName: string,
): Omit<DynamoChatStoreOptions, 'client'> & { maxMessageLength: number; maxMessagesPerRoom: number } {
  // Intrinsics (the table's Ref, the APIs' URLs) have no value here; literals are settings.
  const literals = Object.fromEntries(
    Object.entries(environment).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
  const env = { ...literals, ...environmentOf({ tableName }) };
  return {
    ...storeOptionsFromEnv(env),
    maxMessageLength: maxMessageLengthFromEnv(env),
    maxMessagesPerRoom: maxMessagesPerRoomFromEnv(env),
  };
}
