import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { barrier, broadcastOf, closeAll, framesOf, sendAndEcho, waitForFrames, type Frame } from './support/chat.js';
import { MANY_ROOM_STARTS, useLocalStack } from './support/local-stack-fixture.js';
import { refusalOf, type TestSocket } from './support/ws-client.js';

/** The owner's inbox socket: every room of that owner, on every device, and nobody else's. */
const local = useLocalStack({ environment: MANY_ROOM_STARTS });

const ROOM_VIEW_KEYS = [
  'created_at',
  'id',
  'is_active',
  'last_message',
  'last_read',
  'owner_id',
  'unread_count',
  'updated_at',
  'visitor_name',
];

/** Waits until every socket has `count` frames and returns them, the same on each. */
async function sameFrames(sockets: TestSocket[], count: number, what: string): Promise<Frame[]> {
  const all = await Promise.all(sockets.map((s) => waitForFrames(s, (f) => f.length >= count, what)));
  for (const frames of all) expect(frames).toEqual(all[0]);
  return all[0]!.slice(0, count);
}

describe("the owner's inbox", () => {
  it("tells every device of the owner about new rooms, messages and closing, and nobody else's", async () => {
    const ownerA = randomUUID();
    const ownerB = randomUUID();
    const [tokenA, tokenB] = await Promise.all([local.api.ownerToken(ownerA), local.api.ownerToken(ownerB)]);
    const phoneA = await local.api.inboxSocket(tokenA);
    const tabletA = await local.api.inboxSocket(tokenA);
    const inboxB = await local.api.inboxSocket(tokenB);
    const inboxesA = [phoneA, tabletA];

    // A visitor starts a chat with A: both of A's devices hear of it before the start returns.
    const room = await local.api.startChat(ownerA, 'Ali');
    const [created] = await sameFrames(inboxesA, 1, 'room.created');
    expect(created).toEqual({ type: 'room.created', room: expect.any(Object) });
    const view = created!.room as Frame;
    expect(Object.keys(view).sort()).toEqual(ROOM_VIEW_KEYS);
    expect(view).toMatchObject({ id: room.room_id, owner_id: ownerA, visitor_name: 'Ali', is_active: true });
    expect(view.created_at).toBe(view.updated_at);
    // The same room the room list shows (the list is a GSI: eventually consistent).
    await expect.poll(() => local.api.listRooms(tokenA), { timeout: 5000 }).toEqual([view]);

    // Messages of both sides reach the inboxes in the broadcast's shape.
    const visitor = await local.api.visitorSocket(room);
    const owner = await local.api.ownerSocket(room.room_id, tokenA);
    const fromVisitor = await sendAndEcho(visitor, 'Salom');
    await broadcastOf(owner, 'Salom');
    const fromOwner = await sendAndEcho(owner, 'Va alaykum assalom');
    const [, first, second] = await sameFrames(inboxesA, 3, 'two messages');
    expect(first).toEqual({ type: 'message', message: fromVisitor });
    expect(second).toEqual({ type: 'message', message: fromOwner });
    expect(fromVisitor.sender_type).toBe('visitor');
    expect(fromOwner.sender_type).toBe('owner');

    // Closing: room.updated with the closed room, as the close answered it.
    const close = await local.api.closeRoom(room.room_id, tokenA);
    expect(close.status).toBe(200);
    const closedView = (await close.json()) as Frame;
    expect(closedView).toMatchObject({ id: room.room_id, is_active: false });
    const [, , , updated] = await sameFrames(inboxesA, 4, 'room.updated');
    expect(updated).toEqual({ type: 'room.updated', room: closedView });

    // B's inbox heard none of it.
    await barrier([phoneA, tabletA, inboxB]);
    expect(framesOf(inboxB)).toEqual([]);
    expect(framesOf(phoneA)).toHaveLength(4);
    await closeAll([phoneA, tabletA, inboxB, visitor, owner]);
  });

  it("sends B's rooms to B's inbox only", async () => {
    const ownerA = randomUUID();
    const ownerB = randomUUID();
    const inboxA = await local.api.inboxSocket(await local.api.ownerToken(ownerA));
    const inboxB = await local.api.inboxSocket(await local.api.ownerToken(ownerB));
    const room = await local.api.startChat(ownerB);
    const visitor = await local.api.visitorSocket(room);
    const message = await sendAndEcho(visitor, 'for B');
    await barrier([inboxA, inboxB, visitor]);
    expect(framesOf(inboxB).map((f) => f.type)).toEqual(['room.created', 'message']);
    expect(framesOf(inboxB)[1]).toEqual({ type: 'message', message });
    expect(framesOf(inboxA)).toEqual([]);
    await closeAll([inboxA, inboxB, visitor]);
  });

  it('needs an owner token, and only receives', async () => {
    const ownerId = randomUUID();
    const token = await local.api.ownerToken(ownerId);
    const room = await local.api.startChat(ownerId);
    expect(await refusalOf(`${local.stack.wsUrl}/ws/inbox/`)).toBe('handshake refused: 401');
    expect(await refusalOf(`${local.stack.wsUrl}/ws/inbox/?visitor=${room.visitor_token}`)).toBe(
      'handshake refused: 401',
    );
    expect(await refusalOf(`${local.stack.wsUrl}/ws/inbox/?token=not.a.jwt`)).toBe('handshake refused: 401');

    const phone = await local.api.inboxSocket(token);
    const tablet = await local.api.inboxSocket(token);
    const owner = await local.api.ownerSocket(room.room_id, token);
    phone.ws.send(JSON.stringify({ message: 'sent on the inbox' }));
    const [answer] = await waitForFrames(phone, (f) => f.length === 1, 'an answer on the inbox');
    expect(answer).toEqual({ error: expect.any(String), code: 'inbox_receives_only' });
    await barrier([phone, tablet, owner]);
    expect(framesOf(tablet)).toEqual([]);
    expect(framesOf(owner)).toEqual([]);
    expect(phone.ws.readyState).toBe(phone.ws.OPEN);
    expect(await local.api.messages(room.room_id, { token })).toEqual([]);
    await closeAll([phone, tablet, owner]);
  });
});
