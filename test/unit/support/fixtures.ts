import type { Room } from '../../../lambdas/domain/model.js';
import { hashVisitorToken } from '../../../lambdas/domain/visitor-token.js';
import { FakeOwnerVerifier } from './fake-verifier.js';
import { FixedClock } from './fixed-clock.js';
import { InMemoryChatStore, type InMemoryChatStoreOptions, type Timeline } from './in-memory-chat-store.js';
import { RecordingEventPublisher } from './recording-events.js';
import { RecordingGateway } from './recording-gateway.js';
import { RecordingLogger } from './recording-logger.js';
import { RecordingMetrics } from './recording-metrics.js';

export const OWNER_A = '0b5e1a2c-3d4f-4a5b-8c6d-7e8f9a0b1c2d';
export const OWNER_B = '1c6f2b3d-4e5a-4b6c-9d7e-8f9a0b1c2d3e';
export const OWNER_A_TOKEN = 'jwt-of-owner-a';
export const OWNER_B_TOKEN = 'jwt-of-owner-b';
export const ROOM_ID = '2d7a3c4e-5f6b-4c7d-8e8f-9a0b1c2d3e4f';
export const OTHER_ROOM_ID = '3e8b4d5f-6a7c-4d8e-9f9a-0b1c2d3e4f5a';
export const VISITOR_TOKEN = '4f9c5e6a-7b8d-4e9f-8a0b-1c2d3e4f5a6b';
export const UNKNOWN_UUID = '5a0d6f7b-8c9e-4f0a-9b1c-2d3e4f5a6b7c';

/** Everything a use case can ask for, in memory, sharing one timeline. */
export function makeWorld(options: InMemoryChatStoreOptions = {}) {
  const timeline: Timeline = [];
  const store = new InMemoryChatStore({ ...options, timeline });
  const gateway = new RecordingGateway(timeline);
  const verifier = new FakeOwnerVerifier({ [OWNER_A_TOKEN]: OWNER_A, [OWNER_B_TOKEN]: OWNER_B });
  const events = new RecordingEventPublisher();
  const clock = new FixedClock();
  const logger = new RecordingLogger();
  const metrics = new RecordingMetrics();
  // The connect use case's cap (sockets per room member), at its default.
  return { timeline, store, gateway, verifier, events, clock, logger, metrics, socketsPerRoomMember: 5 };
}

export type World = ReturnType<typeof makeWorld>;

/** Puts a room straight into the store, as startChat would have left it. */
export function seedRoom(store: InMemoryChatStore, overrides: Partial<Room> = {}, visitorToken = VISITOR_TOKEN): Room {
  const room: Room = {
    id: ROOM_ID,
    ownerId: OWNER_A,
    visitorName: 'Aziz',
    isActive: true,
    createdAt: '2026-02-05T10:00:00.000Z',
    updatedAt: '2026-02-05T10:00:00.000Z',
    visitorTokenHash: hashVisitorToken(visitorToken),
    ...overrides,
  };
  store.rooms.set(room.id, structuredClone(room));
  return room;
}

/** The fields issue 12 added to a room object, for a room without messages or reads. */
export const NO_ACTIVITY = { last_message: null, unread_count: 0, last_read: { owner: null, visitor: null } } as const;
