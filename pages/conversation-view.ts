import type { ChatMessage, ClientError, Conversation, Room, SenderType } from '../client/src/index.ts';
import { codePoints, make, MAX_MESSAGE_CHARACTERS, show, timeElement } from './common.ts';

/**
 * One conversation on screen, for both pages: the messages (own on the right, the other
 * side's on the left, each with its sender and time), "Sent"/"Seen" under one's own,
 * "typing…", the composer, and the closed state. Everything that makes it right over a bad
 * network (each message once and in order, resends, catch-up, stopping when closed) is the
 * client's; the view only shows what the Conversation emits.
 */
export interface ConversationViewOptions {
  /** The live conversation; none for a closed room, which is shown from its history. */
  conversation?: Conversation;
  ownSide: SenderType;
  /** Display names: e.g. { visitor: 'You', owner: 'Owner' } on the visitor's page. */
  names: Record<SenderType, string>;
  /** GET /api/chat/rooms/<id>/ with this side's credentials: the other side's read position after each (re)connect. */
  loadRoom(): Promise<Room>;
  /** The history, shown when the room is closed before anything was delivered (a reload of a closed chat). */
  loadHistory(): Promise<ChatMessage[]>;
  /** Shown once the chat is closed, e.g. "This chat was closed." */
  closedText: string;
  /** Said about a fatal error (the client stopped), e.g. "This chat is no longer available." */
  onFatal?(error: ClientError): void;
}

/** How long "typing…" stays without another typing frame (docs/api.md: about 3 s). */
const TYPING_SHOWN_MS = 3000;

export class ConversationView {
  readonly element = make('section', 'conversation');
  private readonly list = make('ol', 'messages');
  private readonly pendingList = make('ol', 'messages pending');
  private readonly typingLine = make('p', 'typing');
  private readonly closedNote = make('p', 'closed-note');
  private readonly errorLine = make('p', 'error');
  private readonly composer = make('form', 'composer');
  private readonly input = make('textarea');
  private readonly shown = new Map<string, { message: ChatMessage; item: HTMLLIElement }>();
  private readonly order: ChatMessage[] = [];
  private readonly pending = new Map<string, HTMLLIElement>();
  /** The other side's read position: every own message up to it shows "Seen". */
  private otherRead: string | null = null;
  private typingTimer: ReturnType<typeof setTimeout> | undefined;
  private lastMarkedRead: string | undefined;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly otherSide: SenderType;

  constructor(private readonly options: ConversationViewOptions) {
    this.otherSide = options.ownSide === 'owner' ? 'visitor' : 'owner';
    this.element.setAttribute('aria-label', `Conversation with ${options.names[this.otherSide]}`);
    this.list.setAttribute('aria-label', 'Messages');
    // New messages are read out by screen readers as they arrive.
    this.list.setAttribute('aria-live', 'polite');
    this.pendingList.setAttribute('aria-label', 'Messages being sent');
    this.typingLine.setAttribute('aria-live', 'polite');
    this.closedNote.setAttribute('role', 'status');
    this.errorLine.setAttribute('role', 'alert');
    show(this.typingLine, false);
    show(this.closedNote, false);
    show(this.errorLine, false);
    this.buildComposer();
    this.element.append(this.list, this.pendingList, this.typingLine, this.closedNote, this.errorLine, this.composer);

    const { conversation } = options;
    if (!conversation) {
      this.showClosed();
      return;
    }
    for (const message of conversation.messages) this.addMessage(message);
    this.unsubscribe.push(
      conversation.on('message', (message) => this.addMessage(message)),
      conversation.on('read', (receipt) => {
        if (receipt.reader === this.otherSide) this.setOtherRead(receipt.message_id);
      }),
      conversation.on('typing', (typing) => {
        if (typing.sender_type === this.otherSide) this.showTyping();
      }),
      conversation.on('closed', () => this.showClosed()),
      conversation.on('error', (error) => this.showError(error)),
      conversation.on('state', (state) => {
        if (state === 'open') this.refreshReadPosition();
      }),
    );
    const onVisible = () => this.markRead();
    document.addEventListener('visibilitychange', onVisible);
    this.unsubscribe.push(() => document.removeEventListener('visibilitychange', onVisible));
    if (conversation.state === 'open') this.refreshReadPosition();
  }

  /** Stops listening and closes the conversation (the owner opens another room, or signs out). */
  destroy(): void {
    for (const stop of this.unsubscribe.splice(0)) stop();
    clearTimeout(this.typingTimer);
    this.options.conversation?.close();
    this.element.remove();
  }

  focus(): void {
    if (!this.composer.hidden) this.input.focus();
  }

  private buildComposer(): void {
    const label = make('label', 'visually-hidden', 'Message');
    const id = `message-${Math.random().toString(36).slice(2)}`;
    label.htmlFor = id;
    this.input.id = id;
    this.input.name = 'message';
    this.input.rows = 1;
    this.input.placeholder = 'Write a message';
    this.input.setAttribute('enterkeyhint', 'send');
    const send = make('button', 'primary', 'Send');
    send.type = 'submit';
    this.composer.append(label, this.input, send);
    this.composer.addEventListener('submit', (event) => {
      event.preventDefault();
      this.send();
    });
    this.input.addEventListener('keydown', (event) => {
      // Enter sends, Shift+Enter starts a new line (and an IME's Enter composes).
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.send();
      }
    });
    this.input.addEventListener('input', () => {
      // The client sends at most one typing frame per 2 s, as the server wants.
      if (this.input.value.trim()) this.options.conversation?.typing();
    });
  }

  private send(): void {
    const { conversation } = this.options;
    const text = this.input.value.trim();
    if (!conversation || !text) return;
    if (codePoints(text) > MAX_MESSAGE_CHARACTERS) {
      this.showErrorText(`A message holds at most ${MAX_MESSAGE_CHARACTERS} characters.`);
      return;
    }
    show(this.errorLine, false);
    const clientId = conversation.send(text);
    // Shown at once as "Sending…"; replaced by the message itself when its echo arrives,
    // however many reconnects that takes (the client resends it until then).
    const item = this.messageItem({ sender_type: this.options.ownSide, text }, 'Sending…');
    item.classList.add('is-pending');
    item.dataset.clientId = clientId;
    this.pending.set(clientId, item);
    this.pendingList.append(item);
    this.input.value = '';
    this.scrollToEnd();
  }

  /** Each message comes once from the client (it dedupes by id), so the page does not check. */
  private addMessage(message: ChatMessage): void {
    if (message.client_id) {
      this.pending.get(message.client_id)?.remove();
      this.pending.delete(message.client_id);
    }
    const item = this.messageItem(message, message.sender_type === this.options.ownSide ? 'Sent' : undefined);
    item.dataset.id = message.id;
    this.shown.set(message.id, { message, item });
    // In server order, as the client keeps `messages`: a live message that arrives late (the
    // server handles one socket's frames in any order) goes to its place, not to the end.
    let at = this.order.length;
    while (at > 0 && serverOrder(this.order[at - 1]!, message) > 0) at -= 1;
    this.order.splice(at, 0, message);
    this.list.insertBefore(item, this.list.children[at] ?? null);
    if (message.sender_type === this.otherSide) this.hideTyping();
    this.updateSeen();
    this.markRead();
    this.scrollToEnd();
  }

  private messageItem(message: Pick<ChatMessage, 'sender_type' | 'text'> & { created_at?: string }, status?: string) {
    const own = message.sender_type === this.options.ownSide;
    const item = make('li', `message ${own ? 'own' : 'other'}`);
    item.dataset.sender = message.sender_type;
    const meta = make('p', 'meta');
    meta.append(make('span', 'sender', this.options.names[message.sender_type]));
    if (message.created_at) meta.append(' · ', timeElement(message.created_at));
    if (status) meta.append(' · ', make('span', 'status', status));
    item.append(make('p', 'text', message.text), meta);
    return item;
  }

  /** Own messages up to the other side's read position show "Seen" (docs/api.md, the recipe's step 4). */
  private setOtherRead(messageId: string | null): void {
    this.otherRead = messageId;
    this.updateSeen();
  }

  private updateSeen(): void {
    const readIndex = this.otherRead ? this.order.findIndex((m) => m.id === this.otherRead) : -1;
    this.order.forEach((message, index) => {
      if (message.sender_type !== this.options.ownSide) return;
      const entry = this.shown.get(message.id)!;
      const seen = index <= readIndex;
      entry.item.classList.toggle('is-seen', seen);
      const status = entry.item.querySelector('.status');
      if (status) status.textContent = seen ? 'Seen' : 'Sent';
    });
  }

  /** After each (re)connect the receipts missed meanwhile are in the room's `last_read`. */
  private refreshReadPosition(): void {
    this.options.loadRoom().then(
      (room) => this.setOtherRead(room.last_read[this.otherSide]),
      () => undefined, // the next read frame or reconnect brings it
    );
    this.markRead();
  }

  /** Reads the newest message shown while the page is visible; the client sends only a later id than before. */
  private markRead(): void {
    const { conversation } = this.options;
    const newest = this.order.at(-1);
    if (!conversation || !newest || document.visibilityState !== 'visible') return;
    if (newest.id === this.lastMarkedRead || conversation.state !== 'open') return;
    if (!this.order.some((m) => m.sender_type === this.otherSide)) return;
    this.lastMarkedRead = newest.id;
    conversation.markRead(newest.id);
  }

  private showTyping(): void {
    // The name in a <bdi>: a direction override in a visitor's name stays inside it.
    this.typingLine.replaceChildren(make('bdi', undefined, this.options.names[this.otherSide]), ' is typing…');
    show(this.typingLine);
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => this.hideTyping(), TYPING_SHOWN_MS);
  }

  private hideTyping(): void {
    clearTimeout(this.typingTimer);
    show(this.typingLine, false);
  }

  private showClosed(): void {
    this.hideTyping();
    this.closedNote.textContent = this.options.closedText;
    show(this.closedNote);
    show(this.composer, false);
    this.element.dataset.closed = 'true';
    for (const item of this.pending.values()) {
      item.classList.add('is-failed');
      const status = item.querySelector('.status');
      if (status) status.textContent = 'Not sent';
    }
    if (this.order.length === 0) {
      this.options.loadHistory().then(
        (messages) => {
          for (const message of messages) this.addMessage(message);
        },
        () => undefined,
      );
    }
  }

  private showError(error: ClientError): void {
    // A refusal naming no send was of a read receipt or a typing frame (e.g. rate_limited
    // after a burst of messages): nothing the person wrote was lost, so nothing to say.
    if (!error.fatal && !error.client_id) return;
    if (error.client_id) {
      const item = this.pending.get(error.client_id);
      item?.classList.add('is-failed');
      const status = item?.querySelector('.status');
      if (status) status.textContent = 'Not sent';
      this.pending.delete(error.client_id);
    }
    if (error.fatal) {
      show(this.composer, false);
      this.options.onFatal?.(error);
    }
    this.showErrorText(error.fatal ? 'The connection stopped.' : describeRefusal(error));
  }

  private showErrorText(text: string): void {
    this.errorLine.textContent = text;
    show(this.errorLine);
  }

  private scrollToEnd(): void {
    this.composer.scrollIntoView?.({ block: 'end' });
  }
}

/** The server's order of messages: created_at, then id (docs/api.md, history). */
function serverOrder(a: ChatMessage, b: ChatMessage): number {
  return a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** What the error codes of docs/api.md mean to the person typing. */
function describeRefusal(error: ClientError): string {
  switch (error.code) {
    case 'message_too_long':
      return `That message is too long (at most ${MAX_MESSAGE_CHARACTERS} characters).`;
    case 'blank_message':
      return 'That message has nothing visible in it.';
    case 'room_full':
      return 'This chat is full. Start a new one.';
    default:
      return 'That message could not be sent.';
  }
}
