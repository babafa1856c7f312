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
}

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

export const toRoomView = (room: Room): RoomView => ({
  id: room.id,
  owner_id: room.ownerId,
  visitor_name: room.visitorName,
  is_active: room.isActive,
  created_at: room.createdAt,
  updated_at: room.updatedAt,
});

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
