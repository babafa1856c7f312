import { storeFromEnv } from '../../config/store.js';
import { disconnect } from '../../domain/connections.js';
import { webSocketHandler } from '../../shared/websocket.js';

const store = storeFromEnv();

export const handler = webSocketHandler(async (event, logger) => {
  await disconnect({ store, logger }, event.requestContext.connectionId);
});
