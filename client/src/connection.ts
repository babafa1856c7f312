import { Emitter } from './events.js';
import { backoffDelay, decideRefusal, type Probe } from './reconnect.js';
import { ChatApiError } from './rest.js';
import type { ClientError, ConnectionState, SocketLike, WebSocketLike } from './types.js';

/** The settings a connection reads, resolved once by createChatClient. */
export interface ConnectionSettings {
  WebSocket: WebSocketLike | undefined;
  /** The catch-up and the probe need fetch too. */
  hasFetch: boolean;
  initialDelayMs: number;
  maxDelayMs: number;
  pingIntervalMs: number;
  random: () => number;
}

type Timer = ReturnType<typeof setTimeout>;

/** The status a refused handshake's probe got: the REST status, 0 when there was no answer. */
export async function probeOf(call: () => Promise<{ is_active?: boolean } | unknown>): Promise<Probe> {
  try {
    const room = (await call()) as { is_active?: boolean };
    return { status: 200, isActive: room?.is_active };
  } catch (error) {
    return { status: error instanceof ChatApiError ? error.status : 0 };
  }
}

/**
 * One socket kept open: connect, catch up, ping, and on a drop back off and reconnect; on a refused
 * handshake probe the REST API and decide (reconnect.ts). A room's conversation and the owner inbox
 * extend it with their URL, probe, catch-up and frames.
 */
export abstract class Connection<Events extends { state: ConnectionState; error: ClientError }> {
  protected readonly events = new Emitter<Events>();
  private current: ConnectionState = 'connecting';
  private socket: SocketLike | undefined;
  /** Counts sockets: a callback of an older socket (or of one before close()) finds it changed and does nothing. */
  private generation = 0;
  private attempt = 0;
  private unauthorizedBefore = false;
  private readonly timers = new Set<Timer>();
  private pingTimer: ReturnType<typeof setInterval> | undefined;

  constructor(
    protected readonly settings: ConnectionSettings,
    private readonly owner: boolean,
  ) {
    // Started after the caller's synchronous `on(...)` calls, so they see every event.
    queueMicrotask(() => void this.open());
  }

  get state(): ConnectionState {
    return this.current;
  }

  on<K extends keyof Events>(event: K, listener: (value: Events[K]) => void): () => void {
    return this.events.on(event, listener);
  }

  close(): void {
    this.stop();
  }

  /** The socket URL with fresh credentials (getToken() for the owner). */
  protected abstract socketUrl(): Promise<string>;
  /** Asked after a refused handshake: GET the room (or the room list) with the same credentials. */
  protected abstract probe(): Promise<Probe>;
  /** Runs on every open before the state is 'open' (history catch-up, room list); a failure drops the socket. */
  protected abstract catchUp(): Promise<void>;
  protected abstract frame(frame: Record<string, unknown>): void;
  /** The state is 'open' (after catchUp). */
  protected opened(): void {}
  /** The room is over: a subclass emits its 'closed' event after this. */
  protected onClosed(): void {}

  protected transmit(frame: object): boolean {
    if (this.current !== 'open' || !this.socket) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  /** Runs `action` after `delay` ms unless the connection stops first. */
  protected later(delay: number, action: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, delay);
    this.timers.add(timer);
  }

  protected backoff(attempt: number): number {
    const { initialDelayMs, maxDelayMs, random } = this.settings;
    return backoffDelay(attempt, initialDelayMs, maxDelayMs, random);
  }

  /** Stops for good; `reason` is emitted after the state turned 'closed'. */
  protected stop(reason?: { error: ClientError } | { closed: true }): void {
    if (this.current === 'closed') return;
    this.dropSocket();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.setState('closed');
    if (reason && 'error' in reason) this.events.emit('error', reason.error as Events['error']);
    else if (reason) this.onClosed();
  }

  protected fail(code: string, message: string): void {
    this.stop({ error: { code, message, fatal: true } });
  }

  private setState(state: ConnectionState): void {
    if (this.current === state) return;
    this.current = state;
    this.events.emit('state', state as Events['state']);
  }

  private dropSocket(): void {
    this.generation++;
    clearInterval(this.pingTimer);
    const socket = this.socket;
    this.socket = undefined;
    if (!socket) return;
    socket.onopen = socket.onmessage = socket.onclose = null;
    // Not null: Node's `ws` throws an 'error' nobody listens to (closing a socket still connecting emits one).
    socket.onerror = () => {};
    try {
      socket.close();
    } catch {
      // Closing a socket that never opened may throw in some runtimes; it is gone either way.
    }
  }

  private async open(): Promise<void> {
    if (this.current === 'closed') return;
    const generation = ++this.generation;
    const { WebSocket, hasFetch } = this.settings;
    if (!WebSocket || !hasFetch)
      return this.fail('unsupported', 'No WebSocket or fetch available: pass them in the options.');
    this.setState('connecting');
    let socket: SocketLike;
    try {
      const url = await this.socketUrl();
      if (generation !== this.generation) return;
      socket = new WebSocket(url);
    } catch {
      // getToken() failed or the URL was refused by the runtime: try again later.
      return this.reconnectLater();
    }
    this.socket = socket;
    let opened = false;
    socket.onopen = () => {
      opened = true;
      this.unauthorizedBefore = false;
      this.pingTimer = setInterval(() => socket.send('{"type":"ping"}'), this.settings.pingIntervalMs);
      void this.afterOpen(generation);
    };
    socket.onmessage = (event: { data: unknown }) => {
      if (typeof event.data !== 'string') return;
      let frame: unknown;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (frame && typeof frame === 'object') this.frame(frame as Record<string, unknown>);
    };
    // A close always follows an error, so the error handler has nothing to do.
    socket.onerror = () => {};
    socket.onclose = () => {
      this.dropSocket();
      if (opened) this.reconnectLater();
      else void this.refused(this.generation);
    };
  }

  private async afterOpen(generation: number): Promise<void> {
    try {
      await this.catchUp();
    } catch {
      if (generation !== this.generation) return;
      this.dropSocket();
      return this.reconnectLater();
    }
    if (generation !== this.generation) return;
    this.attempt = 0;
    this.setState('open');
    this.opened();
  }

  private reconnectLater(): void {
    // A getToken() that fails after close() lands here too.
    if (this.current === 'closed') return;
    this.setState('reconnecting');
    this.later(this.backoff(this.attempt++), () => void this.open());
  }

  private async refused(generation: number): Promise<void> {
    this.setState('reconnecting');
    const probe = await this.probe();
    if (generation !== this.generation || this.current === 'closed') return;
    const decision = decideRefusal(probe, this.owner, this.unauthorizedBefore);
    this.unauthorizedBefore = decision === 'retry-now';
    if (decision === 'retry-now') return void this.open();
    if (decision === 'backoff') return this.reconnectLater();
    if (decision === 'closed') return this.stop({ closed: true });
    this.fail(decision, REFUSALS[decision]);
  }
}

const REFUSALS = {
  unauthorized: 'The credentials were refused (401): log in again, or start a new chat.',
  forbidden: 'The credentials belong to another room or owner (403).',
  not_found: 'The room does not exist (404).',
};
