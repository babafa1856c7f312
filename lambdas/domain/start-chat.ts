import { describeError } from '../shared/errors.js';
import { CHAT_METRICS } from '../shared/metric-names.js';
import type { ChatDeps } from './deps.js';
import { TooManyRequestsError, ValidationError } from './errors.js';
import { fanOut } from './fan-out.js';
import { toRoomView, type Room } from './model.js';
import { START_LIMIT_WINDOWS, startLimitKey } from './start-limit.js';
import { codePointLength, isBlankText } from './text.js';
import { hashVisitorToken, newVisitorToken } from './visitor-token.js';
import { requireUuid } from './validation.js';
import { randomUUID } from 'node:crypto';

export const MAX_VISITOR_NAME_LENGTH = 100;

export interface StartChatResult {
  room_id: string;
  visitor_token: string;
  ws_path: string;
  ws_url: string;
}

/** The request's fields as the client sent them (any JSON value); the rules check them here. */
export interface StartChatRequest {
  userId: unknown;
  visitorName: unknown;
  /** The viewer's address as the edge saw it; undefined skips the per-address limit. */
  sourceIp?: string;
}

export type StartChatDeps = Pick<ChatDeps, 'store' | 'gateway' | 'clock' | 'logger' | 'metrics'> & {
  /** Absolute WebSocket URL of this deployment for a room. */
  wsUrlFor(roomId: string): string;
};

/** POST /api/chat/start/: a visitor opens a room with an owner. */
export async function startChat(deps: StartChatDeps, request: StartChatRequest): Promise<StartChatResult> {
  const ownerId = requireUuid(request.userId, 'user_id');
  const visitorName = parseVisitorName(request.visitorName);

  const now = deps.clock.now();
  // Both limits side by side: one round trip, as the address limit alone took.
  const [addressAdmitted, ownerAdmitted] = await Promise.all([
    request.sourceIp ? deps.store.admitRoomStart(startLimitKey(request.sourceIp), now.getTime()) : true,
    deps.store.admitOwnerRoomStart(ownerId, now.getTime()),
  ]);
  if (!addressAdmitted) {
    deps.metrics.count(CHAT_METRICS.RoomStartsLimitedPerAddress);
    throw new TooManyRequestsError(
      'Too many chats started from this address; try again in a minute.',
      START_LIMIT_WINDOWS.perAddressMs / 1000,
    );
  }
  if (!ownerAdmitted) {
    deps.metrics.count(CHAT_METRICS.RoomStartsLimitedPerOwner);
    throw new TooManyRequestsError(
      'This owner has been sent too many new chats in the last hour; try again later.',
      START_LIMIT_WINDOWS.perOwnerMs / 1000,
    );
  }

  const visitorToken = newVisitorToken();
  const at = now.toISOString();
  const room: Room = {
    id: randomUUID(),
    ownerId,
    visitorName,
    isActive: true,
    createdAt: at,
    updatedAt: at,
    visitorTokenHash: hashVisitorToken(visitorToken),
  };
  // Who to tell does not depend on the room being written: look it up side by side.
  const [, inbox] = await Promise.all([
    deps.store.createRoom(room),
    deps.store.listInboxConnections(ownerId).catch((error: unknown) => {
      deps.logger.warn('inbox_notify_failed', { roomId: room.id, error: describeError(error) });
      return [] as string[];
    }),
  ]);
  deps.logger.info('room_started', { roomId: room.id, ownerId });

  // The room exists and the visitor has what it needs: a failed inbox push must not undo that.
  await notifyOwnerInbox(deps, room, inbox).catch((error: unknown) =>
    deps.logger.warn('inbox_notify_failed', { roomId: room.id, error: describeError(error) }),
  );

  return {
    room_id: room.id,
    visitor_token: visitorToken,
    ws_path: `/ws/chat/${room.id}/`,
    ws_url: deps.wsUrlFor(room.id),
  };
}

/** Live owner devices learn of the new room at once instead of on their next poll. */
async function notifyOwnerInbox(deps: StartChatDeps, room: Room, inbox: string[]): Promise<void> {
  if (inbox.length === 0) return;
  await fanOut(
    deps,
    inbox.map((connectionId) => ({ connectionId, identity: { kind: 'inbox', ownerId: room.ownerId, role: 'owner' } })),
    { type: 'room.created', room: toRoomView(room, 'owner') },
  );
}

/**
 * Trimmed; at most MAX_VISITOR_NAME_LENGTH code points (text.ts); a name with nothing
 * visible in it (only spaces, zero-width or control characters) is no name: "".
 */
function parseVisitorName(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new ValidationError('visitor_name must be a string.');
  const name = value.trim();
  if (isBlankText(name)) return '';
  if (codePointLength(name) > MAX_VISITOR_NAME_LENGTH) {
    throw new ValidationError(`visitor_name must be at most ${MAX_VISITOR_NAME_LENGTH} characters.`);
  }
  return name;
}
