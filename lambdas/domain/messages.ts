import { v5 as uuidv5, v7 as uuidv7 } from 'uuid';
import type { ChatDeps } from './deps.js';
import { describeError, fanOut } from './fan-out.js';
import { toBroadcastView, type ChatMessage, type Connection } from './model.js';
import { isUuid } from './validation.js';

export const DEFAULT_MAX_MESSAGE_LENGTH = 4000;
export const PUSH_PREVIEW_LENGTH = 100;

export interface FrameRequest {
  connectionId: string;
  body: string | undefined;
}

export type MessageDeps = Pick<ChatDeps, 'store' | 'gateway' | 'events' | 'clock' | 'logger'> & {
  maxMessageLength: number;
};

type ParsedFrame =
  | { kind: 'ping' }
  | { kind: 'message'; content: string; clientId?: string }
  | { kind: 'invalid'; reason: string };

/**
 * $default: one frame from a client. A valid message is stored, then broadcast to every
 * socket of the room (the sender's too, as Django Channels' group_send does) and to the
 * owner's inbox sockets. Invalid frames cost no database call and only the sender hears why.
 *
 * Sequential round trips before the broadcast: one UpdateItem on the connection (identity
 * and rate limit together), then the message write, the room touch and the two connection
 * queries side by side.
 */
export async function handleFrame(deps: MessageDeps, request: FrameRequest): Promise<void> {
  const { connectionId } = request;
  const frame = parseFrame(request.body, deps.maxMessageLength);
  if (frame.kind === 'ping') {
    await replyToSender(deps, connectionId, { type: 'pong' });
    return;
  }
  if (frame.kind === 'invalid') {
    await replyToSender(deps, connectionId, { error: frame.reason });
    return;
  }

  const now = deps.clock.now();
  const admission = await deps.store.admitMessage(connectionId, now.getTime());
  if (!admission.admitted) {
    const reason =
      admission.reason === 'rate-limited' ? 'Too many messages; slow down.' : 'This connection is not in a room.';
    await replyToSender(deps, connectionId, { error: reason });
    return;
  }
  const { identity } = admission;
  if (identity.kind !== 'room') {
    await replyToSender(deps, connectionId, { error: 'The inbox socket only receives; send in a room.' });
    return;
  }

  const message: ChatMessage = {
    // A retried client_id maps to the same id in the same room, so the conditional write
    // in the store refuses the second copy without a read-then-write race.
    id: frame.clientId ? uuidv5(frame.clientId, identity.roomId) : uuidv7(),
    roomId: identity.roomId,
    senderType: identity.role,
    content: frame.content,
    createdAt: now.toISOString(),
    ...(frame.clientId ? { clientId: frame.clientId } : {}),
  };
  const [stored, roomConnections, inbox] = await Promise.all([
    deps.store.putMessage(message),
    deps.store.listRoomConnections(identity.roomId),
    deps.store.listInboxConnections(identity.ownerId),
    // Moving the room up the owner's list must never cost the live broadcast.
    deps.store.touchRoom(identity.roomId, message.createdAt).catch((error: unknown) =>
      deps.logger.warn('room_touch_failed', { roomId: identity.roomId, error: describeError(error) }),
    ),
  ]);
  const log = { connectionId, roomId: identity.roomId, messageId: message.id };

  if (!stored.stored) {
    // Exactly once: the retry learns the original id and time; nobody hears it twice.
    deps.logger.info('message_duplicate', log);
    await replyToSender(deps, connectionId, toBroadcastView(stored.original));
    return;
  }

  const broadcast = toBroadcastView(message);
  const roomTargets: Connection[] = roomConnections.map((c) => ({
    connectionId: c.connectionId,
    identity: { kind: 'room', roomId: identity.roomId, ownerId: identity.ownerId, role: c.role },
  }));
  const inboxTargets: Connection[] = inbox.map((id) => ({
    connectionId: id,
    identity: { kind: 'inbox', ownerId: identity.ownerId, role: 'owner' },
  }));
  const ownerOnline = inboxTargets.length > 0 || roomConnections.some((c) => c.role === 'owner');

  const [toRoom, toInbox] = await Promise.all([
    fanOut(deps, roomTargets, broadcast),
    fanOut(deps, inboxTargets, { type: 'message', message: broadcast }),
    message.senderType === 'visitor' ? publishVisitorMessage(deps, message, identity.ownerId, ownerOnline) : undefined,
  ]);
  deps.logger.info('message_sent', { ...log, room: toRoom, inbox: toInbox });
}

function parseFrame(body: string | undefined, maxLength: number): ParsedFrame {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body ?? '');
  } catch {
    return { kind: 'invalid', reason: 'Frame must be JSON.' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { kind: 'invalid', reason: 'Frame must be a JSON object.' };
  }
  const frame = parsed as Record<string, unknown>;
  if (frame.type === 'ping') return { kind: 'ping' };
  if (!('message' in frame)) return { kind: 'invalid', reason: 'Frame must have a "message" field.' };
  const content = frame.message;
  if (typeof content !== 'string') return { kind: 'invalid', reason: 'message must be a string.' };
  if (content.trim() === '') return { kind: 'invalid', reason: 'message must not be empty.' };
  if (content.length > maxLength) {
    return { kind: 'invalid', reason: `message must be at most ${maxLength} characters.` };
  }
  if (frame.client_id !== undefined && !isUuid(frame.client_id)) {
    return { kind: 'invalid', reason: 'client_id must be a UUID.' };
  }
  return {
    kind: 'message',
    content,
    ...(frame.client_id ? { clientId: (frame.client_id as string).toLowerCase() } : {}),
  };
}

async function replyToSender(deps: MessageDeps, connectionId: string, payload: unknown): Promise<void> {
  const outcome = await deps.gateway.send(connectionId, payload);
  if (outcome === 'gone') deps.logger.info('sender_gone', { connectionId });
}

/** The push hook for offline owners. Failures are logged; the message is already stored. */
async function publishVisitorMessage(
  deps: MessageDeps,
  message: ChatMessage,
  ownerId: string,
  ownerOnline: boolean,
): Promise<void> {
  if (!deps.events) return;
  try {
    await deps.events.visitorMessagePosted({
      roomId: message.roomId,
      ownerId,
      messageId: message.id,
      preview: [...message.content].slice(0, PUSH_PREVIEW_LENGTH).join(''),
      ownerOnline,
      createdAt: message.createdAt,
    });
  } catch (error) {
    deps.logger.error('push_event_failed', { roomId: message.roomId, messageId: message.id, error: describeError(error) });
  }
}
