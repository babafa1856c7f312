import { request as httpRequest } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { SignJWT } from 'jose';
import { expect } from 'vitest';
import { keys, sortKeyPrefixes } from '../../../lambdas/adapters/item-codec.js';
import type { LocalStack } from '../../../local/local-stack.js';
import { signOwnerToken } from '../../../local/owner-token.js';
import { localClientConfig } from './dynamodb-backend.js';
import { openSocket, type TestSocket } from './ws-client.js';

/**
 * What the integration files share: a client of the local stack that speaks the client API's
 * REST and WebSocket API, and event-driven waits on the frames a socket received.
 */

export type Frame = Record<string, unknown>;

export interface StartedRoom {
  room_id: string;
  visitor_token: string;
  ws_path: string;
  ws_url: string;
}

export type HistoryItem = {
  id: string;
  room_id: string;
  sender_type: 'visitor' | 'owner';
  content: string;
  created_at: string;
  client_id?: string;
};

export type Broadcast = {
  id: string;
  room_id: string;
  sender_type: 'visitor' | 'owner';
  message: string;
  created_at: string;
  client_id?: string;
};

/** Credentials for a history read: the owner's JWT or the room's visitor token. */
export type Reader = { token: string } | { visitor: string };

export type ChatApi = ReturnType<typeof chatClient>;

export function chatClient(stack: LocalStack) {
  const roomUrl = (roomId: string, query: string) => `${stack.wsUrl}/ws/chat/${roomId}/?${query}`;
  return {
    async startChat(ownerId: string, visitorName = 'Ali'): Promise<StartedRoom> {
      const response = await fetch(`${stack.httpUrl}/api/chat/start/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user_id: ownerId, visitor_name: visitorName }),
      });
      if (response.status !== 201) throw new Error(`start answered ${response.status}: ${await response.text()}`);
      return (await response.json()) as StartedRoom;
    },
    ownerToken: (ownerId: string) => signOwnerToken(ownerId, stack.jwtSecret),
    roomUrl,
    visitorSocket: (room: StartedRoom) => openSocket(roomUrl(room.room_id, `visitor=${room.visitor_token}`)),
    ownerSocket: (roomId: string, token: string) => openSocket(roomUrl(roomId, `token=${token}`)),
    inboxSocket: (token: string) => openSocket(`${stack.wsUrl}/ws/inbox/?token=${token}`),
    async history(roomId: string, reader: Reader, query = ''): Promise<{ status: number; body: unknown }> {
      const params = new URLSearchParams(query);
      if ('visitor' in reader) params.set('visitor', reader.visitor);
      const qs = params.toString();
      const response = await fetch(`${stack.httpUrl}/api/chat/rooms/${roomId}/messages/${qs ? `?${qs}` : ''}`, {
        headers: 'token' in reader ? { authorization: `Bearer ${reader.token}` } : {},
      });
      return { status: response.status, body: await response.json() };
    },
    /** The whole history, which must be readable (200). */
    async messages(roomId: string, reader: Reader, query = ''): Promise<HistoryItem[]> {
      const { status, body } = await this.history(roomId, reader, query);
      if (status !== 200) throw new Error(`history of ${roomId}?${query} answered ${status}: ${JSON.stringify(body)}`);
      return body as HistoryItem[];
    },
    async listRooms(token: string): Promise<Frame[]> {
      const response = await fetch(`${stack.httpUrl}/api/chat/rooms/`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(response.status).toBe(200);
      return (await response.json()) as Frame[];
    },
    closeRoom(roomId: string, token?: string, method = 'POST'): Promise<Response> {
      return fetch(`${stack.httpUrl}/api/chat/rooms/${roomId}/close/`, {
        method,
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
    },
  };
}

/** An owner token signed with jose, with whatever claims and expiry a refusal test needs. */
export async function customOwnerToken(
  secret: string,
  claims: Record<string, unknown>,
  expiresAtSeconds = Math.floor(Date.now() / 1000) + 3600,
): Promise<string> {
  return new SignJWT({ token_type: 'access', ...claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(Math.min(Math.floor(Date.now() / 1000), expiresAtSeconds - 60))
    .setExpirationTime(expiresAtSeconds)
    .sign(new TextEncoder().encode(secret));
}

/** The ids of history items or broadcasts, in order. */
export const ids = (items: { id: string }[]) => items.map((m) => m.id);

const PONG = '{"type":"pong"}';

/** Every frame the socket received, parsed, without the pongs of `barrier`. */
export const framesOf = (socket: TestSocket): Frame[] =>
  socket.received.filter((raw) => raw !== PONG).map((raw) => JSON.parse(raw) as Frame);

export const isBroadcast = (frame: unknown): frame is Broadcast =>
  typeof frame === 'object' && frame !== null && 'message' in frame && 'id' in frame && 'sender_type' in frame;

export const broadcastsOf = (socket: TestSocket): Broadcast[] => framesOf(socket).filter(isBroadcast);

/**
 * Resolves once `done` holds for the socket's frames (checked now and on every new frame);
 * fails after `timeoutMs` naming what was awaited and listing what arrived.
 */
export function waitForFrames(
  socket: TestSocket,
  done: (frames: Frame[]) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<Frame[]> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const frames = framesOf(socket);
      if (!done(frames)) return false;
      clearTimeout(timer);
      socket.ws.off('message', check);
      resolve(frames);
      return true;
    };
    const timer = setTimeout(() => {
      socket.ws.off('message', check);
      reject(new Error(`waited ${timeoutMs} ms for ${what}; the socket received ${JSON.stringify(socket.received)}`));
    }, timeoutMs);
    if (!check()) socket.ws.on('message', check);
  });
}

/** Waits for the broadcast of `text` (optionally from one sender type) and returns it. */
export async function broadcastOf(socket: TestSocket, text: string, timeoutMs = 10_000): Promise<Broadcast> {
  const frames = await waitForFrames(
    socket,
    (f) => f.some((x) => isBroadcast(x) && x.message === text),
    `the broadcast of "${text.slice(0, 40)}"`,
    timeoutMs,
  );
  return frames.find((x): x is Broadcast => isBroadcast(x) && x.message === text)!;
}

/** Sends `{"message": text}` and waits for the sender's own echo. */
export async function sendAndEcho(socket: TestSocket, text: string, extra: Frame = {}): Promise<Broadcast> {
  socket.ws.send(JSON.stringify({ message: text, ...extra }));
  return broadcastOf(socket, text);
}

/**
 * One ping, answered by a pong to this socket only, or, when the socket is over its frame
 * limit, by a rate_limited error: either way the ping was handled after what came before it.
 */
async function pingRoundTrip(socket: TestSocket): Promise<void> {
  const pongs = () => socket.received.filter((raw) => raw === PONG || raw.includes('"code":"rate_limited"')).length;
  const before = pongs();
  socket.ws.send(JSON.stringify({ type: 'ping' }));
  await new Promise<void>((resolve, reject) => {
    const check = () => {
      if (pongs() <= before) return;
      clearTimeout(timer);
      socket.ws.off('message', check);
      resolve();
    };
    const timer = setTimeout(() => {
      socket.ws.off('message', check);
      reject(new Error(`no pong within 10 s; received ${JSON.stringify(socket.received)}`));
    }, 10_000);
    socket.ws.on('message', check);
  });
}

/**
 * A point after which nothing more arrives for what was sent before it, so "this socket got
 * nothing" can be asserted without sleeping. The gateway runs the frames of one socket one
 * after another, so a pong on every socket means every frame sent before has been handled,
 * and each handler finished its posts; a second round of pongs, written to each socket after
 * those posts, arrives after them.
 */
export async function barrier(sockets: TestSocket[]): Promise<void> {
  const open = sockets.filter((s) => s.ws.readyState === s.ws.OPEN);
  for (let round = 0; round < 2; round += 1) await Promise.all(open.map(pingRoundTrip));
}

export async function closeAll(sockets: TestSocket[]): Promise<void> {
  await Promise.all(
    sockets.map((s) => {
      if (s.ws.readyState === s.ws.CLOSED) return undefined;
      s.ws.close();
      return s.closed;
    }),
  );
}

/** `[eventbridge] PutEvents ...` lines of the gateway log, parsed. */
export interface PutEventsEntry {
  rejected: boolean;
  bus: string;
  source: string;
  detailType: string;
  detail: Record<string, unknown>;
}

const PUT_EVENTS_LINE = /^\[eventbridge\] PutEvents( REJECTED)? bus=(\S+) source=(\S+) detail-type=(\S+) detail=(.*)$/;

export function putEventsEntries(lines: readonly string[]): PutEventsEntry[] {
  return lines.flatMap((line) => {
    const match = PUT_EVENTS_LINE.exec(line);
    if (!match) return [];
    return [
      {
        rejected: Boolean(match[1]),
        bus: match[2]!,
        source: match[3]!,
        detailType: match[4]!,
        detail: JSON.parse(match[5]!),
      },
    ];
  });
}

/**
 * The connection ids the table holds for a room, or for an owner's inbox. Clients cannot see
 * this; it is used only to know that `$disconnect` has run, never as the behaviour under test.
 */
export const roomConnectionIds = (stack: LocalStack, roomId: string, role?: 'owner' | 'visitor') =>
  connectionIds(stack, keys.roomPartition(roomId), sortKeyPrefixes.roomConnection, role);
export const inboxConnectionIds = (stack: LocalStack, ownerId: string) =>
  connectionIds(stack, keys.ownerPartition(ownerId), sortKeyPrefixes.inboxConnection);

async function connectionIds(
  stack: LocalStack,
  partition: string,
  prefix: string,
  role?: 'owner' | 'visitor',
): Promise<string[]> {
  const client = DynamoDBDocumentClient.from(new DynamoDBClient(localClientConfig(stack.dynamoDbEndpoint)));
  try {
    const { Items = [] } = await client.send(
      new QueryCommand({
        TableName: Object.values(stack.served.tables)[0]!,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': partition, ':prefix': prefix },
        ConsistentRead: true,
      }),
    );
    return Items.filter((item) => role === undefined || item.role === role).map((item) => String(item.connection_id));
  } finally {
    client.destroy();
  }
}

/**
 * POST /api/chat/start/ from a given loopback address (127.0.0.2, ...): another client as
 * far as the per-address start limit is concerned. Extra headers are sent as given.
 */
export function startChatFrom(
  stack: LocalStack,
  localAddress: string,
  ownerId: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Frame; headers: Record<string, string | string[] | undefined> }> {
  const body = JSON.stringify({ user_id: ownerId });
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: stack.port,
        localAddress,
        method: 'POST',
        path: '/api/chat/start/',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Frame, headers: res.headers }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
