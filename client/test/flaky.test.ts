import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChatApiError, createChatClient } from '../src/index.js';
import { openVisitor, recordConversation, recordInbox, setup, texts, tick } from './support/harness.js';

/** What a flaky network and a hurried app do to the kit: each case once broke it. */

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('a conversation on a flaky network', () => {
  it('close() during the catch-up: the history that arrives afterwards emits nothing', async () => {
    const { server, client } = setup();
    const { roomId, visitorToken } = server.startRoom();
    server.store(roomId, 'owner', 'already there');
    const release = server.holdHistory();
    const conversation = client.connect(roomId, { visitorToken });
    const events = recordConversation(conversation);
    await tick();
    conversation.close();
    release();
    await tick(60_000);
    expect(events.message).toEqual([]);
    expect(events.state).toEqual(['closed']);
  });

  it('a socket dropped during a catch-up slower than the reconnect delay: the next open still catches up', async () => {
    const { server, roomId, conversation, events } = await openVisitor(['before']);
    server.sockets[0]!.serverClose();
    await tick();
    server.store(roomId, 'owner', 'missed');
    const release = server.holdHistory();
    await tick(1000);
    // The second socket opened and its catch-up hangs; the network drops it too.
    expect(server.sockets).toHaveLength(2);
    server.sockets[1]!.serverClose();
    await tick(2000);
    expect(server.sockets).toHaveLength(3);
    server.store(roomId, 'owner', 'live');
    await tick();
    // Both catch-ups answer now: the dropped socket's first.
    release();
    await tick();
    expect(conversation.state).toBe('open');
    expect(server.sockets).toHaveLength(3);
    expect(texts(events.message)).toEqual(['before', 'missed', 'live']);
  });

  it('a late refusal of a copy of a send already echoed is no error (the message was delivered)', async () => {
    const { server, roomId, conversation, events } = await openVisitor();
    const clientId = conversation.send('hurried');
    await tick();
    expect(texts(events.message)).toEqual(['hurried']);
    // A second copy (a retry timer and a reconnect's resend racing) is refused after the echo.
    server.sockets[0]!.receive({ error: 'Too many messages.', code: 'rate_limited', client_id: clientId });
    await tick(60_000);
    expect(events.error).toEqual([]);
    expect(server.rooms.get(roomId)!.messages).toHaveLength(1);
  });

  it("API Gateway's own Internal server error frame: the unacknowledged sends are resent on the open socket", async () => {
    const { server, roomId, conversation, events } = await openVisitor();
    // The function handling the send failed outright: nothing stored, and the gateway's frame says not which.
    server.loseFrames = true;
    const clientId = conversation.send('failed outright');
    server.loseFrames = false;
    server.sockets[0]!.receive({ message: 'Internal server error', connectionId: 'abc=', requestId: 'r1' });
    server.sockets[0]!.receive({ message: 'Internal server error', connectionId: 'abc=', requestId: 'r2' });
    await tick(1000);
    expect(texts(events.message)).toEqual(['failed outright']);
    expect(server.sockets).toHaveLength(1);
    // Resent once, with its client_id, however many of the gateway's frames came.
    expect(server.sentFrames()).toEqual(Array(2).fill({ message: 'failed outright', client_id: clientId }));
    expect(server.rooms.get(roomId)!.messages).toHaveLength(1);
    expect(events.error).toEqual([]);
  });

  it('back online with more sends waiting than the frame limit: the read receipt is not the frame refused', async () => {
    const { server, conversation, events } = await openVisitor(['1']);
    server.framesPerSecond = 5;
    server.sockets[0]!.serverClose();
    await tick();
    for (const text of ['a', 'b', 'c', 'd', 'e', 'f']) conversation.send(text);
    conversation.markRead(conversation.messages[0]!.id);
    await tick(1000);
    expect(events.read).toMatchObject([{ reader: 'visitor', message_id: conversation.messages[0]!.id }]);
    expect(events.error).toEqual([]);
    // The refused sends go through on their retries (in the order their jittered delays end).
    await tick(60_000);
    expect(texts(events.message).sort()).toEqual(['1', 'a', 'b', 'c', 'd', 'e', 'f']);
  });

  it('markRead while offline keeps the latest id asked for, not the last call', async () => {
    const { server, conversation } = await openVisitor(['1', '2', '3']);
    const [first, , third] = conversation.messages.map((m) => m.id);
    server.sockets[0]!.serverClose();
    await tick();
    conversation.markRead(third!);
    conversation.markRead(first!);
    await tick(1000);
    expect(conversation.state).toBe('open');
    expect(server.sockets[1]!.sent.map((data) => JSON.parse(data))).toEqual([{ type: 'read', message_id: third }]);
  });

  it('close() from a state listener as the socket drops leaves no timer behind', async () => {
    const { server, conversation } = await openVisitor();
    conversation.on('state', (state) => {
      if (state === 'reconnecting') conversation.close();
    });
    server.sockets[0]!.serverClose();
    await tick();
    expect(conversation.state).toBe('closed');
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('a conversation with initialHistory outside the 1-200 the server takes', () => {
  it.each([500, 0])('initialHistory %s still opens (the server refuses such a ?limit=)', async (initialHistory) => {
    const { server, client } = setup({ initialHistory });
    const { roomId, visitorToken } = server.startRoom();
    server.store(roomId, 'owner', 'hello');
    const conversation = client.connect(roomId, { visitorToken });
    await tick(60_000);
    expect(conversation.state).toBe('open');
    expect(server.sockets).toHaveLength(1);
  });
});

describe('the inbox on a flaky network', () => {
  it('close() while the room list is being fetched: no rooms event afterwards', async () => {
    const { server } = setup();
    server.startRoom();
    let answer: () => void = () => {};
    const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
      await new Promise<void>((resolve) => (answer = resolve));
      return server.fetch(input, init);
    }) as typeof globalThis.fetch;
    const client = createChatClient({ baseUrl: 'http://chat.test', fetch, WebSocket: server.WebSocket });
    const inbox = client.inbox({ getToken: () => server.ownerToken() });
    const events = recordInbox(inbox);
    await tick();
    inbox.close();
    answer();
    await tick(60_000);
    expect(events.rooms).toEqual([]);
    expect(events.state).toEqual(['closed']);
  });
});

describe('the inbox hearing a retried send', () => {
  it("emits a message once when a retry's re-broadcast brings it again", async () => {
    const { server, client } = setup();
    server.startRoom();
    const inbox = client.inbox({ getToken: () => server.ownerToken() });
    const events = recordInbox(inbox);
    await tick();
    const message = {
      id: 'm1',
      room_id: 'r',
      sender_type: 'visitor',
      message: 'Salom',
      created_at: '2026-02-05T11:06:00Z',
    };
    server.sockets[0]!.receive({ type: 'message', message });
    server.sockets[0]!.receive({ type: 'message', message: { ...message, id: 'm2' } });
    // The visitor's retry of m1 (same client_id) is broadcast again with the original id.
    server.sockets[0]!.receive({ type: 'message', message });
    await tick();
    expect(events.message.map((m) => m.id)).toEqual(['m1', 'm2']);
  });
});

describe('REST answers that are not the API', () => {
  const answering = (body: string, status: number) =>
    createChatClient({
      baseUrl: 'http://x',
      fetch: (async () => new Response(body, { status })) as unknown as typeof globalThis.fetch,
    });

  it('API Gateway\'s own {"message"} answer becomes the detail', async () => {
    const error = await answering('{"message":"Internal Server Error"}', 500)
      .getRoom('r', { visitorToken: 't' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChatApiError);
    expect(error).toMatchObject({ status: 500, detail: 'Internal Server Error' });
  });

  it('an HTML 502 (a CDN error page, HTTP/2 has no status text) still says something', async () => {
    const error = (await answering('<html><body>502 Bad Gateway</body></html>', 502)
      .getRoom('r', { visitorToken: 't' })
      .catch((e: unknown) => e)) as ChatApiError;
    expect(error).toBeInstanceOf(ChatApiError);
    expect(error.status).toBe(502);
    expect(error.detail).not.toBe('');
    expect(error.retryAfter).toBeUndefined();
  });
});
