import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleAwsApiRequest, isAwsApiRequest, type AwsStubOptions } from './aws-stubs.js';
import { LocalStackError } from './errors.js';
import { hostCheck } from './host-check.js';
import { sendJson } from './http-io.js';
import { handleManagementRequest, isManagementPath } from './management-api.js';
import type { WebSocketGateway } from './websocket-gateway.js';

/**
 * The AWS side of the local stack: the Secrets Manager and EventBridge stubs and the
 * management API (`@connections`), which only the functions call. Never on the client port:
 * Secrets Manager answers the owner-token signing key, so a client that reached it could
 * forge tokens. This server listens on 127.0.0.1 only, on a port of its own, and answers
 * only under a path prefix made of a random per-run secret. The functions reach it through
 * the unchanged SDK clients: AWS_ENDPOINT_URL_* and WS_CALLBACK_URL are
 * `http://127.0.0.1:<port>/<secret>`, and the SDK keeps an endpoint's path.
 */
export interface ServicesServer {
  /** `http://127.0.0.1:<port>/<secret>`: the endpoint of every service here. A secret: never print it. */
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface ServicesServerOptions {
  stubs: AwsStubOptions;
  /** The WebSocket gateway once it exists; the management API answers 503 before. */
  webSockets: () => WebSocketGateway | undefined;
  /** 0 (default) picks a free port. */
  port?: number;
  /** The path prefix; a random one unless given (the bench chains a proxy in front). */
  secret?: string;
  log: (line: string) => void;
}

const LOOPBACK = '127.0.0.1';

export const newServicesSecret = (): string => randomBytes(24).toString('base64url');

export async function startServicesServer(options: ServicesServerOptions): Promise<ServicesServer> {
  const secret = options.secret ?? newServicesSecret();
  if (!/^[\w-]{16,}$/.test(secret))
    throw new LocalStackError('The services secret must be 16 or more letters, digits, _ or -');
  const expected = Buffer.from(`/${secret}`);
  let allowedHost = (_host: string | undefined) => false;

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.log(`[services] ${req.method}: ${(error as Error).message}`);
      if (!res.headersSent) sendJson(res, 500, { message: 'Internal Server Error' });
      else res.destroy();
    });
  });
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0]!;
    const prefix = Buffer.from(path.slice(0, expected.length));
    const secretMatches =
      prefix.length === expected.length && timingSafeEqual(prefix, expected) && path[expected.length] === '/';
    if (!allowedHost(req.headers.host) || !secretMatches) {
      // The path (which may hold a guess of the secret) is not logged.
      options.log(`[services] ${req.method} refused 403 (wrong host or secret)`);
      return sendJson(res, 403, { message: 'Forbidden' });
    }
    const rest = path.slice(expected.length);
    if (isAwsApiRequest(req) && rest === '/') return handleAwsApiRequest(options.stubs, req, res);
    if (isManagementPath(rest)) {
      const gateway = options.webSockets();
      if (!gateway) return sendJson(res, 503, { message: 'Service Unavailable' });
      return handleManagementRequest(gateway, req, res, rest);
    }
    sendJson(res, 404, { message: 'Not Found' });
  };
  // No WebSocket here: an upgrade is refused outright.
  server.on('upgrade', (_req, socket) => socket.destroy());

  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new LocalStackError(`Cannot listen on ${LOOPBACK}:${options.port ?? 0} for the AWS services: ${error.message}`),
      ),
    );
    server.listen(options.port ?? 0, LOOPBACK, () => resolve((server.address() as AddressInfo).port));
  });
  allowedHost = hostCheck(LOOPBACK, port);
  return {
    url: `http://${LOOPBACK}:${port}/${secret}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
