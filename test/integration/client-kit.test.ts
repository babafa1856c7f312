import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  type ChatClientOptions,
  type ChatMessage,
  type Conversation,
  type ConversationEvents,
  createChatClient,
} from '../../client/src/index.js';
import { customOwnerToken, roomConnectionIds } from './support/chat.js';
import { MANY_FRAMES, useLocalStack } from './support/local-stack-fixture.js';

/**
 * The client kit (client/, docs/client.md) against the real local stack: the visitor and the owner
 * talk through it, and it gets through what a phone and a laptop meet (a dropped socket, an expired
 * owner token, a chat closed while away) the way docs/api.md's reconnect algorithm says.
 */
const local = useLocalStack({ environment: MANY_FRAMES });

/** Node 20 has no global WebSocket: the kit takes the `ws` package's. Short delays keep the file quick. */
function kit(options: Partial<ChatClientOptions> = {}) {
  return createChatClient({
    baseUrl: local.stack.httpUrl,
    WebSocket,
    reconnect: { initialDelayMs: 100, maxDelayMs: 400 },
    ...options,
  });
}

function recorder(conversation: Conversation) {
  const seen = { message: [], closed: [], error: [], state: [] } as unknown as {
    [K in 'message' | 'closed' | 'error' | 'state']: ConversationEvents[K][];
  };
  for (const name of Object.keys(seen) as (keyof typeof seen)[]) {
    conversation.on(name, (value) => (seen[name] as unknown[]).push(value));
  }
  return seen;
}

const texts = (messages: readonly ChatMessage[]) => messages.map((m) => m.text);
const stateOf = (conversation: Conversation) => () => conversation.state;
const POLL = { timeout: 15_000, interval: 20 };

/** Drops a socket from the server side, as API Gateway does after 2 hours or a network change. */
async function dropConnection(connectionId: string): Promise<void> {
  const at = `${local.stack.servicesUrl}/@connections/${encodeURIComponent(connectionId)}`;
  expect((await fetch(at, { method: 'DELETE' })).status).toBe(204);
}

/** The room's connection ids, once it holds `count` of them. */
async function connectionsOf(roomId: string, count: number): Promise<string[]> {
  await expect.poll(async () => (await roomConnectionIds(local.stack, roomId)).length, POLL).toBe(count);
  return roomConnectionIds(local.stack, roomId);
}

/** Handshakes to this room the gateway refused, with that status. */
const refusals = (roomId: string, status: number) =>
  local.gatewayLines.filter((line) => line === `WS /ws/chat/${roomId}/ refused ${status} ($connect)`).length;

describe('the client kit against the local stack', () => {
  it('carries a conversation both ways in Latin, Cyrillic and emoji, each message once and in order', async () => {
    const ownerId = randomUUID();
    const client = kit();
    const started = await client.startChat(ownerId, 'Ali');
    const visitor = client.connect(started.room_id, { visitorToken: started.visitor_token });
    const owner = client.connect(started.room_id, { getToken: () => local.api.ownerToken(ownerId) });
    const heard = { visitor: recorder(visitor), owner: recorder(owner) };
    await expect.poll(stateOf(visitor), POLL).toBe('open');
    await expect.poll(stateOf(owner), POLL).toBe('open');

    const lines = [
      [visitor, 'Salom! Is the car for sale?'],
      [owner, 'Здравствуйте, да'],
      [visitor, '🚗😀 great'],
      [owner, 'Ha, 🙂 keling'],
    ] as const;
    for (const [side, text] of lines) {
      const clientId = side.send(text);
      await expect.poll(() => side.messages.some((m) => m.client_id === clientId), POLL).toBe(true);
    }
    const expected = lines.map(([, text]) => text);
    await expect.poll(() => texts(owner.messages), POLL).toEqual(expected);
    await expect.poll(() => texts(visitor.messages), POLL).toEqual(expected);
    expect(texts(heard.visitor.message)).toEqual(expected);
    expect(texts(heard.owner.message)).toEqual(expected);
    expect(owner.messages.map((m) => m.sender_type)).toEqual(['visitor', 'owner', 'visitor', 'owner']);
    expect(owner.messages.map((m) => m.id)).toEqual(visitor.messages.map((m) => m.id));
    expect(heard.visitor.error).toEqual([]);
    expect(heard.owner.error).toEqual([]);

    const page = await client.history(started.room_id, { visitorToken: started.visitor_token });
    expect(texts(page.messages)).toEqual(expected);
    const rooms = await client.listRooms({ getToken: () => local.api.ownerToken(ownerId) });
    expect(rooms.rooms.map((room) => room.id)).toEqual([started.room_id]);
    visitor.close();
    owner.close();
  });

  it('a visitor socket dropped while the owner sends three: after the reconnect exactly those three, once, in order', async () => {
    const ownerId = randomUUID();
    const client = kit();
    const started = await client.startChat(ownerId);
    // The visitor waits 1.5-3 s before reconnecting: long enough for the owner's three sends.
    const asked: string[] = [];
    const fetchAndRecord: typeof fetch = (input, init) => {
      asked.push(String(input));
      return fetch(input, init);
    };
    const visitor = kit({ reconnect: { initialDelayMs: 3000 }, fetch: fetchAndRecord }).connect(started.room_id, {
      visitorToken: started.visitor_token,
    });
    const heard = recorder(visitor);
    await expect.poll(stateOf(visitor), POLL).toBe('open');
    const [visitorConnection] = await connectionsOf(started.room_id, 1);
    const owner = client.connect(started.room_id, { getToken: () => local.api.ownerToken(ownerId) });
    await expect.poll(stateOf(owner), POLL).toBe('open');
    visitor.send('before the drop');
    await expect.poll(() => texts(owner.messages), POLL).toEqual(['before the drop']);

    await dropConnection(visitorConnection!);
    await expect.poll(stateOf(visitor), POLL).toBe('reconnecting');
    const sent = ['one', 'two 🚗', 'три'];
    for (const text of sent) {
      const clientId = owner.send(text);
      await expect.poll(() => owner.messages.some((m) => m.client_id === clientId), POLL).toBe(true);
    }
    // All three were stored while the visitor was away: they come back by the catch-up.
    expect(visitor.state).toBe('reconnecting');
    expect(texts(heard.message)).toEqual(['before the drop']);

    await expect.poll(stateOf(visitor), POLL).toBe('open');
    expect(texts(heard.message)).toEqual(['before the drop', ...sent]);
    expect(texts(visitor.messages)).toEqual(['before the drop', ...sent]);
    expect(visitor.messages.map((m) => m.id)).toEqual(owner.messages.map((m) => m.id));
    const beforeDrop = visitor.messages[0]!.id;
    expect(
      asked.filter((url) => url.includes('/messages/')).map((url) => new URL(url).searchParams.get('after')),
    ).toEqual([null, beforeDrop]);
    expect(heard.state).toEqual(['open', 'reconnecting', 'connecting', 'open']);
    expect(heard.error).toEqual([]);
    visitor.close();
    owner.close();
  });

  it('an owner token expired by the reconnect: one 401, then a fresh token and the conversation goes on', async () => {
    const ownerId = randomUUID();
    const client = kit();
    const started = await client.startChat(ownerId);
    let expiredCalls = 0;
    const getToken = async () => {
      if (expiredCalls === 0) return local.api.ownerToken(ownerId);
      expiredCalls--;
      return customOwnerToken(local.stack.jwtSecret, { user_id: ownerId }, Math.floor(Date.now() / 1000) - 600);
    };
    const owner = client.connect(started.room_id, { getToken });
    const heard = recorder(owner);
    await expect.poll(stateOf(owner), POLL).toBe('open');
    const [ownerConnection] = await connectionsOf(started.room_id, 1);

    // The reconnect and its probe get the expired token (as a 5-minute JWT kept in memory would be).
    expiredCalls = 2;
    await dropConnection(ownerConnection!);
    await expect.poll(() => heard.state.filter((s) => s === 'open').length, POLL).toBe(2);
    expect(refusals(started.room_id, 401)).toBe(1);
    expect(local.gatewayLines.some((l) => l.startsWith(`GET /api/chat/rooms/${started.room_id}/ 401`))).toBe(true);

    const visitor = client.connect(started.room_id, { visitorToken: started.visitor_token });
    await expect.poll(stateOf(visitor), POLL).toBe('open');
    visitor.send('still there?');
    await expect.poll(() => texts(owner.messages), POLL).toEqual(['still there?']);
    expect(heard.error).toEqual([]);
    visitor.close();
    owner.close();
  });

  it('a room closed while the visitor is away: closed event, state closed, no further handshakes', async () => {
    const ownerId = randomUUID();
    const client = kit();
    const started = await client.startChat(ownerId);
    const visitor = kit({ reconnect: { initialDelayMs: 3000 } }).connect(started.room_id, {
      visitorToken: started.visitor_token,
    });
    const heard = recorder(visitor);
    await expect.poll(stateOf(visitor), POLL).toBe('open');
    const [visitorConnection] = await connectionsOf(started.room_id, 1);

    await dropConnection(visitorConnection!);
    await expect.poll(stateOf(visitor), POLL).toBe('reconnecting');
    const close = await fetch(`${local.stack.httpUrl}/api/chat/rooms/${started.room_id}/close/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await local.api.ownerToken(ownerId)}` },
    });
    expect(close.status).toBe(200);
    expect(heard.closed).toEqual([]);

    await expect.poll(stateOf(visitor), POLL).toBe('closed');
    expect(heard.closed).toEqual([{ room_id: started.room_id }]);
    expect(heard.error).toEqual([]);
    expect(refusals(started.room_id, 403)).toBe(1);
    // Longer than any backoff delay: no further attempt.
    await new Promise((resolve) => setTimeout(resolve, 3500));
    expect(refusals(started.room_id, 403)).toBe(1);
  });
});
