import { eventsFromEnv } from '../../config/events.js';
import { gatewayFromEnv } from '../../config/gateway.js';
import { storeFromEnv } from '../../config/store.js';
import { systemClock } from '../../domain/deps.js';
import { DEFAULT_MAX_MESSAGE_LENGTH, handleFrame } from '../../domain/messages.js';
import { intEnv } from '../../shared/env.js';
import { webSocketHandler } from '../../shared/websocket.js';

const deps = {
  store: storeFromEnv(),
  gateway: gatewayFromEnv(),
  events: eventsFromEnv(),
  clock: systemClock,
  maxMessageLength: intEnv('MAX_MESSAGE_LENGTH', DEFAULT_MAX_MESSAGE_LENGTH, { min: 1, max: 30_000 }),
};

export const handler = webSocketHandler(async (event, logger) => {
  await handleFrame({ ...deps, logger }, { connectionId: event.requestContext.connectionId, body: event.body });
});
