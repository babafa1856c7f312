/**
 * The chat's entities and their wire shapes. Field names follow the client contract
 * (docs/api.md) exactly: history items carry `content`, live broadcasts carry `message`.
 */
export type SenderType = 'visitor' | 'owner';

export interface Room {
  id: string;
  ownerId: string;
  visitorName: string;
  isActive: boolean;
  createdAt: string;
  updatedAt: string;
  /** SHA-256 (hex) of the visitor token; the token itself is never stored. */
  visitorTokenHash: string;
  /**
   * Messages each side has sent, counted by the room update beside every message (exact under
   * concurrency). Absent on a new room and on rooms from before the counts: zero.
   */
  sentBy?: Partial<Record<SenderType, number>>;
  /** The room's newest message, kept by the same room update; absent before the first. */
  lastMessage?: LastMessage;
  /** Each side's read position; absent until that side has read something. */
  lastRead?: Partial<Record<SenderType, ReadPosition>>;
}

export interface LastMessage {
  id: string;
  senderType: SenderType;
  content: string;
  createdAt: string;
}

/** How far one side has read: that message and every earlier one. */
export interface ReadPosition {
  messageId: string;
  /** The message's `<created_at>#<id>`: positions only move forward in this order. */
  timeKey: string;
  /** Messages of the other side up to and including that message: the side's unread count is the other side's count minus this. */
  count: number;
  /** When the read was received. */
  readAt: string;
}

export const otherSide = (side: SenderType): SenderType => (side === 'owner' ? 'visitor' : 'owner');

/** Messages of the other side that `side` has not read. */
export const unreadCount = (room: Room, side: SenderType): number =>
  Math.max(0, (room.sentBy?.[otherSide(side)] ?? 0) - (room.lastRead?.[side]?.count ?? 0));

export interface ChatMessage {
  id: string;
  roomId: string;
  senderType: SenderType;
  content: string;
  createdAt: string;
  /** Idempotency key chosen by the sending client, when it gave one. */
  clientId?: string;
}

/** Who is behind a WebSocket connection, as `$connect` established it. */
export type ConnectionIdentity =
  | { kind: 'room'; roomId: string; ownerId: string; role: SenderType }
  | { kind: 'inbox'; ownerId: string; role: 'owner' };

export interface Connection {
  connectionId: string;
  identity: ConnectionIdentity;
}

/** A connection of a room, as the broadcast needs it. */
export interface RoomConnection {
  connectionId: string;
  role: SenderType;
  /** When API Gateway accepted the handshake (epoch ms); ranks a member's sockets against its cap. */
  connectedAt?: number;
}

/** `GET /api/chat/rooms/` item. */
export interface RoomView {
  id: string;
  owner_id: string;
  visitor_name: string;
  is_active: boolean;
  created_at: string;
  updated_at: string;
  /** Added: the newest message, or null. */
  last_message: LastMessageView | null;
  /** Added: messages of the other side the viewer's side has not read. */
  unread_count: number;
  /** Added: each side's read position (a message id), or null. */
  last_read: { owner: string | null; visitor: string | null };
}

export interface LastMessageView {
  id: string;
  sender_type: SenderType;
  content: string;
  created_at: string;
}

/** `{"type": "read"}` as every socket of the room receives it. */
export interface ReadView {
  type: 'read';
  room_id: string;
  reader: SenderType;
  message_id: string;
  read_at: string;
}

/** `GET /api/chat/rooms/<id>/messages/` item. */
export interface HistoryItemView {
  id: string;
  room_id: string;
  sender_type: SenderType;
  content: string;
  created_at: string;
  client_id?: string;
}

/** The live frame every connection of the room receives. */
export interface BroadcastView {
  id: string;
  room_id: string;
  sender_type: SenderType;
  message: string;
  created_at: string;
  client_id?: string;
}

/** The room as `viewer` sees it: `unread_count` is that side's. */
export const toRoomView = (room: Room, viewer: SenderType): RoomView => ({
  id: room.id,
  owner_id: room.ownerId,
  visitor_name: room.visitorName,
  is_active: room.isActive,
  created_at: room.createdAt,
  updated_at: room.updatedAt,
  last_message: room.lastMessage
    ? {
        id: room.lastMessage.id,
        sender_type: room.lastMessage.senderType,
        content: room.lastMessage.content,
        created_at: room.lastMessage.createdAt,
      }
    : null,
  unread_count: unreadCount(room, viewer),
  last_read: {
    owner: room.lastRead?.owner?.messageId ?? null,
    visitor: room.lastRead?.visitor?.messageId ?? null,
  },
});

export const toReadView = (roomId: string, reader: SenderType, position: ReadPosition): ReadView => ({
  type: 'read',
  room_id: roomId,
  reader,
  message_id: position.messageId,
  read_at: position.readAt,
});

/** A message's place in the room's order (the time index's sort key). */
export const messageTimeKey = (message: { createdAt: string; id: string }) => `${message.createdAt}#${message.id}`;

export const toHistoryItemView = (message: ChatMessage): HistoryItemView => ({
  id: message.id,
  room_id: message.roomId,
  sender_type: message.senderType,
  content: message.content,
  created_at: message.createdAt,
  ...(message.clientId ? { client_id: message.clientId } : {}),
});

export const toBroadcastView = (message: ChatMessage): BroadcastView => ({
  id: message.id,
  room_id: message.roomId,
  sender_type: message.senderType,
  message: message.content,
  created_at: message.createdAt,
  ...(message.clientId ? { client_id: message.clientId } : {}),
});
