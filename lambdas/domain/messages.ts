import { v5 as uuidv5, v7 as uuidv7 } from 'uuid';
import type { ChatDeps } from './deps.js';
import { FrameRefusedError } from './errors.js';
import { describeError } from '../shared/errors.js';
import { CHAT_METRICS } from '../shared/metric-names.js';
import { fanOut } from './fan-out.js';
import { toBroadcastView, type ChatMessage, type Connection, type ConnectionIdentity } from './model.js';
import type { PutMessageResult, RoomCount } from './ports.js';
import { codePointLength, firstCodePoints, isBlankText } from './text.js';
import { isUuid } from './validation.js';

export const DEFAULT_MAX_MESSAGE_LENGTH = 4000;
export const DEFAULT_MAX_MESSAGES_PER_ROOM = 10_000;
export const PUSH_PREVIEW_LENGTH = 100;

export interface FrameRequest {
  connectionId: string;
  body: string | undefined;
  /** When the frame reached the gateway (requestTimeEpoch): the rate window counts arrivals, not handling. */
  arrivedAtMs: number;
}

export type MessageDeps = Pick<ChatDeps, 'store' | 'gateway' | 'events' | 'clock' | 'logger' | 'metrics'> & {
  /** Code points per message. */
  maxMessageLength: number;
  maxMessagesPerRoom: number;
};

type ParsedFrame =
  | { kind: 'ping' }
  | { kind: 'message'; content: string; clientId?: string }
  | { kind: 'refused'; error: FrameRefusedError };

/** The error frame: what went wrong, a machine-readable code, and the frame's client_id when it had one. */
export interface ErrorFrame {
  error: string;
  code: FrameRefusedError['code'] | 'internal';
  client_id?: string;
}

const INTERNAL_REASON = 'The message could not be handled; send it again with the same client_id.';

/**
 * $default: one frame from a client. Every frame is answered: a stored message by its
 * broadcast (to every socket of the room, the sender's too, as Django Channels' group_send
 * does, and to the owner's inbox sockets), a ping by a pong, anything else by an error frame
 * to the sender, an unexpected failure included (`internal`: send again with the same
 * client_id).
 *
 * Every frame first costs one UpdateItem on the connection, which tells who the socket is and
 * counts the frame against the per-socket limit. A message then makes, side by side, the
 * conditional message write, the room's count (refused for a closed or full room, which takes
 * the message back), and the two connection queries: two sequential round trips before the posts.
 */
export async function handleFrame(deps: MessageDeps, request: FrameRequest): Promise<void> {
  const { connectionId } = request;
  const frame = parseFrame(request.body, deps.maxMessageLength);
  const clientId = frame.kind === 'message' ? frame.clientId : clientIdOf(request.body);
  try {
    await answerFrame(deps, request, frame);
  } catch (error) {
    const refused = error instanceof FrameRefusedError;
    if (refused) deps.logger.info('frame_refused', { connectionId, code: error.code });
    else {
      deps.logger.error('frame_failed', { connectionId, error: describeError(error) });
      deps.metrics.count(CHAT_METRICS.FramesAnsweredInternal);
    }
    const answer: ErrorFrame = {
      error: refused ? error.message : INTERNAL_REASON,
      code: refused ? error.code : 'internal',
      ...(clientId ? { client_id: clientId } : {}),
    };
    await replyToSender(deps, connectionId, answer);
    if (refused && error.disconnect) {
      await deps.gateway
        .disconnect(connectionId)
        .catch((failure: unknown) => deps.logger.warn('disconnect_failed', { connectionId, error: describeError(failure) }));
    }
  }
}

async function answerFrame(deps: MessageDeps, request: FrameRequest, frame: ParsedFrame): Promise<void> {
  const { connectionId } = request;
  const admission = await deps.store.admitFrame(connectionId, request.arrivedAtMs);
  if (!admission.admitted) {
    if (admission.reason === 'unknown-connection') {
      // close forgets a room's sockets before it disconnects them, so a socket unknown here
      // belongs to a room that was closed (or is already on its way out).
      throw new FrameRefusedError('room_closed', 'This socket is no longer part of an open room.', true);
    }
    if (admission.repeated) deps.logger.warn('socket_flooding', { connectionId });
    deps.metrics.count(CHAT_METRICS.FramesRateLimited);
    throw new FrameRefusedError('rate_limited', 'Too many frames on this socket; slow down.', admission.repeated);
  }
  if (frame.kind === 'refused') throw frame.error;
  if (frame.kind === 'ping') {
    await replyToSender(deps, connectionId, { type: 'pong' });
    return;
  }
  const { identity } = admission;
  if (identity.kind !== 'room') {
    throw new FrameRefusedError('inbox_receives_only', 'The inbox socket only receives; send in a room.');
  }
  await sendMessage(deps, connectionId, identity, frame);
}

async function sendMessage(
  deps: MessageDeps,
  connectionId: string,
  identity: Extract<ConnectionIdentity, { kind: 'room' }>,
  frame: { content: string; clientId?: string },
): Promise<void> {
  const { roomId, ownerId } = identity;
  const now = deps.clock.now();
  const message: ChatMessage = {
    // A retried client_id maps to the same id in the same room, so the conditional write
    // in the store refuses the second copy without a read-then-write race.
    id: frame.clientId ? uuidv5(frame.clientId, roomId) : uuidv7(),
    roomId,
    senderType: identity.role,
    content: frame.content,
    createdAt: now.toISOString(),
    ...(frame.clientId ? { clientId: frame.clientId } : {}),
  };
  const log = { connectionId, roomId, messageId: message.id };
  const [put, count, roomConnections, inbox] = await Promise.allSettled([
    deps.store.putMessage(message),
    deps.store.touchRoom(roomId, message.createdAt, deps.maxMessagesPerRoom),
    deps.store.listRoomConnections(roomId),
    deps.store.listInboxConnections(ownerId),
  ]);

  const { stored, fresh } = await settleRoomCount(deps, message, put, count, log);
  if (roomConnections.status === 'rejected') throw roomConnections.reason;
  if (inbox.status === 'rejected') throw inbox.reason;

  // A duplicate is broadcast like a fresh message: its first broadcast may never have happened
  // (the write succeeded, then something failed), and clients drop an id they already show.
  if (fresh) deps.metrics.count(CHAT_METRICS.MessagesStored);
  else deps.logger.info('message_duplicate', log);
  const broadcast = toBroadcastView(stored);
  const roomTargets: Connection[] = roomConnections.value.map((c) => ({
    connectionId: c.connectionId,
    identity: { kind: 'room', roomId, ownerId, role: c.role },
  }));
  // The sender hears its echo even if its row was not in the query's answer.
  if (!roomTargets.some((t) => t.connectionId === connectionId)) roomTargets.push({ connectionId, identity });
  const inboxTargets: Connection[] = inbox.value.map((id) => ({
    connectionId: id,
    identity: { kind: 'inbox', ownerId, role: 'owner' },
  }));

  const [toRoom, toInbox] = await Promise.all([
    fanOut(deps, roomTargets, broadcast),
    fanOut(deps, inboxTargets, { type: 'message', message: broadcast }),
    fresh || count.status !== 'fulfilled' || count.value !== 'counted'
      ? undefined
      : // The original was counted already; this retry's count is taken back.
        deps.store
          .uncountMessage(roomId)
          .catch((error: unknown) => deps.logger.warn('room_uncount_failed', { ...log, error: describeError(error) })),
  ]);
  // Online means a post to an owner socket actually went through, not that a row exists.
  const ownerOnline = toInbox.delivered.length > 0 || toRoom.delivered.some((t) => t.identity.role === 'owner');
  if (stored.senderType === 'visitor') await publishVisitorMessage(deps, stored, ownerId, ownerOnline);
  deps.logger.info('message_sent', { ...log, room: counts(toRoom), inbox: counts(toInbox), ownerOnline });
}

/**
 * Reconciles the message write with the room's count, which ran side by side. A room that
 * refused (closed, full) takes back a message just written; a failed write takes back its
 * count. Returns the message as stored (the original, for a retried client_id) and whether
 * this frame wrote it.
 */
async function settleRoomCount(
  deps: MessageDeps,
  message: ChatMessage,
  put: PromiseSettledResult<PutMessageResult>,
  count: PromiseSettledResult<RoomCount>,
  log: Record<string, string>,
): Promise<{ stored: ChatMessage; fresh: boolean }> {
  if (put.status === 'rejected') {
    if (count.status === 'fulfilled' && count.value === 'counted') {
      await deps.store
        .uncountMessage(message.roomId)
        .catch((error: unknown) => deps.logger.warn('room_uncount_failed', { ...log, error: describeError(error) }));
    }
    throw put.reason;
  }
  if (count.status === 'rejected') {
    // Moving the room up the owner's list must never cost the live broadcast.
    deps.logger.warn('room_touch_failed', { ...log, error: describeError(count.reason) });
  } else if (count.value !== 'counted' && put.value.stored) {
    // Only a message this frame wrote is taken back; a retry's original was admitted before.
    try {
      await deps.store.deleteMessage(message.roomId, message.id);
    } catch (error) {
      deps.logger.error('message_takeback_failed', { ...log, error: describeError(error) });
      throw error;
    }
    if (count.value === 'closed') throw new FrameRefusedError('room_closed', 'This room is closed.', true);
    deps.metrics.count(CHAT_METRICS.MessagesRefusedRoomFull);
    throw new FrameRefusedError('room_full', `This room holds the most messages it may (${deps.maxMessagesPerRoom}).`);
  }
  return put.value.stored ? { stored: message, fresh: true } : { stored: put.value.original, fresh: false };
}

function parseFrame(body: string | undefined, maxLength: number): ParsedFrame {
  const invalid = (reason: string): ParsedFrame => ({ kind: 'refused', error: new FrameRefusedError('invalid_frame', reason) });
  let parsed: unknown;
  try {
    parsed = JSON.parse(body ?? '');
  } catch {
    return invalid('Frame must be JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return invalid('Frame must be a JSON object.');
  const frame = parsed as Record<string, unknown>;
  if ('type' in frame) {
    if (frame.type !== 'ping') return invalid('Unknown frame type; send {"message": "..."} or {"type": "ping"}.');
    if ('message' in frame) return invalid('A ping carries no message; send the message on its own.');
    return { kind: 'ping' };
  }
  if (!('message' in frame)) return invalid('Frame must have a "message" field.');
  const content = frame.message;
  if (typeof content !== 'string') return invalid('message must be a string.');
  if (frame.client_id !== undefined && !isUuid(frame.client_id)) return invalid('client_id must be a UUID.');
  const refuse = (code: 'blank_message' | 'message_too_long', reason: string): ParsedFrame => ({
    kind: 'refused',
    error: new FrameRefusedError(code, reason),
  });
  if (isBlankText(content)) return refuse('blank_message', 'message must not be empty.');
  if (codePointLength(content) > maxLength) return refuse('message_too_long', `message must be at most ${maxLength} characters.`);
  return {
    kind: 'message',
    content,
    ...(frame.client_id ? { clientId: (frame.client_id as string).toLowerCase() } : {}),
  };
}

/** The frame's client_id for an error frame, when the frame was an object with a valid one. */
function clientIdOf(body: string | undefined): string | undefined {
  try {
    const parsed = JSON.parse(body ?? '') as unknown;
    const clientId = (parsed as Record<string, unknown> | null)?.client_id;
    return isUuid(clientId) ? clientId.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

const counts = ({ sent, gone, failed }: { sent: number; gone: number; failed: number }) => ({ sent, gone, failed });

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
      preview: firstCodePoints(message.content, PUSH_PREVIEW_LENGTH),
      ownerOnline,
      createdAt: message.createdAt,
    });
  } catch (error) {
    deps.logger.error('push_event_failed', { roomId: message.roomId, messageId: message.id, error: describeError(error) });
    deps.metrics.count(CHAT_METRICS.PushEventsFailed);
  }
}
