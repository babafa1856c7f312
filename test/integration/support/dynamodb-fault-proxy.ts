import { Agent, createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One DynamoDB request as the proxy saw it. */
export interface DynamoDbCall {
  /** The X-Amz-Target operation, e.g. "Query". */
  operation: string;
  /** The JSON body as sent (table, keys, expressions), for rules that pick one request. */
  body: string;
}

export interface DynamoDbFaultProxy {
  /** Give this to the local stack as its DynamoDB endpoint. */
  url: string;
  /**
   * Until `heal()`, every request for which `rule` holds fails as DynamoDB fails when it is
   * unavailable: HTTP 500 `InternalServerError` (which the SDK retries, and then gives up).
   */
  fail(rule: (call: DynamoDbCall) => boolean): void;
  /** Until `heal()`, every request waits (DynamoDB stalled); then they all go through. */
  stall(): void;
  /** Ends failures and stalls; held requests are forwarded now. */
  heal(): void;
  /** Requests failed on purpose since the proxy started. */
  readonly failed: DynamoDbCall[];
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of a DynamoDB endpoint (dynalite or DynamoDB Local) that makes chosen
 * operations fail or stall, so a test can reproduce "DynamoDB down for a few seconds" or "the
 * message write succeeded and the connection query failed" against the real handlers.
 */
export async function startDynamoDbFaultProxy(target: string): Promise<DynamoDbFaultProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  let rule: ((call: DynamoDbCall) => boolean) | undefined;
  let stalled = false;
  const held: (() => void)[] = [];
  const failed: DynamoDbCall[] = [];

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const call: DynamoDbCall = { operation: operationOf(req), body: body.toString('utf8') };
      const handle = () => {
        if (rule?.(call)) {
          failed.push(call);
          const payload = JSON.stringify({
            __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
            message: 'Internal server error (injected by the test)',
          });
          res.writeHead(500, {
            'content-type': 'application/x-amz-json-1.0',
            'content-length': Buffer.byteLength(payload),
          });
          res.end(payload);
          return;
        }
        const forward = httpRequest(
          {
            host: upstream.hostname,
            port: upstream.port,
            method: req.method,
            path: req.url,
            headers: req.headers,
            agent,
          },
          (response: IncomingMessage) => {
            res.writeHead(response.statusCode ?? 502, response.headers);
            response.pipe(res);
          },
        );
        forward.on('error', (error) => {
          if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
          res.end(`fault proxy: ${error.message}`);
        });
        forward.end(body);
      };
      if (stalled) held.push(handle);
      else handle();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    fail: (next) => {
      rule = next;
    },
    stall: () => {
      stalled = true;
    },
    heal: () => {
      rule = undefined;
      stalled = false;
      for (const handle of held.splice(0)) handle();
    },
    failed,
    close: () =>
      new Promise<void>((resolve) => {
        for (const handle of held.splice(0)) handle();
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}

function operationOf(req: IncomingMessage): string {
  const target = req.headers['x-amz-target'];
  return typeof target === 'string' ? (target.split('.').pop() ?? target) : `${req.method} ${req.url}`;
}
