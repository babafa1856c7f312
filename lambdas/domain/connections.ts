import { describeError } from '../shared/errors.js';
import { CHAT_METRICS } from '../shared/metric-names.js';
import type { ChatDeps } from './deps.js';
import { ForbiddenError, TooManyRequestsError, UnauthorizedError, ValidationError } from './errors.js';
import type { Connection, ConnectionIdentity, RoomConnection } from './model.js';
import { isUuid } from './validation.js';
import { visitorTokenMatches } from './visitor-token.js';

/** Who a socket says it is, as the handshake's query string spelled it. */
export interface ConnectCredentials {
  /** The owner's inbox socket rather than a room's. */
  inbox: boolean;
  /** The room (a UUID, checked here). */
  room?: string;
  /** The owner's JWT. */
  ownerToken?: string;
  visitorToken?: string;
}

export interface ConnectRequest {
  connectionId: string;
  credentials: ConnectCredentials;
  connectedAtMs: number;
}

export type ConnectDeps = Pick<ChatDeps, 'store' | 'verifier' | 'gateway' | 'logger' | 'metrics'> & {
  /** Open sockets one visitor token, or one owner, may hold in one room. */
  socketsPerRoomMember: number;
  /** Waits between attempts to close an overtaken socket (tests pass a fake). */
  sleep?: (ms: number) => Promise<void>;
};

/**
 * An overtaken socket's own $connect may still be running (it ranked itself within the cap a
 * moment before this one's row appeared): until it returns, API Gateway has no connection to
 * delete and answers 410, and the socket would then open with its row already gone. So a
 * 'gone' is tried again after these pauses, long enough for a $connect to finish.
 */
export const OVERTAKEN_CLOSE_RETRIES_MS = [250, 1000, 2000] as const;

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * $connect: decide who this socket is and remember it. A room socket needs `room` plus the
 * visitor's token or the owner's JWT; the owner's inbox socket needs `inbox=1` and the JWT.
 * A refused connection leaves nothing stored.
 */
export async function connect(deps: ConnectDeps, request: ConnectRequest): Promise<ConnectionIdentity> {
  const identity = await identify(deps, request.credentials);
  const connection: Connection = { connectionId: request.connectionId, identity };
  await deps.store.saveConnection(connection, request.connectedAtMs);
  if (identity.kind === 'room') await confirmRoomMembership(deps, connection, identity.roomId);
  deps.logger.info('connected', {
    connectionId: request.connectionId,
    kind: identity.kind,
    role: identity.role,
    roomId: identity.kind === 'room' ? identity.roomId : undefined,
  });
  return identity;
}

async function identify(
  deps: Pick<ChatDeps, 'store' | 'verifier'>,
  credentials: ConnectCredentials,
): Promise<ConnectionIdentity> {
  if (credentials.inbox) {
    if (!credentials.ownerToken) throw new UnauthorizedError('The inbox needs an owner token.');
    return { kind: 'inbox', ownerId: await deps.verifier.verify(credentials.ownerToken), role: 'owner' };
  }
  if (!isUuid(credentials.room)) throw new ValidationError('room must be a UUID.');
  const roomId = credentials.room.toLowerCase();

  if (credentials.ownerToken) {
    const [ownerId, room] = await Promise.all([
      deps.verifier.verify(credentials.ownerToken),
      deps.store.getRoom(roomId),
    ]);
    if (!room?.isActive || room.ownerId !== ownerId) throw new ForbiddenError('Room not available.');
    return { kind: 'room', roomId, ownerId, role: 'owner' };
  }
  if (credentials.visitorToken) {
    const room = await deps.store.getRoom(roomId);
    if (!room?.isActive || !visitorTokenMatches(credentials.visitorToken, room.visitorTokenHash)) {
      throw new ForbiddenError('Room not available.');
    }
    return { kind: 'room', roomId, ownerId: room.ownerId, role: 'visitor' };
  }
  throw new UnauthorizedError('A visitor token or an owner token is required.');
}

/**
 * The re-check after the socket's rows are written, one round trip (the room by a strongly
 * consistent GetItem and the room's sockets, side by side). Its rows come first so that
 * whatever races it sees it: a close lists the room's sockets after marking the room closed,
 * so it either finds these rows (and closes the socket) or marked the room closed before this
 * read (and the socket refuses itself here). Two sockets of one member racing each other:
 * the later of the two reads sees both rows. The member's sockets rank by handshake time,
 * then id; one ranked beyond the cap refuses itself (429); one that finds another socket
 * ranked beyond the cap (overtaken by this slower, earlier handshake) closes that one. So
 * concurrent connects end with the first `socketsPerRoomMember` open, never more.
 */
async function confirmRoomMembership(deps: ConnectDeps, connection: Connection, roomId: string): Promise<void> {
  const [room, members] = await Promise.all([deps.store.getRoom(roomId), deps.store.listRoomConnections(roomId)]);
  const refuse = async (error: Error): Promise<never> => {
    await deps.store.removeKnownConnection(connection);
    throw error;
  };
  if (!room?.isActive) return refuse(new ForbiddenError('Room not available.'));

  const cap = deps.socketsPerRoomMember;
  const peers = members.filter((member) => member.role === connection.identity.role).sort(byHandshake);
  const rank = peers.findIndex((member) => member.connectionId === connection.connectionId);
  if (rank === -1) {
    // Forgotten between the write and this read: by a close, or by a peer that outranks it.
    const now = await deps.store.getRoom(roomId);
    if (!now?.isActive) return refuse(new ForbiddenError('Room not available.'));
    deps.metrics.count(CHAT_METRICS.SocketsOverMemberLimit);
    return refuse(tooManySockets(cap));
  }
  if (rank >= cap) {
    deps.metrics.count(CHAT_METRICS.SocketsOverMemberLimit);
    return refuse(tooManySockets(cap));
  }

  const overtaken = peers.slice(cap);
  if (overtaken.length === 0) return;
  deps.logger.info('sockets_overtaken', { roomId, role: connection.identity.role, count: overtaken.length });
  deps.metrics.count(CHAT_METRICS.SocketsOverMemberLimit, overtaken.length);
  await Promise.all(
    overtaken.map(async ({ connectionId }) => {
      try {
        await deps.store.removeKnownConnection({ connectionId, identity: connection.identity });
        await closeOvertaken(deps, connectionId);
      } catch (error) {
        deps.logger.warn('overtaken_close_failed', { connectionId, error: describeError(error) });
      }
    }),
  );
}

async function closeOvertaken(deps: ConnectDeps, connectionId: string): Promise<void> {
  const sleep = deps.sleep ?? pause;
  for (const retryAfterMs of [...OVERTAKEN_CLOSE_RETRIES_MS, undefined]) {
    if ((await deps.gateway.disconnect(connectionId)) === 'closed' || retryAfterMs === undefined) return;
    await sleep(retryAfterMs);
  }
}

const byHandshake = (a: RoomConnection, b: RoomConnection) =>
  (a.connectedAt ?? 0) - (b.connectedAt ?? 0) ||
  (a.connectionId < b.connectionId ? -1 : a.connectionId > b.connectionId ? 1 : 0);

const tooManySockets = (cap: number) =>
  new TooManyRequestsError(`At most ${cap} open sockets per member in one room; close one first.`);

/** $disconnect: forget the socket. Idempotent: a connection already cleaned up is fine. */
export async function disconnect(deps: Pick<ChatDeps, 'store' | 'logger'>, connectionId: string): Promise<void> {
  const identity = await deps.store.removeConnectionById(connectionId);
  deps.logger.info('disconnected', { connectionId, known: identity !== undefined });
}
