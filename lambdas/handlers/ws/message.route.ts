import { handleFrame } from '../../domain/messages.js';
import type { ChatEventPublisher, ChatStore, Clock, ConnectionGateway } from '../../domain/ports.js';
import { webSocketHandler } from '../../shared/websocket.js';
import { parseFrame } from './frames.js';

export interface MessageHandlerDeps {
  store: ChatStore;
  gateway: ConnectionGateway;
  events?: ChatEventPublisher;
  clock: Clock;
  maxMessageLength: number;
  maxMessagesPerRoom: number;
}

/** $default: the frame, its socket and its arrival time in; every answer goes out on the sockets. */
export const makeHandler = (deps: MessageHandlerDeps) =>
  webSocketHandler(async (event, logger, metrics) => {
    const { connectionId, requestTimeEpoch } = event.requestContext;
    await handleFrame(
      { ...deps, logger, metrics },
      { connectionId, frame: parseFrame(event.body), arrivedAtMs: requestTimeEpoch },
    );
  });
