import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { LocalStackProcess } from '../../bench/lib/local-stack-process.js';
import { freePort } from '../../local/free-port.js';
import { signOwnerToken } from '../../local/owner-token.js';
import {
  barrier,
  broadcastOf,
  closeAll,
  framesOf,
  waitForFrames,
  type Frame,
  type StartedRoom,
} from './support/chat.js';
import { MANY_FRAMES, MANY_ROOM_STARTS, useLocalStack } from './support/local-stack-fixture.js';
import { openSocket, type TestSocket } from './support/ws-client.js';

/** Issue 12: last message, unread counts and read positions in room objects; read receipts; typing. */
const local = useLocalStack({ environment: { ...MANY_ROOM_STARTS, ...MANY_FRAMES } });

const getRoom = async (
  httpUrl: string,
  roomId: string,
  reader: { token: string } | { visitor: string },
): Promise<Frame> => {
  const query = 'visitor' in reader ? `?visitor=${reader.visitor}` : '';
  const response = await fetch(`${httpUrl}/api/chat/rooms/${roomId}/${query}`, {
    headers: 'token' in reader ? { authorization: `Bearer ${reader.token}` } : {},
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Frame;
};

/** Sends every text at once (no waiting between frames) and waits for each one's echo. */
async function sendAll(socket: TestSocket, texts: string[]): Promise<void> {
  socket.ws.setMaxListeners(texts.length + 10); // one echo waiter per text
  for (const text of texts) socket.ws.send(JSON.stringify({ message: text }));
  await Promise.all(texts.map((text) => broadcastOf(socket, text)));
}

async function chat(): Promise<{
  ownerId: string;
  token: string;
  room: StartedRoom;
  visitor: TestSocket;
  visitor2: TestSocket;
  owner: TestSocket;
}> {
  const ownerId = randomUUID();
  const token = await local.api.ownerToken(ownerId);
  const room = await local.api.startChat(ownerId);
  const [visitor, visitor2, owner] = await Promise.all([
    local.api.visitorSocket(room),
    local.api.visitorSocket(room),
    local.api.ownerSocket(room.room_id, token),
  ]);
  return { ownerId, token, room, visitor, visitor2, owner };
}

const typingFrames = (socket: TestSocket) => framesOf(socket).filter((f) => f.type === 'typing');
const readFrames = (socket: TestSocket) => framesOf(socket).filter((f) => f.type === 'read');

describe('room activity', () => {
  it('shows the newest message and exact unread counts right after concurrent sends from both sides', async () => {
    const { token, room, visitor, visitor2, owner } = await chat();
    const fresh = await getRoom(local.stack.httpUrl, room.room_id, { token });
    expect(fresh).toMatchObject({ last_message: null, unread_count: 0, last_read: { owner: null, visitor: null } });

    await Promise.all([
      sendAll(
        visitor,
        Array.from({ length: 12 }, (_, i) => `visitor ${i}`),
      ),
      sendAll(
        visitor2,
        Array.from({ length: 8 }, (_, i) => `visitor2 ${i}`),
      ),
      sendAll(
        owner,
        Array.from({ length: 5 }, (_, i) => `owner ${i}`),
      ),
    ]);

    const history = await local.api.messages(room.room_id, { token });
    expect(history).toHaveLength(25);
    const newest = history.at(-1)!;
    const preview = {
      id: newest.id,
      sender_type: newest.sender_type,
      content: newest.content,
      created_at: newest.created_at,
    };
    const asOwner = await getRoom(local.stack.httpUrl, room.room_id, { token });
    expect(asOwner).toMatchObject({
      unread_count: 20,
      last_message: preview,
      last_read: { owner: null, visitor: null },
    });
    expect(asOwner.updated_at).toBe(newest.created_at);
    expect(await getRoom(local.stack.httpUrl, room.room_id, { visitor: room.visitor_token })).toMatchObject({
      unread_count: 5,
      last_message: preview,
    });
    // The room list (an index: eventually consistent) carries the same.
    await expect.poll(async () => (await local.api.listRooms(token))[0], { timeout: 5000 }).toEqual(asOwner);
    await closeAll([visitor, visitor2, owner]);
  });

  it('moves a read position forward only, to every socket of the room and the owner’s inbox', async () => {
    const { ownerId, token, room, visitor, visitor2, owner } = await chat();
    const inbox = await local.api.inboxSocket(token);
    const otherInbox = await local.api.inboxSocket(await local.api.ownerToken(randomUUID()));
    await sendAll(visitor, ['one', 'two', 'three']);
    const [one, two, three] = await local.api.messages(room.room_id, { token });

    owner.ws.send(JSON.stringify({ type: 'read', message_id: two!.id }));
    const everyone = [visitor, visitor2, owner];
    const receipts = await Promise.all(
      everyone.map((s) => waitForFrames(s, (f) => f.some((x) => x.type === 'read'), 'the read receipt')),
    );
    const receipt = receipts[0]!.find((f) => f.type === 'read')!;
    expect(receipt).toEqual({
      type: 'read',
      room_id: room.room_id,
      reader: 'owner',
      message_id: two!.id,
      read_at: expect.any(String),
    });
    for (const frames of receipts) expect(frames.filter((f) => f.type === 'read')).toEqual([receipt]);
    const [updated] = (
      await waitForFrames(inbox, (f) => f.some((x) => x.type === 'room.updated'), 'room.updated')
    ).filter((f) => f.type === 'room.updated');
    expect(updated).toEqual({
      type: 'room.updated',
      room: expect.objectContaining({
        id: room.room_id,
        owner_id: ownerId,
        unread_count: 1,
        last_read: { owner: two!.id, visitor: null },
      }),
    });

    // An earlier id changes nothing: only the sender hears the position as it stands.
    owner.ws.send(JSON.stringify({ type: 'read', message_id: one!.id }));
    await barrier([...everyone, inbox, otherInbox]);
    expect(readFrames(owner)).toEqual([receipt, receipt]);
    expect(readFrames(visitor)).toEqual([receipt]);
    expect(framesOf(inbox).filter((f) => f.type === 'room.updated')).toHaveLength(1);
    expect(framesOf(otherInbox)).toEqual([]);
    expect(await getRoom(local.stack.httpUrl, room.room_id, { token })).toMatchObject({
      unread_count: 1,
      last_read: { owner: two!.id },
    });

    // Reading the newest: nothing unread; the visitor sees the owner's position reach its message.
    owner.ws.send(JSON.stringify({ type: 'read', message_id: three!.id }));
    await waitForFrames(visitor, (f) => f.filter((x) => x.type === 'read').length === 2, 'the second receipt');
    expect(await getRoom(local.stack.httpUrl, room.room_id, { visitor: room.visitor_token })).toMatchObject({
      unread_count: 0,
      last_read: { owner: three!.id, visitor: null },
    });
    expect(await getRoom(local.stack.httpUrl, room.room_id, { token })).toMatchObject({ unread_count: 0 });

    // The visitor reads the owner's reply: its own count, and the owner's inbox hears nothing of it.
    const reply = await sendAndWait(owner, 'reply');
    const inboxFrames = framesOf(inbox).length;
    visitor2.ws.send(JSON.stringify({ type: 'read', message_id: reply }));
    await waitForFrames(
      owner,
      (f) => f.some((x) => x.type === 'read' && x.reader === 'visitor'),
      'the visitor’s receipt',
    );
    await barrier([...everyone, inbox]);
    expect(
      framesOf(inbox)
        .slice(inboxFrames)
        .filter((f) => f.type !== 'message'),
    ).toEqual([]);
    expect(await getRoom(local.stack.httpUrl, room.room_id, { visitor: room.visitor_token })).toMatchObject({
      unread_count: 0,
      last_read: { owner: three!.id, visitor: reply },
    });
    await closeAll([...everyone, inbox, otherInbox]);
  });

  it('the push event carries the owner’s unread count after each visitor message', async () => {
    const { room, visitor, visitor2, owner } = await chat();
    const first = await sendAndWait(visitor, 'first');
    const second = await sendAndWait(visitor, 'second');
    owner.ws.send(JSON.stringify({ type: 'read', message_id: second }));
    await waitForFrames(visitor, (f) => f.some((x) => x.type === 'read'), 'the receipt');
    const third = await sendAndWait(visitor2, 'third');

    const unread = (id: string) =>
      local.putEvents.filter((e) => e.detail.message_id === id).map((e) => e.detail.unread_count);
    // Published after the broadcast: polled until all three arrived.
    await expect.poll(() => [unread(first), unread(second), unread(third)], { timeout: 5000 }).toEqual([[1], [2], [1]]);
    expect(local.putEvents.filter((e) => e.detail.room_id === room.room_id)).toHaveLength(3);
    await closeAll([visitor, visitor2, owner]);
  });

  it('answers unknown_message for an id that is no message of this room', async () => {
    const { token, room, visitor, visitor2, owner } = await chat();
    const elsewhere = await local.api.startChat(randomUUID());
    const stranger = await local.api.visitorSocket(elsewhere);
    stranger.ws.send(JSON.stringify({ message: 'not yours' }));
    const foreign = await broadcastOf(stranger, 'not yours');

    owner.ws.send(JSON.stringify({ type: 'read', message_id: foreign.id }));
    const [refusal] = (await waitForFrames(owner, (f) => f.some((x) => 'code' in x), 'the refusal')).filter(
      (x) => 'code' in x,
    );
    expect(refusal).toEqual({ error: expect.any(String), code: 'unknown_message' });
    await barrier([visitor, visitor2, owner]);
    expect(readFrames(visitor)).toEqual([]);
    expect(await getRoom(local.stack.httpUrl, room.room_id, { token })).toMatchObject({
      last_read: { owner: null, visitor: null },
    });
    await closeAll([visitor, visitor2, owner, stranger]);
  });

  it('relays typing to the other sockets only, at most once per socket in 2 s, and stores nothing', async () => {
    const { token, room, visitor, visitor2, owner } = await chat();
    const inbox = await local.api.inboxSocket(token);
    const before = await getRoom(local.stack.httpUrl, room.room_id, { token });

    // Three typing frames in a burst (well within 2 s of each other): one is relayed.
    for (let i = 0; i < 3; i += 1) visitor.ws.send(JSON.stringify({ type: 'typing' }));
    owner.ws.send(JSON.stringify({ type: 'typing' }));
    await barrier([visitor, visitor2, owner, inbox]);

    const fromVisitor = { type: 'typing', room_id: room.room_id, sender_type: 'visitor' };
    const fromOwner = { type: 'typing', room_id: room.room_id, sender_type: 'owner' };
    expect(typingFrames(owner)).toEqual([fromVisitor]);
    expect(typingFrames(visitor2)).toHaveLength(2);
    expect(typingFrames(visitor2)).toEqual(expect.arrayContaining([fromVisitor, fromOwner]));
    expect(typingFrames(visitor)).toEqual([fromOwner]);
    expect(framesOf(inbox)).toEqual([]);
    // Typing frames get no answer, and nothing about the room changed.
    expect(framesOf(visitor).filter((f) => 'code' in f)).toEqual([]);
    expect(await getRoom(local.stack.httpUrl, room.room_id, { token })).toEqual(before);
    expect(await local.api.messages(room.room_id, { token })).toEqual([]);
    await closeAll([visitor, visitor2, owner, inbox]);
  });

  it('keeps counts, preview and read positions in the table: a second stack on the same DynamoDB serves them and counts on', async () => {
    const { token, room, visitor, owner, visitor2 } = await chat();
    await Promise.all([sendAll(visitor, ['a', 'b', 'c', 'd']), sendAll(owner, ['x'])]);
    const history = await local.api.messages(room.room_id, { token });
    const [first] = history;
    owner.ws.send(JSON.stringify({ type: 'read', message_id: first!.id }));
    await waitForFrames(visitor, (f) => f.some((x) => x.type === 'read'), 'the receipt');
    const before = await getRoom(local.stack.httpUrl, room.room_id, { token });
    await closeAll([visitor, owner, visitor2]);

    // A fresh local stack in another process (fresh function modules), on the same table.
    const { host } = await LocalStackProcess.launch();
    try {
      const jwtSecret = `restart-${randomUUID()}`;
      const port = await freePort();
      await host.startStack({
        port,
        host: '127.0.0.1',
        dynamodbEndpoint: local.stack.dynamoDbEndpoint,
        jwtSecret,
        logLevel: 'ERROR',
      });
      const httpUrl = `http://127.0.0.1:${port}`;
      const restartedToken = await signOwnerToken(before.owner_id as string, jwtSecret);
      expect(await getRoom(httpUrl, room.room_id, { token: restartedToken })).toEqual(before);
      expect(before).toMatchObject({
        unread_count: 4 - history.slice(0, 1).filter((m) => m.sender_type === 'visitor').length,
      });

      // And counts on from there.
      const again = await openSocket(`ws://127.0.0.1:${port}/ws/chat/${room.room_id}/?visitor=${room.visitor_token}`);
      again.ws.send(JSON.stringify({ message: 'after the restart' }));
      await broadcastOf(again, 'after the restart');
      const after = await getRoom(httpUrl, room.room_id, { token: restartedToken });
      expect(after).toMatchObject({
        unread_count: (before.unread_count as number) + 1,
        last_message: { content: 'after the restart', sender_type: 'visitor' },
        last_read: before.last_read,
      });
      await closeAll([again]);
    } finally {
      await host.stop();
    }
  }, 240_000);
});

/** Sends a message and returns its id once the sender's echo arrived. */
async function sendAndWait(socket: TestSocket, text: string): Promise<string> {
  socket.ws.send(JSON.stringify({ message: text }));
  return (await broadcastOf(socket, text)).id;
}
