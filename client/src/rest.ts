import type { ChatMessage, Credentials, HistoryPage, Room, RoomPage, StartedChat } from './types.js';

/** A REST call refused: status, DRF `detail`, Retry-After seconds on a 429. */
export class ChatApiError extends Error {
  readonly status: number;
  readonly detail: string;
  readonly retryAfter?: number;

  constructor(status: number, detail: string, retryAfter?: number) {
    super(`${status}: ${detail}`);
    this.name = 'ChatApiError';
    this.status = status;
    this.detail = detail;
    if (retryAfter !== undefined) this.retryAfter = retryAfter;
  }
}

export const isOwner = (credentials: Credentials): credentials is { getToken(): string | Promise<string> } =>
  'getToken' in credentials;

/** A history item (`content`) or a live broadcast (`message`) as one ChatMessage. */
export function toChatMessage(wire: Record<string, unknown>): ChatMessage {
  const message: ChatMessage = {
    id: wire.id as string,
    room_id: wire.room_id as string,
    sender_type: wire.sender_type as ChatMessage['sender_type'],
    text: (wire.content ?? wire.message) as string,
    created_at: wire.created_at as string,
  };
  if (typeof wire.client_id === 'string') message.client_id = wire.client_id;
  return message;
}

/** The query parameter `name` of the Link header's URL with that `rel` (RFC 8288), if any. */
export function linkParameter(header: string | null, rel: string, name: string): string | undefined {
  for (const match of (header ?? '').matchAll(/<([^>]*)>([^,]*)/g)) {
    if (new RegExp(`rel="?${rel}"?(;|\\s|$)`).test(match[2]!)) {
      return new URL(match[1]!, 'http://link.invalid').searchParams.get(name) ?? undefined;
    }
  }
  return undefined;
}

/** The REST calls of docs/api.md, with the caller's credentials (getToken() before every call). */
export class Rest {
  constructor(
    private readonly baseUrl: string,
    private readonly fetchImpl: typeof globalThis.fetch | undefined,
  ) {}

  async request(
    path: string,
    credentials: Credentials | undefined,
    query: Record<string, string | number | undefined> = {},
    init: RequestInit = {},
  ): Promise<{ body: unknown; headers: Headers }> {
    if (!this.fetchImpl) throw new Error('unsupported: no fetch available');
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
    const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
    if (credentials) {
      if (isOwner(credentials)) headers.authorization = `Bearer ${await credentials.getToken()}`;
      else params.set('visitor', credentials.visitorToken);
    }
    const search = params.toString();
    const response = await this.fetchImpl(`${this.baseUrl}${path}${search ? `?${search}` : ''}`, { ...init, headers });
    const body: unknown = await response.json().catch(() => undefined);
    if (!response.ok) {
      const detail = (body as { detail?: unknown } | undefined)?.detail;
      const retryAfter = Number(response.headers.get('retry-after') ?? Number.NaN);
      throw new ChatApiError(
        response.status,
        typeof detail === 'string' ? detail : response.statusText,
        Number.isFinite(retryAfter) ? retryAfter : undefined,
      );
    }
    return { body, headers: response.headers };
  }

  async startChat(ownerId: string, visitorName?: string): Promise<StartedChat> {
    const { body } = await this.request('/api/chat/start/', undefined, undefined, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(
        visitorName === undefined ? { user_id: ownerId } : { user_id: ownerId, visitor_name: visitorName },
      ),
    });
    return body as StartedChat;
  }

  async listRooms(credentials: Credentials, cursor?: string): Promise<RoomPage> {
    const { body, headers } = await this.request('/api/chat/rooms/', credentials, { cursor });
    const page: RoomPage = { rooms: body as Room[] };
    const next = linkParameter(headers.get('link'), 'next', 'cursor');
    if (next !== undefined) page.cursor = next;
    return page;
  }

  async getRoom(roomId: string, credentials: Credentials): Promise<Room> {
    return (await this.request(`/api/chat/rooms/${encodeURIComponent(roomId)}/`, credentials)).body as Room;
  }

  async closeRoom(roomId: string, credentials: Credentials): Promise<Room> {
    const path = `/api/chat/rooms/${encodeURIComponent(roomId)}/close/`;
    return (await this.request(path, credentials, {}, { method: 'POST' })).body as Room;
  }

  async history(
    roomId: string,
    credentials: Credentials,
    options: { limit?: number; before?: string; after?: string } = {},
  ): Promise<HistoryPage> {
    const { limit, before, after } = options;
    const { body, headers } = await this.request(
      `/api/chat/rooms/${encodeURIComponent(roomId)}/messages/`,
      credentials,
      {
        limit,
        before,
        after,
      },
    );
    const page: HistoryPage = { messages: (body as Record<string, unknown>[]).map(toChatMessage) };
    const link = headers.get('link');
    const older = linkParameter(link, 'prev', 'before');
    const newer = linkParameter(link, 'next', 'after');
    if (older !== undefined) page.before = older;
    if (newer !== undefined) page.after = newer;
    return page;
  }
}
