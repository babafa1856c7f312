import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../local/local-stack.js';
import { barrier, broadcastOf, chatClient, closeAll, framesOf, sendAndEcho, type Frame } from './support/chat.js';
import { startDynamoDbBackend, type DynamoDbBackend } from './support/dynamodb-backend.js';
import { refusalOf } from './support/ws-client.js';

/** POST /api/chat/rooms/<id>/close/: the owner ends a chat; its history stays. */
let stack: LocalStack;
let backend: DynamoDbBackend;
let api: ReturnType<typeof chatClient>;

beforeAll(async () => {
  backend = await startDynamoDbBackend();
  stack = await startLocalStack({
    port: 0,
    dynamodb: backend.dynamodb,
    log: () => undefined,
    environment: { ROOM_STARTS_PER_MINUTE_PER_IP: '100' },
  });
  api = chatClient(stack);
});

afterAll(async () => {
  await stack?.stop();
  await backend?.stop();
});

describe('closing a room', () => {
  it('is refused to anyone but its owner, and a refused close changes nothing', async () => {
    const ownerId = randomUUID();
    const token = await api.ownerToken(ownerId);
    const room = await api.startChat(ownerId);
    const visitor = await api.visitorSocket(room);

    const byOther = await api.closeRoom(room.room_id, await api.ownerToken(randomUUID()));
    expect(byOther.status).toBe(403);
    expect(await byOther.json()).toEqual({ detail: expect.any(String) });
    const anonymous = await api.closeRoom(room.room_id);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ detail: expect.any(String) });
    // The visitor token is no owner credential.
    const byVisitor = await fetch(`${stack.httpUrl}/api/chat/rooms/${room.room_id}/close/?visitor=${room.visitor_token}`, { method: 'POST' });
    expect(byVisitor.status).toBe(401);
    const wrongMethod = await api.closeRoom(room.room_id, token, 'GET');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    expect(await wrongMethod.json()).toEqual({ detail: expect.any(String) });
    const unknown = await api.closeRoom(randomUUID(), token);
    expect(unknown.status).toBe(404);

    // Still open: the socket works, new sockets are accepted, the list says active.
    await sendAndEcho(visitor, 'still here');
    await barrier([visitor]);
    expect(framesOf(visitor).map((f) => f.message)).toEqual(['still here']);
    expect(await refusalOf(api.roomUrl(room.room_id, `token=${token}`))).toBe('accepted');
    await expect.poll(() => api.listRooms(token), { timeout: 5000 }).toEqual([expect.objectContaining({ id: room.room_id, is_active: true })]);
    visitor.ws.close();
  });

  it('tells the sockets of the room, closes them, refuses new ones and keeps the history readable', async () => {
    const ownerId = randomUUID();
    const token = await api.ownerToken(ownerId);
    const room = await api.startChat(ownerId, 'Ali');
    const visitor = await api.visitorSocket(room);
    const owner = await api.ownerSocket(room.room_id, token);
    const hello = await sendAndEcho(visitor, 'hello');
    await broadcastOf(owner, 'hello');
    const reply = await sendAndEcho(owner, 'goodbye');
    await broadcastOf(visitor, 'goodbye');

    const response = await api.closeRoom(room.room_id, token);
    expect(response.status).toBe(200);
    const closed = (await response.json()) as Frame;
    expect(closed).toEqual({
      id: room.room_id,
      owner_id: ownerId,
      visitor_name: 'Ali',
      is_active: false,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    expect(Date.parse(String(closed.updated_at))).toBeGreaterThanOrEqual(Date.parse(reply.created_at));

    // Each socket hears why, last, and is then closed by the server.
    for (const socket of [visitor, owner]) {
      await socket.closed;
      const frames = framesOf(socket);
      expect(frames.at(-1)).toEqual({ type: 'room.closed', room_id: room.room_id });
      expect(frames.filter((f) => f.type === 'room.closed')).toHaveLength(1);
    }

    // No new socket, for either side.
    expect(await refusalOf(api.roomUrl(room.room_id, `visitor=${room.visitor_token}`))).toBe('handshake refused: 403');
    expect(await refusalOf(api.roomUrl(room.room_id, `token=${token}`))).toBe('handshake refused: 403');

    // The history stays readable to both sides, all of it.
    const expected = [hello.id, reply.id];
    expect((await api.messages(room.room_id, { visitor: room.visitor_token })).map((m) => m.id)).toEqual(expected);
    expect((await api.messages(room.room_id, { token })).map((m) => m.id)).toEqual(expected);

    // The room list shows it inactive (the list is a GSI: eventually consistent).
    await expect.poll(() => api.listRooms(token), { timeout: 5000 }).toEqual([closed]);
  });

  it('closes only that room: another room of the same owner keeps talking', async () => {
    const ownerId = randomUUID();
    const token = await api.ownerToken(ownerId);
    const closing = await api.startChat(ownerId);
    const staying = await api.startChat(ownerId);
    const closingVisitor = await api.visitorSocket(closing);
    const stayingVisitor = await api.visitorSocket(staying);
    const stayingOwner = await api.ownerSocket(staying.room_id, token);

    expect((await api.closeRoom(closing.room_id, token)).status).toBe(200);
    await closingVisitor.closed;

    const message = await sendAndEcho(stayingVisitor, 'we are still talking');
    await barrier([stayingVisitor, stayingOwner]);
    expect(framesOf(stayingOwner)).toEqual([message]);
    expect(framesOf(stayingVisitor)).toEqual([message]);
    await closeAll([stayingVisitor, stayingOwner]);
  });
});
