import { Agent, createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request that went through the proxy, with times on this process's performance clock. */
export interface ProxiedCall {
  /** DynamoDB's X-Amz-Target operation (e.g. "PutItem"), else "<METHOD> <path>". */
  operation: string;
  start: number;
  end: number;
  status: number;
}

export interface DelayProxy {
  url: string;
  port: number;
  delayMs: number;
  /** Every call since the last reset. */
  calls: ProxiedCall[];
  /** Requests received and not yet answered. */
  readonly inFlight: number;
  /** Resolves once no request has been in flight for `quietMs`. */
  settled(quietMs?: number): Promise<void>;
  reset(): void;
  close(): Promise<void>;
}

export interface DelayProxyOptions {
  /** Where requests go, e.g. http://127.0.0.1:8000. */
  target: string;
  delayMs: number;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
}

/**
 * An HTTP proxy that holds every request for `delayMs` before forwarding it, standing in for
 * the network between a Lambda and DynamoDB or the management API: one call through it costs
 * at least one delay, so the time a use case takes, in delays, counts its sequential round
 * trips. The body is read completely first and the delay starts when it has arrived. Headers,
 * SigV4 signatures included, go through untouched (the local emulators do not verify them),
 * except Host, which names the target.
 */
export async function startDelayProxy(options: DelayProxyOptions): Promise<DelayProxy> {
  const target = new URL(options.target);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const calls: ProxiedCall[] = [];
  let inFlight = 0;
  let lastActivity = performance.now();
  const server: Server = createServer((req, res) => {
    const start = performance.now();
    inFlight += 1;
    lastActivity = start;
    res.once('close', () => {
      inFlight -= 1;
      lastActivity = performance.now();
    });
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      setTimeout(() => {
        const upstream = httpRequest(
          {
            host: target.hostname,
            port: target.port,
            method: req.method,
            path: req.url,
            // Host names the target, as a client of the target would send it (the local stack's
            // services server refuses any other Host).
            headers: { ...req.headers, host: target.host },
            agent,
          },
          (response: IncomingMessage) => {
            res.writeHead(response.statusCode ?? 502, response.headers);
            response.pipe(res);
            response.on('end', () =>
              calls.push({
                operation: operationOf(req),
                start,
                end: performance.now(),
                status: response.statusCode ?? 0,
              }),
            );
          },
        );
        upstream.on('error', (error) => {
          calls.push({ operation: operationOf(req), start, end: performance.now(), status: 502 });
          if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
          res.end(`delay proxy: ${error.message}`);
        });
        upstream.end(Buffer.concat(chunks));
      }, options.delayMs);
    });
  });
  server.keepAliveTimeout = 60_000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    port,
    delayMs: options.delayMs,
    calls,
    get inFlight() {
      return inFlight;
    },
    settled: async (quietMs = 100) => {
      while (inFlight > 0 || performance.now() - lastActivity < quietMs) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    reset: () => {
      calls.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}

function operationOf(req: IncomingMessage): string {
  const amzTarget = req.headers['x-amz-target'];
  if (typeof amzTarget === 'string') return amzTarget.split('.').pop() ?? amzTarget;
  const path = (req.url ?? '/').split('?')[0]!;
  // The management API may sit under a path prefix (the local stack's services secret).
  if (path.includes('/@connections/')) {
    return (
      ({ POST: 'PostToConnection', DELETE: 'DeleteConnection', GET: 'GetConnection' } as Record<string, string>)[
        req.method ?? ''
      ] ?? path
    );
  }
  return `${req.method} ${path}`;
}

/**
 * Groups calls into waves: a call's wave is one more than the latest wave of any call that
 * ended before it started. The number of waves is the longest chain of calls made one after
 * another, i.e. the sequential round trips (calls side by side share a wave).
 */
export function callWaves<T extends { start: number; end: number }>(calls: readonly T[]): T[][] {
  const sorted = [...calls].sort((a, b) => a.end - b.end);
  const depth: number[] = [];
  const waves: T[][] = [];
  sorted.forEach((call, i) => {
    let best = 0;
    for (let j = 0; j < i; j += 1) if (sorted[j]!.end <= call.start) best = Math.max(best, depth[j]!);
    depth.push(best + 1);
    (waves[best] ??= []).push(call);
  });
  return waves;
}
