import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  barrier,
  broadcastOf,
  broadcastsOf,
  closeAll,
  customOwnerToken,
  framesOf,
  putEventsEntries,
  roomConnectionIds,
  sendAndEcho,
  type Broadcast,
} from './support/chat.js';
import { MANY_FRAMES, MANY_ROOM_STARTS, useLocalStack } from './support/local-stack-fixture.js';
import { refusalOf } from './support/ws-client.js';

/** The chat between two sides (docs/api.md), past the happy path: leaving, devices, rooms, refusals, bad input. */
const local = useLocalStack({
  // This file starts more rooms than one address may per minute by default.
  environment: { ...MANY_ROOM_STARTS, ...MANY_FRAMES },
});

/** Lines the gateway writes when a handler throws instead of answering. */
const handlerFailures = () =>
  local.gatewayLines.filter((line) => /^\$(connect|default|disconnect): /.test(line) || / 5\d\d \(/.test(line));

describe('one side disconnects', () => {
  it('the remaining side still sends and receives, the closed socket is no target, and history keeps everything', async () => {
    const ownerId = randomUUID();
    const token = await local.api.ownerToken(ownerId);
    const room = await local.api.startChat(ownerId);
    const visitor = await local.api.visitorSocket(room);
    const [visitorConnection] = await roomConnectionIds(local.stack, room.room_id);
    const owner = await local.api.ownerSocket(room.room_id, token);

    await sendAndEcho(visitor, 'before');
    await broadcastOf(owner, 'before');

    owner.ws.close();
    await owner.closed;
    // $disconnect has run once the room holds only the visitor's socket.
    await expect
      .poll(() => roomConnectionIds(local.stack, room.room_id), { timeout: 5000 })
      .toEqual([visitorConnection]);

    const after = await sendAndEcho(visitor, 'after the owner left');
    await barrier([visitor]);
    // The sender hears its own message once and no error.
    expect(framesOf(visitor).map((f) => f.message)).toEqual(['before', 'after the owner left']);
    // The closed owner socket was not among the message's targets: the push hook saw no owner online.
    const push = putEventsEntries(local.gatewayLines).filter((e) => e.detail.message_id === after.id);
    expect(push).toHaveLength(1);
    expect(push[0]!.detail.owner_online).toBe(false);

    expect((await local.api.messages(room.room_id, { token })).map((m) => m.content)).toEqual([
      'before',
      'after the owner left',
    ]);
    expect(handlerFailures()).toEqual([]);
    visitor.ws.close();
  });

  it('a message sent the moment the other side drops is still delivered to the sender and kept', async () => {
    const ownerId = randomUUID();
    const token = await local.api.ownerToken(ownerId);
    const room = await local.api.startChat(ownerId);
    const owner = await local.api.ownerSocket(room.room_id, token);
    const [ownerConnection] = await roomConnectionIds(local.stack, room.room_id);
    const visitor = await local.api.visitorSocket(room);
    await sendAndEcho(visitor, 'hello');

    // No close handshake and no waiting for $disconnect: the post to the visitor may find it gone.
    visitor.ws.terminate();
    const echo = await sendAndEcho(owner, 'are you there?');
    await barrier([owner]);
    expect(framesOf(owner).map((f) => f.message)).toEqual(['hello', 'are you there?']);
    expect(echo).toMatchObject({ sender_type: 'owner', room_id: room.room_id });

    expect((await local.api.messages(room.room_id, { visitor: room.visitor_token })).map((m) => m.content)).toEqual([
      'hello',
      'are you there?',
    ]);
    // Whichever came first, $disconnect or a GoneException, the visitor's socket is forgotten.
    await expect.poll(() => roomConnectionIds(local.stack, room.room_id), { timeout: 5000 }).toEqual([ownerConnection]);
    expect(handlerFailures()).toEqual([]);
    owner.ws.close();
  });
});

describe('several owner devices in one room', () => {
  it('every socket, both owner devices and the visitor, gets each message exactly once with the same id', async () => {
    const ownerId = randomUUID();
    const token = await local.api.ownerToken(ownerId);
    const room = await local.api.startChat(ownerId);
    const phone = await local.api.ownerSocket(room.room_id, token);
    const tablet = await local.api.ownerSocket(room.room_id, token);
    const visitor = await local.api.visitorSocket(room);
    const sockets = [phone, tablet, visitor];

    const sent: Broadcast[] = [];
    for (const [socket, text] of [
      [visitor, 'from the visitor'],
      [phone, 'from the phone'],
      [tablet, 'from the tablet'],
    ] as const) {
      const echo = await sendAndEcho(socket, text);
      await Promise.all(sockets.map((s) => broadcastOf(s, text)));
      sent.push(echo);
    }
    await barrier(sockets);

    for (const socket of sockets) expect(framesOf(socket)).toEqual(sent);
    expect(sent.map((b) => b.sender_type)).toEqual(['visitor', 'owner', 'owner']);
    expect(new Set(sent.map((b) => b.id)).size).toBe(3);
    expect((await local.api.messages(room.room_id, { token })).map((m) => m.id)).toEqual(sent.map((b) => b.id));
    await closeAll(sockets);
  });
});

describe('room isolation', () => {
  it('no frame crosses rooms, of one owner or of two', async () => {
    const ownerA = randomUUID();
    const ownerB = randomUUID();
    const [tokenA, tokenB] = await Promise.all([local.api.ownerToken(ownerA), local.api.ownerToken(ownerB)]);
    const rooms = [
      { owner: tokenA, room: await local.api.startChat(ownerA, 'first') },
      { owner: tokenA, room: await local.api.startChat(ownerA, 'second') },
      { owner: tokenB, room: await local.api.startChat(ownerB, 'third') },
    ];
    const members = await Promise.all(
      rooms.map(async ({ owner, room }) => ({
        room,
        visitor: await local.api.visitorSocket(room),
        owner: await local.api.ownerSocket(room.room_id, owner),
      })),
    );

    // Every room talks at the same time.
    await Promise.all(
      members.map(async ({ room, visitor, owner }) => {
        await sendAndEcho(visitor, `visitor of ${room.room_id}`);
        await sendAndEcho(owner, `owner of ${room.room_id}`);
      }),
    );
    const sockets = members.flatMap((m) => [m.visitor, m.owner]);
    await barrier(sockets);

    for (const { room, visitor, owner } of members) {
      const expected = [`visitor of ${room.room_id}`, `owner of ${room.room_id}`];
      for (const socket of [visitor, owner]) {
        expect(framesOf(socket).map((f) => f.message)).toEqual(expected);
        expect(broadcastsOf(socket).every((b) => b.room_id === room.room_id)).toBe(true);
      }
      const history = await local.api.messages(room.room_id, { visitor: room.visitor_token });
      expect(history.map((m) => m.content)).toEqual(expected);
    }
    await closeAll(sockets);
  });

  it("a visitor token of one room opens neither another room's socket nor its history", async () => {
    const ownerId = randomUUID();
    const a = await local.api.startChat(ownerId);
    const b = await local.api.startChat(ownerId);
    const c = await local.api.startChat(randomUUID());
    for (const other of [b, c]) {
      expect(await refusalOf(local.api.roomUrl(other.room_id, `visitor=${a.visitor_token}`))).toBe(
        'handshake refused: 403',
      );
      const read = await local.api.history(other.room_id, { visitor: a.visitor_token });
      expect(read.status).toBe(403);
      expect(read.body).toEqual({ detail: expect.any(String) });
    }
    // The token itself is fine in its own room.
    expect(await refusalOf(local.api.roomUrl(a.room_id, `visitor=${a.visitor_token}`))).toBe('accepted');
    expect((await local.api.history(a.room_id, { visitor: a.visitor_token })).status).toBe(200);
  });
});

describe('handshake refusals', () => {
  it('refuses bad owner credentials with 401 and valid ones for another room with 403', async () => {
    const ownerId = randomUUID();
    const room = await local.api.startChat(ownerId);
    const now = Math.floor(Date.now() / 1000);
    const url = (query: string) => local.api.roomUrl(room.room_id, query);

    const expired = await customOwnerToken(local.stack.jwtSecret, { user_id: ownerId }, now - 3600);
    const otherSecret = await customOwnerToken(`${local.stack.jwtSecret}-but-another`, { user_id: ownerId });
    const refresh = await customOwnerToken(local.stack.jwtSecret, { user_id: ownerId, token_type: 'refresh' });
    const otherOwner = await local.api.ownerToken(randomUUID());
    const good = await customOwnerToken(local.stack.jwtSecret, { user_id: ownerId });

    // The control: the same construction with valid claims is accepted.
    expect(await refusalOf(url(`token=${good}`))).toBe('accepted');
    expect(await refusalOf(url(`token=${expired}`))).toBe('handshake refused: 401');
    expect(await refusalOf(url(`token=${otherSecret}`))).toBe('handshake refused: 401');
    expect(await refusalOf(url(`token=${refresh}`))).toBe('handshake refused: 401');
    expect(await refusalOf(url('token=not.a.jwt'))).toBe('handshake refused: 401');
    expect(await refusalOf(url(`token=${otherOwner}`))).toBe('handshake refused: 403');
    expect(await refusalOf(url(''))).toBe('handshake refused: 401');
    expect(await refusalOf(local.api.roomUrl(randomUUID(), `token=${good}`))).toBe('handshake refused: 403');
    expect(await refusalOf(local.api.roomUrl(randomUUID(), `visitor=${room.visitor_token}`))).toBe(
      'handshake refused: 403',
    );

    // The REST API judges the same tokens the same way.
    for (const [token, status] of [
      [expired, 401],
      [otherSecret, 401],
      [refresh, 401],
      [otherOwner, 403],
      [good, 200],
    ] as const) {
      expect(
        (await local.api.history(room.room_id, { token })).status,
        `history with a token expecting ${status}`,
      ).toBe(status);
    }
  });
});

describe('bad frames', () => {
  it('answer the sender alone with {"error", "code"}, store nothing and leave the socket open', async () => {
    const ownerId = randomUUID();
    const token = await local.api.ownerToken(ownerId);
    const room = await local.api.startChat(ownerId);
    const visitor = await local.api.visitorSocket(room);
    const owner = await local.api.ownerSocket(room.room_id, token);

    const bad = [
      'not json at all',
      JSON.stringify({ text: 'no message field' }),
      JSON.stringify({ message: 'x'.repeat(4001) }),
      JSON.stringify({ message: 42 }),
      JSON.stringify({ message: ['a'] }),
      JSON.stringify({ message: '   ' }),
      JSON.stringify(['message']),
      JSON.stringify({ message: 'hi', client_id: 'not-a-uuid' }),
    ];
    // Sent by both sides, so neither direction leaks an error to the other.
    for (const socket of [visitor, owner]) {
      for (const frame of bad) socket.ws.send(frame);
    }
    await barrier([visitor, owner]);
    for (const socket of [visitor, owner]) {
      const frames = framesOf(socket);
      expect(frames).toHaveLength(bad.length);
      expect(frames.map((f) => f.code)).toEqual([
        'invalid_frame',
        'invalid_frame',
        'message_too_long',
        'invalid_frame',
        'invalid_frame',
        'blank_message',
        'invalid_frame',
        'invalid_frame',
      ]);
      for (const frame of frames) expect(frame).toEqual({ error: expect.any(String), code: expect.any(String) });
      expect(frames[2]!.error).toMatch(/4000/);
      expect(socket.ws.readyState).toBe(socket.ws.OPEN);
    }

    // A valid message afterwards works, both ways, and reaches the other side once.
    const fromVisitor = await sendAndEcho(visitor, 'x'.repeat(4000));
    const fromOwner = await sendAndEcho(owner, 'ok');
    await barrier([visitor, owner]);
    expect(framesOf(visitor).slice(bad.length)).toEqual([fromVisitor, fromOwner]);
    expect(framesOf(owner).slice(bad.length)).toEqual([fromVisitor, fromOwner]);
    expect((await local.api.messages(room.room_id, { token })).map((m) => m.id)).toEqual([
      fromVisitor.id,
      fromOwner.id,
    ]);
    await closeAll([visitor, owner]);
  });
});

describe("the owner's room list", () => {
  it('puts the room with the latest message first, and its updated_at moves to that message', async () => {
    const ownerId = randomUUID();
    const token = await local.api.ownerToken(ownerId);
    const first = await local.api.startChat(ownerId, 'first');
    const second = await local.api.startChat(ownerId, 'second');
    expect((await local.api.listRooms(token)).map((room) => room.id)).toEqual([second.room_id, first.room_id]);

    const visitor = await local.api.visitorSocket(first);
    const sent = await sendAndEcho(visitor, 'the first room speaks again');

    const rooms = await local.api.listRooms(token);
    expect(rooms.map((room) => room.id)).toEqual([first.room_id, second.room_id]);
    expect(rooms[0]!.updated_at).toBe(sent.created_at);
    expect(rooms[0]!.created_at).not.toBe(sent.created_at);
    await closeAll([visitor]);
  });
});
