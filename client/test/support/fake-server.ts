import { randomUUID } from 'node:crypto';

/**
 * An in-memory chat server for the client's unit tests: the REST routes and socket frames of
 * docs/api.md that the client uses, as a fake `fetch` and a fake `WebSocket` class, with controls
 * to misbehave (drop sockets, refuse handshakes, answer the room probe with any status, echo twice,
 * re-broadcast retries, hold the catch-up, refuse frames with error codes).
 */

type Sender = 'owner' | 'visitor';
export interface WireMessage {
  id: string;
  room_id: string;
  sender_type: Sender;
  content: string;
  created_at: string;
  client_id?: string;
}
interface FakeRoom {
  id: string;
  owner_id: string;
  visitor_token: string;
  is_active: boolean;
  messages: WireMessage[];
}
type Identity = { side: Sender; roomId?: string; ownerId?: string };

export const OWNER_ID = '3f1c1e1a-8a5e-4a53-9a36-2f1d7c0b9e10';

export class FakeServer {
  readonly rooms = new Map<string, FakeRoom>();
  /** Owner tokens the server accepts (a test removes one to make it "expire"). */
  readonly ownerTokens = new Set<string>();
  /** Every socket the client opened, in order. */
  readonly sockets: FakeSocket[] = [];
  /** Every REST request: method, path and query (the credentials left out). */
  readonly requests: string[] = [];
  /** Every Authorization header the REST API received. */
  readonly authorizations: string[] = [];

  // Controls.
  /** Handshakes to refuse before the next one is accepted (whatever the credentials). */
  refuseHandshakes = 0;
  /** Status for GET /api/chat/rooms/<id>/ instead of the real answer (e.g. 500). */
  roomStatus: number | undefined;
  /** Status for GET /api/chat/rooms/ instead of the real answer. */
  roomListStatus: number | undefined;
  /** History pages with `after` hold at most this many messages (then Link rel="next"). */
  afterPageSize = 200;
  /** Broadcast each stored message this many times. */
  echoes = 1;
  /** Error frames to answer the next message frames with, instead of storing them. */
  readonly refuseNextSends: string[] = [];
  /** Store sends but broadcast nothing (the echo is lost with the socket). */
  swallowEchoes = false;
  /** Client frames are lost on the way (a socket that died without closing yet). */
  loseFrames = false;
  /** Frames per socket per second before `rate_limited`, counted by arrival (messagesPerSecondPerConnection). */
  framesPerSecond = Number.POSITIVE_INFINITY;
  private heldHistory: (() => void)[] | undefined;
  private clock = Date.parse('2026-02-05T11:00:00.000Z');

  readonly WebSocket = makeSocketClass(this);

  startRoom(ownerId = OWNER_ID): { roomId: string; visitorToken: string } {
    const room: FakeRoom = {
      id: randomUUID(),
      owner_id: ownerId,
      visitor_token: randomUUID(),
      is_active: true,
      messages: [],
    };
    this.rooms.set(room.id, room);
    return { roomId: room.id, visitorToken: room.visitor_token };
  }

  ownerToken(ownerId = OWNER_ID): string {
    const token = `jwt.${ownerId}.${randomUUID()}`;
    this.ownerTokens.add(token);
    return token;
  }

  /** Stores a message (a retried client_id is stored once) and broadcasts it to the room's sockets. */
  store(roomId: string, side: Sender, text: string, clientId?: string): WireMessage {
    const room = this.rooms.get(roomId)!;
    let message = clientId ? room.messages.find((m) => m.client_id === clientId) : undefined;
    if (!message) {
      this.clock += 1000;
      message = {
        id: randomUUID(),
        room_id: roomId,
        sender_type: side,
        content: text,
        created_at: new Date(this.clock).toISOString(),
        ...(clientId ? { client_id: clientId } : {}),
      };
      room.messages.push(message);
    }
    if (!this.swallowEchoes) for (let i = 0; i < this.echoes; i++) this.broadcast(roomId, broadcastOf(message));
    return message;
  }

  broadcast(roomId: string, frame: object, except?: FakeSocket): void {
    for (const socket of this.openSockets(roomId)) if (socket !== except) socket.receive(frame);
  }

  openSockets(roomId?: string): FakeSocket[] {
    return this.sockets.filter((s) => s.isOpen && (roomId === undefined || s.identity?.roomId === roomId));
  }

  /** The room is closed by its owner: room.closed to its sockets, which are then closed. */
  closeRoom(roomId: string): void {
    this.rooms.get(roomId)!.is_active = false;
    for (const socket of this.openSockets(roomId)) {
      socket.receive({ type: 'room.closed', room_id: roomId });
      socket.serverClose(1000);
    }
  }

  /** History answers wait until the returned function is called. */
  holdHistory(): () => void {
    const waiting: (() => void)[] = [];
    this.heldHistory = waiting;
    return () => {
      this.heldHistory = undefined;
      for (const release of waiting) release();
    };
  }

  /** The frames the client sent on every socket, parsed, in order. */
  sentFrames(): Record<string, unknown>[] {
    return this.sockets.flatMap((s) => s.sent.map((data) => JSON.parse(data) as Record<string, unknown>));
  }

  /** A socket handshake: the identity it opens with, or undefined when refused. */
  handshake(url: URL): Identity | undefined {
    if (this.refuseHandshakes > 0) {
      this.refuseHandshakes--;
      return undefined;
    }
    const identity = this.identify(url.searchParams.get('token'), url.searchParams.get('visitor'));
    if (!identity) return undefined;
    const chat = url.pathname.match(/^\/ws\/chat\/([^/]+)\/$/);
    if (!chat) return url.pathname === '/ws/inbox/' && identity.side === 'owner' ? identity : undefined;
    const room = this.rooms.get(chat[1]!);
    if (!room?.is_active || !this.mayRead(identity, room)) return undefined;
    return { ...identity, roomId: room.id };
  }

  readonly fetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(String(input));
    const method = init.method ?? 'GET';
    const query = new URLSearchParams(url.searchParams);
    const visitor = query.get('visitor');
    query.delete('visitor');
    this.requests.push(`${method} ${url.pathname}${query.size ? `?${query}` : ''}`);
    const authorization = new Headers(init.headers).get('authorization');
    if (authorization) this.authorizations.push(authorization);
    const identity = this.identify(authorization?.replace(/^Bearer /, '') ?? null, visitor);
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      fakeResponse(status, body, headers);

    if (method === 'POST' && url.pathname === '/api/chat/start/') {
      const { user_id } = JSON.parse(String(init.body)) as { user_id: string };
      const { roomId, visitorToken } = this.startRoom(user_id);
      return answer(201, { room_id: roomId, visitor_token: visitorToken, ws_path: `/ws/chat/${roomId}/`, ws_url: '' });
    }
    if (url.pathname === '/api/chat/rooms/') {
      if (this.roomListStatus) return answer(this.roomListStatus, { detail: 'scripted' });
      if (identity?.side !== 'owner') return answer(401, { detail: 'Authentication credentials were not provided.' });
      const rooms = [...this.rooms.values()].filter((r) => r.owner_id === identity.ownerId).map(roomObject);
      return answer(200, rooms);
    }
    const closePath = url.pathname.match(/^\/api\/chat\/rooms\/([^/]+)\/close\/$/);
    if (method === 'POST' && closePath) {
      const room = this.rooms.get(closePath[1]!);
      if (identity?.side !== 'owner') return answer(401, { detail: 'Authentication credentials were not provided.' });
      if (!room) return answer(404, { detail: 'Not found.' });
      if (!this.mayRead(identity, room)) return answer(403, { detail: 'Forbidden.' });
      this.closeRoom(room.id);
      return answer(200, roomObject(room));
    }
    const roomPath = url.pathname.match(/^\/api\/chat\/rooms\/([^/]+)\/(messages\/)?$/);
    if (!roomPath) return answer(404, { detail: 'Not found.' });
    if (!roomPath[2] && this.roomStatus) return answer(this.roomStatus, { detail: 'scripted' });
    if (!identity) return answer(401, { detail: 'Invalid token.' });
    const room = this.rooms.get(roomPath[1]!);
    if (!room) return answer(404, { detail: 'Not found.' });
    if (!this.mayRead(identity, room)) return answer(403, { detail: 'Forbidden.' });
    if (!roomPath[2]) return answer(200, roomObject(room));
    if (this.heldHistory) await new Promise<void>((release) => this.heldHistory!.push(release));
    return this.historyAnswer(room, query);
  };

  private historyAnswer(room: FakeRoom, query: URLSearchParams): Response {
    const limit = Number(query.get('limit') ?? 200);
    if (!Number.isInteger(limit) || limit < 1 || limit > 200) return fakeResponse(400, { detail: 'Bad limit.' }, {});
    const after = query.get('after');
    if (after !== null) {
      const from = room.messages.findIndex((m) => m.id === after);
      if (from < 0) return fakeResponse(400, { detail: 'Unknown after.' }, {});
      const page = room.messages.slice(from + 1, from + 1 + Math.min(limit, this.afterPageSize));
      const more = from + 1 + page.length < room.messages.length;
      const link = `</api/chat/rooms/${room.id}/messages/?after=${page.at(-1)?.id}>; rel="next"`;
      return fakeResponse(200, page, more ? { link } : {});
    }
    const page = room.messages.slice(-limit);
    const older = page.length < room.messages.length;
    const link = `</api/chat/rooms/${room.id}/messages/?before=${page[0]?.id}&limit=${limit}>; rel="prev"`;
    return fakeResponse(200, page, older ? { link } : {});
  }

  private identify(token: string | null, visitor: string | null): Identity | undefined {
    if (token !== null) {
      return this.ownerTokens.has(token) ? { side: 'owner', ownerId: token.split('.')[1]! } : undefined;
    }
    const room = [...this.rooms.values()].find((r) => r.visitor_token === visitor);
    return room ? { side: 'visitor', roomId: room.id } : undefined;
  }

  private mayRead(identity: Identity, room: FakeRoom): boolean {
    return identity.side === 'owner' ? identity.ownerId === room.owner_id : identity.roomId === room.id;
  }

  /** What the room socket does with a client frame. */
  handleFrame(socket: FakeSocket, frame: Record<string, unknown>): void {
    if (this.loseFrames) return;
    socket.arrivals = [...socket.arrivals.filter((at) => at > Date.now() - 1000), Date.now()];
    if (socket.arrivals.length > this.framesPerSecond) {
      const clientId = typeof frame.client_id === 'string' ? { client_id: frame.client_id } : {};
      socket.receive({ error: 'Too many frames.', code: 'rate_limited', ...clientId });
      return;
    }
    const roomId = socket.identity!.roomId;
    const clientId = typeof frame.client_id === 'string' ? frame.client_id : undefined;
    const side = socket.identity!.side;
    const refusal = frame.type === undefined ? this.refuseNextSends.shift() : undefined;
    if (frame.type === 'ping') socket.receive({ type: 'pong' });
    else if (!roomId) socket.receive({ error: 'The inbox only receives.', code: 'inbox_receives_only' });
    else if (frame.type === 'typing')
      this.broadcast(roomId, { type: 'typing', room_id: roomId, sender_type: side }, socket);
    else if (frame.type === 'read') {
      const read_at = new Date(this.clock).toISOString();
      this.broadcast(roomId, { type: 'read', room_id: roomId, reader: side, message_id: frame.message_id, read_at });
    } else if (refusal) {
      socket.receive({ error: `scripted ${refusal}`, code: refusal, client_id: clientId });
      // As the server does: room_closed ends the socket.
      if (refusal === 'room_closed') socket.serverClose(1000);
    } else this.store(roomId, side, String(frame.message), clientId);
  }
}

export function broadcastOf(message: WireMessage): Record<string, unknown> {
  const { content, ...rest } = message;
  return { ...rest, message: content };
}

function roomObject(room: FakeRoom) {
  const last = room.messages.at(-1);
  return {
    id: room.id,
    owner_id: room.owner_id,
    visitor_name: '',
    is_active: room.is_active,
    created_at: '2026-02-05T11:00:00.000Z',
    updated_at: last?.created_at ?? '2026-02-05T11:00:00.000Z',
    last_message: last
      ? { id: last.id, sender_type: last.sender_type, content: last.content, created_at: last.created_at }
      : null,
    unread_count: 0,
    last_read: { owner: null, visitor: null },
  };
}

/** A Response as far as the client reads one; built by hand so that reading it takes only microtasks. */
function fakeResponse(status: number, body: unknown, headers: Record<string, string>): Response {
  return {
    ok: status >= 200 && status < 300,
    status,
    statusText: String(status),
    headers: new Headers(headers),
    json: async () => body,
  } as unknown as Response;
}

export interface FakeSocket {
  readonly url: URL;
  /** When the client created it (the fake clock). */
  readonly createdAt: number;
  readonly sent: string[];
  identity: Identity | undefined;
  isOpen: boolean;
  /** True once the socket's handshake was refused. */
  refused: boolean;
  /** When its frames arrived (the fake clock), for `framesPerSecond`. */
  arrivals: number[];
  receive(frame: object | string): void;
  /** The server (or the network) closes the socket. */
  serverClose(code?: number): void;
}

function makeSocketClass(server: FakeServer) {
  return class FakeWebSocket implements FakeSocket {
    readonly url: URL;
    readonly createdAt = Date.now();
    readonly sent: string[] = [];
    identity: Identity | undefined;
    isOpen = false;
    refused = false;
    arrivals: number[] = [];
    closedByClient = false;
    onopen: ((event: unknown) => void) | null = null;
    onmessage: ((event: { data: unknown }) => void) | null = null;
    onclose: ((event: { code: number }) => void) | null = null;
    onerror: ((event: unknown) => void) | null = null;

    constructor(url: string) {
      this.url = new URL(url);
      server.sockets.push(this);
      // The handshake completes after the constructor returns, as in a browser.
      queueMicrotask(() => {
        if (this.closedByClient) return;
        this.identity = server.handshake(this.url);
        if (!this.identity) {
          this.refused = true;
          this.onerror?.({});
          this.onclose?.({ code: 1006 });
          return;
        }
        this.isOpen = true;
        this.onopen?.({});
      });
    }

    send(data: string): void {
      if (!this.isOpen) throw new Error('send on a socket that is not open');
      this.sent.push(data);
      server.handleFrame(this, JSON.parse(data) as Record<string, unknown>);
    }

    close(): void {
      this.closedByClient = true;
      if (!this.isOpen) return;
      this.isOpen = false;
      queueMicrotask(() => this.onclose?.({ code: 1000 }));
    }

    receive(frame: object | string): void {
      if (!this.isOpen) return;
      const data = typeof frame === 'string' ? frame : JSON.stringify(frame);
      queueMicrotask(() => this.onmessage?.({ data }));
    }

    serverClose(code = 1001): void {
      if (!this.isOpen) return;
      this.isOpen = false;
      queueMicrotask(() => this.onclose?.({ code }));
    }
  };
}
