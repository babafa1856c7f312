import { v5 as uuidv5, v7 as uuidv7 } from 'uuid';
import type { ChatDeps } from './deps.js';
import { FrameRefusedError } from './errors.js';
import { describeError } from '../shared/errors.js';
import { CHAT_METRICS } from '../shared/metric-names.js';
import { fanOut } from './fan-out.js';
import {
  toBroadcastView,
  toReadView,
  toRoomView,
  unreadCount,
  type ChatMessage,
  type Connection,
  type ConnectionIdentity,
} from './model.js';
import type { PutMessageResult, RoomCount } from './ports.js';
import { codePointLength, firstCodePoints, isBlankText } from './text.js';

export const PUSH_PREVIEW_LENGTH = 100;
/** At most one typing frame per socket is relayed in this interval; the others are dropped. */
export const TYPING_RELAY_INTERVAL_MS = 2000;

/**
 * What a client's frame asks for, as the transport read it (handlers/ws/frames.ts).
 * `clientId` is the frame's valid client_id, echoed in an error frame.
 */
export type ClientFrame =
  | { type: 'message'; message: string; clientId?: string }
  | { type: 'ping'; clientId?: string }
  | { type: 'typing'; clientId?: string }
  | { type: 'read'; messageId: string; clientId?: string }
  | { type: 'invalid'; reason: string; clientId?: string };

export interface FrameRequest {
  connectionId: string;
  frame: ClientFrame;
  /** When the frame reached the gateway (requestTimeEpoch): the rate window counts arrivals, not handling. */
  arrivedAtMs: number;
}

export type MessageDeps = Pick<ChatDeps, 'store' | 'gateway' | 'events' | 'clock' | 'logger' | 'metrics'> & {
  /** Code points per message. */
  maxMessageLength: number;
  maxMessagesPerRoom: number;
};

/** The error frame: what went wrong, a machine-readable code, and the frame's client_id when it had one. */
export interface ErrorFrame {
  error: string;
  code: FrameRefusedError['code'] | 'internal';
  client_id?: string;
}

const INTERNAL_REASON = 'The message could not be handled; send it again with the same client_id.';

/**
 * $default: one frame from a client. Every frame but `typing` is answered: a stored message
 * by its broadcast (to every socket of the room, the sender's too, as Django Channels'
 * group_send does, and to the owner's inbox sockets), a ping by a pong, a read receipt by the
 * read position, anything else by an error frame to the sender, an unexpected failure
 * included (`internal`: send again with the same client_id). A typing frame is relayed to the
 * room's other sockets (at most one per socket per TYPING_RELAY_INTERVAL_MS) and answered by nothing.
 *
 * Every frame first costs one UpdateItem on the connection, which tells who the socket is and
 * counts the frame against the per-socket limit. A message then makes, side by side, the
 * conditional message write, the room's count (refused for a closed or full room, which takes
 * the message back), and the two connection queries: two sequential round trips before the posts.
 */
export async function handleFrame(deps: MessageDeps, request: FrameRequest): Promise<void> {
  const { connectionId } = request;
  const { clientId } = request.frame;
  try {
    await answerFrame(deps, request);
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
        .catch((failure: unknown) =>
          deps.logger.warn('disconnect_failed', { connectionId, error: describeError(failure) }),
        );
    }
  }
}

async function answerFrame(deps: MessageDeps, request: FrameRequest): Promise<void> {
  const { connectionId, frame } = request;
  const admission = await deps.store.admitFrame(
    connectionId,
    request.arrivedAtMs,
    // The typing throttle rides on the admission's write: no round trip and no write of its own.
    frame.type === 'typing' ? { everyMs: TYPING_RELAY_INTERVAL_MS } : undefined,
  );
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
  if (frame.type === 'invalid') throw new FrameRefusedError('invalid_frame', frame.reason);
  if (frame.type === 'message') checkMessageText(frame.message, deps.maxMessageLength);
  if (frame.type === 'ping') {
    await replyToSender(deps, connectionId, { type: 'pong' });
    return;
  }
  const { identity } = admission;
  if (identity.kind !== 'room') {
    throw new FrameRefusedError('inbox_receives_only', 'The inbox socket only receives; send in a room.');
  }
  if (frame.type === 'typing') {
    // The one frame without an answer: a dropped one (within the interval) is simply not relayed.
    if (admission.relayTyping) await relayTyping(deps, connectionId, identity);
    return;
  }
  if (frame.type === 'read') {
    await markRead(deps, connectionId, identity, frame.messageId);
    return;
  }
  await sendMessage(deps, connectionId, identity, frame);
}

type RoomIdentity = Extract<ConnectionIdentity, { kind: 'room' }>;

/** `{"type": "typing"}`: relayed to every other socket of the room; nothing is stored. */
async function relayTyping(deps: MessageDeps, connectionId: string, identity: RoomIdentity): Promise<void> {
  const { roomId, ownerId } = identity;
  const others: Connection[] = (await deps.store.listRoomConnections(roomId))
    .filter((c) => c.connectionId !== connectionId)
    .map((c) => ({ connectionId: c.connectionId, identity: { kind: 'room', roomId, ownerId, role: c.role } }));
  const relayed = await fanOut(deps, others, { type: 'typing', room_id: roomId, sender_type: identity.role });
  deps.logger.info('typing_relayed', { connectionId, roomId, room: counts(relayed) });
}

/**
 * `{"type": "read", "message_id"}`: the sender's side has read that message and every earlier
 * one. One read of the message (it must be one of this room's), one conditional write of the
 * room; every socket of the room hears the position, and the owner's inboxes the new
 * unread_count when the owner read. A position that does not move forward is answered to the
 * sender alone, with the position as it stands.
 */
async function markRead(
  deps: MessageDeps,
  connectionId: string,
  identity: RoomIdentity,
  messageId: string,
): Promise<void> {
  const { roomId, ownerId, role } = identity;
  const message = await deps.store.getMessage(roomId, messageId);
  if (!message) throw new FrameRefusedError('unknown_message', 'message_id is not a message of this room.');
  const readAt = deps.clock.now().toISOString();
  const [outcome, roomConnections, inbox] = await Promise.all([
    deps.store.markRead(message, role, readAt),
    deps.store.listRoomConnections(roomId),
    role === 'owner' ? deps.store.listInboxConnections(ownerId) : Promise.resolve([]),
  ]);
  if (!outcome) throw new FrameRefusedError('room_closed', 'This room no longer exists.', true);
  const position = outcome.room.lastRead?.[role];
  if (!position) throw new Error('read position missing after markRead');
  const receipt = toReadView(roomId, role, position);
  const log = { connectionId, roomId, messageId, moved: outcome.moved };
  if (!outcome.moved) {
    await replyToSender(deps, connectionId, receipt);
    deps.logger.info('read_unchanged', log);
    return;
  }
  const roomTargets: Connection[] = roomConnections.map((c) => ({
    connectionId: c.connectionId,
    identity: { kind: 'room', roomId, ownerId, role: c.role },
  }));
  if (!roomTargets.some((t) => t.connectionId === connectionId)) roomTargets.push({ connectionId, identity });
  const inboxTargets: Connection[] = inbox.map((id) => ({
    connectionId: id,
    identity: { kind: 'inbox', ownerId, role: 'owner' },
  }));
  const [toRoom, toInbox] = await Promise.all([
    fanOut(deps, roomTargets, receipt),
    fanOut(deps, inboxTargets, { type: 'room.updated', room: toRoomView(outcome.room, 'owner') }),
  ]);
  deps.logger.info('read_marked', { ...log, room: counts(toRoom), inbox: counts(toInbox) });
}

async function sendMessage(
  deps: MessageDeps,
  connectionId: string,
  identity: Extract<ConnectionIdentity, { kind: 'room' }>,
  frame: { message: string; clientId?: string },
): Promise<void> {
  const { roomId, ownerId } = identity;
  const now = deps.clock.now();
  const message: ChatMessage = {
    // A retried client_id maps to the same id in the same room, so the conditional write
    // in the store refuses the second copy without a read-then-write race.
    id: frame.clientId ? uuidv5(frame.clientId, roomId) : uuidv7(),
    roomId,
    senderType: identity.role,
    content: frame.message,
    createdAt: now.toISOString(),
    ...(frame.clientId ? { clientId: frame.clientId } : {}),
  };
  const log = { connectionId, roomId, messageId: message.id };
  const [put, count, roomConnections, inbox] = await Promise.allSettled([
    deps.store.putMessage(message),
    deps.store.touchRoom(message, deps.maxMessagesPerRoom),
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
    fresh || count.status !== 'fulfilled' || count.value.outcome !== 'counted'
      ? undefined
      : // The original was counted already; this retry's count is taken back.
        deps.store
          .uncountMessage(roomId, stored.senderType)
          .catch((error: unknown) => deps.logger.warn('room_uncount_failed', { ...log, error: describeError(error) })),
  ]);
  // Online means a post to an owner socket actually went through, not that a row exists.
  const ownerOnline = toInbox.delivered.length > 0 || toRoom.delivered.some((t) => t.identity.role === 'owner');
  if (stored.senderType === 'visitor') {
    // The owner's badge after this message: the count the room update returned (less this
    // frame's own count when it was a retry, which is taken back above).
    const unread =
      count.status === 'fulfilled' && count.value.outcome === 'counted'
        ? unreadCount(count.value.room, 'owner') - (fresh ? 0 : 1)
        : undefined;
    await publishVisitorMessage(deps, stored, ownerId, ownerOnline, unread);
  }
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
    if (count.status === 'fulfilled' && count.value.outcome === 'counted') {
      await deps.store
        .uncountMessage(message.roomId, message.senderType)
        .catch((error: unknown) => deps.logger.warn('room_uncount_failed', { ...log, error: describeError(error) }));
    }
    throw put.reason;
  }
  if (count.status === 'rejected') {
    // Moving the room up the owner's list must never cost the live broadcast.
    deps.logger.warn('room_touch_failed', { ...log, error: describeError(count.reason) });
  } else if (count.value.outcome !== 'counted' && put.value.stored) {
    // Only a message this frame wrote is taken back; a retry's original was admitted before.
    try {
      await deps.store.deleteMessage(message.roomId, message.id);
    } catch (error) {
      deps.logger.error('message_takeback_failed', { ...log, error: describeError(error) });
      throw error;
    }
    if (count.value.outcome === 'closed') throw new FrameRefusedError('room_closed', 'This room is closed.', true);
    deps.metrics.count(CHAT_METRICS.MessagesRefusedRoomFull);
    throw new FrameRefusedError('room_full', `This room holds the most messages it may (${deps.maxMessagesPerRoom}).`);
  }
  return put.value.stored ? { stored: message, fresh: true } : { stored: put.value.original, fresh: false };
}

/** The rules of a message's text: something visible in it, at most `maxLength` code points. */
function checkMessageText(content: string, maxLength: number): void {
  if (isBlankText(content)) throw new FrameRefusedError('blank_message', 'message must not be empty.');
  if (codePointLength(content) > maxLength) {
    throw new FrameRefusedError('message_too_long', `message must be at most ${maxLength} characters.`);
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
  unread: number | undefined,
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
      // Left out when the room update failed: the count is then unknown.
      ...(unread === undefined ? {} : { unreadCount: Math.max(0, unread) }),
    });
  } catch (error) {
    deps.logger.error('push_event_failed', {
      roomId: message.roomId,
      messageId: message.id,
      error: describeError(error),
    });
    deps.metrics.count(CHAT_METRICS.PushEventsFailed);
  }
}
