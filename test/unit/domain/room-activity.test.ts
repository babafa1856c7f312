import { beforeEach, describe, expect, it, vi } from 'vitest';
import { SETTINGS } from '../../../lambdas/config/settings-contract.js';
import { handleFrame, TYPING_RELAY_INTERVAL_MS, type MessageDeps } from '../../../lambdas/domain/messages.js';
import type { SenderType } from '../../../lambdas/domain/model.js';
import { getRoom, listRooms } from '../../../lambdas/domain/rooms.js';
import { bearerCredential } from '../../../lambdas/handlers/http/parse.js';
import { parseFrame } from '../../../lambdas/handlers/ws/frames.js';
import {
  makeWorld,
  OTHER_ROOM_ID,
  OWNER_A,
  OWNER_A_TOKEN,
  OWNER_B,
  ROOM_ID,
  seedRoom,
  VISITOR_TOKEN,
  type World,
} from '../support/fixtures.js';

let world: World;
let deps: MessageDeps;

beforeEach(() => {
  world = makeWorld({ messagesPerSecond: 0 });
  seedRoom(world.store);
  seedRoom(world.store, { id: OTHER_ROOM_ID });
  deps = {
    ...world,
    maxMessageLength: SETTINGS.maxMessageLength.default,
    maxMessagesPerRoom: SETTINGS.maxMessagesPerRoom.default,
  };
});

const join = (connectionId: string, role: SenderType, roomId = ROOM_ID) =>
  world.store.saveConnection({ connectionId, identity: { kind: 'room', roomId, ownerId: OWNER_A, role } }, 0);
const openInbox = (connectionId: string, ownerId = OWNER_A) =>
  world.store.saveConnection({ connectionId, identity: { kind: 'inbox', ownerId, role: 'owner' } }, 0);
const send = (connectionId: string, frame: unknown, arrivedAtMs = world.clock.now().getTime()) =>
  handleFrame(deps, { connectionId, frame: parseFrame(JSON.stringify(frame)), arrivedAtMs });
/** Sends a message a millisecond after the last, and returns its stored id. */
async function say(connectionId: string, text: string): Promise<string> {
  world.clock.advance(1);
  await send(connectionId, { message: text });
  const stored = world.store.messagesOf(ROOM_ID).find((m) => m.content === text);
  if (!stored) throw new Error(`"${text}" was not stored`);
  return stored.id;
}
const ownerView = async () => getRoom(world, ROOM_ID, { owner: bearerCredential(`Bearer ${OWNER_A_TOKEN}`) });
const visitorView = async () => getRoom(world, ROOM_ID, { visitorToken: VISITOR_TOKEN });

async function room() {
  await join('visitor-1', 'visitor');
  await join('visitor-2', 'visitor');
  await join('owner-1', 'owner');
  await openInbox('inbox-a');
  await openInbox('inbox-b', OWNER_B);
  await join('elsewhere', 'visitor', OTHER_ROOM_ID);
}

describe('room activity', () => {
  describe('last message and unread counts', () => {
    it('a room without messages has no preview, nothing unread and no read positions', async () => {
      expect(await ownerView()).toMatchObject({
        last_message: null,
        unread_count: 0,
        last_read: { owner: null, visitor: null },
      });
    });

    it('shows the newest message and counts each side’s unread messages exactly when many are sent at once', async () => {
      await room();
      const sends = Array.from({ length: 20 }, (_, i) => send('visitor-1', { message: `v${i}` }));
      sends.push(...Array.from({ length: 3 }, (_, i) => send('owner-1', { message: `o${i}` })));
      await Promise.all(sends);
      const newestId = await say('visitor-2', 'newest');

      expect(await ownerView()).toMatchObject({
        unread_count: 21,
        last_message: {
          id: newestId,
          sender_type: 'visitor',
          content: 'newest',
          created_at: world.clock.now().toISOString(),
        },
      });
      expect(await visitorView()).toMatchObject({ unread_count: 3 });
      const [listed] = (await listRooms(world, bearerCredential(`Bearer ${OWNER_A_TOKEN}`))).items;
      expect(listed).toMatchObject({ id: ROOM_ID, unread_count: 21, last_message: { id: newestId } });
    });

    it('a retried client_id takes its count back', async () => {
      await room();
      const clientId = '6b1e7a8c-9d0f-4a1b-8c2d-3e4f5a6b7c8d';
      await send('visitor-1', { message: 'Salom', client_id: clientId });
      await send('visitor-1', { message: 'Salom', client_id: clientId });

      expect(await ownerView()).toMatchObject({ unread_count: 1 });
    });

    it('the push event carries the owner’s unread count after the message', async () => {
      await room();
      await say('visitor-1', 'one');
      await say('visitor-1', 'two');

      expect(world.events.published.map((e) => e.unreadCount)).toEqual([1, 2]);
    });
  });

  describe('read receipts', () => {
    it('moves the reader’s position to the message, counts everything up to it as read, and tells every socket and the inbox', async () => {
      await room();
      await say('visitor-1', 'one');
      const two = await say('visitor-1', 'two');
      world.gateway.sent.length = 0;

      world.clock.advance(1000);
      await send('owner-1', { type: 'read', message_id: two });

      const receipt = {
        type: 'read',
        room_id: ROOM_ID,
        reader: 'owner',
        message_id: two,
        read_at: world.clock.now().toISOString(),
      };
      for (const socket of ['owner-1', 'visitor-1', 'visitor-2'])
        expect(world.gateway.framesTo(socket)).toEqual([receipt]);
      expect(world.gateway.framesTo('elsewhere')).toEqual([]);
      expect(world.gateway.framesTo('inbox-b')).toEqual([]);
      expect(world.gateway.framesTo('inbox-a')).toEqual([
        {
          type: 'room.updated',
          room: expect.objectContaining({ id: ROOM_ID, unread_count: 0, last_read: { owner: two, visitor: null } }),
        },
      ]);
      expect(await ownerView()).toMatchObject({ unread_count: 0, last_read: { owner: two, visitor: null } });
    });

    it('reading an earlier message leaves the later ones unread', async () => {
      await room();
      const one = await say('visitor-1', 'one');
      await say('owner-1', 'reply');
      await say('visitor-1', 'two');
      await say('visitor-1', 'three');

      await send('owner-1', { type: 'read', message_id: one });

      expect(await ownerView()).toMatchObject({ unread_count: 2, last_read: { owner: one } });
    });

    it('never moves back: an earlier id changes nothing and is answered to the sender with the position as it stands', async () => {
      await room();
      const one = await say('visitor-1', 'one');
      const two = await say('visitor-1', 'two');
      await send('owner-1', { type: 'read', message_id: two });
      world.gateway.sent.length = 0;

      await send('owner-1', { type: 'read', message_id: one });

      expect(world.gateway.sent).toEqual([
        {
          connectionId: 'owner-1',
          payload: expect.objectContaining({ type: 'read', reader: 'owner', message_id: two }),
        },
      ]);
      expect(await ownerView()).toMatchObject({ unread_count: 0, last_read: { owner: two } });
    });

    it('a visitor’s read counts the owner’s messages and does not reach the owner’s inbox', async () => {
      await room();
      await say('owner-1', 'a');
      const b = await say('owner-1', 'b');
      world.gateway.sent.length = 0;

      await send('visitor-2', { type: 'read', message_id: b });

      expect(world.gateway.framesTo('owner-1')).toEqual([
        expect.objectContaining({ type: 'read', reader: 'visitor', message_id: b }),
      ]);
      expect(world.gateway.framesTo('inbox-a')).toEqual([]);
      expect(await visitorView()).toMatchObject({ unread_count: 0, last_read: { visitor: b, owner: null } });
      expect(await ownerView()).toMatchObject({ unread_count: 0 });
    });

    it('answers unknown_message for an id that is no message of this room, and stores nothing', async () => {
      await room();
      await world.store.putMessage({
        id: '0190a0e0-0000-7000-8000-000000000001',
        roomId: OTHER_ROOM_ID,
        senderType: 'visitor',
        content: 'x',
        createdAt: '2026-02-05T11:00:00.000Z',
      });
      const markRead = vi.spyOn(world.store, 'markRead');

      await send('owner-1', { type: 'read', message_id: '0190a0e0-0000-7000-8000-000000000001' });

      expect(world.gateway.sent).toEqual([
        { connectionId: 'owner-1', payload: { error: expect.any(String), code: 'unknown_message' } },
      ]);
      expect(markRead).not.toHaveBeenCalled();
    });

    it.each([
      ['without message_id', { type: 'read' }],
      ['with a message_id that is not a UUID', { type: 'read', message_id: 'abc' }],
      ['with a message', { type: 'read', message_id: '0190a0e0-0000-7000-8000-000000000001', message: 'x' }],
    ])('answers invalid_frame for a read %s', async (_case, frame) => {
      await room();

      await send('owner-1', frame);

      expect(world.gateway.sent).toEqual([
        { connectionId: 'owner-1', payload: { error: expect.any(String), code: 'invalid_frame' } },
      ]);
    });

    it('counts toward the socket’s frame limit like every frame', async () => {
      world = makeWorld({ messagesPerSecond: 1 });
      seedRoom(world.store);
      deps = {
        ...world,
        maxMessageLength: SETTINGS.maxMessageLength.default,
        maxMessagesPerRoom: SETTINGS.maxMessagesPerRoom.default,
      };
      await join('owner-1', 'owner');
      await send('owner-1', { type: 'ping' });

      await send('owner-1', { type: 'read', message_id: '0190a0e0-0000-7000-8000-000000000001' });

      expect(world.gateway.framesTo('owner-1').at(-1)).toMatchObject({ code: 'rate_limited' });
    });
  });

  describe('typing', () => {
    it('reaches every other socket of the room, not the sender, another room or an inbox, and stores nothing', async () => {
      await room();
      const before = JSON.stringify([...world.store.rooms.values()]);

      await send('visitor-1', { type: 'typing' });

      const typing = { type: 'typing', room_id: ROOM_ID, sender_type: 'visitor' };
      expect(world.gateway.framesTo('owner-1')).toEqual([typing]);
      expect(world.gateway.framesTo('visitor-2')).toEqual([typing]);
      expect(world.gateway.framesTo('visitor-1')).toEqual([]);
      expect(world.gateway.recipients()).toEqual(['owner-1', 'visitor-2']);
      expect(JSON.stringify([...world.store.rooms.values()])).toBe(before);
      expect(world.store.messagesOf(ROOM_ID)).toEqual([]);
    });

    it('relays at most one per socket per interval and drops the rest silently', async () => {
      await room();
      const start = world.clock.now().getTime();

      await send('owner-1', { type: 'typing' }, start);
      await send('owner-1', { type: 'typing' }, start + 500);
      await send('owner-1', { type: 'typing' }, start + TYPING_RELAY_INTERVAL_MS - 1);
      await send('visitor-1', { type: 'typing' }, start + 600); // another socket has its own interval
      await send('owner-1', { type: 'typing' }, start + TYPING_RELAY_INTERVAL_MS);

      expect(
        world.gateway.framesTo('visitor-1').filter((f) => (f as { sender_type?: string }).sender_type === 'owner'),
      ).toHaveLength(2);
      expect(world.gateway.framesTo('owner-1')).toEqual([{ type: 'typing', room_id: ROOM_ID, sender_type: 'visitor' }]);
    });

    it('a typing frame on the inbox is refused like a message', async () => {
      await room();

      await send('inbox-a', { type: 'typing' });

      expect(world.gateway.framesTo('inbox-a')).toEqual([expect.objectContaining({ code: 'inbox_receives_only' })]);
    });

    it('counts toward the socket’s frame limit like every frame', async () => {
      world = makeWorld({ messagesPerSecond: 2 });
      seedRoom(world.store);
      deps = {
        ...world,
        maxMessageLength: SETTINGS.maxMessageLength.default,
        maxMessagesPerRoom: SETTINGS.maxMessagesPerRoom.default,
      };
      await join('owner-1', 'owner');
      await send('owner-1', { type: 'typing' });
      await send('owner-1', { type: 'typing' });

      await send('owner-1', { type: 'ping' });

      expect(world.gateway.framesTo('owner-1')).toEqual([expect.objectContaining({ code: 'rate_limited' })]);
    });
  });
});
