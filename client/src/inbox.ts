import { Connection, type ConnectionSettings, probeOf } from './connection.js';
import { type Rest, toChatMessage } from './rest.js';
import type { Inbox, InboxEvents, OwnerCredentials, Room } from './types.js';

export interface InboxSettings extends ConnectionSettings {
  rest: Rest;
  webSocketUrl: string;
}

/** The owner inbox socket (docs/api.md, the owner inbox): room and message events, the room list after every open. */
export class OwnerInbox extends Connection<InboxEvents> implements Inbox {
  constructor(
    private readonly credentials: OwnerCredentials,
    private readonly options: InboxSettings,
  ) {
    super(options, true);
  }

  protected async socketUrl(): Promise<string> {
    return `${this.options.webSocketUrl}/ws/inbox/?token=${encodeURIComponent(await this.credentials.getToken())}`;
  }

  /** No room to ask about: the room list answers 401 for a stale token just the same. */
  protected probe() {
    return probeOf(() => this.options.rest.listRooms(this.credentials));
  }

  /** "After reconnecting the inbox, refetch the room list once": what the inbox missed while away. */
  protected async catchUp(): Promise<void> {
    const { rooms } = await this.options.rest.listRooms(this.credentials);
    this.events.emit('rooms', rooms);
  }

  protected frame(frame: Record<string, unknown>): void {
    if (frame.type === 'room.created' || frame.type === 'room.updated') {
      this.events.emit('room', { type: frame.type, room: frame.room as Room });
    } else if (frame.type === 'message' && frame.message && typeof frame.message === 'object') {
      this.events.emit('message', toChatMessage(frame.message as Record<string, unknown>));
    } else if (typeof frame.error === 'string') {
      this.events.emit('error', { code: String(frame.code), message: frame.error, fatal: false });
    }
  }
}
