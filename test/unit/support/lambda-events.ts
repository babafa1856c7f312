import type { HttpEvent } from '../../../lambdas/shared/http.js';
import type { WebSocketEvent } from '../../../lambdas/shared/websocket.js';

export interface HttpEventInput {
  method: string;
  path: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  body?: string;
  isBase64Encoded?: boolean;
  sourceIp?: string;
}

/** An API Gateway HTTP API event, payload format 2.0. */
export function httpEvent(input: HttpEventInput): HttpEvent {
  const rawQueryString = new URLSearchParams(input.query ?? {}).toString();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: input.path,
    rawQueryString,
    headers: { host: 'carinfopro.uz', 'user-agent': 'vitest', ...input.headers },
    ...(input.query ? { queryStringParameters: input.query } : {}),
    ...(input.body !== undefined ? { body: input.body } : {}),
    isBase64Encoded: input.isBase64Encoded ?? false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api123',
      domainName: 'carinfopro.uz',
      domainPrefix: 'carinfopro',
      http: {
        method: input.method,
        path: input.path,
        protocol: 'HTTP/1.1',
        sourceIp: input.sourceIp ?? '203.0.113.7',
        userAgent: 'vitest',
      },
      requestId: 'req-1',
      routeKey: '$default',
      stage: '$default',
      time: '05/Feb/2026:11:00:00 +0000',
      timeEpoch: 1_770_289_200_000,
    },
  };
}

export interface WebSocketEventInput {
  routeKey: '$connect' | '$disconnect' | '$default';
  connectionId?: string;
  query?: Record<string, string>;
  body?: string;
  connectedAt?: number;
}

/** An API Gateway WebSocket API event as a Lambda proxy integration receives it. */
export function webSocketEvent(input: WebSocketEventInput): WebSocketEvent {
  const eventType =
    input.routeKey === '$connect' ? 'CONNECT' : input.routeKey === '$disconnect' ? 'DISCONNECT' : 'MESSAGE';
  return {
    ...(input.query ? { queryStringParameters: input.query } : {}),
    ...(input.body !== undefined ? { body: input.body } : {}),
    isBase64Encoded: false,
    requestContext: {
      routeKey: input.routeKey,
      eventType,
      extendedRequestId: 'ext-1',
      requestTimeEpoch: 1_770_289_200_000,
      messageDirection: 'IN',
      stage: 'prod',
      requestId: 'req-1',
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      apiId: 'abc123',
      connectionId: input.connectionId ?? 'conn-1',
      connectedAt: input.connectedAt ?? 1_770_289_200_000,
      ...(eventType === 'MESSAGE' ? { messageId: 'msg-1' } : {}),
    } as WebSocketEvent['requestContext'],
  };
}

/** The JSON body of an HTTP result. */
export const jsonBody = (result: { body?: string }): unknown => JSON.parse(result.body ?? 'null');
