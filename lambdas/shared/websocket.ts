import type { APIGatewayProxyResultV2, APIGatewayProxyWebsocketEventV2, Context } from 'aws-lambda';
import { invocationMetrics } from '../adapters/powertools-metrics.js';
import { ChatError } from '../domain/errors.js';
import type { ChatMetrics } from '../domain/ports.js';
import { describeError } from './errors.js';
import { loggerFor, type Logger } from './logger.js';

/** `$connect` also carries the handshake's query string and headers. */
export type WebSocketEvent = APIGatewayProxyWebsocketEventV2 & {
  queryStringParameters?: Record<string, string | undefined>;
  headers?: Record<string, string | undefined>;
};

/** `metrics` is flushed once when the invocation ends, whatever its outcome. */
type WebSocketRoute = (event: WebSocketEvent, logger: Logger, metrics: ChatMetrics) => Promise<void>;

/**
 * Wraps a WebSocket route. On `$connect` a non-2xx status refuses the handshake with that
 * status; typed errors map to their status, anything else to 500 without internals.
 */
export function webSocketHandler(route: WebSocketRoute) {
  return async (event: WebSocketEvent, context?: Context): Promise<APIGatewayProxyResultV2> => {
    const { connectionId, requestId, routeKey } = event.requestContext;
    const logger = loggerFor({ requestId, connectionId, route: routeKey }, context);
    const metrics = invocationMetrics();
    try {
      await route(event, logger, metrics);
      return { statusCode: 200 };
    } catch (error) {
      if (error instanceof ChatError) {
        logger.info('connection_refused', { status: error.status, reason: error.message });
        return { statusCode: error.status, body: error.message };
      }
      logger.error('route_failed', { error: describeError(error) });
      return { statusCode: 500, body: 'Internal server error' };
    } finally {
      metrics.flush();
    }
  };
}
