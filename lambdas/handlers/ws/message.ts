import { eventsFromEnv } from '../../config/events.js';
import { gatewayFromEnv } from '../../config/gateway.js';
import { maxMessageLengthFromEnv, maxMessagesPerRoomFromEnv } from '../../config/messages.js';
import { storeFromEnv } from '../../config/store.js';
import { systemClock } from '../../domain/deps.js';
import { makeHandler } from './message.route.js';

export { makeHandler };

/** The deployed entry point (CDK `handler: 'handler'`): dependencies from the environment, once per cold start. */
export const handler = makeHandler({
  store: storeFromEnv(),
  gateway: gatewayFromEnv(),
  events: eventsFromEnv(),
  clock: systemClock,
  maxMessageLength: maxMessageLengthFromEnv(),
  maxMessagesPerRoom: maxMessagesPerRoomFromEnv(),
});
