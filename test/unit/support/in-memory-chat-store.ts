import {
  otherSide,
  type ChatMessage,
  type Connection,
  type ConnectionIdentity,
  type Room,
  type RoomConnection,
  type SenderType,
} from '../../../lambdas/domain/model.js';
import {
  REPEATED_REFUSALS,
  type Admission,
  type ChatStore,
  type MessagePage,
  type MessageSlice,
  type PutMessageResult,
  type ReadOutcome,
  type RoomCount,
} from '../../../lambdas/domain/ports.js';
import { START_LIMIT_WINDOWS } from '../../../lambdas/domain/start-limit.js';

/** A shared, ordered record of side effects, so tests can assert what happened before what. */
export type Timeline = string[];

export interface InMemoryChatStoreOptions {
  /** 0 disables a limit, as in DynamoChatStore. */
  messagesPerSecond?: number;
  startsPerMinute?: number;
  startsPerHourPerOwner?: number;
  timeline?: Timeline;
}

interface StoredConnection {
  identity: ConnectionIdentity;
  connectedAt: number;
  /** Arrival times of admitted frames, newest first (the adapter keeps the same log as rl0..rlN). */
  sends: number[];
  /** Arrival times of refused frames, newest first, at most REPEATED_REFUSALS.count (rf0..rfN). */
  refusals: number[];
  /** Arrival time of the last relayed typing frame (the adapter's typing_at). */
  typingAt?: number;
}

/** roomId -> connectionId -> what a room socket's membership row holds */
type RoomMembers = Map<string, Map<string, { role: RoomConnection['role']; connectedAt: number }>>;

const timeKey = (message: ChatMessage) => `${message.createdAt}#${message.id}`;
const copy = <T>(value: T): T => structuredClone(value);
/** DynamoDB orders sort keys by their bytes; for the ASCII ids here, plain string order. */
const byKey = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
/** Every call yields once, so concurrent use cases interleave as they would against a real table. */
const yieldOnce = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * ChatStore in memory with DynamoChatStore's semantics: conditional creates, the message
 * write refuses a second copy of an id and returns the original, connections are a meta
 * row plus a membership row, and both rate limits are sliding windows. Each check-and-set
 * runs without an await inside, like one conditional write.
 */
export class InMemoryChatStore implements ChatStore {
  readonly rooms = new Map<string, Room>();
  /** roomId -> messageId -> message */
  readonly messages = new Map<string, Map<string, ChatMessage>>();
  readonly connections = new Map<string, StoredConnection>();
  /** roomId -> connectionId -> role */
  readonly roomMembers: RoomMembers = new Map();
  /** ownerId -> connection ids */
  readonly inboxes = new Map<string, Set<string>>();
  readonly roomStarts = new Map<string, number[]>();
  /** roomId -> messages counted by touchRoom (the adapter's message_count). */
  readonly messageCounts = new Map<string, number>();
  readonly ownerRoomStarts = new Map<string, number[]>();
  readonly timeline: Timeline;
  private readonly messagesPerSecond: number;
  private readonly startsPerMinute: number;
  private readonly startsPerHourPerOwner: number;

  constructor(options: InMemoryChatStoreOptions = {}) {
    this.messagesPerSecond = options.messagesPerSecond ?? 5;
    this.startsPerMinute = options.startsPerMinute ?? 10;
    this.startsPerHourPerOwner = options.startsPerHourPerOwner ?? 30;
    this.timeline = options.timeline ?? [];
  }

  // ---- rooms

  async createRoom(room: Room): Promise<void> {
    await yieldOnce();
    if (this.rooms.has(room.id)) throw new Error(`room ${room.id} already exists`);
    this.rooms.set(room.id, copy(room));
    this.timeline.push(`store.createRoom:${room.id}`);
  }

  async getRoom(roomId: string): Promise<Room | undefined> {
    await yieldOnce();
    const room = this.rooms.get(roomId);
    return room && copy(room);
  }

  async listRoomsByOwner(ownerId: string): Promise<Room[]> {
    await yieldOnce();
    return [...this.rooms.values()]
      .filter((room) => room.ownerId === ownerId)
      .sort((a, b) => (`${b.updatedAt}#${b.id}` < `${a.updatedAt}#${a.id}` ? -1 : 1))
      .map(copy);
  }

  async closeRoom(roomId: string, at: string): Promise<Room | undefined> {
    await yieldOnce();
    const room = this.rooms.get(roomId);
    if (!room) return undefined;
    room.isActive = false;
    room.updatedAt = at;
    this.timeline.push(`store.closeRoom:${roomId}`);
    return copy(room);
  }

  async touchRoom(message: ChatMessage, maxMessages: number): Promise<RoomCount> {
    await yieldOnce();
    const { roomId, createdAt: at } = message;
    const room = this.rooms.get(roomId);
    if (!room?.isActive) return { outcome: 'closed' };
    const count = this.messageCounts.get(roomId) ?? 0;
    if (count >= maxMessages) return { outcome: 'full' };
    this.messageCounts.set(roomId, count + 1);
    room.sentBy = { ...room.sentBy, [message.senderType]: (room.sentBy?.[message.senderType] ?? 0) + 1 };
    if (room.updatedAt < at) {
      room.updatedAt = at;
      room.lastMessage = { id: message.id, senderType: message.senderType, content: message.content, createdAt: at };
    }
    this.timeline.push(`store.touchRoom:${roomId}`);
    return { outcome: 'counted', room: copy(room) };
  }

  async uncountMessage(roomId: string, senderType: SenderType): Promise<void> {
    await yieldOnce();
    const count = this.messageCounts.get(roomId) ?? 0;
    if (count > 0) {
      this.messageCounts.set(roomId, count - 1);
      const room = this.rooms.get(roomId);
      if (room) room.sentBy = { ...room.sentBy, [senderType]: (room.sentBy?.[senderType] ?? 1) - 1 };
    }
  }

  async markRead(message: ChatMessage, reader: SenderType, readAt: string): Promise<ReadOutcome> {
    await yieldOnce();
    const room = this.rooms.get(message.roomId);
    if (!room) return undefined;
    const key = timeKey(message);
    const current = room.lastRead?.[reader];
    if (current && current.timeKey >= key) return { moved: false, room: copy(room) };
    // The adapter's count without its shortcut: the other side's stored messages up to this one.
    const other = otherSide(reader);
    const newer = [...(this.messages.get(message.roomId)?.values() ?? [])].filter(
      (m) => m.senderType === other && timeKey(m) > key,
    ).length;
    const count = Math.max(0, (room.sentBy?.[other] ?? 0) - newer);
    room.lastRead = { ...room.lastRead, [reader]: { messageId: message.id, timeKey: key, count, readAt } };
    this.timeline.push(`store.markRead:${reader}:${message.id}`);
    return { moved: true, room: copy(room) };
  }

  // ---- messages

  async putMessage(message: ChatMessage): Promise<PutMessageResult> {
    await yieldOnce();
    const room = this.messages.get(message.roomId) ?? new Map<string, ChatMessage>();
    this.messages.set(message.roomId, room);
    const original = room.get(message.id);
    if (original) return { stored: false, original: copy(original) };
    room.set(message.id, copy(message));
    this.timeline.push(`store.putMessage:${message.id}`);
    return { stored: true };
  }

  async deleteMessage(roomId: string, messageId: string): Promise<void> {
    await yieldOnce();
    this.messages.get(roomId)?.delete(messageId);
    this.timeline.push(`store.deleteMessage:${messageId}`);
  }

  async getMessage(roomId: string, messageId: string): Promise<ChatMessage | undefined> {
    await yieldOnce();
    const message = this.messages.get(roomId)?.get(messageId);
    return message && copy(message);
  }

  async listMessages(roomId: string, page: MessagePage): Promise<MessageSlice> {
    await yieldOnce();
    const lower = page.after && timeKey(page.after);
    const upper = page.before && timeKey(page.before);
    const inRange = [...(this.messages.get(roomId)?.values() ?? [])]
      .filter((m) => (lower === undefined || timeKey(m) > lower) && (upper === undefined || timeKey(m) < upper))
      .sort((a, b) => (timeKey(a) < timeKey(b) ? -1 : 1));
    // As the adapter: after a lower bound, read forward; otherwise newest first.
    const reading = lower === undefined ? inRange.reverse() : inRange;
    const taken: ChatMessage[] = [];
    for (const message of reading) {
      if ((page.limit !== undefined && taken.length >= page.limit) || (page.fits && !page.fits(copy(message)))) {
        return { messages: (lower === undefined ? taken.reverse() : taken).map(copy), more: true };
      }
      taken.push(message);
    }
    return { messages: (lower === undefined ? taken.reverse() : taken).map(copy), more: false };
  }

  /** The room's messages in storage order (oldest first), for assertions. */
  messagesOf(roomId: string): ChatMessage[] {
    return [...(this.messages.get(roomId)?.values() ?? [])].sort((a, b) => (timeKey(a) < timeKey(b) ? -1 : 1));
  }

  // ---- connections

  async saveConnection(connection: Connection, connectedAt: number): Promise<void> {
    await yieldOnce();
    const { connectionId, identity } = connection;
    this.connections.set(connectionId, { identity: copy(identity), connectedAt, sends: [], refusals: [] });
    if (identity.kind === 'room') {
      const members = this.roomMembers.get(identity.roomId) ?? new Map();
      members.set(connectionId, { role: identity.role, connectedAt });
      this.roomMembers.set(identity.roomId, members);
    } else {
      const inbox = this.inboxes.get(identity.ownerId) ?? new Set<string>();
      inbox.add(connectionId);
      this.inboxes.set(identity.ownerId, inbox);
    }
    this.timeline.push(`store.saveConnection:${connectionId}`);
  }

  async admitFrame(connectionId: string, arrivedAtMs: number, typing?: { everyMs: number }): Promise<Admission> {
    await yieldOnce();
    const connection = this.connections.get(connectionId);
    if (!connection) return { admitted: false, reason: 'unknown-connection' };
    const limit = this.messagesPerSecond;
    if (limit > 0) {
      const nth = connection.sends[limit - 1];
      if (nth !== undefined && nth > arrivedAtMs - 1000) {
        const { count, withinMs } = REPEATED_REFUSALS;
        connection.refusals = [arrivedAtMs, ...connection.refusals].slice(0, count);
        const oldest = connection.refusals[count - 1];
        return {
          admitted: false,
          reason: 'rate-limited',
          repeated: oldest !== undefined && oldest > arrivedAtMs - withinMs,
        };
      }
      connection.sends = [arrivedAtMs, ...connection.sends].slice(0, limit);
    }
    if (!typing) return { admitted: true, identity: copy(connection.identity) };
    const relayTyping = connection.typingAt === undefined || connection.typingAt <= arrivedAtMs - typing.everyMs;
    if (relayTyping) connection.typingAt = arrivedAtMs;
    return { admitted: true, identity: copy(connection.identity), relayTyping };
  }

  async removeConnectionById(connectionId: string): Promise<ConnectionIdentity | undefined> {
    await yieldOnce();
    const connection = this.connections.get(connectionId);
    if (!connection) return undefined;
    this.deleteRows({ connectionId, identity: connection.identity });
    return copy(connection.identity);
  }

  async removeKnownConnection(connection: Connection): Promise<void> {
    await yieldOnce();
    this.deleteRows(connection);
  }

  async listRoomConnections(roomId: string): Promise<RoomConnection[]> {
    await yieldOnce();
    // Ordered by id, as a Query on the room partition returns the membership rows.
    return [...(this.roomMembers.get(roomId)?.entries() ?? [])]
      .sort(([a], [b]) => byKey(a, b))
      .map(([connectionId, { role, connectedAt }]) => ({ connectionId, role, connectedAt }));
  }

  async listInboxConnections(ownerId: string): Promise<string[]> {
    await yieldOnce();
    return [...(this.inboxes.get(ownerId) ?? [])].sort(byKey);
  }

  /** Whether any trace (meta row or membership) of the connection remains. */
  knowsConnection(connectionId: string): boolean {
    return (
      this.connections.has(connectionId) ||
      [...this.roomMembers.values()].some((members) => members.has(connectionId)) ||
      [...this.inboxes.values()].some((inbox) => inbox.has(connectionId))
    );
  }

  /** The connection row and its membership row, as both removals delete them. */
  private deleteRows({ connectionId, identity }: Connection): void {
    this.connections.delete(connectionId);
    if (identity.kind === 'room') this.roomMembers.get(identity.roomId)?.delete(connectionId);
    else this.inboxes.get(identity.ownerId)?.delete(connectionId);
    this.timeline.push(`store.removeConnection:${connectionId}`);
  }

  // ---- abuse limits

  async admitRoomStart(sourceKey: string, nowMs: number): Promise<boolean> {
    await yieldOnce();
    return admitToWindow(this.roomStarts, sourceKey, this.startsPerMinute, nowMs, START_LIMIT_WINDOWS.perAddressMs);
  }

  async admitOwnerRoomStart(ownerId: string, nowMs: number): Promise<boolean> {
    await yieldOnce();
    return admitToWindow(
      this.ownerRoomStarts,
      ownerId,
      this.startsPerHourPerOwner,
      nowMs,
      START_LIMIT_WINDOWS.perOwnerMs,
    );
  }
}

/** The sliding window of DynamoChatStore: the newest `limit` event times per key, newest first. */
function admitToWindow(
  windows: Map<string, number[]>,
  key: string,
  limit: number,
  nowMs: number,
  windowMs: number,
): boolean {
  if (limit === 0) return true;
  const events = windows.get(key) ?? [];
  const nth = events[limit - 1];
  if (nth !== undefined && nth > nowMs - windowMs) return false;
  windows.set(key, [nowMs, ...events].slice(0, limit));
  return true;
}
