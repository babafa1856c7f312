import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, sendJson } from './http-io.js';
import type { WebSocketGateway } from './websocket-gateway.js';

/** PostToConnection's payload limit. */
const MAX_POST_BYTES = 128 * 1024;

export const isManagementPath = (path: string): boolean => path.startsWith('/@connections/');

/**
 * The API Gateway management API (`@connections`) as the real SDK client calls it at
 * WS_CALLBACK_URL. Errors carry `x-amzn-ErrorType`, so the SDK raises GoneException (410)
 * and PayloadTooLargeException (413) like it does against AWS.
 */
export async function handleManagementRequest(
  gateway: WebSocketGateway,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<void> {
  const encodedId = path.slice('/@connections/'.length);
  let connectionId: string;
  try {
    connectionId = decodeURIComponent(encodedId);
  } catch {
    connectionId = encodedId;
  }
  const gone = () =>
    sendJson(res, 410, { message: `Connection ${connectionId} is gone` }, { 'x-amzn-ErrorType': 'GoneException' });

  switch (req.method) {
    case 'POST': {
      const data = await readBody(req, MAX_POST_BYTES);
      if (!data) {
        sendJson(
          res,
          413,
          { message: 'Message too long' },
          { 'x-amzn-ErrorType': 'PayloadTooLargeException', connection: 'close' },
        );
        return;
      }
      if (gateway.post(connectionId, data) === 'gone') return gone();
      res.writeHead(200, { 'content-length': 0 });
      res.end();
      return;
    }
    case 'GET': {
      const info = gateway.info(connectionId);
      if (!info) return gone();
      sendJson(res, 200, {
        ConnectedAt: new Date(info.connectedAt).toISOString(),
        Identity: { SourceIp: info.sourceIp, UserAgent: info.userAgent },
        LastActiveAt: new Date(info.lastActiveAt).toISOString(),
      });
      return;
    }
    case 'DELETE': {
      if (gateway.delete(connectionId) === 'gone') return gone();
      res.writeHead(204);
      res.end();
      return;
    }
    default:
      sendJson(res, 404, { message: 'Not Found' });
  }
}
