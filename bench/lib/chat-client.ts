import { SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';

/** An owner access token as the Django backend's SimpleJWT issues it (HS256, user_id, token_type). */
export async function ownerToken(ownerId: string, secret: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ token_type: 'access', user_id: ownerId, jti: randomUUID().replace(/-/g, '') })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(now)
    .setExpirationTime(now + 24 * 3600)
    .sign(new TextEncoder().encode(secret));
}

export interface Received {
  at: number;
  data: Record<string, unknown>;
}

/** A client socket that keeps what it receives, with the time (performance clock) it arrived. */
export class ChatSocket {
  readonly received: Received[] = [];
  private waiters: { match: (data: Record<string, unknown>) => boolean; resolve: (r: Received) => void }[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (raw) => {
      const at = performance.now();
      let data: Record<string, unknown>;
      try {
        data = JSON.parse(raw.toString()) as Record<string, unknown>;
      } catch {
        data = { unparsable: raw.toString() };
      }
      const entry = { at, data };
      this.received.push(entry);
      this.onReceive?.(entry);
      for (const waiter of [...this.waiters]) {
        if (waiter.match(data)) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.resolve(entry);
        }
      }
    });
  }

  /** Called for every frame as it arrives (the load test counts them here). */
  onReceive?: (entry: Received) => void;

  /** Opens the socket; resolves once the handshake (and so $connect) has succeeded. */
  static open(url: string, timeoutMs = 15_000): Promise<ChatSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      const socket = new ChatSocket(ws);
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error(`WebSocket ${url} did not open within ${timeoutMs} ms`));
      }, timeoutMs);
      ws.once('open', () => {
        clearTimeout(timer);
        resolve(socket);
      });
      ws.once('unexpected-response', (_req, res) => {
        clearTimeout(timer);
        reject(new Error(`WebSocket handshake refused: HTTP ${res.statusCode}`));
      });
      ws.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  send(payload: unknown): number {
    const at = performance.now();
    this.ws.send(JSON.stringify(payload));
    return at;
  }

  waitFor(match: (data: Record<string, unknown>) => boolean, timeoutMs = 10_000): Promise<Received> {
    const already = this.received.find((r) => match(r.data));
    if (already) return Promise.resolve(already);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching frame within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        match,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) return resolve();
      this.ws.once('close', () => resolve());
      this.ws.close(1000);
      setTimeout(() => {
        this.ws.terminate();
        resolve();
      }, 3000).unref();
    });
  }
}
