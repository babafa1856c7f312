import { disconnect } from '../../domain/connections.js';
import type { ChatStore } from '../../domain/ports.js';
import { webSocketHandler } from '../../shared/websocket.js';

export interface DisconnectHandlerDeps {
  store: ChatStore;
}

/** $disconnect: the connection id in; nothing out. */
export const makeHandler = (deps: DisconnectHandlerDeps) =>
  webSocketHandler(async (event, logger) => {
    await disconnect({ ...deps, logger }, event.requestContext.connectionId);
  });
