import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChatApiError, createChatClient } from '../src/index.js';
import { linkParameter } from '../src/rest.js';
import { recordConversation, setup, tick } from './support/harness.js';

describe('REST calls', () => {
  it('startChat posts user_id and visitor_name to the base URL without doubling the slash', async () => {
    const calls: { url: string; init: RequestInit }[] = [];
    const fetch = (async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return new Response(JSON.stringify({ room_id: 'r', visitor_token: 't', ws_path: '/ws/chat/r/', ws_url: 'x' }), {
        status: 201,
      });
    }) as unknown as typeof globalThis.fetch;
    const client = createChatClient({ baseUrl: 'https://chat.example/', fetch });
    expect(await client.startChat('3f1c1e1a-8a5e-4a53-9a36-2f1d7c0b9e10', 'Ali')).toMatchObject({ room_id: 'r' });
    expect(calls[0]!.url).toBe('https://chat.example/api/chat/start/');
    expect(JSON.parse(String(calls[0]!.init.body))).toEqual({
      user_id: '3f1c1e1a-8a5e-4a53-9a36-2f1d7c0b9e10',
      visitor_name: 'Ali',
    });
    await client.startChat('3f1c1e1a-8a5e-4a53-9a36-2f1d7c0b9e10');
    expect(JSON.parse(String(calls[1]!.init.body))).toEqual({ user_id: '3f1c1e1a-8a5e-4a53-9a36-2f1d7c0b9e10' });
  });

  it('refusals are ChatApiError with status, detail and Retry-After', async () => {
    const fetch = (async () =>
      new Response(JSON.stringify({ detail: 'Too many chats started from this address.' }), {
        status: 429,
        headers: { 'retry-after': '60' },
      })) as unknown as typeof globalThis.fetch;
    const client = createChatClient({ baseUrl: 'http://x', fetch });
    const error = await client.startChat('3f1c1e1a-8a5e-4a53-9a36-2f1d7c0b9e10').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChatApiError);
    expect(error).toMatchObject({ status: 429, detail: 'Too many chats started from this address.', retryAfter: 60 });
  });

  it('history maps content to text and reads the paging Link headers; credentials go where docs/api.md says', async () => {
    const { server, client } = setup();
    const { roomId, visitorToken } = server.startRoom();
    for (const text of ['1', '2', '3', '4']) server.store(roomId, 'owner', text);
    const latest = await client.history(roomId, { visitorToken }, { limit: 2 });
    expect(latest.messages.map((m) => m.text)).toEqual(['3', '4']);
    expect(latest.before).toBe(latest.messages[0]!.id);
    expect(latest.after).toBeUndefined();
    const older = await client.history(roomId, { visitorToken }, { before: latest.before!, limit: 2 });
    expect(server.requests.at(-1)).toBe(`GET /api/chat/rooms/${roomId}/messages/?limit=2&before=${latest.before}`);
    expect(older.messages).toBeDefined();
    server.afterPageSize = 1;
    const first = server.rooms.get(roomId)!.messages[0]!;
    const newer = await client.history(roomId, { getToken: () => server.ownerToken() }, { after: first.id });
    expect(newer.messages.map((m) => m.text)).toEqual(['2']);
    expect(newer.after).toBe(newer.messages[0]!.id);
    expect(server.authorizations).toHaveLength(1);
  });

  it('listRooms passes the cursor and returns the next one; getRoom returns the room', async () => {
    const seen: string[] = [];
    const fetch = (async (url: string) => {
      seen.push(url);
      return new Response('[]', {
        status: 200,
        headers: { link: '</api/chat/rooms/?cursor=abc%3D%3D>; rel="next"' },
      });
    }) as unknown as typeof globalThis.fetch;
    const client = createChatClient({ baseUrl: 'http://x', fetch });
    const page = await client.listRooms({ getToken: async () => 'jwt' }, { cursor: 'first' });
    expect(page).toEqual({ rooms: [], cursor: 'abc==' });
    expect(seen).toEqual(['http://x/api/chat/rooms/?cursor=first']);
    const { server, client: fake } = setup();
    const { roomId, visitorToken } = server.startRoom();
    expect(await fake.getRoom(roomId, { visitorToken })).toMatchObject({ id: roomId, is_active: true });
  });

  it('parses Link headers with several links and parameters', () => {
    const header = '</a/?before=x&limit=5>; rel="prev", </a/?after=y>; rel=next';
    expect(linkParameter(header, 'prev', 'before')).toBe('x');
    expect(linkParameter(header, 'next', 'after')).toBe('y');
    expect(linkParameter(header, 'next', 'cursor')).toBeUndefined();
    expect(linkParameter(null, 'next', 'after')).toBeUndefined();
  });
});

describe('without a WebSocket or fetch', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a conversation stops with a fatal unsupported error', async () => {
    const { server } = setup();
    const { roomId, visitorToken } = server.startRoom();
    const original = (globalThis as { WebSocket?: unknown }).WebSocket;
    (globalThis as { WebSocket?: unknown }).WebSocket = undefined;
    try {
      const client = createChatClient({ baseUrl: 'http://chat.test', fetch: server.fetch as typeof globalThis.fetch });
      const conversation = client.connect(roomId, { visitorToken });
      const events = recordConversation(conversation);
      await tick();
      expect(events.error).toEqual([expect.objectContaining({ code: 'unsupported', fatal: true })]);
      expect(conversation.state).toBe('closed');
    } finally {
      (globalThis as { WebSocket?: unknown }).WebSocket = original;
    }
  });

  it('a conversation without fetch stops the same way', async () => {
    const { server } = setup();
    const { roomId, visitorToken } = server.startRoom();
    const original = globalThis.fetch;
    (globalThis as { fetch?: unknown }).fetch = undefined;
    try {
      const client = createChatClient({ baseUrl: 'http://chat.test', WebSocket: server.WebSocket });
      const conversation = client.connect(roomId, { visitorToken });
      const events = recordConversation(conversation);
      await tick();
      expect(events.error).toEqual([expect.objectContaining({ code: 'unsupported', fatal: true })]);
      expect(server.sockets).toEqual([]);
      await expect(client.getRoom(roomId, { visitorToken })).rejects.toThrow(/unsupported/);
    } finally {
      globalThis.fetch = original;
    }
  });
});
