import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { closeAll, ids, sendAndEcho, type Broadcast, type Reader, type StartedRoom } from './support/chat.js';
import { useLocalStack } from './support/local-stack-fixture.js';

/** GET .../messages/: the original whole history (docs/api.md), and the added limit/before/after paging. */
const COUNT = 25;

const local = useLocalStack({
  // Seeding sends 25 messages as fast as the echoes come back; the limit is not under test.
  environment: { MESSAGES_PER_SECOND_PER_CONNECTION: '50' },
});
let room: StartedRoom;
let otherRoom: StartedRoom;
let owner: Reader;
let visitor: Reader;
/** The seeded messages as broadcast, in the order sent. */
let sent: Broadcast[];
let otherMessage: Broadcast;

beforeAll(async () => {
  const ownerId = randomUUID();
  const token = await local.api.ownerToken(ownerId);
  owner = { token };
  room = await local.api.startChat(ownerId);
  visitor = { visitor: room.visitor_token };
  const sockets = [await local.api.visitorSocket(room), await local.api.ownerSocket(room.room_id, token)];
  sent = [];
  // Both sides take turns, each message after the previous one's echo.
  for (let i = 1; i <= COUNT; i += 1) sent.push(await sendAndEcho(sockets[i % 2]!, `message ${i}`));

  otherRoom = await local.api.startChat(ownerId);
  const otherSocket = await local.api.visitorSocket(otherRoom);
  otherMessage = await sendAndEcho(otherSocket, 'in another room');
  await closeAll([...sockets, otherSocket]);
});

/** Ids of the seeded messages with 1-based numbers from..to (inclusive). */
const seeded = (from: number, to: number) => sent.slice(from - 1, to).map((b) => b.id);
const idOf = (n: number) => sent[n - 1]!.id;

describe('the whole history', () => {
  it('is every message, oldest first, in the original shape with content', async () => {
    const history = await local.api.messages(room.room_id, owner);
    expect(history).toHaveLength(COUNT);
    expect(history).toEqual(
      sent.map((b) => ({
        id: b.id,
        room_id: room.room_id,
        sender_type: b.sender_type,
        content: b.message,
        created_at: b.created_at,
      })),
    );
    for (const item of history)
      expect(Object.keys(item).sort()).toEqual(['content', 'created_at', 'id', 'room_id', 'sender_type']);
    expect(history.map((m) => m.sender_type).slice(0, 2)).toEqual(['owner', 'visitor']);
  });

  it('is the same for the owner and for the visitor', async () => {
    expect(await local.api.messages(room.room_id, visitor)).toEqual(await local.api.messages(room.room_id, owner));
    expect(await local.api.messages(room.room_id, visitor, `limit=5&before=${idOf(20)}`)).toEqual(
      await local.api.messages(room.room_id, owner, `limit=5&before=${idOf(20)}`),
    );
  });
});

describe('paging back with limit and before', () => {
  it('gives the most recent page, then each page before it, oldest first, down to an empty page', async () => {
    const latest = await local.api.messages(room.room_id, owner, 'limit=10');
    expect(ids(latest)).toEqual(seeded(16, 25));

    const pages: string[][] = [ids(latest)];
    let oldest = latest[0]!.id;
    for (;;) {
      const page = await local.api.messages(room.room_id, visitor, `before=${oldest}&limit=10`);
      if (page.length === 0) break;
      expect(pages.length, 'pages before reaching the start').toBeLessThan(5);
      pages.push(ids(page));
      oldest = page[0]!.id;
    }
    expect(pages).toEqual([seeded(16, 25), seeded(6, 15), seeded(1, 5)]);
    expect(oldest).toBe(idOf(1));
  });

  it('gives everything before a message without a limit', async () => {
    expect(ids(await local.api.messages(room.room_id, owner, `before=${idOf(8)}`))).toEqual(seeded(1, 7));
    expect(await local.api.messages(room.room_id, owner, `before=${idOf(1)}`)).toEqual([]);
  });

  it('takes limit 1 and 200', async () => {
    expect(ids(await local.api.messages(room.room_id, owner, 'limit=1'))).toEqual(seeded(25, 25));
    expect(ids(await local.api.messages(room.room_id, owner, 'limit=200'))).toEqual(seeded(1, 25));
  });
});

describe('catching up with after', () => {
  it('gives every message after one, oldest first, or a page of them with a limit', async () => {
    expect(ids(await local.api.messages(room.room_id, visitor, `after=${idOf(10)}`))).toEqual(seeded(11, 25));
    expect(ids(await local.api.messages(room.room_id, visitor, `after=${idOf(10)}&limit=5`))).toEqual(seeded(11, 15));
    expect(ids(await local.api.messages(room.room_id, visitor, `after=${idOf(1)}`))).toEqual(seeded(2, 25));
  });

  it('gives nothing after the last message', async () => {
    expect(await local.api.messages(room.room_id, owner, `after=${idOf(COUNT)}`)).toEqual([]);
  });

  it('combined with before gives what lies strictly between, and nothing for reversed bounds', async () => {
    expect(ids(await local.api.messages(room.room_id, owner, `after=${idOf(5)}&before=${idOf(10)}`))).toEqual(
      seeded(6, 9),
    );
    expect(await local.api.messages(room.room_id, owner, `after=${idOf(5)}&before=${idOf(6)}`)).toEqual([]);
    expect(await local.api.messages(room.room_id, owner, `after=${idOf(10)}&before=${idOf(5)}`)).toEqual([]);
  });
});

describe('bad paging parameters', () => {
  it.each([
    ['an unknown before id', () => `before=${randomUUID()}`],
    ['an unknown after id', () => `after=${randomUUID()}`],
    ["another room's message as before", () => `before=${otherMessage.id}`],
    ["another room's message as after", () => `after=${otherMessage.id}`],
    ['a before that is not a UUID', () => 'before=abc'],
    ['limit=0', () => 'limit=0'],
    ['limit=201', () => 'limit=201'],
    ['limit=abc', () => 'limit=abc'],
    ['limit=-1', () => 'limit=-1'],
    ['limit=1.5', () => 'limit=1.5'],
    ['an empty limit', () => 'limit='],
  ])('answer 400 {"detail"} for %s', async (_name, query) => {
    for (const reader of [owner, visitor]) {
      const { status, body } = await local.api.history(room.room_id, reader, query());
      expect(status).toBe(400);
      expect(body).toEqual({ detail: expect.any(String) });
    }
  });

  it('do not open a room: a wrong visitor token is still 403 and no credentials 401', async () => {
    expect((await local.api.history(room.room_id, { visitor: otherRoom.visitor_token }, 'limit=10')).status).toBe(403);
    const anonymous = await fetch(`${local.stack.httpUrl}/api/chat/rooms/${room.room_id}/messages/?limit=10`);
    expect(anonymous.status).toBe(401);
  });
});
