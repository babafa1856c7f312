import WebSocket from 'ws';

/** A `ws` client that records every frame it receives and how it closed. */
export interface TestSocket {
  ws: WebSocket;
  received: string[];
  /** The next frame (or the first already received) that satisfies `match`. */
  next(match?: (frame: unknown) => boolean, timeoutMs?: number): Promise<unknown>;
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens a socket; rejects with `handshake refused: <status>` when the server refuses it. */
export function openSocket(url: string): Promise<TestSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const received: string[] = [];
    const waiters: (() => void)[] = [];
    ws.on('message', (data) => {
      received.push(data.toString());
      for (const wake of waiters.splice(0)) wake();
    });
    const closed = new Promise<{ code: number; reason: string }>((done) =>
      ws.once('close', (code, reason) => done({ code, reason: reason.toString() })),
    );
    let taken = 0;
    const next = (match: (frame: unknown) => boolean = () => true, timeoutMs = 5000) =>
      new Promise<unknown>((found, fail) => {
        const timer = setTimeout(
          () => fail(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(received)}`)),
          timeoutMs,
        );
        const look = () => {
          while (taken < received.length) {
            const frame = JSON.parse(received[taken++]!) as unknown;
            if (match(frame)) {
              clearTimeout(timer);
              return found(frame);
            }
          }
          waiters.push(look);
        };
        look();
      });
    ws.once('open', () => resolve({ ws, received, next, closed }));
    ws.once('unexpected-response', (_req, res) => {
      reject(new Error(`handshake refused: ${res.statusCode}`));
      res.resume();
    });
    ws.once('error', (error) => reject(error));
  });
}

export async function refusalOf(url: string): Promise<string> {
  try {
    const socket = await openSocket(url);
    socket.ws.close();
    return 'accepted';
  } catch (error) {
    return (error as Error).message;
  }
}
