import type { ChatDeps } from './deps.js';
import { ForbiddenError, NotFoundError, UnauthorizedError, ValidationError } from './errors.js';
import { fanOut } from './fan-out.js';
import {
  toHistoryItemView,
  toRoomView,
  type ChatMessage,
  type Connection,
  type HistoryItemView,
  type Room,
  type RoomView,
  type SenderType,
} from './model.js';
import { authenticateOwner, type OwnerCredential } from './owner-auth.js';
import type { MessagePage } from './ports.js';
import { responseBudget } from './response-budget.js';
import { isUuid, requireUuid } from './validation.js';
import { visitorTokenMatches } from './visitor-token.js';

export const MAX_PAGE_SIZE = 200;

/** The most rooms one room-list response holds (each is a few hundred bytes). */
export const MAX_ROOMS_PER_PAGE = 1000;

/**
 * Where a list response stops when it does not hold everything: the query parameters of the
 * request that continues it, and which way that goes (older messages, or the next rooms).
 */
export interface Continuation {
  rel: 'prev' | 'next';
  query: Record<string, string>;
}

export interface ListPage<T> {
  items: T[];
  continuation?: Continuation;
}

/**
 * GET /api/chat/rooms/: the owner's rooms, most recent activity first, as many as fit in one
 * response (at most MAX_ROOMS_PER_PAGE); `cursor` (from the previous page's continuation)
 * continues after the last room of that page.
 */
export async function listRooms(
  deps: Pick<ChatDeps, 'store' | 'verifier'>,
  owner: OwnerCredential | undefined,
  cursor?: string,
): Promise<ListPage<RoomView>> {
  const ownerId = await authenticateOwner(deps.verifier, owner);
  const after = cursor === undefined ? undefined : parseRoomCursor(cursor);
  const rooms = await deps.store.listRoomsByOwner(ownerId);
  const fits = responseBudget();
  const items: RoomView[] = [];
  let last: Room | undefined;
  for (const room of rooms) {
    if (after !== undefined && roomActivityKey(room) >= after) continue;
    const view = toRoomView(room, 'owner');
    if (items.length === MAX_ROOMS_PER_PAGE || !fits(view)) {
      return { items, continuation: { rel: 'next', query: { cursor: roomCursor(last!) } } };
    }
    items.push(view);
    last = room;
  }
  return { items };
}

/** The order of the room list (descending): latest activity, then id, as listRoomsByOwner sorts. */
const roomActivityKey = (room: Pick<Room, 'updatedAt' | 'id'>) => `${room.updatedAt}#${room.id}`;

const roomCursor = (room: Room) => Buffer.from(roomActivityKey(room)).toString('base64url');

function parseRoomCursor(cursor: string): string {
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  const [updatedAt, id] = key.split('#');
  if (!/^\d{4}-\d\d-\d\dT[\d:.]+Z$/.test(updatedAt ?? '') || !isUuid(id)) {
    throw new ValidationError('cursor is not a cursor of this list.');
  }
  return key;
}

export interface RoomCredentials {
  /** The owner's JWT (from the Authorization header). */
  owner?: OwnerCredential;
  visitorToken?: string;
}

/**
 * Who may read a room: its owner (JWT) or the visitor holding its token. The owner's JWT
 * wins when both are sent. Unknown rooms are 404; a valid credential for another room is 403.
 */
export async function authorizeRoomReader(
  deps: Pick<ChatDeps, 'store' | 'verifier'>,
  rawRoomId: string | undefined,
  credentials: RoomCredentials,
): Promise<{ room: Room; role: SenderType }> {
  const roomId = requireRoomId(rawRoomId);
  if (credentials.owner) {
    const [ownerId, room] = await Promise.all([
      authenticateOwner(deps.verifier, credentials.owner),
      deps.store.getRoom(roomId),
    ]);
    if (!room) throw new NotFoundError('Not found.');
    if (room.ownerId !== ownerId) throw new ForbiddenError('You do not have permission to access this room.');
    return { room, role: 'owner' };
  }
  if (credentials.visitorToken) {
    const room = await deps.store.getRoom(roomId);
    if (!room) throw new NotFoundError('Not found.');
    if (!visitorTokenMatches(credentials.visitorToken, room.visitorTokenHash)) {
      throw new ForbiddenError('Invalid visitor token for this room.');
    }
    return { room, role: 'visitor' };
  }
  throw new UnauthorizedError('Authentication credentials were not provided.');
}

/**
 * GET /api/chat/rooms/<id>/: the room in the room list's shape, for its owner or its visitor.
 * A closed room stays readable, so a client whose reconnect was refused learns the chat is over.
 */
export async function getRoom(
  deps: Pick<ChatDeps, 'store' | 'verifier'>,
  rawRoomId: string | undefined,
  credentials: RoomCredentials,
): Promise<RoomView> {
  const { room, role } = await authorizeRoomReader(deps, rawRoomId, credentials);
  return toRoomView(room, role);
}

export interface HistoryQuery {
  /** Page size; NaN stands for a value that is not an integer at all. */
  limit?: number;
  /** Message ids bounding the page. */
  before?: string;
  after?: string;
}

/**
 * GET /api/chat/rooms/<id>/messages/: without parameters the whole history, oldest first
 * (the original contract, docs/api.md) when it fits in one response, otherwise the newest messages that
 * fit and a continuation to the older ones. `limit`, `before` and `after` page through it
 * for clients that know them, bounded the same way; the result is always oldest first.
 */
export async function getHistory(
  deps: Pick<ChatDeps, 'store' | 'verifier'>,
  rawRoomId: string | undefined,
  credentials: RoomCredentials,
  query: HistoryQuery,
): Promise<ListPage<HistoryItemView>> {
  const { room } = await authorizeRoomReader(deps, rawRoomId, credentials);
  const fits = responseBudget();
  const page: MessagePage = { fits: (message) => fits(toHistoryItemView(message)) };
  if (query.limit !== undefined) page.limit = requireLimit(query.limit);
  const [before, after] = await Promise.all([
    query.before === undefined ? undefined : requireMessage(deps, room.id, query.before, 'before'),
    query.after === undefined ? undefined : requireMessage(deps, room.id, query.after, 'after'),
  ]);
  if (before) page.before = before;
  if (after) page.after = after;
  const { messages, more } = await deps.store.listMessages(room.id, page);
  const items = messages.map(toHistoryItemView);
  if (!more || items.length === 0) return { items };
  // After a lower bound the page was read forward, so more lie after it; otherwise before it.
  const next: Record<string, string> = page.after
    ? { after: items.at(-1)!.id, ...(page.before ? { before: page.before.id } : {}) }
    : { before: items[0]!.id };
  if (page.limit !== undefined) next.limit = String(page.limit);
  const continuation: Continuation = { rel: page.after ? 'next' : 'prev', query: next };
  return { items, continuation };
}

/** POST /api/chat/rooms/<id>/close/: the owner ends the chat. */
export async function closeRoom(
  deps: Pick<ChatDeps, 'store' | 'verifier' | 'gateway' | 'clock' | 'logger' | 'metrics'>,
  rawRoomId: string | undefined,
  owner: OwnerCredential | undefined,
): Promise<RoomView> {
  const roomId = requireRoomId(rawRoomId);
  const ownerId = await authenticateOwner(deps.verifier, owner);
  const room = await deps.store.getRoom(roomId);
  if (!room) throw new NotFoundError('Not found.');
  if (room.ownerId !== ownerId) throw new ForbiddenError('You do not have permission to access this room.');

  const closed = (await deps.store.closeRoom(roomId, deps.clock.now().toISOString())) ?? room;
  const view = toRoomView(closed, 'owner');
  deps.logger.info('room_closed', { roomId, ownerId });

  const [roomConnections, inbox] = await Promise.all([
    deps.store.listRoomConnections(roomId),
    deps.store.listInboxConnections(ownerId),
  ]);
  const members: Connection[] = roomConnections.map(({ connectionId, role }) => ({
    connectionId,
    identity: { kind: 'room', roomId, ownerId, role },
  }));
  // The room's sockets are forgotten first, so a message racing the close finds its sender
  // unknown and is refused; then each hears why and is disconnected. A closed room accepts
  // no sockets and no messages, while its history stays readable.
  await Promise.allSettled(members.map((member) => deps.store.removeKnownConnection(member)));
  await Promise.all([
    fanOut(deps, members, { type: 'room.closed', room_id: roomId }).then(() =>
      Promise.allSettled(members.map((member) => deps.gateway.disconnect(member.connectionId))),
    ),
    fanOut(
      deps,
      inbox.map((connectionId) => ({ connectionId, identity: { kind: 'inbox', ownerId, role: 'owner' } })),
      { type: 'room.updated', room: view },
    ),
  ]);
  return view;
}

function requireRoomId(raw: string | undefined): string {
  // A malformed id cannot name a room: answer as for an unknown one.
  try {
    return requireUuid(raw, 'room_id');
  } catch {
    throw new NotFoundError('Not found.');
  }
}

function requireLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new ValidationError(`limit must be an integer from 1 to ${MAX_PAGE_SIZE}.`);
  }
  return limit;
}

async function requireMessage(
  deps: Pick<ChatDeps, 'store'>,
  roomId: string,
  raw: string,
  field: string,
): Promise<ChatMessage> {
  const id = requireUuid(raw, field);
  const message = await deps.store.getMessage(roomId, id);
  if (!message) throw new ValidationError(`${field} does not name a message of this room.`);
  return message;
}
