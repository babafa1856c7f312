/**
 * The secondary ports of the domain: what the use cases need from the outside world.
 * Adapters in `../adapters` implement them over DynamoDB, the API Gateway management API,
 * jose and EventBridge; unit tests implement them in memory or mock the SDK below the adapters.
 */
import type { ChatMetricName } from '../shared/metric-names.js';
import type { ChatMessage, Connection, ConnectionIdentity, Room, RoomConnection, SenderType } from './model.js';

export type PutMessageResult = { stored: true } | { stored: false; original: ChatMessage };

/**
 * A socket refused this many times within this window (it kept sending after being told) is
 * disconnected. The store keeps the times of the last `count` refusals on the connection row.
 */
export const REPEATED_REFUSALS = { count: 10, withinMs: 10_000 } as const;

/** Outcome of counting one more frame (any frame) on a connection. */
export type Admission =
  /** `relayTyping`: asked with `typingEveryMs`, whether this typing frame is the first in that interval and is relayed. */
  | { admitted: true; identity: ConnectionIdentity; relayTyping?: boolean }
  | { admitted: false; reason: 'unknown-connection' }
  /** `repeated`: REPEATED_REFUSALS.count refusals within REPEATED_REFUSALS.withinMs, this one included. */
  | { admitted: false; reason: 'rate-limited'; repeated: boolean };

/**
 * Outcome of counting a message in its room: counted (with the room as it is after the
 * count), or refused because the room is closed (or gone) or already holds the most messages it may.
 */
export type RoomCount = { outcome: 'counted'; room: Room } | { outcome: 'closed' } | { outcome: 'full' };

/**
 * Outcome of a read receipt: the side's position moved to the message, or stayed where it was
 * (it was already there or further); undefined when the room is gone. `room` is as it is now.
 */
export type ReadOutcome = { moved: boolean; room: Room } | undefined;

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
  /**
   * Counts a message in its room (the total and its side's count), only while the room is
   * active and holds fewer than `maxMessages`, and moves its `updated_at` and `last_message`
   * to the message (never backward), in one conditional write in the usual case.
   */
  touchRoom(message: ChatMessage, maxMessages: number): Promise<RoomCount>;
  /** Takes back one count of touchRoom (a retry that stored nothing new, a write that failed). */
  uncountMessage(roomId: string, senderType: SenderType): Promise<void>;
  /**
   * Moves `reader`'s read position forward to `message` (a message of the room), counting the
   * other side's messages up to it; never backward. One conditional write when the message is
   * the room's newest, as a client reading what it shows usually sends.
   */
  markRead(message: ChatMessage, reader: SenderType, readAt: string): Promise<ReadOutcome>;

  /** Stores a message unless one with the same id exists; then returns that original. */
  putMessage(message: ChatMessage): Promise<PutMessageResult>;
  getMessage(roomId: string, messageId: string): Promise<ChatMessage | undefined>;
  /** Deletes a message just written whose room refused it (closed or full). */
  deleteMessage(roomId: string, messageId: string): Promise<void>;
  /** Messages of the room, oldest first. */
  listMessages(roomId: string, page: MessagePage): Promise<MessageSlice>;

  saveConnection(connection: Connection, connectedAt: number): Promise<void>;
  /**
   * Counts a frame (any frame) against the connection's rate limit, by the time it arrived,
   * and tells who the connection is, in one write. A refusal is recorded on the connection.
   * With `typing`, the same write also relays a typing frame when the connection's last relay
   * is at least `typing.everyMs` old (`relayTyping`).
   */
  admitFrame(connectionId: string, arrivedAtMs: number, typing?: { everyMs: number }): Promise<Admission>;
  /**
   * Removes a connection knowing only its id ($disconnect): deletes its row, then its
   * membership; returns who it was, or undefined when it was already gone.
   */
  removeConnectionById(connectionId: string): Promise<ConnectionIdentity | undefined>;
  /** Removes a connection whose identity is already known (a gone socket, a closed room): both rows at once. */
  removeKnownConnection(connection: Connection): Promise<void>;
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
  /**
   * Closes the socket. 'gone' when API Gateway has no established connection by that id: it
   * closed already, or its own $connect has not finished yet.
   */
  disconnect(connectionId: string): Promise<'closed' | 'gone'>;
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
  /** The owner's unread messages in the room after this one (for the app's badge); unknown when the room update failed. */
  unreadCount?: number;
}

/** Publishes domain events for other systems (the push hook for offline owners). */
export interface ChatEventPublisher {
  visitorMessagePosted(event: VisitorMessageEvent): Promise<void>;
}

export interface Clock {
  now(): Date;
}

/**
 * Counts what operators watch (messages stored, posts, limits hit...). Production buffers the
 * counts and flushes them once per invocation as CloudWatch embedded metric format; tests record them.
 */
export interface ChatMetrics {
  count(metric: ChatMetricName, times?: number): void;
}
