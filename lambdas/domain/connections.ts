import type { ChatDeps } from './deps.js';
import { ForbiddenError, UnauthorizedError, ValidationError } from './errors.js';
import type { ConnectionIdentity } from './model.js';
import { isUuid } from './validation.js';
import { visitorTokenMatches } from './visitor-token.js';

export interface ConnectRequest {
  connectionId: string;
  query: Record<string, string | undefined>;
  connectedAtMs: number;
}

const truthy = (value: string | undefined) => value === '1' || value === 'true';

/**
 * $connect: decide who this socket is and remember it. A room socket needs `room` plus the
 * visitor's token or the owner's JWT; the owner's inbox socket needs `inbox=1` and the JWT.
 * Nothing is stored for a refused connection.
 */
export async function connect(
  deps: Pick<ChatDeps, 'store' | 'verifier' | 'logger'>,
  request: ConnectRequest,
): Promise<ConnectionIdentity> {
  const identity = await identify(deps, request.query);
  await deps.store.saveConnection({ connectionId: request.connectionId, identity }, request.connectedAtMs);
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
  query: ConnectRequest['query'],
): Promise<ConnectionIdentity> {
  if (truthy(query.inbox)) {
    if (!query.token) throw new UnauthorizedError('The inbox needs an owner token.');
    return { kind: 'inbox', ownerId: await deps.verifier.verify(query.token), role: 'owner' };
  }
  if (!isUuid(query.room)) throw new ValidationError('room must be a UUID.');
  const roomId = query.room.toLowerCase();

  if (query.token) {
    const [ownerId, room] = await Promise.all([deps.verifier.verify(query.token), deps.store.getRoom(roomId)]);
    if (!room || !room.isActive || room.ownerId !== ownerId) throw new ForbiddenError('Room not available.');
    return { kind: 'room', roomId, ownerId, role: 'owner' };
  }
  if (query.visitor) {
    const room = await deps.store.getRoom(roomId);
    if (!room || !room.isActive || !visitorTokenMatches(query.visitor, room.visitorTokenHash)) {
      throw new ForbiddenError('Room not available.');
    }
    return { kind: 'room', roomId, ownerId: room.ownerId, role: 'visitor' };
  }
  throw new UnauthorizedError('A visitor token or an owner token is required.');
}

/** $disconnect: forget the socket. Idempotent: a connection already cleaned up is fine. */
export async function disconnect(
  deps: Pick<ChatDeps, 'store' | 'logger'>,
  connectionId: string,
): Promise<void> {
  const identity = await deps.store.removeConnection(connectionId);
  deps.logger.info('disconnected', { connectionId, known: identity !== undefined });
}
