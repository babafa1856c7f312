import { eventsFromEnv } from '../../config/events.js';
import { gatewayFromEnv } from '../../config/gateway.js';
import { maxMessageLengthFromEnv, maxMessagesPerRoomFromEnv } from '../../config/messages.js';
import { storeFromEnv } from '../../config/store.js';
import { systemClock } from '../../domain/deps.js';
import { handleFrame } from '../../domain/messages.js';
import { webSocketHandler } from '../../shared/websocket.js';

const deps = {
  store: storeFromEnv(),
  gateway: gatewayFromEnv(),
  events: eventsFromEnv(),
  clock: systemClock,
  maxMessageLength: maxMessageLengthFromEnv(),
  maxMessagesPerRoom: maxMessagesPerRoomFromEnv(),
};

export const handler = webSocketHandler(async (event, logger, metrics) => {
  const { connectionId, requestTimeEpoch } = event.requestContext;
  await handleFrame({ ...deps, logger, metrics }, { connectionId, body: event.body, arrivedAtMs: requestTimeEpoch });
});
