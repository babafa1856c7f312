/**
 * The secondary ports of the domain: what the use cases need from the outside world.
 * Adapters in `../adapters` implement them over DynamoDB, the API Gateway management API,
 * jose and EventBridge; unit tests implement them in memory or mock the SDK below the adapters.
 */
import type { ChatMessage, Connection, ConnectionIdentity, Room, RoomConnection } from './model.js';

export type PutMessageResult = { stored: true } | { stored: false; original: ChatMessage };

/** Outcome of asking to send one more message on a connection. */
export type Admission =
  | { admitted: true; identity: ConnectionIdentity }
  | { admitted: false; reason: 'unknown-connection' | 'rate-limited' };

export interface MessagePage {
  /**
   * At most this many messages: the most recent ones of the range, or, when `after` is
   * given (a client catching up), the oldest ones after it, so paging forward continues.
   */
  limit?: number;
  /** Only messages strictly older than this one. */
  before?: ChatMessage;
  /** Only messages strictly newer than this one. */
  after?: ChatMessage;
  /**
   * Asked of each message in reading order (newest first, or oldest first after `after`)
   * before it is taken; reading stops at the first one it refuses. Bounds a response's size.
   */
  fits?: (message: ChatMessage) => boolean;
}

/** A page of messages, oldest first, and whether more lie beyond it in the reading direction. */
export interface MessageSlice {
  messages: ChatMessage[];
  more: boolean;
}

export interface ChatStore {
  createRoom(room: Room): Promise<void>;
  getRoom(roomId: string): Promise<Room | undefined>;
  /** The owner's rooms, most recent activity first. */
  listRoomsByOwner(ownerId: string): Promise<Room[]>;
  /** Marks the room inactive; returns it as it is now, or undefined when it does not exist. */
  closeRoom(roomId: string, at: string): Promise<Room | undefined>;
  /** Moves the room's `updated_at` forward (never backward) after a message. */
  touchRoom(roomId: string, at: string): Promise<void>;

  /** Stores a message unless one with the same id exists; then returns that original. */
  putMessage(message: ChatMessage): Promise<PutMessageResult>;
  getMessage(roomId: string, messageId: string): Promise<ChatMessage | undefined>;
  /** Messages of the room, oldest first. */
  listMessages(roomId: string, page: MessagePage): Promise<MessageSlice>;

  saveConnection(connection: Connection, connectedAt: number): Promise<void>;
  /** Counts a send against the connection's rate limit and tells who the connection is, in one write. */
  admitMessage(connectionId: string, nowMs: number): Promise<Admission>;
  /** Removes the connection; returns who it was, or undefined when it was already gone. */
  removeConnection(connectionId: string): Promise<ConnectionIdentity | undefined>;
  /** Removes a connection whose identity is already known (stale-connection cleanup). */
  forgetConnection(connection: Connection): Promise<void>;
  listRoomConnections(roomId: string): Promise<RoomConnection[]>;
  listInboxConnections(ownerId: string): Promise<string[]>;

  /** Counts a room start against the source address's limit (the key: see start-limit.ts); false when over it. */
  admitRoomStart(sourceKey: string, nowMs: number): Promise<boolean>;
  /** Counts a room start against the owner's hourly limit; false when over it. */
  admitOwnerRoomStart(ownerId: string, nowMs: number): Promise<boolean>;
}

/** Pushes frames to connected clients (API Gateway management API). */
export interface ConnectionGateway {
  /** Resolves 'gone' when the connection no longer exists; rejects on any other failure. */
  send(connectionId: string, payload: unknown): Promise<'sent' | 'gone'>;
  disconnect(connectionId: string): Promise<void>;
}

export interface OwnerTokenVerifier {
  /** Resolves to the owner id carried by a valid access token; rejects with UnauthorizedError otherwise. */
  verify(token: string): Promise<string>;
}

export interface VisitorMessageEvent {
  roomId: string;
  ownerId: string;
  messageId: string;
  preview: string;
  ownerOnline: boolean;
  createdAt: string;
}

/** Publishes domain events for other systems (the push hook for offline owners). */
export interface ChatEventPublisher {
  visitorMessagePosted(event: VisitorMessageEvent): Promise<void>;
}

export interface Clock {
  now(): Date;
}
