import type { APIGatewayProxyResultV2, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { ChatError } from '../domain/errors.js';
import { loggerFor, type Logger } from './logger.js';

/** `$connect` also carries the handshake's query string and headers. */
export type WebSocketEvent = APIGatewayProxyWebsocketEventV2 & {
  queryStringParameters?: Record<string, string | undefined>;
  headers?: Record<string, string | undefined>;
};

type WebSocketRoute = (event: WebSocketEvent, logger: Logger) => Promise<void>;

/**
 * Wraps a WebSocket route. On `$connect` a non-2xx status refuses the handshake with that
 * status; typed errors map to their status, anything else to 500 without internals.
 */
export function webSocketHandler(route: WebSocketRoute) {
  return async (event: WebSocketEvent): Promise<APIGatewayProxyResultV2> => {
    const { connectionId, requestId, routeKey } = event.requestContext;
    const logger = loggerFor({ requestId, connectionId, route: routeKey });
    try {
      await route(event, logger);
      return { statusCode: 200 };
    } catch (error) {
      if (error instanceof ChatError) {
        logger.info('connection_refused', { status: error.status, reason: error.message });
        return { statusCode: error.status, body: error.message };
      }
      logger.error('route_failed', { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
      return { statusCode: 500, body: 'Internal server error' };
    }
  };
}
