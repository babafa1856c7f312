import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { apiGatewayTime, awsStyleId, clientAddress, forwardedHeaders, localApiId, parseQuery } from './aws-format.js';
import { frameSizeGuard } from './frame-size-guard.js';
import {
  isWebSocketPath,
  runViewerRequest,
  splitUrl,
  type LocalFrontDoor,
  type ViewerRequestFunction,
} from './front-door.js';
import type { LocalFunction } from './lambda-functions.js';
import type { ObservedServerFrame } from './traffic-observer.js';

/** API Gateway's WebSocket quotas; tests shrink the timeouts. */
export interface WebSocketLimits {
  frameBytes: number;
  messageBytes: number;
  idleTimeoutMs: number;
  maxConnectionMs: number;
}

export const AWS_WEBSOCKET_LIMITS: WebSocketLimits = {
  frameBytes: 32 * 1024,
  messageBytes: 128 * 1024,
  idleTimeoutMs: 10 * 60 * 1000,
  maxConnectionMs: 2 * 60 * 60 * 1000,
};

/** The routes API Gateway runs for the connection itself, never for a frame. */
const CONNECTION_ROUTES = new Set(['$connect', '$disconnect']);

export interface WebSocketGatewayOptions {
  apiLogicalId: string;
  stageName: string;
  routeSelectionExpression: string;
  routes: { routeKey: string; fn: LocalFunction }[];
  /** The CloudFront Function of the /ws/* behaviour, run as the edge runs it. */
  viewerRequest: ViewerRequestFunction;
  /** The distribution: which handshake headers reach $connect (all of them without one). */
  frontDoor?: LocalFrontDoor;
  limits: WebSocketLimits;
  log: (line: string) => void;
  /** Test hook: each frame sent to a client socket (see traffic-observer.ts). */
  observeFrame?: (frame: ObservedServerFrame) => void;
}

export interface ConnectionInfo {
  connectedAt: number;
  lastActiveAt: number;
  sourceIp: string;
  userAgent: string;
}

interface RequestMeta {
  /** The handshake's headers as the WebSocket API receives them (name, value, ...). */
  rawHeaders: string[];
  connectionId: string;
  connectedAt: number;
  sourceIp: string;
  userAgent: string;
  domainName: string;
  /** A room socket or the owner's inbox, as the edge rewrote the handshake. */
  channel: 'room' | 'inbox';
}

/** One open socket: its metadata, its timers and the queue its events go through. */
class Connection implements ConnectionInfo {
  lastActiveAt: number;
  /** Set when the gateway (not the client) closes the socket. */
  closedBy?: { code: number; reason: string };
  private queue: Promise<void> = Promise.resolve();
  private idleTimer?: NodeJS.Timeout;
  private lifetimeTimer?: NodeJS.Timeout;
  readonly closed: Promise<void>;

  constructor(
    readonly socket: WebSocket,
    readonly meta: RequestMeta,
    limits: WebSocketLimits,
  ) {
    this.lastActiveAt = meta.connectedAt;
    this.idleTimer = setTimeout(() => this.close(1001, 'Going away: idle timeout'), limits.idleTimeoutMs);
    this.lifetimeTimer = setTimeout(
      () => this.close(1001, 'Going away: maximum connection duration'),
      limits.maxConnectionMs,
    );
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  get connectedAt() {
    return this.meta.connectedAt;
  }
  get sourceIp() {
    return this.meta.sourceIp;
  }
  get userAgent() {
    return this.meta.userAgent;
  }

  /** A data frame in either direction keeps the connection from going idle. */
  touch(): void {
    this.lastActiveAt = Date.now();
    this.idleTimer?.refresh();
  }

  /**
   * Events of one connection run one after another. Locally that makes runs reproducible;
   * AWS does not promise it (frames of one connection may reach concurrent Lambdas).
   */
  enqueue(task: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(task).catch(() => undefined);
    return this.queue;
  }

  close(code: number, reason: string): void {
    if (this.closedBy || this.socket.readyState >= WebSocket.CLOSING) return;
    this.closedBy = { code, reason };
    this.socket.close(code, reason);
  }

  stopTimers(): void {
    clearTimeout(this.idleTimer);
    clearTimeout(this.lifetimeTimer);
  }
}

/**
 * The WebSocket API behind the CloudFront front door: the viewer-request function rewrites
 * the clients' paths (docs/api.md), the upgrade becomes `$connect` (a non-2xx result refuses the handshake
 * with that status), each text frame a MESSAGE to the route the selection expression picks,
 * and the close `$disconnect`. The management API reaches sockets through post/info/delete.
 */
export class WebSocketGateway {
  private readonly server: WebSocketServer;
  private readonly routes: Map<string, LocalFunction>;
  private readonly connections = new Map<string, Connection>();
  private readonly pendingDisconnects = new Set<Promise<void>>();
  private readonly apiId: string;
  private readonly selectionPath: string[] | undefined;
  /** Protocol chosen by $connect (its Sec-WebSocket-Protocol header), per request. */
  private readonly protocols = new WeakMap<IncomingMessage, string>();

  constructor(private readonly options: WebSocketGatewayOptions) {
    this.routes = new Map(options.routes.map((r) => [r.routeKey, r.fn]));
    this.apiId = localApiId(options.apiLogicalId);
    this.selectionPath = /^\$request\.body\.([\w.]+)$/.exec(options.routeSelectionExpression)?.[1]?.split('.');
    this.server = new WebSocketServer({
      noServer: true,
      maxPayload: options.limits.messageBytes,
      // API Gateway negotiates no compression.
      perMessageDeflate: false,
      handleProtocols: (_offered, req) => this.protocols.get(req) ?? false,
    });
  }

  /** The routes served and the function behind each. */
  get servedRoutes(): { routeKey: string; functionId: string }[] {
    return [...this.routes].map(([routeKey, fn]) => ({ routeKey, functionId: fn.definition.logicalId }));
  }

  get openConnections(): number {
    return this.connections.size;
  }

  async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => undefined);
    const { path, rawQuery } = splitUrl(req.url);
    const sourceIp = clientAddress(req.socket.remoteAddress);

    if (!isWebSocketPath(path)) return refuse(socket, 404);
    if (req.headers.upgrade?.toLowerCase() !== 'websocket' || !req.headers['sec-websocket-key'])
      return refuse(socket, 400);
    const edge = runViewerRequest(this.options.viewerRequest, `/${this.options.stageName}`, {
      req,
      path,
      rawQuery,
      sourceIp,
    });
    if ('status' in edge) return refuse(socket, edge.status);

    const forwarded = this.options.frontDoor?.originRequest('GET', path, req.rawHeaders, {
      ip: sourceIp,
      port: req.socket.remotePort ?? 0,
    });
    if (this.options.frontDoor && !forwarded) return refuse(socket, 403);
    const meta: RequestMeta = {
      rawHeaders: forwarded ? forwarded.headers.flat() : req.rawHeaders,
      connectionId: awsStyleId(),
      connectedAt: Date.now(),
      sourceIp,
      userAgent: req.headers['user-agent'] ?? '',
      domainName: (req.headers.host ?? 'localhost').replace(/:\d+$/, ''),
      channel: parseQuery(edge.rawQuery).some(([key]) => key === 'inbox') ? 'inbox' : 'room',
    };
    const connectRoute = this.routes.get('$connect');
    if (connectRoute) {
      let status: number;
      try {
        const result = (await connectRoute.invoke(this.connectEvent(req, meta, edge.rawQuery))) as
          | { statusCode?: number; headers?: Record<string, string> }
          | undefined;
        status = Number(result?.statusCode ?? 200);
        const protocol = Object.entries(result?.headers ?? {}).find(
          ([name]) => name.toLowerCase() === 'sec-websocket-protocol',
        );
        if (protocol) this.protocols.set(req, String(protocol[1]));
      } catch (error) {
        this.options.log(`$connect: ${(error as Error).message}`);
        status = 500;
      }
      if (!(status >= 200 && status <= 299)) {
        this.options.log(`WS ${path} refused ${status} ($connect)`);
        return refuse(socket, status);
      }
    }
    if (socket.destroyed) {
      // The client left while $connect ran: API Gateway still reports the disconnect.
      void this.disconnectEvent(meta, 1006, 'Client went away during $connect');
      return;
    }
    this.server.handleUpgrade(req, socket, head, (ws) => this.accept(ws, socket, meta));
  }

  private accept(ws: WebSocket, socket: Duplex, meta: RequestMeta): void {
    const connection = new Connection(ws, meta, this.options.limits);
    this.connections.set(meta.connectionId, connection);
    this.options.log(`WS ${meta.connectionId} connected`);
    socket.prependListener(
      'data',
      frameSizeGuard(this.options.limits.frameBytes, () =>
        connection.close(1009, 'Frame size exceeds the 32 KB limit'),
      ),
    );
    ws.on('error', () => undefined);
    ws.on('message', (data, isBinary) => this.onFrame(connection, data, isBinary));
    ws.on('close', (code, reason) => {
      connection.stopTimers();
      this.connections.delete(meta.connectionId);
      const closedBy = connection.closedBy;
      const why = closedBy
        ? `Server-side close: ${closedBy.reason}`
        : `Client-side close frame status code '${code}' and reason '${reason.toString('utf8')}'`;
      const done = connection.enqueue(() => this.disconnectEvent(meta, closedBy?.code ?? code, why));
      this.pendingDisconnects.add(done);
      void done.finally(() => this.pendingDisconnects.delete(done));
    });
  }

  private onFrame(connection: Connection, data: RawData, isBinary: boolean): void {
    // Frames that arrive after the gateway decided to close (an oversize frame) are dropped.
    if (connection.closedBy) return;
    if (isBinary) {
      connection.close(1003, 'Binary frames are not supported');
      return;
    }
    connection.touch();
    // requestTimeEpoch is when the frame reached API Gateway, not when its handling started.
    const arrivedAt = new Date();
    const body = Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data as Buffer[]).toString('utf8');
    const routeKey = this.selectRoute(body);
    void connection.enqueue(async () => {
      const requestId = awsStyleId();
      const fn = routeKey ? this.routes.get(routeKey) : undefined;
      if (!fn) {
        this.reply(connection, { message: 'Forbidden', connectionId: connection.meta.connectionId, requestId });
        return;
      }
      try {
        await fn.invoke({
          requestContext: {
            ...this.requestContext(connection.meta, routeKey!, 'MESSAGE', requestId, arrivedAt),
            messageId: awsStyleId(),
          },
          body,
          isBase64Encoded: false,
        });
      } catch (error) {
        this.options.log(`${routeKey}: ${(error as Error).message}`);
        this.reply(connection, {
          message: 'Internal server error',
          connectionId: connection.meta.connectionId,
          requestId,
        });
      }
    });
  }

  /**
   * `$request.body.action` → the message route named by the frame's `action`, else `$default`.
   * `$connect` and `$disconnect` are not message routes: API Gateway runs them on the
   * handshake and the close only, so a frame naming them goes to `$default` like any other.
   */
  private selectRoute(body: string): string | undefined {
    if (this.selectionPath) {
      try {
        let value: unknown = JSON.parse(body);
        for (const key of this.selectionPath) value = (value as Record<string, unknown> | null)?.[key];
        if (typeof value === 'string' && !CONNECTION_ROUTES.has(value) && this.routes.has(value)) return value;
      } catch {
        // Not JSON: the $default route takes it.
      }
    }
    return this.routes.has('$default') ? '$default' : undefined;
  }

  private reply(connection: Connection, payload: unknown): void {
    if (connection.socket.readyState !== WebSocket.OPEN) return;
    const data = JSON.stringify(payload);
    connection.socket.send(data);
    this.options.observeFrame?.({ channel: connection.meta.channel, data });
  }

  private async disconnectEvent(meta: RequestMeta, code: number, reason: string): Promise<void> {
    const fn = this.routes.get('$disconnect');
    if (!fn) return;
    try {
      await fn.invoke({
        headers: { Host: meta.domainName, 'x-api-key': '', 'X-Forwarded-For': '', 'x-restapi': '' },
        multiValueHeaders: { Host: [meta.domainName], 'x-api-key': [''], 'X-Forwarded-For': [''], 'x-restapi': [''] },
        requestContext: {
          ...this.requestContext(meta, '$disconnect', 'DISCONNECT', awsStyleId()),
          disconnectStatusCode: code,
          disconnectReason: reason,
        },
        isBase64Encoded: false,
      });
    } catch (error) {
      this.options.log(`$disconnect: ${(error as Error).message}`);
    }
  }

  private connectEvent(req: IncomingMessage, meta: RequestMeta, rawQuery: string) {
    const headers: Record<string, string> = {};
    const multiValueHeaders: Record<string, string[]> = {};
    const add = (name: string, value: string) => {
      headers[name] = value;
      (multiValueHeaders[name] ??= []).push(value);
    };
    for (let i = 0; i < meta.rawHeaders.length; i += 2) add(meta.rawHeaders[i]!, meta.rawHeaders[i + 1]!);
    for (const [name, value] of forwardedHeaders(meta.sourceIp, req.socket.localPort)) add(name, value);

    const query: Record<string, string> = {};
    const multiQuery: Record<string, string[]> = {};
    for (const [key, value] of parseQuery(rawQuery)) {
      query[key] = value;
      (multiQuery[key] ??= []).push(value);
    }
    const hasQuery = Object.keys(query).length > 0;
    return {
      headers,
      multiValueHeaders,
      ...(hasQuery ? { queryStringParameters: query, multiValueQueryStringParameters: multiQuery } : {}),
      requestContext: this.requestContext(meta, '$connect', 'CONNECT', awsStyleId()),
      isBase64Encoded: false,
    };
  }

  private requestContext(meta: RequestMeta, routeKey: string, eventType: string, requestId: string, now = new Date()) {
    return {
      routeKey,
      eventType,
      extendedRequestId: requestId,
      requestTime: apiGatewayTime(now),
      messageDirection: 'IN',
      stage: this.options.stageName,
      connectedAt: meta.connectedAt,
      requestTimeEpoch: now.getTime(),
      identity: { sourceIp: meta.sourceIp, userAgent: meta.userAgent },
      requestId,
      domainName: meta.domainName,
      connectionId: meta.connectionId,
      apiId: this.apiId,
    };
  }

  // ---- management API -----------------------------------------------------------------

  info(connectionId: string): ConnectionInfo | undefined {
    const connection = this.openConnection(connectionId);
    return (
      connection && {
        connectedAt: connection.connectedAt,
        lastActiveAt: connection.lastActiveAt,
        sourceIp: connection.sourceIp,
        userAgent: connection.userAgent,
      }
    );
  }

  /** PostToConnection: the data as one text frame. */
  post(connectionId: string, data: Buffer): 'sent' | 'gone' {
    const connection = this.openConnection(connectionId);
    if (!connection) return 'gone';
    connection.socket.send(data, { binary: false });
    connection.touch();
    this.options.observeFrame?.({ channel: connection.meta.channel, data: data.toString('utf8') });
    return 'sent';
  }

  /** DeleteConnection: closes the socket, which fires $disconnect. */
  delete(connectionId: string): 'closed' | 'gone' {
    const connection = this.openConnection(connectionId);
    if (!connection) return 'gone';
    connection.close(1000, 'Connection deleted');
    return 'closed';
  }

  private openConnection(connectionId: string): Connection | undefined {
    const connection = this.connections.get(connectionId);
    return connection && !connection.closedBy && connection.socket.readyState === WebSocket.OPEN
      ? connection
      : undefined;
  }

  /** Closes every socket (1001, going away) and waits for their $disconnect runs. */
  async close(): Promise<void> {
    const open = [...this.connections.values()];
    for (const connection of open) connection.close(1001, 'Going away: local stack stopping');
    const settle = Promise.all([...open.map((c) => c.closed)]).then(() => Promise.all([...this.pendingDisconnects]));
    await Promise.race([settle, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
    for (const connection of this.connections.values()) connection.socket.terminate();
    this.server.close();
  }
}

/** Answers an upgrade request with a plain HTTP status instead of the handshake. */
export function refuse(socket: Duplex, status: number): void {
  const text = STATUS_CODES[status] ?? 'Error';
  const body = JSON.stringify({ message: text });
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
