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
  const settings = {
    rest,
    webSocketUrl,
    WebSocket: options.WebSocket ?? (globalThis as { WebSocket?: ChatClientOptions['WebSocket'] }).WebSocket,
    hasFetch: Boolean(fetchImpl),
    initialDelayMs: options.reconnect?.initialDelayMs ?? 1000,
    maxDelayMs: options.reconnect?.maxDelayMs ?? 30_000,
    pingIntervalMs: options.pingIntervalMs ?? 240_000,
    // The server takes ?limit= 1-200 and answers 400 otherwise, which would fail every catch-up.
    initialHistory: Math.min(200, Math.max(1, options.initialHistory ?? 50)),
    random,
    newClientId,
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

/**
 * A client_id: a version-4 UUID from the platform's secure randomness, never from the `random`
 * option (a fixed `random` for tests would give every send the same id, and the server would
 * keep only the first). `crypto.randomUUID` exists only in secure contexts; a page on plain
 * http (a phone on the LAN) has `crypto.getRandomValues` still.
 */
function newClientId(): string {
  const crypto = (globalThis as { crypto?: { randomUUID?: () => string; getRandomValues?: (b: Uint8Array) => void } })
    .crypto;
  if (crypto?.randomUUID) return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  if (crypto?.getRandomValues) crypto.getRandomValues(bytes);
  else for (let i = 0; i < 16; i++) bytes[i] = (Math.random() * 256) | 0;
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
