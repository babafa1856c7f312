import { describe, expect, it } from 'vitest';
import { REPEATED_REFUSALS } from '../../../lambdas/domain/ports.js';
import type { ChatMessage } from '../../../lambdas/domain/model.js';
import { OTHER_ROOM_ID, OWNER_A, ROOM_ID, seedRoom } from './fixtures.js';
import { InMemoryChatStore } from './in-memory-chat-store.js';

/** The fake stands in for DynamoChatStore in every domain test: these pin the port semantics it must keep. */
describe('in-memory chat store (test fake)', () => {
  const message: ChatMessage = {
    id: '00000001-0000-4000-8000-000000000000',
    roomId: ROOM_ID,
    senderType: 'visitor',
    content: 'first',
    createdAt: '2026-02-05T11:00:00.000Z',
  };

  it('refuses a second message with the same id and returns the original', async () => {
    const store = new InMemoryChatStore();

    await expect(store.putMessage(message)).resolves.toEqual({ stored: true });
    await expect(store.putMessage({ ...message, content: 'second' })).resolves.toEqual({ stored: false, original: message });
    expect(store.messagesOf(ROOM_ID)).toEqual([message]);
  });

  it('refuses to create a room twice, like the conditional put', async () => {
    const store = new InMemoryChatStore();
    const room = seedRoom(store);

    await expect(store.createRoom(room)).rejects.toThrow();
  });

  it('moves updated_at only forward', async () => {
    const store = new InMemoryChatStore();
    seedRoom(store, { updatedAt: '2026-02-05T12:00:00.000Z' });

    await expect(store.touchRoom(ROOM_ID, '2026-02-05T11:00:00.000Z', 10)).resolves.toBe('counted');
    expect(store.rooms.get(ROOM_ID)?.updatedAt).toBe('2026-02-05T12:00:00.000Z');
    await store.touchRoom(ROOM_ID, '2026-02-05T13:00:00.000Z', 10);
    expect(store.rooms.get(ROOM_ID)?.updatedAt).toBe('2026-02-05T13:00:00.000Z');
    // An out-of-order message is still counted, as the adapter's second write does.
    expect(store.messageCounts.get(ROOM_ID)).toBe(2);
  });

  it('counts messages in an active room up to the maximum, then answers full; a closed or unknown room is closed', async () => {
    const store = new InMemoryChatStore();
    seedRoom(store);
    seedRoom(store, { id: OTHER_ROOM_ID, isActive: false });
    const at = '2026-02-05T11:00:00.000Z';

    await expect(store.touchRoom(ROOM_ID, at, 2)).resolves.toBe('counted');
    await expect(store.touchRoom(ROOM_ID, at, 2)).resolves.toBe('counted');
    await expect(store.touchRoom(ROOM_ID, at, 2)).resolves.toBe('full');
    await store.uncountMessage(ROOM_ID);
    await expect(store.touchRoom(ROOM_ID, at, 2)).resolves.toBe('counted');
    await expect(store.touchRoom(OTHER_ROOM_ID, at, 2)).resolves.toBe('closed');
    await expect(store.touchRoom('no-such-room', at, 2)).resolves.toBe('closed');
    expect(store.messageCounts.get(OTHER_ROOM_ID)).toBeUndefined();
  });

  it('never counts below zero and deletes a message by id', async () => {
    const store = new InMemoryChatStore();
    await store.uncountMessage(ROOM_ID);
    expect(store.messageCounts.get(ROOM_ID) ?? 0).toBe(0);
    await store.putMessage(message);

    await store.deleteMessage(ROOM_ID, message.id);

    expect(store.messagesOf(ROOM_ID)).toEqual([]);
  });

  it('lists rooms most recent activity first', async () => {
    const store = new InMemoryChatStore();
    seedRoom(store, { id: ROOM_ID, updatedAt: '2026-02-05T10:00:00.000Z' });
    seedRoom(store, { id: OTHER_ROOM_ID, updatedAt: '2026-02-05T11:00:00.000Z' });

    expect((await store.listRoomsByOwner(OWNER_A)).map((r) => r.id)).toEqual([OTHER_ROOM_ID, ROOM_ID]);
  });

  it('hands out copies, so a use case cannot change stored state by mutating a result', async () => {
    const store = new InMemoryChatStore();
    seedRoom(store);

    const room = await store.getRoom(ROOM_ID);
    if (room) room.isActive = false;

    expect(store.rooms.get(ROOM_ID)?.isActive).toBe(true);
  });

  it('removes a connection once, telling who it was, then undefined', async () => {
    const store = new InMemoryChatStore();
    const identity = { kind: 'room', roomId: ROOM_ID, ownerId: OWNER_A, role: 'visitor' } as const;
    await store.saveConnection({ connectionId: 'c-1', identity }, 0);

    await expect(store.removeConnectionById('c-1')).resolves.toEqual(identity);
    await expect(store.removeConnectionById('c-1')).resolves.toBeUndefined();
    await expect(store.listRoomConnections(ROOM_ID)).resolves.toEqual([]);
  });

  it('admits n sends per second with the same boundary as the DynamoDB condition (rl <= now - 1000)', async () => {
    const store = new InMemoryChatStore({ messagesPerSecond: 2 });
    await store.saveConnection({ connectionId: 'c-1', identity: { kind: 'inbox', ownerId: OWNER_A, role: 'owner' } }, 0);

    await expect(store.admitFrame('c-1', 10_000)).resolves.toMatchObject({ admitted: true });
    await expect(store.admitFrame('c-1', 10_500)).resolves.toMatchObject({ admitted: true });
    await expect(store.admitFrame('c-1', 10_999)).resolves.toEqual({ admitted: false, reason: 'rate-limited', repeated: false });
    await expect(store.admitFrame('c-1', 11_000)).resolves.toMatchObject({ admitted: true });
    await expect(store.admitFrame('nobody', 11_000)).resolves.toEqual({ admitted: false, reason: 'unknown-connection' });
  });

  it('says repeated once REPEATED_REFUSALS.count refusals fall within REPEATED_REFUSALS.withinMs', async () => {
    const store = new InMemoryChatStore({ messagesPerSecond: 1 });
    await store.saveConnection({ connectionId: 'c-1', identity: { kind: 'inbox', ownerId: OWNER_A, role: 'owner' } }, 0);
    await store.admitFrame('c-1', 0);
    const refusals = [];
    for (let i = 1; i <= REPEATED_REFUSALS.count; i += 1) refusals.push(await store.admitFrame('c-1', i));

    expect(refusals.map((r) => !r.admitted && r.reason === 'rate-limited' && r.repeated)).toEqual([
      ...Array(REPEATED_REFUSALS.count - 1).fill(false),
      true,
    ]);
  });

  it('does not count a refused send against the window', async () => {
    const store = new InMemoryChatStore({ messagesPerSecond: 1 });
    await store.saveConnection({ connectionId: 'c-1', identity: { kind: 'inbox', ownerId: OWNER_A, role: 'owner' } }, 0);

    await store.admitFrame('c-1', 10_000);
    await store.admitFrame('c-1', 10_900);

    await expect(store.admitFrame('c-1', 11_000)).resolves.toMatchObject({ admitted: true });
  });
});
