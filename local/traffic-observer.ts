import type { IncomingMessage, ServerResponse } from 'node:http';
import { splitUrl } from './front-door.js';

/**
 * A test hook on what the local stack answers its clients: every HTTP response written on the
 * client port (the gateways' own answers included) and every frame sent to a client socket.
 * The integration suite checks each against docs/openapi.yaml and docs/asyncapi.yaml.
 */
export interface TrafficObserver {
  httpResponse(exchange: ObservedHttpResponse): void;
  serverFrame(frame: ObservedServerFrame): void;
}

export interface ObservedHttpResponse {
  method: string;
  path: string;
  /** The raw query, without '?'. */
  query: string;
  status: number;
  /** Lower-case names; repeated headers joined with ', '. */
  headers: Record<string, string>;
  /** What the client received ('' for HEAD, whose body Node drops). */
  body: string;
}

export interface ObservedServerFrame {
  /** A room socket (/ws/chat/<room_id>/) or the owner's inbox (/ws/inbox/). */
  channel: 'room' | 'inbox';
  data: string;
}

/** Reports the response once it is finished; a response cut off (a destroyed socket) is not reported. */
export function observeResponse(req: IncomingMessage, res: ServerResponse, observer: TrafficObserver): void {
  const chunks: Buffer[] = [];
  const keep = (chunk: unknown, encoding?: unknown) => {
    if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
    chunks.push(
      Buffer.isBuffer(chunk)
        ? chunk
        : Buffer.from(chunk as string, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8'),
    );
  };
  // Headers given to writeHead never show in getHeaders(): keep them as they pass.
  const written: Record<string, string> = {};
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  res.writeHead = ((...args: unknown[]) => {
    const headers = typeof args[1] === 'string' ? args[2] : args[1];
    if (Array.isArray(headers)) {
      for (let i = 0; i + 1 < headers.length; i += 2)
        written[String(headers[i]).toLowerCase()] = String(headers[i + 1]);
    } else if (headers && typeof headers === 'object') {
      for (const [name, value] of Object.entries(headers as Record<string, unknown>)) {
        if (value !== undefined) written[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
      }
    }
    return writeHead(...args);
  }) as ServerResponse['writeHead'];
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.write = ((...args: unknown[]) => {
    keep(args[0], args[1]);
    return write(...args);
  }) as ServerResponse['write'];
  res.end = ((...args: unknown[]) => {
    keep(args[0], args[1]);
    return end(...args);
  }) as ServerResponse['end'];
  res.once('finish', () => {
    const method = (req.method ?? 'GET').toUpperCase();
    const { path, rawQuery } = splitUrl(req.url);
    const headers: Record<string, string> = { ...written };
    for (const [name, value] of Object.entries(res.getHeaders())) {
      if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    }
    observer.httpResponse({
      method,
      path,
      query: rawQuery,
      status: res.statusCode,
      headers,
      body: method === 'HEAD' ? '' : Buffer.concat(chunks).toString('utf8'),
    });
  });
}
