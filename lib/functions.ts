import type { TableAction } from './constructs/chat-table.js';

/**
 * What a function reads from its environment beyond what its grants bring (TABLE_NAME and the
 * store's retention and limits come with the table, the JWT settings with owner-token
 * verification, WS_CALLBACK_URL with posting to sockets, EVENT_BUS_NAME with publishing).
 */
export type FunctionSetting =
  | 'maxMessageLength'
  | 'maxMessagesPerRoom'
  | 'socketsPerRoomMember'
  | 'wsUrlTemplate'
  | 'originVerifySecret';

export interface ChatFunctionDeclaration {
  /** Construct id: the start of the function's logical id in the template (the bench and tests look for 'WsMessage'). */
  id: string;
  /** Relative to lambdas/handlers. */
  handlerFile: string;
  description: string;
  /** What invokes it: an HTTP API resource (path without trailing slash) or a WebSocket route. */
  trigger: { http: string } | { webSocket: '$connect' | '$default' | '$disconnect' };
  /** The DynamoDB actions it may call on the table, and no others. No function may Scan. */
  tableActions: readonly TableAction[];
  /** Reads the owner-token verification settings (and the JWT secret, when one is used). */
  verifiesOwnerTokens: boolean;
  /** Posts to (and closes) sockets through the WebSocket API's management endpoint. */
  postsToSockets: boolean;
  /** Publishes the push-hook event to the EventBridge bus, when one is configured. */
  publishesEvents: boolean;
  settings: readonly FunctionSetting[];
}

/**
 * The eight functions, one per route, and everything each may do. The stack derives the roles
 * (table actions, secret, management API, event bus), the environment, the routes and the
 * alarms from this list alone; the infra tests assert the resulting grants action by action.
 */
export const CHAT_FUNCTIONS = {
  startChat: {
    id: 'StartChat',
    handlerFile: 'http/start-chat.ts',
    description: 'POST /api/chat/start/: a visitor opens a room',
    trigger: { http: '/api/chat/start' },
    tableActions: ['PutItem', 'UpdateItem', 'Query', 'DeleteItem'],
    verifiesOwnerTokens: false,
    // Tells the owner's live inbox sockets about the new room.
    postsToSockets: true,
    publishesEvents: false,
    settings: ['wsUrlTemplate', 'originVerifySecret'],
  },
  listRooms: {
    id: 'ListRooms',
    handlerFile: 'http/list-rooms.ts',
    description: "GET /api/chat/rooms/: the owner's rooms",
    trigger: { http: '/api/chat/rooms' },
    tableActions: ['Query'],
    verifiesOwnerTokens: true,
    postsToSockets: false,
    publishesEvents: false,
    settings: [],
  },
  getRoom: {
    id: 'GetRoom',
    handlerFile: 'http/get-room.ts',
    description: 'GET /api/chat/rooms/<id>/: one room, open or closed',
    trigger: { http: '/api/chat/rooms/{roomId}' },
    tableActions: ['GetItem'],
    verifiesOwnerTokens: true,
    postsToSockets: false,
    publishesEvents: false,
    settings: [],
  },
  roomMessages: {
    id: 'RoomMessages',
    handlerFile: 'http/room-messages.ts',
    description: 'GET /api/chat/rooms/<id>/messages/: history',
    trigger: { http: '/api/chat/rooms/{roomId}/messages' },
    tableActions: ['GetItem', 'Query'],
    verifiesOwnerTokens: true,
    postsToSockets: false,
    publishesEvents: false,
    settings: [],
  },
  closeRoom: {
    id: 'CloseRoom',
    handlerFile: 'http/close-room.ts',
    description: 'POST /api/chat/rooms/<id>/close/: the owner ends a chat',
    trigger: { http: '/api/chat/rooms/{roomId}/close' },
    tableActions: ['GetItem', 'UpdateItem', 'Query', 'DeleteItem'],
    verifiesOwnerTokens: true,
    postsToSockets: true,
    publishesEvents: false,
    settings: [],
  },
  connect: {
    id: 'WsConnect',
    handlerFile: 'ws/connect.ts',
    description: 'WebSocket $connect: authorise and remember the socket',
    trigger: { webSocket: '$connect' },
    // Re-reads the room and its sockets after writing its own rows, and deletes them when refused.
    tableActions: ['GetItem', 'PutItem', 'Query', 'DeleteItem'],
    verifiesOwnerTokens: true,
    // Closes a socket of the same member that a slower, earlier handshake overtook.
    postsToSockets: true,
    publishesEvents: false,
    settings: ['socketsPerRoomMember'],
  },
  message: {
    id: 'WsMessage',
    handlerFile: 'ws/message.ts',
    description: 'WebSocket $default: store and broadcast a message',
    trigger: { webSocket: '$default' },
    tableActions: ['GetItem', 'PutItem', 'UpdateItem', 'Query', 'DeleteItem'],
    verifiesOwnerTokens: false,
    postsToSockets: true,
    publishesEvents: true,
    settings: ['maxMessageLength', 'maxMessagesPerRoom'],
  },
  disconnect: {
    id: 'WsDisconnect',
    handlerFile: 'ws/disconnect.ts',
    description: 'WebSocket $disconnect: forget the socket',
    trigger: { webSocket: '$disconnect' },
    tableActions: ['DeleteItem'],
    verifiesOwnerTokens: false,
    postsToSockets: false,
    publishesEvents: false,
    settings: [],
  },
} as const satisfies Record<string, ChatFunctionDeclaration>;

export type ChatFunctionName = keyof typeof CHAT_FUNCTIONS;
