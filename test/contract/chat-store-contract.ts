import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ChatMessage, ConnectionIdentity, Room } from '../../lambdas/domain/model.js';
import { type Admission, type ChatStore, REPEATED_REFUSALS } from '../../lambdas/domain/ports.js';
import { START_LIMIT_WINDOWS } from '../../lambdas/domain/start-limit.js';

/**
 * What every ChatStore does, as the use cases rely on it. The same tests run against the
 * in-memory fake the unit tests trust (test/unit/support) and against DynamoChatStore on both
 * DynamoDB engines (test/integration): where they disagree, the fake is wrong.
 *
 * Subjects share their storage between tests (a real table), so every test uses fresh ids.
 * Times are explicit: nothing here depends on the wall clock.
 */

export interface StoreLimits {
  messagesPerSecond: number;
  startsPerMinute: number;
  startsPerHourPerOwner: number;
}

export interface ChatStoreSubject {
  /** A store over the subject's storage with these limits (0 disables one). */
  make(limits: StoreLimits): ChatStore;
}

const LIMITS: StoreLimits = { messagesPerSecond: 3, startsPerMinute: 2, startsPerHourPerOwner: 3 };
/**
 * Large enough that six items exceed the 1 MB a DynamoDB Query page holds, small enough for one
 * item: DynamoDB Local refuses a 300 KB message (its projection into the time index counts too).
 */
const LARGE_TEXT = 'x'.repeat(190_000);
const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

const newRoom = (overrides: Partial<Room> = {}): Room => ({
  id: randomUUID(),
  ownerId: randomUUID(),
  visitorName: 'Aziz',
  isActive: true,
  createdAt: at(0),
  updatedAt: at(0),
  visitorTokenHash: 'a'.repeat(64),
  ...overrides,
});

const newMessage = (roomId: string, second: number, overrides: Partial<ChatMessage> = {}): ChatMessage => ({
  id: randomUUID(),
  roomId,
  senderType: second % 2 ? 'owner' : 'visitor',
  content: `message ${second}`,
  createdAt: at(second),
  ...overrides,
});

const byTimeKey = (a: ChatMessage, b: ChatMessage) => (`${a.createdAt}#${a.id}` < `${b.createdAt}#${b.id}` ? -1 : 1);

export function chatStoreContract(subject: ChatStoreSubject): void {
  const store = (limits: Partial<StoreLimits> = {}) => subject.make({ ...LIMITS, ...limits });

  describe('rooms', () => {
    it('creates a room and reads it back; an unknown room is undefined', async () => {
      const s = store();
      const room = newRoom();

      await s.createRoom(room);

      await expect(s.getRoom(room.id)).resolves.toEqual(room);
      await expect(s.getRoom(randomUUID())).resolves.toBeUndefined();
    });

    it('refuses to create a room twice and keeps the first', async () => {
      const s = store();
      const room = newRoom();
      await s.createRoom(room);

      await expect(s.createRoom({ ...room, visitorName: 'Other' })).rejects.toThrow();
      await expect(s.getRoom(room.id)).resolves.toEqual(room);
    });

    it("lists only the owner's rooms, most recent activity first, then by id", async () => {
      const s = store();
      const ownerId = randomUUID();
      const [a, b] = [randomUUID(), randomUUID()].sort();
      const rooms = [
        newRoom({ ownerId, createdAt: at(0), updatedAt: at(50) }),
        newRoom({ ownerId, createdAt: at(10), updatedAt: at(10) }),
        newRoom({ ownerId, id: a!, createdAt: at(20), updatedAt: at(30) }),
        newRoom({ ownerId, id: b!, createdAt: at(5), updatedAt: at(30) }),
      ];
      for (const room of rooms) await s.createRoom(room);
      await s.createRoom(newRoom());

      const listed = await s.listRoomsByOwner(ownerId);

      expect(listed).toEqual([rooms[0], rooms[3], rooms[2], rooms[1]]);
      await expect(s.listRoomsByOwner(randomUUID())).resolves.toEqual([]);
    });

    it('lists rooms by their latest activity as messages touch them', async () => {
      const s = store();
      const ownerId = randomUUID();
      const [first, second] = [newRoom({ ownerId }), newRoom({ ownerId, createdAt: at(1), updatedAt: at(1) })];
      await s.createRoom(first);
      await s.createRoom(second);

      await s.touchRoom(newMessage(first.id, 60), 10);

      expect((await s.listRoomsByOwner(ownerId)).map((r) => [r.id, r.updatedAt])).toEqual([
        [first.id, at(60)],
        [second.id, at(1)],
      ]);
    });

    it('lists every room of an owner even when they fill more than one read page', async () => {
      const s = store();
      const ownerId = randomUUID();
      const rooms = [1, 2, 3, 4, 5, 6].map((i) =>
        newRoom({ ownerId, visitorName: `${i}${LARGE_TEXT}`, updatedAt: at(i) }),
      );
      for (const room of rooms) await s.createRoom(room);

      const listed = await s.listRoomsByOwner(ownerId);

      expect(listed.map((r) => r.id)).toEqual(rooms.map((r) => r.id).reverse());
      expect(listed[0]).toEqual(rooms[5]);
    });

    it('closes a room and returns it as it is now; an unknown room stays unknown', async () => {
      const s = store();
      const room = newRoom();
      await s.createRoom(room);

      const closed = await s.closeRoom(room.id, at(90));

      expect(closed).toEqual({ ...room, isActive: false, updatedAt: at(90) });
      await expect(s.getRoom(room.id)).resolves.toEqual(closed);
      const unknown = randomUUID();
      await expect(s.closeRoom(unknown, at(90))).resolves.toBeUndefined();
      await expect(s.getRoom(unknown)).resolves.toBeUndefined();
    });

    describe('touch (count a message)', () => {
      /** A message of the room at `second` (by its parity: odd the owner's, even the visitor's), counted. */
      const touch = (s: ChatStore, roomId: string, second: number, max = 10, overrides: Partial<ChatMessage> = {}) =>
        s.touchRoom(newMessage(roomId, second, overrides), max);
      const preview = ({ id, senderType, content, createdAt }: ChatMessage) => ({ id, senderType, content, createdAt });

      it('counts and moves updated_at and the preview forward, never back, answering the room as it is now', async () => {
        const s = store();
        const room = newRoom({ updatedAt: at(10) });
        await s.createRoom(room);
        const newest = newMessage(room.id, 20);

        const counted = await s.touchRoom(newest, 10);

        expect(counted).toEqual({
          outcome: 'counted',
          room: { ...room, updatedAt: at(20), sentBy: { visitor: 1 }, lastMessage: preview(newest) },
        });
        await expect(s.getRoom(room.id)).resolves.toEqual(counted.outcome === 'counted' ? counted.room : undefined);
        // A message that finished after a later one: counted, on its side, while updated_at and the preview stay.
        await expect(touch(s, room.id, 15)).resolves.toMatchObject({
          outcome: 'counted',
          room: { updatedAt: at(20), sentBy: { visitor: 1, owner: 1 }, lastMessage: preview(newest) },
        });
        await expect(touch(s, room.id, 20, 10, { senderType: 'owner' })).resolves.toMatchObject({ outcome: 'counted' });
        expect(await s.getRoom(room.id)).toMatchObject({
          updatedAt: at(20),
          sentBy: { visitor: 1, owner: 2 },
          lastMessage: preview(newest),
        });
        // Three counted: a maximum of three is now full, and a refused message moves nothing.
        await expect(touch(s, room.id, 30, 3)).resolves.toEqual({ outcome: 'full' });
        expect(await s.getRoom(room.id)).toMatchObject({
          updatedAt: at(20),
          sentBy: { visitor: 1, owner: 2 },
          lastMessage: preview(newest),
        });
      });

      it('refuses a closed room as closed, even when it is also full, and an unknown room as closed', async () => {
        const s = store();
        const room = newRoom();
        await s.createRoom(room);
        await touch(s, room.id, 1, 1);
        await s.closeRoom(room.id, at(2));

        await expect(touch(s, room.id, 3, 1)).resolves.toEqual({ outcome: 'closed' });
        await expect(touch(s, room.id, 3, 10)).resolves.toEqual({ outcome: 'closed' });
        const unknown = randomUUID();
        await expect(touch(s, unknown, 3, 10)).resolves.toEqual({ outcome: 'closed' });
        await expect(s.getRoom(unknown)).resolves.toBeUndefined();
      });

      it("takes a count back, its side's too, never below zero, and never creates a room", async () => {
        const s = store();
        const room = newRoom();
        await s.createRoom(room);
        await s.uncountMessage(room.id, 'visitor');

        await expect(touch(s, room.id, 2, 2)).resolves.toMatchObject({ outcome: 'counted' });
        await expect(touch(s, room.id, 4, 2)).resolves.toMatchObject({
          outcome: 'counted',
          room: { sentBy: { visitor: 2 } },
        });
        await expect(touch(s, room.id, 6, 2)).resolves.toEqual({ outcome: 'full' });
        await s.uncountMessage(room.id, 'visitor');
        expect((await s.getRoom(room.id))?.sentBy).toEqual({ visitor: 1 });
        await expect(touch(s, room.id, 7, 2)).resolves.toMatchObject({
          outcome: 'counted',
          room: { sentBy: { visitor: 1, owner: 1 } },
        });
        await expect(touch(s, room.id, 8, 2)).resolves.toEqual({ outcome: 'full' });

        const unknown = randomUUID();
        await s.uncountMessage(unknown, 'owner');
        await expect(s.getRoom(unknown)).resolves.toBeUndefined();
      });
    });

    describe('read positions', () => {
      /** A room with the visitor's messages at seconds 2, 4, 6 and the owner's at 3, each stored and counted. */
      async function conversation(s: ChatStore) {
        const room = newRoom();
        await s.createRoom(room);
        const messages = [2, 3, 4, 6].map((second) => newMessage(room.id, second));
        for (const message of messages) {
          await s.putMessage(message);
          await s.touchRoom(message, 10);
        }
        const [v2, o3, v4, v6] = messages as [ChatMessage, ChatMessage, ChatMessage, ChatMessage];
        return { room, v2, o3, v4, v6 };
      }
      const position = (message: ChatMessage, count: number, readAt: string) => ({
        messageId: message.id,
        timeKey: `${message.createdAt}#${message.id}`,
        count,
        readAt,
      });

      it("reading the newest message reads every message of the other side, and the reader's own count nothing", async () => {
        const s = store();
        const { room, v6 } = await conversation(s);

        const outcome = await s.markRead(v6, 'owner', at(100));

        expect(outcome).toEqual({
          moved: true,
          room: expect.objectContaining({ id: room.id, lastRead: { owner: position(v6, 3, at(100)) } }),
        });
        await expect(s.getRoom(room.id)).resolves.toEqual(outcome?.room);
      });

      it('reading an older message counts the other side only up to it', async () => {
        const s = store();
        const { room, o3, v4 } = await conversation(s);

        await expect(s.markRead(v4, 'owner', at(100))).resolves.toMatchObject({
          moved: true,
          room: { lastRead: { owner: position(v4, 2, at(100)) } },
        });
        // The visitor's position is its own: the owner's one message.
        await expect(s.markRead(o3, 'visitor', at(101))).resolves.toMatchObject({
          moved: true,
          room: { lastRead: { owner: position(v4, 2, at(100)), visitor: position(o3, 1, at(101)) } },
        });
        expect((await s.getRoom(room.id))?.lastRead).toEqual({
          owner: position(v4, 2, at(100)),
          visitor: position(o3, 1, at(101)),
        });
      });

      it('moves only forward: the same or an older message leaves the position and answers it', async () => {
        const s = store();
        const { room, v2, v4, v6 } = await conversation(s);
        await s.markRead(v4, 'owner', at(100));

        await expect(s.markRead(v4, 'owner', at(101))).resolves.toMatchObject({
          moved: false,
          room: { lastRead: { owner: position(v4, 2, at(100)) } },
        });
        await expect(s.markRead(v2, 'owner', at(102))).resolves.toMatchObject({
          moved: false,
          room: { lastRead: { owner: position(v4, 2, at(100)) } },
        });
        await expect(s.markRead(v6, 'owner', at(103))).resolves.toMatchObject({
          moved: true,
          room: { lastRead: { owner: position(v6, 3, at(103)) } },
        });
        expect((await s.getRoom(room.id))?.lastRead).toEqual({ owner: position(v6, 3, at(103)) });
      });

      it('counts messages that arrive after the position is read on top of it', async () => {
        const s = store();
        const { room, v6 } = await conversation(s);
        await s.markRead(v6, 'owner', at(100));
        const v8 = newMessage(room.id, 8);
        await s.putMessage(v8);
        await s.touchRoom(v8, 10);

        const after = await s.getRoom(room.id);

        expect(after?.sentBy).toEqual({ visitor: 4, owner: 1 });
        expect(after?.lastRead).toEqual({ owner: position(v6, 3, at(100)) });
      });

      it('answers undefined for a room that does not exist, and creates none', async () => {
        const s = store();
        const stray = newMessage(randomUUID(), 2);

        await expect(s.markRead(stray, 'owner', at(100))).resolves.toBeUndefined();
        await expect(s.getRoom(stray.roomId)).resolves.toBeUndefined();
      });
    });
  });

  describe('messages', () => {
    it('stores a message and reads it back, with and without a client id', async () => {
      const s = store();
      const roomId = randomUUID();
      const plain = newMessage(roomId, 1);
      const keyed = newMessage(roomId, 2, { clientId: randomUUID() });

      await expect(s.putMessage(plain)).resolves.toEqual({ stored: true });
      await expect(s.putMessage(keyed)).resolves.toEqual({ stored: true });

      await expect(s.getMessage(roomId, plain.id)).resolves.toEqual(plain);
      await expect(s.getMessage(roomId, keyed.id)).resolves.toEqual(keyed);
      await expect(s.getMessage(randomUUID(), plain.id)).resolves.toBeUndefined();
      await expect(s.getMessage(roomId, randomUUID())).resolves.toBeUndefined();
    });

    it('refuses a second message with the same id in the room and answers the original', async () => {
      const s = store();
      const original = newMessage(randomUUID(), 1, { clientId: randomUUID() });
      await s.putMessage(original);

      await expect(s.putMessage({ ...original, content: 'retry', createdAt: at(9) })).resolves.toEqual({
        stored: false,
        original,
      });
      await expect(s.listMessages(original.roomId, {})).resolves.toEqual({ messages: [original], more: false });
    });

    it('deletes a message', async () => {
      const s = store();
      const roomId = randomUUID();
      const [kept, deleted] = [newMessage(roomId, 1), newMessage(roomId, 2)];
      await s.putMessage(kept);
      await s.putMessage(deleted);

      await s.deleteMessage(roomId, deleted.id);

      await expect(s.getMessage(roomId, deleted.id)).resolves.toBeUndefined();
      await expect(s.listMessages(roomId, {})).resolves.toEqual({ messages: [kept], more: false });
    });

    describe('list', () => {
      /** Six messages a second apart, and two more in the same second (ordered by id), in a room of their own. */
      async function seeded(s: ChatStore) {
        const roomId = randomUUID();
        const messages = [1, 2, 3, 4, 5, 6].map((second) => newMessage(roomId, second));
        const [a, b] = [randomUUID(), randomUUID()].sort();
        messages.push(newMessage(roomId, 7, { id: b! }), newMessage(roomId, 7, { id: a! }));
        // Written out of order: the order is the store's.
        for (const message of [...messages].reverse()) await s.putMessage(message);
        await s.putMessage(newMessage(randomUUID(), 3));
        return { roomId, messages: messages.sort(byTimeKey) };
      }

      it('answers every message of the room oldest first, ties by id', async () => {
        const s = store();
        const { roomId, messages } = await seeded(s);

        await expect(s.listMessages(roomId, {})).resolves.toEqual({ messages, more: false });
        await expect(s.listMessages(randomUUID(), {})).resolves.toEqual({ messages: [], more: false });
      });

      it('with a limit answers the newest ones and whether older ones remain', async () => {
        const s = store();
        const { roomId, messages } = await seeded(s);

        await expect(s.listMessages(roomId, { limit: 3 })).resolves.toEqual({
          messages: messages.slice(-3),
          more: true,
        });
        await expect(s.listMessages(roomId, { limit: messages.length })).resolves.toEqual({ messages, more: false });
        await expect(s.listMessages(roomId, { limit: 100 })).resolves.toEqual({ messages, more: false });
      });

      it('before answers strictly older messages, the newest of them under a limit', async () => {
        const s = store();
        const { roomId, messages } = await seeded(s);

        await expect(s.listMessages(roomId, { before: messages[3] })).resolves.toEqual({
          messages: messages.slice(0, 3),
          more: false,
        });
        await expect(s.listMessages(roomId, { before: messages[3], limit: 2 })).resolves.toEqual({
          messages: messages.slice(1, 3),
          more: true,
        });
        await expect(s.listMessages(roomId, { before: messages[0] })).resolves.toEqual({ messages: [], more: false });
      });

      it('after answers strictly newer messages, the oldest of them under a limit, so paging forward continues', async () => {
        const s = store();
        const { roomId, messages } = await seeded(s);

        await expect(s.listMessages(roomId, { after: messages[5] })).resolves.toEqual({
          messages: messages.slice(6),
          more: false,
        });
        await expect(s.listMessages(roomId, { after: messages[1], limit: 2 })).resolves.toEqual({
          messages: messages.slice(2, 4),
          more: true,
        });
        await expect(s.listMessages(roomId, { after: messages[6] })).resolves.toEqual({
          messages: [messages[7]],
          more: false,
        });
        await expect(s.listMessages(roomId, { after: messages.at(-1) })).resolves.toEqual({
          messages: [],
          more: false,
        });
      });

      it('after and before answer what lies strictly between; an empty range answers nothing', async () => {
        const s = store();
        const { roomId, messages } = await seeded(s);

        await expect(s.listMessages(roomId, { after: messages[1], before: messages[5] })).resolves.toEqual({
          messages: messages.slice(2, 5),
          more: false,
        });
        await expect(s.listMessages(roomId, { after: messages[1], before: messages[5], limit: 2 })).resolves.toEqual({
          messages: messages.slice(2, 4),
          more: true,
        });
        await expect(s.listMessages(roomId, { after: messages[3], before: messages[4] })).resolves.toEqual({
          messages: [],
          more: false,
        });
        await expect(s.listMessages(roomId, { after: messages[4], before: messages[2] })).resolves.toEqual({
          messages: [],
          more: false,
        });
        await expect(s.listMessages(roomId, { after: messages[4], before: messages[4] })).resolves.toEqual({
          messages: [],
          more: false,
        });
      });

      it('asks fits of each message in reading order and stops at the first it refuses (the response budget)', async () => {
        const s = store();
        const { roomId, messages } = await seeded(s);
        const asked: string[] = [];
        const fits = (m: ChatMessage) => {
          asked.push(m.id);
          return asked.length <= 3;
        };

        await expect(s.listMessages(roomId, { fits })).resolves.toEqual({ messages: messages.slice(-3), more: true });
        expect(asked).toEqual(
          messages
            .slice(-4)
            .map((m) => m.id)
            .reverse(),
        );

        asked.length = 0;
        await expect(s.listMessages(roomId, { after: messages[0], fits })).resolves.toEqual({
          messages: messages.slice(1, 4),
          more: true,
        });
        expect(asked).toEqual(messages.slice(1, 5).map((m) => m.id));

        // A limit reached first is not a refusal: fits is not asked beyond it.
        asked.length = 0;
        await expect(s.listMessages(roomId, { limit: 2, fits })).resolves.toEqual({
          messages: messages.slice(-2),
          more: true,
        });
        expect(asked).toHaveLength(2);
      });

      it('reads a history larger than one read page whole, and a limit within it', async () => {
        const s = store();
        const roomId = randomUUID();
        const messages = [1, 2, 3, 4, 5, 6].map((second) =>
          newMessage(roomId, second, { content: `${second}${LARGE_TEXT}` }),
        );
        for (const message of messages) await s.putMessage(message);

        await expect(s.listMessages(roomId, {})).resolves.toEqual({ messages, more: false });
        await expect(s.listMessages(roomId, { after: messages[0] })).resolves.toEqual({
          messages: messages.slice(1),
          more: false,
        });
        await expect(s.listMessages(roomId, { limit: 5 })).resolves.toEqual({
          messages: messages.slice(1),
          more: true,
        });
      });
    });
  });

  describe('connections', () => {
    const roomSocket = (roomId: string, role: 'visitor' | 'owner' = 'visitor'): ConnectionIdentity => ({
      kind: 'room',
      roomId,
      ownerId: `owner-of-${roomId}`,
      role,
    });
    const inboxSocket = (ownerId: string): ConnectionIdentity => ({ kind: 'inbox', ownerId, role: 'owner' });
    const connectionIds = (count: number) => Array.from({ length: count }, () => randomUUID()).sort();

    it("lists a room's sockets (ordered by id) with their role and when they connected, and an owner's inbox sockets", async () => {
      const s = store();
      const roomId = randomUUID();
      const ownerId = randomUUID();
      const [c1, c2, c3, c4] = connectionIds(4);
      await s.saveConnection({ connectionId: c3!, identity: roomSocket(roomId, 'owner') }, 3_000);
      await s.saveConnection({ connectionId: c1!, identity: roomSocket(roomId) }, 1_000);
      await s.saveConnection({ connectionId: c2!, identity: inboxSocket(ownerId) }, 2_000);
      await s.saveConnection({ connectionId: c4!, identity: roomSocket(randomUUID()) }, 4_000);

      await expect(s.listRoomConnections(roomId)).resolves.toEqual([
        { connectionId: c1, role: 'visitor', connectedAt: 1_000 },
        { connectionId: c3, role: 'owner', connectedAt: 3_000 },
      ]);
      await expect(s.listInboxConnections(ownerId)).resolves.toEqual([c2]);
      await expect(s.listRoomConnections(randomUUID())).resolves.toEqual([]);
      await expect(s.listInboxConnections(randomUUID())).resolves.toEqual([]);
    });

    describe('admit frame', () => {
      const NOW = 1_772_000_000_000;

      it('admits the limit per second, telling who the socket is, and refuses the next one', async () => {
        const s = store({ messagesPerSecond: 2 });
        const connectionId = randomUUID();
        const identity = roomSocket(randomUUID());
        await s.saveConnection({ connectionId, identity }, NOW);

        await expect(s.admitFrame(connectionId, NOW)).resolves.toEqual({ admitted: true, identity });
        await expect(s.admitFrame(connectionId, NOW + 500)).resolves.toEqual({ admitted: true, identity });
        await expect(s.admitFrame(connectionId, NOW + 999)).resolves.toEqual({
          admitted: false,
          reason: 'rate-limited',
          repeated: false,
        });
        // A second after the oldest admitted frame: it leaves the window. A refused frame never counted.
        await expect(s.admitFrame(connectionId, NOW + 1000)).resolves.toEqual({ admitted: true, identity });
        await expect(s.admitFrame(connectionId, NOW + 1499)).resolves.toMatchObject({ admitted: false });
        await expect(s.admitFrame(connectionId, NOW + 1500)).resolves.toMatchObject({ admitted: true });
      });

      it('answers unknown-connection for a socket it does not know, with or without a limit', async () => {
        await expect(store().admitFrame(randomUUID(), NOW)).resolves.toEqual({
          admitted: false,
          reason: 'unknown-connection',
        });
        await expect(store({ messagesPerSecond: 0 }).admitFrame(randomUUID(), NOW)).resolves.toEqual({
          admitted: false,
          reason: 'unknown-connection',
        });
      });

      it('admits every frame of a known socket when the limit is disabled', async () => {
        const s = store({ messagesPerSecond: 0 });
        const connectionId = randomUUID();
        const identity = inboxSocket(randomUUID());
        await s.saveConnection({ connectionId, identity }, NOW);

        for (let i = 0; i < 5; i += 1)
          await expect(s.admitFrame(connectionId, NOW)).resolves.toEqual({ admitted: true, identity });
      });

      it('says repeated once REPEATED_REFUSALS.count refusals fall within REPEATED_REFUSALS.withinMs', async () => {
        const s = store({ messagesPerSecond: 1 });
        const connectionId = randomUUID();
        await s.saveConnection({ connectionId, identity: inboxSocket(randomUUID()) }, NOW);
        await s.admitFrame(connectionId, NOW);

        const repeated: boolean[] = [];
        for (let i = 1; i <= REPEATED_REFUSALS.count; i += 1) {
          const admission = await s.admitFrame(connectionId, NOW + i);
          repeated.push(!admission.admitted && admission.reason === 'rate-limited' && admission.repeated);
        }
        expect(repeated).toEqual([...Array<boolean>(REPEATED_REFUSALS.count - 1).fill(false), true]);

        // Refusals spread wider than the window are not repeated.
        const spread = randomUUID();
        await s.saveConnection({ connectionId: spread, identity: inboxSocket(randomUUID()) }, NOW);
        const step = REPEATED_REFUSALS.withinMs / (REPEATED_REFUSALS.count - 1);
        let last: Admission | undefined;
        for (let i = 0; i < REPEATED_REFUSALS.count; i += 1) {
          const time = NOW + Math.ceil(i * step);
          await s.admitFrame(spread, time);
          last = await s.admitFrame(spread, time);
        }
        expect(last).toEqual({ admitted: false, reason: 'rate-limited', repeated: false });
      });
    });

    describe('admit frame with the typing relay', () => {
      const NOW = 1_772_000_000_000;
      const typing = { everyMs: 2000 };

      it('relays the first typing frame of each interval; the others are admitted and not relayed', async () => {
        const s = store({ messagesPerSecond: 10 });
        const connectionId = randomUUID();
        const identity = roomSocket(randomUUID());
        await s.saveConnection({ connectionId, identity }, NOW);

        await expect(s.admitFrame(connectionId, NOW, typing)).resolves.toEqual({
          admitted: true,
          identity,
          relayTyping: true,
        });
        await expect(s.admitFrame(connectionId, NOW + 1999, typing)).resolves.toEqual({
          admitted: true,
          identity,
          relayTyping: false,
        });
        // A frame that is not typing neither relays nor moves the relay time.
        await expect(s.admitFrame(connectionId, NOW + 1999)).resolves.toEqual({ admitted: true, identity });
        // The interval counts from the last relay, not from the last typing frame.
        await expect(s.admitFrame(connectionId, NOW + 2000, typing)).resolves.toEqual({
          admitted: true,
          identity,
          relayTyping: true,
        });
        await expect(s.admitFrame(connectionId, NOW + 3999, typing)).resolves.toMatchObject({ relayTyping: false });
      });

      it('keeps the relay time per connection', async () => {
        const s = store();
        const [first, second] = connectionIds(2);
        await s.saveConnection({ connectionId: first!, identity: inboxSocket(randomUUID()) }, NOW);
        await s.saveConnection({ connectionId: second!, identity: inboxSocket(randomUUID()) }, NOW);

        await expect(s.admitFrame(first!, NOW, typing)).resolves.toMatchObject({ relayTyping: true });
        await expect(s.admitFrame(second!, NOW + 1, typing)).resolves.toMatchObject({ relayTyping: true });
      });

      it('refuses a typing frame over the frame limit as any frame, without moving the relay time', async () => {
        const s = store({ messagesPerSecond: 1 });
        const connectionId = randomUUID();
        const identity = roomSocket(randomUUID());
        await s.saveConnection({ connectionId, identity }, NOW);
        await s.admitFrame(connectionId, NOW);

        await expect(s.admitFrame(connectionId, NOW + 500, typing)).resolves.toEqual({
          admitted: false,
          reason: 'rate-limited',
          repeated: false,
        });
        await expect(s.admitFrame(connectionId, NOW + 1000, typing)).resolves.toEqual({
          admitted: true,
          identity,
          relayTyping: true,
        });
      });

      it('throttles the relay with the frame limit disabled too, and answers unknown-connection for an unknown socket', async () => {
        const s = store({ messagesPerSecond: 0 });
        const connectionId = randomUUID();
        const identity = inboxSocket(randomUUID());
        await s.saveConnection({ connectionId, identity }, NOW);

        await expect(s.admitFrame(connectionId, NOW, typing)).resolves.toEqual({
          admitted: true,
          identity,
          relayTyping: true,
        });
        await expect(s.admitFrame(connectionId, NOW + 1, typing)).resolves.toEqual({
          admitted: true,
          identity,
          relayTyping: false,
        });
        await expect(s.admitFrame(randomUUID(), NOW, typing)).resolves.toEqual({
          admitted: false,
          reason: 'unknown-connection',
        });
        await expect(store().admitFrame(randomUUID(), NOW, typing)).resolves.toEqual({
          admitted: false,
          reason: 'unknown-connection',
        });
      });
    });

    it('removes a connection by id, telling who it was, then answers undefined', async () => {
      const s = store();
      const roomId = randomUUID();
      const ownerId = randomUUID();
      const [room, inbox] = connectionIds(2);
      await s.saveConnection({ connectionId: room!, identity: roomSocket(roomId) }, 1);
      await s.saveConnection({ connectionId: inbox!, identity: inboxSocket(ownerId) }, 1);

      await expect(s.removeConnectionById(room!)).resolves.toEqual(roomSocket(roomId));
      await expect(s.removeConnectionById(inbox!)).resolves.toEqual(inboxSocket(ownerId));

      await expect(s.removeConnectionById(room!)).resolves.toBeUndefined();
      await expect(s.listRoomConnections(roomId)).resolves.toEqual([]);
      await expect(s.listInboxConnections(ownerId)).resolves.toEqual([]);
      await expect(s.admitFrame(room!, 1)).resolves.toEqual({ admitted: false, reason: 'unknown-connection' });
    });

    it('removes a known connection, both its rows, and is quiet when it is already gone', async () => {
      const s = store();
      const roomId = randomUUID();
      const ownerId = randomUUID();
      const [room, inbox, other] = connectionIds(3);
      await s.saveConnection({ connectionId: room!, identity: roomSocket(roomId) }, 1);
      await s.saveConnection({ connectionId: other!, identity: roomSocket(roomId, 'owner') }, 2);
      await s.saveConnection({ connectionId: inbox!, identity: inboxSocket(ownerId) }, 1);

      await s.removeKnownConnection({ connectionId: room!, identity: roomSocket(roomId) });
      await s.removeKnownConnection({ connectionId: inbox!, identity: inboxSocket(ownerId) });
      await s.removeKnownConnection({ connectionId: inbox!, identity: inboxSocket(ownerId) });

      await expect(s.listRoomConnections(roomId)).resolves.toEqual([
        { connectionId: other, role: 'owner', connectedAt: 2 },
      ]);
      await expect(s.listInboxConnections(ownerId)).resolves.toEqual([]);
      await expect(s.admitFrame(room!, 1)).resolves.toEqual({ admitted: false, reason: 'unknown-connection' });
      await expect(s.removeConnectionById(inbox!)).resolves.toBeUndefined();
    });
  });

  describe('start limits', () => {
    const NOW = 1_772_000_000_000;
    const cases = [
      ['per address', 'admitRoomStart', 'startsPerMinute', START_LIMIT_WINDOWS.perAddressMs],
      ['per owner', 'admitOwnerRoomStart', 'startsPerHourPerOwner', START_LIMIT_WINDOWS.perOwnerMs],
    ] as const;

    for (const [name, method, setting, windowMs] of cases) {
      describe(name, () => {
        it('admits the limit within the window, refuses the next, and admits again as the oldest leaves it', async () => {
          const s = store({ [setting]: 2 });
          const key = randomUUID();
          const admit = (time: number, which = key) => s[method](which, time);

          await expect(admit(NOW)).resolves.toBe(true);
          await expect(admit(NOW + 10)).resolves.toBe(true);
          await expect(admit(NOW + windowMs - 1)).resolves.toBe(false);
          // The limit is per key.
          await expect(admit(NOW + 20, randomUUID())).resolves.toBe(true);
          // The refused start did not count.
          await expect(admit(NOW + windowMs)).resolves.toBe(true);
          await expect(admit(NOW + windowMs + 9)).resolves.toBe(false);
          await expect(admit(NOW + windowMs + 10)).resolves.toBe(true);
        });

        it('admits every start when the limit is disabled', async () => {
          const s = store({ [setting]: 0 });
          const key = randomUUID();
          for (let i = 0; i < 5; i += 1) await expect(s[method](key, NOW)).resolves.toBe(true);
        });
      });
    }
  });
}
