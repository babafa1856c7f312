/**
 * Every item of the table as the store writes and reads it: keys and prefixes, the index keys,
 * the TTL attribute and every expiry, and the item ↔ domain conversions. The store, the unit
 * tests and the benchmark build items here, so no item shape is written twice. The physical
 * schema (attribute and index names, which the CDK construct creates) is in table-layout.ts.
 */
import {
  messageTimeKey,
  type ChatMessage,
  type Connection,
  type ConnectionIdentity,
  type ReadPosition,
  type Room,
  type RoomConnection,
  type SenderType,
} from '../domain/model.js';
import { TableLayout } from './table-layout.js';

export type Item = Record<string, unknown>;

const ROOM = 'ROOM#';
const MESSAGE = 'MSG#';
const CONNECTION = 'CONN#';
const OWNER = 'OWNER#';
const INBOX = 'INBOX#';
const START_RATE = 'RATE#START#';
const OWNER_START_RATE = 'RATE#OWNER#';

/** Sort-key prefixes that select one kind of item within a partition (begins_with). */
export const sortKeyPrefixes = { roomConnection: CONNECTION, inboxConnection: INBOX } as const;

export const keys = {
  room: (roomId: string) => ({ pk: `${ROOM}${roomId}`, sk: 'ROOM' }),
  message: (roomId: string, messageId: string) => ({ pk: `${ROOM}${roomId}`, sk: `${MESSAGE}${messageId}` }),
  roomConnection: (roomId: string, connectionId: string) => ({
    pk: `${ROOM}${roomId}`,
    sk: `${CONNECTION}${connectionId}`,
  }),
  connection: (connectionId: string) => ({ pk: `${CONNECTION}${connectionId}`, sk: 'CONN' }),
  inboxConnection: (ownerId: string, connectionId: string) => ({
    pk: `${OWNER}${ownerId}`,
    sk: `${INBOX}${connectionId}`,
  }),
  startRate: (sourceKey: string) => ({ pk: `${START_RATE}${sourceKey}`, sk: 'RATE' }),
  ownerStartRate: (ownerId: string) => ({ pk: `${OWNER_START_RATE}${ownerId}`, sk: 'RATE' }),
  roomPartition: (roomId: string) => `${ROOM}${roomId}`,
  ownerPartition: (ownerId: string) => `${OWNER}${ownerId}`,
};

/** The row that makes a socket a member of its room, or of its owner's inbox. */
export const membershipKey = ({ connectionId, identity }: Connection) =>
  identity.kind === 'room'
    ? keys.roomConnection(identity.roomId, connectionId)
    : keys.inboxConnection(identity.ownerId, connectionId);

/**
 * A room's key in the owner index: by creation, a key that never changes, so a message's touch
 * rewrites the index entry in place instead of deleting and re-adding it.
 */
export const ownerIndexKey = (room: Pick<Room, 'ownerId' | 'createdAt' | 'id'>) => ({
  [TableLayout.ownerIndex.partitionKey]: keys.ownerPartition(room.ownerId),
  [TableLayout.ownerIndex.sortKey]: `${room.createdAt}#${room.id}`,
});

/**
 * A message's key in the time index (also the bound of a history range, and the room's
 * `last_key` and read positions): creation, then id, the order the domain compares positions in.
 */
export const timeIndexKey: (message: Pick<ChatMessage, 'createdAt' | 'id'>) => string = messageTimeKey;

// ---- room counters, preview and read positions -----------------------------------------

/** The room item's count of the messages `side` sent. */
export const sentAttribute = (side: SenderType) => `sent_${side}`;

/** The room item's attributes of `side`'s read position (flat, so one SET can copy the count from the item). */
export const readAttributes = (side: SenderType) => ({
  id: `read_${side}_id`,
  key: `read_${side}_key`,
  at: `read_${side}_at`,
  count: `read_${side}_count`,
});

/** The room item's preview of its newest message (`last_message`; its time key is `last_key`). */
export const lastMessageItem = (message: ChatMessage): Item => ({
  id: message.id,
  sender_type: message.senderType,
  content: message.content,
  created_at: message.createdAt,
});

function readPosition(item: Item, side: SenderType): ReadPosition | undefined {
  const read = readAttributes(side);
  if (typeof item[read.id] !== 'string') return undefined;
  return {
    messageId: String(item[read.id]),
    timeKey: String(item[read.key]),
    count: Number(item[read.count] ?? 0),
    readAt: String(item[read.at]),
  };
}

// ---- expiry ----------------------------------------------------------------------------

export const epochSeconds = (ms: number) => Math.floor(ms / 1000);

/**
 * A rate-limit row expires this many windows after its last use: by then every time it logs
 * lies outside the window, so a missing row admits exactly what the expired one would have.
 * The second window is slack for TTL, which deletes some time after the expiry.
 */
const RATE_ROW_KEPT_FOR_WINDOWS = 2;

/** Seconds after which items expire (DynamoDB TTL); undefined keeps them forever. */
export interface Retention {
  roomSeconds?: number;
  messageSeconds?: number;
  connectionSeconds: number;
}

/** `SET` clause and value that write an item's expiry in an UpdateItem; empty when it has none. */
export interface ExpiryUpdate {
  /** `, expires_at = :expires`, to append to a SET clause, or ''. */
  set: string;
  values: Item;
}

const expiryUpdate = (expiresAt: number | undefined): ExpiryUpdate =>
  expiresAt === undefined
    ? { set: '', values: {} }
    : { set: `, ${TableLayout.ttlAttribute} = :expires`, values: { ':expires': expiresAt } };

const expiryAfter = (isoTime: string, seconds: number | undefined): number | undefined =>
  seconds === undefined ? undefined : epochSeconds(Date.parse(isoTime)) + seconds;

/** Whether the item is past its expiry at `nowMs`: TTL deletes late, so reads filter on it. */
export function isExpired(item: Item, nowMs: number): boolean {
  const expiresAt = item[TableLayout.ttlAttribute];
  return typeof expiresAt === 'number' && expiresAt * 1000 <= nowMs;
}

/** The rate-limit row's expiry, renewed by each admitted event. */
export const rateRowExpiry = (nowMs: number, windowMs: number): ExpiryUpdate =>
  expiryUpdate(epochSeconds(nowMs + RATE_ROW_KEPT_FOR_WINDOWS * windowMs));

// ---- items ---------------------------------------------------------------------------

/** The items of a table with a retention: what the store writes, and what tests and the bench seed. */
export class ItemCodec {
  constructor(private readonly retention: Retention) {}

  room(room: Room): Item {
    return {
      ...keys.room(room.id),
      id: room.id,
      owner_id: room.ownerId,
      visitor_name: room.visitorName,
      is_active: room.isActive,
      created_at: room.createdAt,
      updated_at: room.updatedAt,
      visitor_token_hash: room.visitorTokenHash,
      ...ownerIndexKey(room),
      [TableLayout.ttlAttribute]: expiryAfter(room.updatedAt, this.retention.roomSeconds),
    };
  }

  /** A room's expiry moves with its last activity. */
  roomExpiry(updatedAt: string): ExpiryUpdate {
    return expiryUpdate(expiryAfter(updatedAt, this.retention.roomSeconds));
  }

  message(message: ChatMessage): Item {
    return {
      ...keys.message(message.roomId, message.id),
      id: message.id,
      room_id: message.roomId,
      sender_type: message.senderType,
      content: message.content,
      created_at: message.createdAt,
      client_id: message.clientId,
      [TableLayout.timeIndex.sortKey]: timeIndexKey(message),
      [TableLayout.ttlAttribute]: expiryAfter(message.createdAt, this.retention.messageSeconds),
    };
  }

  /** A socket's two rows: the connection (who it is, its rate limit) and its membership. */
  connection(connection: Connection, connectedAt: number): { connection: Item; membership: Item } {
    const expiresAt = epochSeconds(connectedAt) + this.retention.connectionSeconds;
    const { identity, connectionId } = connection;
    const membership =
      identity.kind === 'room'
        ? { ...membershipKey(connection), role: identity.role, connected_at: connectedAt }
        : membershipKey(connection);
    return {
      connection: {
        ...keys.connection(connectionId),
        connection_id: connectionId,
        kind: identity.kind,
        role: identity.role,
        owner_id: identity.ownerId,
        room_id: identity.kind === 'room' ? identity.roomId : undefined,
        connected_at: connectedAt,
        [TableLayout.ttlAttribute]: expiresAt,
      },
      membership: { ...membership, connection_id: connectionId, [TableLayout.ttlAttribute]: expiresAt },
    };
  }
}

// ---- domain --------------------------------------------------------------------------

export function toRoom(item: Item): Room {
  const room: Room = {
    id: String(item.id),
    ownerId: String(item.owner_id),
    visitorName: String(item.visitor_name ?? ''),
    isActive: item.is_active === true,
    createdAt: String(item.created_at),
    updatedAt: String(item.updated_at),
    visitorTokenHash: String(item.visitor_token_hash),
  };
  // Counters, preview and read positions are written by the message and read paths; a room
  // that never had them (new, or written before they existed) leaves them out.
  const sentBy: Partial<Record<SenderType, number>> = {};
  const lastRead: Partial<Record<SenderType, ReadPosition>> = {};
  for (const side of ['owner', 'visitor'] as const) {
    const sent = item[sentAttribute(side)];
    if (typeof sent === 'number') sentBy[side] = sent;
    const position = readPosition(item, side);
    if (position) lastRead[side] = position;
  }
  if (Object.keys(sentBy).length) room.sentBy = sentBy;
  if (Object.keys(lastRead).length) room.lastRead = lastRead;
  const last = item.last_message as Item | undefined;
  if (last && typeof last === 'object') {
    room.lastMessage = {
      id: String(last.id),
      senderType: last.sender_type as SenderType,
      content: String(last.content),
      createdAt: String(last.created_at),
    };
  }
  return room;
}

export function toMessage(item: Item): ChatMessage {
  return {
    id: String(item.id),
    roomId: String(item.room_id),
    senderType: item.sender_type as SenderType,
    content: String(item.content),
    createdAt: String(item.created_at),
    ...(typeof item.client_id === 'string' ? { clientId: item.client_id } : {}),
  };
}

/** Who a connection row says the socket is. */
export function toIdentity(item: Item): ConnectionIdentity {
  return item.kind === 'inbox'
    ? { kind: 'inbox', ownerId: String(item.owner_id), role: 'owner' }
    : {
        kind: 'room',
        roomId: String(item.room_id),
        ownerId: String(item.owner_id),
        role: item.role as SenderType,
      };
}

export function toRoomConnection(item: Item): RoomConnection {
  return {
    connectionId: String(item.connection_id),
    role: item.role as SenderType,
    ...(typeof item.connected_at === 'number' ? { connectedAt: item.connected_at } : {}),
  };
}
