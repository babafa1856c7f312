import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  barrier,
  broadcastOf,
  closeAll,
  framesOf,
  ids,
  putEventsEntries,
  sendAndEcho,
  waitForFrames,
  type Broadcast,
} from './support/chat.js';
import { MANY_ROOM_STARTS, useLocalStack } from './support/local-stack-fixture.js';

/** Idempotent sends with client_id: a retry, however it arrives, stores and broadcasts nothing new. */
const local = useLocalStack({ environment: MANY_ROOM_STARTS });

async function openRoom() {
  const ownerId = randomUUID();
  const token = await local.api.ownerToken(ownerId);
  const room = await local.api.startChat(ownerId);
  return { room, token };
}

describe('a message with client_id', () => {
  it('is stored once; a retry, on the same socket or a new one, is broadcast and published again as the original', async () => {
    const { room, token } = await openRoom();
    let visitor = await local.api.visitorSocket(room);
    const owner = await local.api.ownerSocket(room.room_id, token);
    const clientId = randomUUID();
    const frame = JSON.stringify({ message: 'Salom', client_id: clientId });

    visitor.ws.send(frame);
    const original = await broadcastOf(visitor, 'Salom');
    expect(await broadcastOf(owner, 'Salom')).toEqual(original);
    expect(original).toEqual({
      id: expect.any(String),
      room_id: room.room_id,
      sender_type: 'visitor',
      message: 'Salom',
      created_at: expect.any(String),
      client_id: clientId,
    });

    // The retry on the same socket.
    visitor.ws.send(frame);
    await waitForFrames(visitor, (f) => f.length === 2, 'the answer to the retry');
    expect(framesOf(visitor)).toEqual([original, original]);

    // The connection dropped before the echo: the client reconnects and retries there.
    visitor.ws.close();
    await visitor.closed;
    visitor = await local.api.visitorSocket(room);
    visitor.ws.send(frame);
    await waitForFrames(visitor, (f) => f.length === 1, 'the answer to the retry on the new socket');
    expect(framesOf(visitor)).toEqual([original]);

    // A retry carrying other text is still the same message.
    visitor.ws.send(JSON.stringify({ message: 'Salom!!', client_id: clientId }));
    await waitForFrames(visitor, (f) => f.length === 2, 'the answer to the altered retry');
    expect(framesOf(visitor)[1]).toEqual(original);

    // Every retry reaches the owner too (its first broadcast may never have happened; a
    // client drops an id it already shows), always as the one stored message.
    await barrier([visitor, owner]);
    expect(framesOf(owner)).toEqual([original, original, original, original]);
    const history = await local.api.messages(room.room_id, { token });
    expect(history).toEqual([
      {
        id: original.id,
        room_id: room.room_id,
        sender_type: 'visitor',
        content: 'Salom',
        created_at: original.created_at,
        client_id: clientId,
      },
    ]);
    // The push is published for each, with the one message id.
    const pushes = putEventsEntries(local.gatewayLines).filter((e) => e.detail.message_id === original.id);
    expect(pushes).toHaveLength(4);
    await closeAll([visitor, owner]);
  });

  it('sent at the same instant on two sockets of the same side is stored once, every broadcast the same message', async () => {
    const { room, token } = await openRoom();
    const phone = await local.api.ownerSocket(room.room_id, token);
    const tablet = await local.api.ownerSocket(room.room_id, token);
    const visitor = await local.api.visitorSocket(room);
    const frame = JSON.stringify({ message: 'on my way', client_id: randomUUID() });

    phone.ws.send(frame);
    tablet.ws.send(frame);
    await Promise.all([phone, tablet].map((s) => broadcastOf(s, 'on my way')));
    await barrier([phone, tablet, visitor]);

    const toVisitor = framesOf(visitor);
    expect(toVisitor).toHaveLength(2);
    const stored = toVisitor[0] as unknown as Broadcast;
    expect(toVisitor[1]).toEqual(stored);
    expect(stored).toMatchObject({ sender_type: 'owner', message: 'on my way' });
    // Each send is broadcast to both owner sockets: four frames, every one the same message.
    const toOwners = [...framesOf(phone), ...framesOf(tablet)];
    expect(toOwners).toHaveLength(4);
    for (const f of toOwners) expect(f).toEqual(stored);
    expect(ids(await local.api.messages(room.room_id, { visitor: room.visitor_token }))).toEqual([stored.id]);
    await closeAll([phone, tablet, visitor]);
  });

  it('in another room is another message', async () => {
    const first = await openRoom();
    const second = await openRoom();
    const a = await local.api.visitorSocket(first.room);
    const b = await local.api.visitorSocket(second.room);
    const clientId = randomUUID();
    const inA = await sendAndEcho(a, 'same key', { client_id: clientId });
    const inB = await sendAndEcho(b, 'same key', { client_id: clientId });
    expect(inB.id).not.toBe(inA.id);
    expect(inB.room_id).toBe(second.room.room_id);
    expect(ids(await local.api.messages(second.room.room_id, { token: second.token }))).toEqual([inB.id]);
    await closeAll([a, b]);
  });

  it('is refused with {"error"} when client_id is not a UUID; without one, nothing carries client_id', async () => {
    const { room, token } = await openRoom();
    const visitor = await local.api.visitorSocket(room);
    visitor.ws.send(JSON.stringify({ message: 'hi', client_id: 'retry-1' }));
    expect(await visitor.next()).toEqual({ error: expect.stringMatching(/client_id/), code: 'invalid_frame' });

    const plain = await sendAndEcho(visitor, 'no key');
    expect(plain).not.toHaveProperty('client_id');
    const history = await local.api.messages(room.room_id, { token });
    expect(history).toHaveLength(1);
    expect(history[0]).not.toHaveProperty('client_id');
    visitor.ws.close();
  });
});
