import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  barrier,
  broadcastOf,
  closeAll,
  framesOf,
  roomConnectionIds,
  sendAndEcho,
  type Frame,
} from './support/chat.js';
import { MANY_ROOM_STARTS, useLocalStack } from './support/local-stack-fixture.js';
import { openSocket, refusalOf, type TestSocket } from './support/ws-client.js';

/** POST /api/chat/rooms/<id>/close/: the owner ends a chat; its history stays. */
// The race below opens more sockets per room than the per-member default allows.
const local = useLocalStack({ environment: { ...MANY_ROOM_STARTS, SOCKETS_PER_ROOM_MEMBER: '50' } });

/** Resolves true once the socket is closed, false if it is still open after `ms`. */
const closedWithin = (socket: TestSocket, ms: number) =>
  Promise.race([
    socket.closed.then(() => true),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms)),
  ]);

describe('closing a room', () => {
  it('is refused to anyone but its owner, and a refused close changes nothing', async () => {
    const ownerId = randomUUID();
    const token = await local.api.ownerToken(ownerId);
    const room = await local.api.startChat(ownerId);
    const visitor = await local.api.visitorSocket(room);

    const byOther = await local.api.closeRoom(room.room_id, await local.api.ownerToken(randomUUID()));
    expect(byOther.status).toBe(403);
    expect(await byOther.json()).toEqual({ detail: expect.any(String) });
    const anonymous = await local.api.closeRoom(room.room_id);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ detail: expect.any(String) });
    // The visitor token is no owner credential.
    const byVisitor = await fetch(
      `${local.stack.httpUrl}/api/chat/rooms/${room.room_id}/close/?visitor=${room.visitor_token}`,
      { method: 'POST' },
    );
    expect(byVisitor.status).toBe(401);
    const wrongMethod = await local.api.closeRoom(room.room_id, token, 'GET');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    expect(await wrongMethod.json()).toEqual({ detail: expect.any(String) });
    const unknown = await local.api.closeRoom(randomUUID(), token);
    expect(unknown.status).toBe(404);

    // Still open: the socket works, new sockets are accepted, the list says active.
    await sendAndEcho(visitor, 'still here');
    await barrier([visitor]);
    expect(framesOf(visitor).map((f) => f.message)).toEqual(['still here']);
    expect(await refusalOf(local.api.roomUrl(room.room_id, `token=${token}`))).toBe('accepted');
    await expect
      .poll(() => local.api.listRooms(token), { timeout: 5000 })
      .toEqual([expect.objectContaining({ id: room.room_id, is_active: true })]);
    visitor.ws.close();
  });

  it('tells the sockets of the room, closes them, refuses new ones and keeps the history readable', async () => {
    const ownerId = randomUUID();
    const token = await local.api.ownerToken(ownerId);
    const room = await local.api.startChat(ownerId, 'Ali');
    const visitor = await local.api.visitorSocket(room);
    const owner = await local.api.ownerSocket(room.room_id, token);
    const hello = await sendAndEcho(visitor, 'hello');
    await broadcastOf(owner, 'hello');
    const reply = await sendAndEcho(owner, 'goodbye');
    await broadcastOf(visitor, 'goodbye');

    const response = await local.api.closeRoom(room.room_id, token);
    expect(response.status).toBe(200);
    const closed = (await response.json()) as Frame;
    expect(closed).toEqual({
      id: room.room_id,
      owner_id: ownerId,
      visitor_name: 'Ali',
      is_active: false,
      created_at: expect.any(String),
      updated_at: expect.any(String),
      last_message: { id: reply.id, sender_type: 'owner', content: 'goodbye', created_at: reply.created_at },
      unread_count: 1, // the owner's: the visitor's hello
      last_read: { owner: null, visitor: null },
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
    expect(await refusalOf(local.api.roomUrl(room.room_id, `visitor=${room.visitor_token}`))).toBe(
      'handshake refused: 403',
    );
    expect(await refusalOf(local.api.roomUrl(room.room_id, `token=${token}`))).toBe('handshake refused: 403');

    // The history stays readable to both sides, all of it.
    const expected = [hello.id, reply.id];
    expect((await local.api.messages(room.room_id, { visitor: room.visitor_token })).map((m) => m.id)).toEqual(
      expected,
    );
    expect((await local.api.messages(room.room_id, { token })).map((m) => m.id)).toEqual(expected);

    // The room list shows it inactive (the list is a GSI: eventually consistent).
    await expect.poll(() => local.api.listRooms(token), { timeout: 5000 }).toEqual([closed]);
  });

  it('closes only that room: another room of the same owner keeps talking', async () => {
    const ownerId = randomUUID();
    const token = await local.api.ownerToken(ownerId);
    const closing = await local.api.startChat(ownerId);
    const staying = await local.api.startChat(ownerId);
    const closingVisitor = await local.api.visitorSocket(closing);
    const stayingVisitor = await local.api.visitorSocket(staying);
    const stayingOwner = await local.api.ownerSocket(staying.room_id, token);

    expect((await local.api.closeRoom(closing.room_id, token)).status).toBe(200);
    await closingVisitor.closed;

    const message = await sendAndEcho(stayingVisitor, 'we are still talking');
    await barrier([stayingVisitor, stayingOwner]);
    expect(framesOf(stayingOwner)).toEqual([message]);
    expect(framesOf(stayingVisitor)).toEqual([message]);
    await closeAll([stayingVisitor, stayingOwner]);
  });

  it('is final however many sockets connect while it runs: none stays open, no row remains', async () => {
    const CONNECTS = 40;
    for (let round = 1; round <= 3; round += 1) {
      const ownerId = randomUUID();
      const token = await local.api.ownerToken(ownerId);
      const room = await local.api.startChat(ownerId);
      // Visitor and owner sockets connect concurrently; the close is sent in the middle of them.
      const attempt = (i: number) =>
        openSocket(
          local.api.roomUrl(room.room_id, i % 4 === 0 ? `token=${token}` : `visitor=${room.visitor_token}`),
        ).then(
          (socket) => socket,
          () => undefined,
        );
      const first = Array.from({ length: CONNECTS / 2 }, (_, i) => attempt(i));
      const closing = local.api.closeRoom(room.room_id, token);
      const second = Array.from({ length: CONNECTS / 2 }, (_, i) => attempt(i + CONNECTS / 2));
      expect((await closing).status).toBe(200);
      const opened = (await Promise.all([...first, ...second])).filter((s): s is TestSocket => s !== undefined);

      // Every socket that got through the handshake is closed by the server, none is left open.
      const stillOpen = (await Promise.all(opened.map((s) => closedWithin(s, 5000)))).filter(
        (closed) => !closed,
      ).length;
      expect(stillOpen, `round ${round}: sockets left open in the closed room`).toBe(0);
      await expect.poll(() => roomConnectionIds(local.stack, room.room_id), { timeout: 5000 }).toEqual([]);
      expect(await refusalOf(local.api.roomUrl(room.room_id, `visitor=${room.visitor_token}`))).toBe(
        'handshake refused: 403',
      );
      await closeAll(opened);
    }
  });
});
