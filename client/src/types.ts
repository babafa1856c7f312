/** The public types of the client; the wire shapes are those of docs/api.md. */

/** A WebSocket constructor, browser-style (`new WebSocket(url)`); the `ws` package's fits too. */
export interface WebSocketLike {
  new (url: string): SocketLike;
}
/** What the client uses of a socket; the handler properties take any function, whatever the runtime's event types. */
export interface SocketLike {
  onopen: unknown;
  onmessage: unknown;
  onclose: unknown;
  onerror: unknown;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface ChatClientOptions {
  /** REST base, e.g. 'https://chat.carinfopro.uz' or 'http://localhost:8000' (a trailing slash is fine). */
  baseUrl: string;
  /** WebSocket base; default: baseUrl with http→ws, https→wss. Sockets: <base>/ws/chat/<room>/, <base>/ws/inbox/ */
  webSocketUrl?: string;
  /** Injectables for tests and older runtimes; default globalThis.fetch / globalThis.WebSocket. */
  fetch?: typeof globalThis.fetch;
  WebSocket?: WebSocketLike;
  /** Reconnect backoff: first delay and cap, default 1000 and 30000 ms; each delay jittered to [d/2, d]. */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
  /** Keep-alive ping period while open; default 240000 ms (API Gateway drops a socket idle 10 min). */
  pingIntervalMs?: number;
  /** Messages loaded on the first open of a conversation (history ?limit=); default 50. */
  initialHistory?: number;
  /** Randomness for the reconnect jitter (tests); default Math.random. client_ids always use crypto. */
  random?: () => number;
}

/** Owner: getToken() is called before every REST call and every (re)connect, so a refreshed JWT is used. */
export interface OwnerCredentials {
  getToken(): string | Promise<string>;
}
/** Visitor: the visitor_token from startChat. */
export interface VisitorCredentials {
  visitorToken: string;
}
export type Credentials = OwnerCredentials | VisitorCredentials;

export type SenderType = 'owner' | 'visitor';
/** One shape for history items (wire `content`) and live broadcasts (wire `message`). */
export interface ChatMessage {
  id: string;
  room_id: string;
  sender_type: SenderType;
  text: string;
  created_at: string;
  client_id?: string;
}
export interface Room {
  id: string;
  owner_id: string;
  visitor_name: string;
  is_active: boolean;
  created_at: string;
  updated_at: string;
  last_message: { id: string; sender_type: SenderType; content: string; created_at: string } | null;
  unread_count: number;
  last_read: { owner: string | null; visitor: string | null };
}
export interface StartedChat {
  room_id: string;
  visitor_token: string;
  ws_path: string;
  ws_url: string;
}
export interface HistoryPage {
  messages: ChatMessage[];
  /** From Link rel="prev": pass as `before` to get older messages. */
  before?: string;
  /** From Link rel="next": pass as `after` to get newer ones. */
  after?: string;
}
export interface RoomPage {
  rooms: Room[];
  /** From Link rel="next". */
  cursor?: string;
}
export interface ReadReceipt {
  room_id: string;
  reader: SenderType;
  message_id: string;
  read_at: string;
}
export interface Typing {
  room_id: string;
  sender_type: SenderType;
}

export interface ChatClient {
  startChat(ownerId: string, visitorName?: string): Promise<StartedChat>;
  listRooms(credentials: OwnerCredentials, options?: { cursor?: string }): Promise<RoomPage>;
  getRoom(roomId: string, credentials: Credentials): Promise<Room>;
  /** The owner ends the chat (POST .../close/): its sockets get 'closed'; the history stays readable. */
  closeRoom(roomId: string, credentials: OwnerCredentials): Promise<Room>;
  history(
    roomId: string,
    credentials: Credentials,
    options?: { limit?: number; before?: string; after?: string },
  ): Promise<HistoryPage>;
  connect(roomId: string, credentials: Credentials): Conversation;
  inbox(credentials: OwnerCredentials): Inbox;
}

/** 'connecting' → 'open' → ('reconnecting' → 'connecting' → 'open')* → 'closed' (terminal). */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface ClientError {
  /** A server frame code (invalid_frame, blank_message, message_too_long, rate_limited, room_full,
   *  unknown_message, internal...) or the client's own: 'unauthorized' (401 twice), 'forbidden' (403),
   *  'not_found' (404), 'unsupported' (no WebSocket/fetch available). */
  code: string;
  message: string;
  client_id?: string;
  /** True when the client stopped for good because of it (state is then 'closed'). */
  fatal: boolean;
}

export interface ConversationEvents {
  /** Each message once (dedupe by id), catch-up and live merged in server order. */
  message: ChatMessage;
  read: ReadReceipt;
  /** From the other side only. */
  typing: Typing;
  /** The chat is over (a room.closed frame, or a refused reconnect to a room with is_active false). */
  closed: { room_id: string };
  error: ClientError;
  state: ConnectionState;
}
export interface Conversation {
  readonly roomId: string;
  readonly state: ConnectionState;
  /** Every message delivered so far, in server order (created_at, then id). */
  readonly messages: readonly ChatMessage[];
  on<K extends keyof ConversationEvents>(event: K, listener: (value: ConversationEvents[K]) => void): () => void;
  /** Queues the message with a new client_id (returned) and sends it now or after the next open;
   *  resent after every reconnect, and after `internal`/`rate_limited`, until its echo arrives. */
  send(text: string): string;
  markRead(messageId: string): void;
  typing(): void;
  /** Stops for good: closes the socket, no reconnect; state 'closed' (no 'closed' event). */
  close(): void;
}

export interface InboxEvents {
  room: { type: 'room.created' | 'room.updated'; room: Room };
  message: ChatMessage;
  /** The first page of the room list, fetched after every (re)connect (what the inbox missed). */
  rooms: Room[];
  error: ClientError;
  state: ConnectionState;
}
export interface Inbox {
  readonly state: ConnectionState;
  on<K extends keyof InboxEvents>(event: K, listener: (value: InboxEvents[K]) => void): () => void;
  close(): void;
}
