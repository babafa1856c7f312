import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { customOwnerToken, type Frame } from './support/chat.js';
import { MANY_ROOM_STARTS, useLocalStack } from './support/local-stack-fixture.js';
import { refusalOf } from './support/ws-client.js';

/** GET /api/chat/rooms/<room_id>/: what a client asks after its reconnect was refused. */
const local = useLocalStack({ environment: MANY_ROOM_STARTS });

type Credentials = { token: string } | { visitor: string } | Record<string, never>;

async function getRoom(roomId: string, credentials: Credentials, slash = '/', method = 'GET') {
  const query = 'visitor' in credentials ? `?visitor=${credentials.visitor}` : '';
  const response = await fetch(`${local.stack.httpUrl}/api/chat/rooms/${roomId}${slash}${query}`, {
    method,
    headers: 'token' in credentials ? { authorization: `Bearer ${credentials.token}` } : {},
  });
  return { status: response.status, allow: response.headers.get('allow'), body: (await response.json()) as Frame };
}

describe('GET /api/chat/rooms/<room_id>/', () => {
  it("answers the owner and the visitor with the room in the room list's shape, with or without the slash", async () => {
    const ownerId = randomUUID();
    const token = await local.api.ownerToken(ownerId);
    const room = await local.api.startChat(ownerId, 'Ali');

    const asOwner = await getRoom(room.room_id, { token });
    expect(asOwner.status).toBe(200);
    expect(asOwner.body).toEqual({
      id: room.room_id,
      owner_id: ownerId,
      visitor_name: 'Ali',
      is_active: true,
      created_at: expect.any(String),
      updated_at: expect.any(String),
      last_message: null,
      unread_count: 0,
      last_read: { owner: null, visitor: null },
    });
    expect(await getRoom(room.room_id, { visitor: room.visitor_token })).toEqual(asOwner);
    expect(await getRoom(room.room_id, { token }, '')).toEqual(asOwner);
    expect(await getRoom(room.room_id, { visitor: room.visitor_token }, '')).toEqual(asOwner);
    await expect.poll(() => local.api.listRooms(token), { timeout: 5000 }).toEqual([asOwner.body]);
  });

  it('answers a closed room with is_active false to both sides: the refused reconnect means the chat is over', async () => {
    const ownerId = randomUUID();
    const token = await local.api.ownerToken(ownerId);
    const room = await local.api.startChat(ownerId);
    expect((await local.api.closeRoom(room.room_id, token)).status).toBe(200);

    // What the client sees: a refused handshake (browsers do not even see the status) ...
    expect(await refusalOf(local.api.roomUrl(room.room_id, `visitor=${room.visitor_token}`))).toMatch(
      /^handshake refused/,
    );
    // ... and what it learns by asking.
    const asVisitor = await getRoom(room.room_id, { visitor: room.visitor_token });
    expect(asVisitor.status).toBe(200);
    expect(asVisitor.body).toMatchObject({ id: room.room_id, is_active: false });
    expect(await getRoom(room.room_id, { token })).toEqual(asVisitor);
  });

  it('answers an expired owner token with 401: the owner refreshes it and reconnects', async () => {
    const ownerId = randomUUID();
    const room = await local.api.startChat(ownerId);
    const expired = await customOwnerToken(
      local.stack.jwtSecret,
      { user_id: ownerId },
      Math.floor(Date.now() / 1000) - 300,
    );

    expect(await refusalOf(local.api.roomUrl(room.room_id, `token=${expired}`))).toBe('handshake refused: 401');
    const answer = await getRoom(room.room_id, { token: expired });
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({ detail: expect.any(String) });
    expect((await getRoom(room.room_id, { token: await local.api.ownerToken(ownerId) })).status).toBe(200);
  });

  it('answers another owner and the visitor token of another room with 403', async () => {
    const room = await local.api.startChat(randomUUID());
    const other = await local.api.startChat(randomUUID());

    const byOtherOwner = await getRoom(room.room_id, { token: await local.api.ownerToken(randomUUID()) });
    expect(byOtherOwner.status).toBe(403);
    expect(byOtherOwner.body).toEqual({ detail: expect.any(String) });
    expect((await getRoom(room.room_id, { visitor: other.visitor_token })).status).toBe(403);
  });

  it('answers a request without credentials with 401', async () => {
    const room = await local.api.startChat(randomUUID());

    const anonymous = await getRoom(room.room_id, {});
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toEqual({ detail: 'Authentication credentials were not provided.' });
  });

  it('answers an unknown room with 404, to an owner and to a visitor token', async () => {
    const room = await local.api.startChat(randomUUID());
    const token = await local.api.ownerToken(randomUUID());

    expect(await getRoom(randomUUID(), { token })).toEqual({
      status: 404,
      allow: null,
      body: { detail: 'Not found.' },
    });
    expect((await getRoom(randomUUID(), { visitor: room.visitor_token })).status).toBe(404);
    expect((await getRoom('not-a-room', { token })).status).toBe(404);
  });

  it('answers another method with 405 and Allow: GET', async () => {
    const room = await local.api.startChat(randomUUID());

    expect(await getRoom(room.room_id, { visitor: room.visitor_token }, '/', 'POST')).toEqual({
      status: 405,
      allow: 'GET',
      body: { detail: 'Method "POST" not allowed.' },
    });
  });
});

describe('the paths around the room', () => {
  it('each reach their own function: messages, close, and 404 below the room', async () => {
    const ownerId = randomUUID();
    const token = await local.api.ownerToken(ownerId);
    const room = await local.api.startChat(ownerId);
    const auth = { authorization: `Bearer ${token}` };
    const at = (path: string, method = 'GET') =>
      fetch(`${local.stack.httpUrl}/api/chat/rooms/${room.room_id}${path}`, { method, headers: auth });

    for (const path of ['/messages', '/messages/']) {
      const history = await at(path);
      expect(history.status, path).toBe(200);
      expect(await history.json()).toEqual([]);
    }
    // GET is the close function's 405 (it allows POST only): the route reached it.
    for (const path of ['/close', '/close/']) {
      const close = await at(path);
      expect(close.status, path).toBe(405);
      expect(close.headers.get('allow')).toBe('POST');
    }
    // Deeper than any resource: the room function's own 404, not API Gateway's.
    for (const path of ['/x', '/x/y', '/x/y/']) {
      const deeper = await at(path);
      expect(deeper.status, path).toBe(404);
      expect(await deeper.json()).toEqual({ detail: 'Not found.' });
    }
    // The room list still answers its own path and nothing below it.
    expect((await fetch(`${local.stack.httpUrl}/api/chat/rooms/`, { headers: auth })).status).toBe(200);
  });
});
