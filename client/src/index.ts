/**
 * The chat's client kit: REST calls, and sockets that reconnect, catch up and send exactly once
 * (docs/client.md). Zero dependencies; browsers and Node 22+ (or pass fetch and WebSocket).
 */
import { RoomConversation } from './conversation.js';
import { OwnerInbox } from './inbox.js';
import { Rest } from './rest.js';
import type { ChatClient, ChatClientOptions } from './types.js';

export { ChatApiError } from './rest.js';
export type * from './types.js';

export function createChatClient(options: ChatClientOptions): ChatClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const webSocketUrl = (options.webSocketUrl ?? baseUrl.replace(/^http/, 'ws')).replace(/\/+$/, '');
  const fetchImpl = options.fetch ?? globalThis.fetch?.bind(globalThis);
  const rest = new Rest(baseUrl, fetchImpl);
  const random = options.random ?? Math.random;
  const randomUUID = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto?.randomUUID;
  const settings = {
    rest,
    webSocketUrl,
    WebSocket: options.WebSocket ?? (globalThis as { WebSocket?: ChatClientOptions['WebSocket'] }).WebSocket,
    hasFetch: Boolean(fetchImpl),
    initialDelayMs: options.reconnect?.initialDelayMs ?? 1000,
    maxDelayMs: options.reconnect?.maxDelayMs ?? 30_000,
    pingIntervalMs: options.pingIntervalMs ?? 240_000,
    initialHistory: options.initialHistory ?? 50,
    random,
    newClientId:
      options.random || !randomUUID ? () => uuidFrom(random) : () => randomUUID.call(globalThis.crypto) as string,
  };
  return {
    startChat: (ownerId, visitorName) => rest.startChat(ownerId, visitorName),
    listRooms: (credentials, page) => rest.listRooms(credentials, page?.cursor),
    getRoom: (roomId, credentials) => rest.getRoom(roomId, credentials),
    closeRoom: (roomId, credentials) => rest.closeRoom(roomId, credentials),
    history: (roomId, credentials, page) => rest.history(roomId, credentials, page),
    connect: (roomId, credentials) => new RoomConversation(roomId, credentials, settings),
    inbox: (credentials) => new OwnerInbox(credentials, settings),
  };
}

/** A version-4 UUID from `random` (the server takes any UUID as a client_id). */
function uuidFrom(random: () => number): string {
  return 'xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx'.replace(/[xy]/g, (c) =>
    ((c === 'x' ? random() * 16 : 8 + random() * 4) | 0).toString(16),
  );
}
