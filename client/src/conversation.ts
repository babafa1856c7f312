import { Connection, type ConnectionSettings, probeOf } from './connection.js';
import { isOwner, type Rest, toChatMessage } from './rest.js';
import type { ChatMessage, Conversation, ConversationEvents, Credentials, SenderType } from './types.js';

/** Server order: created_at, then id (ids of retried sends are not time-ordered). */
export const serverOrder = (a: ChatMessage, b: ChatMessage): number =>
  Date.parse(a.created_at) - Date.parse(b.created_at) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The server drops typing frames closer than this (docs/api.md, frames). */
const TYPING_INTERVAL_MS = 2000;
/** The server counts a socket's frames over the last second (docs/api.md, rate_limited). */
const RATE_WINDOW_MS = 1000;

export interface ConversationSettings extends ConnectionSettings {
  rest: Rest;
  webSocketUrl: string;
  initialHistory: number;
  newClientId: () => string;
}

/** One room's socket: messages once and in order, exactly-once sends, read receipts and typing. */
export class RoomConversation extends Connection<ConversationEvents> implements Conversation {
  private readonly delivered = new Set<string>();
  private readonly ordered: ChatMessage[] = [];
  /** Sends not yet echoed, by client_id, in the order they were made; `retries` paces internal/rate_limited. */
  private readonly pending = new Map<string, { text: string; retries: number }>();
  /** Live broadcasts held while a catch-up runs, merged with it in server order. */
  private buffer: ChatMessage[] | undefined;
  private everCaughtUp = false;
  private readSent: string | undefined;
  private readWanted: string | undefined;
  private typingSentAt = Number.NEGATIVE_INFINITY;
  /** A resend of every pending send is scheduled after API Gateway's own error frame; how many came since the last open. */
  private resendQueued = false;
  private gatewayFailures = 0;
  /** The read position is sent again after a refusal naming no frame (it may have been the receipt). */
  private readResendQueued = false;
  private readonly side: SenderType;

  constructor(
    readonly roomId: string,
    private readonly credentials: Credentials,
    private readonly options: ConversationSettings,
  ) {
    super(options, isOwner(credentials));
    this.side = isOwner(credentials) ? 'owner' : 'visitor';
  }

  get messages(): readonly ChatMessage[] {
    return this.ordered;
  }

  send(text: string): string {
    const clientId = this.options.newClientId();
    if (this.state === 'closed') return clientId;
    this.pending.set(clientId, { text, retries: 0 });
    this.sendPending(clientId);
    return clientId;
  }

  markRead(messageId: string): void {
    // Compared with the one still waiting for an open too: a later call for an earlier id must not replace it.
    const latest = this.readWanted ?? this.readSent;
    const sent = this.ordered.find((message) => message.id === latest);
    const candidate = this.ordered.find((message) => message.id === messageId);
    if (sent && candidate && serverOrder(candidate, sent) <= 0) return;
    if (messageId === latest) return;
    this.readWanted = messageId;
    this.sendRead();
  }

  typing(): void {
    const now = Date.now();
    if (now - this.typingSentAt < TYPING_INTERVAL_MS) return;
    if (this.transmit({ type: 'typing' })) this.typingSentAt = now;
  }

  protected async socketUrl(): Promise<string> {
    const { credentials } = this;
    const query = isOwner(credentials)
      ? `token=${encodeURIComponent(await credentials.getToken())}`
      : `visitor=${encodeURIComponent(credentials.visitorToken)}`;
    return `${this.options.webSocketUrl}/ws/chat/${encodeURIComponent(this.roomId)}/?${query}`;
  }

  protected probe() {
    return probeOf(() => this.options.rest.getRoom(this.roomId, this.credentials));
  }

  /** docs/api.md, reconnecting, step 3: ?after=<last delivered id>, following rel="next"; live frames wait. */
  protected async catchUp(): Promise<void> {
    // Its own buffer: a catch-up of a dropped socket may still be running when the next one starts.
    const buffer: ChatMessage[] = [];
    this.buffer = buffer;
    try {
      const last = this.ordered.at(-1);
      let query: { after?: string; limit?: number } = last
        ? { after: last.id }
        : this.everCaughtUp
          ? {}
          : { limit: this.options.initialHistory };
      const fetched: ChatMessage[] = [];
      for (;;) {
        const page = await this.options.rest.history(this.roomId, this.credentials, query);
        fetched.push(...page.messages);
        if (page.after === undefined) break;
        query = { after: page.after };
      }
      this.everCaughtUp = true;
      this.deliver([...fetched, ...buffer]);
    } finally {
      // On a failure the held broadcasts are dropped: the next catch-up reads them from the history.
      if (this.buffer === buffer) this.buffer = undefined;
    }
  }

  protected override opened(): void {
    this.gatewayFailures = 0;
    // The receipt first: with more sends waiting than the server's frames per second, the refused
    // ones are retried, while a refused receipt would be lost (its refusal names no frame).
    this.sendRead();
    for (const clientId of this.pending.keys()) this.sendPending(clientId);
  }

  protected override onClosed(): void {
    this.events.emit('closed', { room_id: this.roomId });
  }

  protected frame(frame: Record<string, unknown>): void {
    if (typeof frame.id === 'string' && typeof frame.message === 'string') {
      const message = toChatMessage(frame);
      if (message.client_id) this.pending.delete(message.client_id);
      if (this.buffer) this.buffer.push(message);
      else this.deliver([message]);
    } else if (typeof frame.error === 'string') {
      this.refusedFrame(
        frame.error,
        String(frame.code),
        typeof frame.client_id === 'string' ? frame.client_id : undefined,
      );
    } else if (frame.type === 'read') {
      const { room_id, reader, message_id, read_at } = frame as Record<string, string>;
      this.events.emit('read', {
        room_id: room_id!,
        reader: reader as SenderType,
        message_id: message_id!,
        read_at: read_at!,
      });
    } else if (frame.type === 'typing') {
      if (frame.sender_type !== this.side) {
        this.events.emit('typing', { room_id: frame.room_id as string, sender_type: frame.sender_type as SenderType });
      }
    } else if (frame.type === 'room.closed') {
      this.stop({ closed: true });
    } else if (typeof frame.message === 'string' && !this.resendQueued) {
      // API Gateway's own {"message": "Internal server error", ...}: the function handling one of our frames
      // failed outright, and the socket stays open, so no next open resends. It does not say which frame:
      // resend every unacknowledged send (docs/api.md, frames), once per delay however many such frames came.
      this.resendQueued = true;
      this.later(this.backoff(this.gatewayFailures++), () => {
        this.resendQueued = false;
        for (const clientId of this.pending.keys()) this.sendPending(clientId);
      });
    }
    // Anything else (pong) needs nothing.
  }

  /** docs/api.md, error codes: internal and rate_limited are retried; the rest drop that send. */
  private refusedFrame(reason: string, code: string, clientId: string | undefined): void {
    const entry = clientId === undefined ? undefined : this.pending.get(clientId);
    // The server closes this socket after room_closed. It says so to any socket it has no row
    // for, which is nearly always a closed room, but can be a socket it forgot in an open one;
    // so the send stays pending and the reconnect decides: a closed room refuses the handshake
    // and the probe ends the conversation, an open one takes the socket and the resend.
    if (code === 'room_closed') return;
    // A copy of a send already echoed (or already refused) was refused: nothing new to say.
    else if (clientId !== undefined && !entry) return;
    else if (entry && (code === 'internal' || code === 'rate_limited')) {
      this.later(this.backoff(entry.retries++), () => this.sendPending(clientId!));
    } else {
      if (clientId !== undefined) this.pending.delete(clientId);
      // rate_limited naming no frame: a typing frame or a read receipt. The receipt would be lost
      // (markRead sends only a later id), and the server would keep the messages unread: send the
      // position again once the server's second is over; the same position twice changes nothing.
      if (clientId === undefined && code === 'rate_limited') this.resendReadLater();
      const error = { code, message: reason, fatal: false };
      this.events.emit('error', clientId === undefined ? error : { ...error, client_id: clientId });
    }
  }

  private resendReadLater(): void {
    if (this.readSent === undefined || this.readResendQueued) return;
    this.readResendQueued = true;
    this.later(RATE_WINDOW_MS, () => {
      this.readResendQueued = false;
      this.readWanted ??= this.readSent;
      this.sendRead();
    });
  }

  private sendPending(clientId: string): void {
    const entry = this.pending.get(clientId);
    if (entry) this.transmit({ message: entry.text, client_id: clientId });
  }

  private sendRead(): void {
    if (this.readWanted !== undefined && this.transmit({ type: 'read', message_id: this.readWanted })) {
      this.readSent = this.readWanted;
      this.readWanted = undefined;
    }
  }

  /** Emits each message not yet delivered, in server order, and keeps `messages` sorted. */
  private deliver(messages: ChatMessage[]): void {
    for (const message of messages.sort(serverOrder)) {
      // close() (a catch-up answered after it, or a listener calling it) ends the events.
      if (this.state === 'closed') return;
      if (message.client_id) this.pending.delete(message.client_id);
      if (this.delivered.has(message.id)) continue;
      this.delivered.add(message.id);
      let index = this.ordered.length;
      while (index > 0 && serverOrder(this.ordered[index - 1]!, message) > 0) index--;
      this.ordered.splice(index, 0, message);
      this.events.emit('message', message);
    }
  }
}
