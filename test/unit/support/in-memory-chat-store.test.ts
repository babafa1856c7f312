import { describe, expect, it } from 'vitest';
import { ROOM_ID, seedRoom } from './fixtures.js';
import { InMemoryChatStore } from './in-memory-chat-store.js';

/**
 * The port's behaviour is pinned for the fake and DynamoChatStore alike by the contract suite
 * (in-memory-chat-store.contract.test.ts); this is what only the fake needs.
 */
describe('in-memory chat store (test fake)', () => {
  it('hands out copies, so a use case cannot change stored state by mutating a result', async () => {
    const store = new InMemoryChatStore();
    seedRoom(store);

    const room = await store.getRoom(ROOM_ID);
    if (room) room.isActive = false;

    expect(store.rooms.get(ROOM_ID)?.isActive).toBe(true);
  });

  it('records both removals of a connection on the timeline, so tests can order them against other effects', async () => {
    const store = new InMemoryChatStore();
    const identity = { kind: 'inbox', ownerId: 'owner', role: 'owner' } as const;
    await store.saveConnection({ connectionId: 'c-1', identity }, 0);
    await store.saveConnection({ connectionId: 'c-2', identity }, 0);

    await store.removeConnectionById('c-1');
    await store.removeKnownConnection({ connectionId: 'c-2', identity });

    expect(store.timeline).toEqual([
      'store.saveConnection:c-1',
      'store.saveConnection:c-2',
      'store.removeConnection:c-1',
      'store.removeConnection:c-2',
    ]);
    expect(store.knowsConnection('c-1') || store.knowsConnection('c-2')).toBe(false);
  });
});
