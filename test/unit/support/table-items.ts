import { ItemCodec, type Item } from '../../../lambdas/adapters/item-codec.js';
import type { ChatMessage, ConnectionIdentity, Room } from '../../../lambdas/domain/model.js';
import { hashVisitorToken } from '../../../lambdas/domain/visitor-token.js';
import { OWNER_A, ROOM_ID, VISITOR_TOKEN } from './fixtures.js';

/**
 * DynamoDB items as DynamoChatStore writes them, built by its own item codec (with no room or
 * message retention, as the unit tests' stores have): `attributes` adds or replaces raw
 * attributes (an expiry, a field an older item lacks) after the codec.
 */
const codec = new ItemCodec({ connectionSeconds: 3 * 3600 });

/** When the fixture connections were accepted (epoch ms). */
export const CONNECTED_AT = 1_770_289_200_123;

export const storedRoom = (overrides: Partial<Room> = {}): Room => ({
  id: ROOM_ID,
  ownerId: OWNER_A,
  visitorName: 'Aziz',
  isActive: true,
  createdAt: '2026-02-05T11:00:00.000Z',
  updatedAt: '2026-02-05T11:00:00.000Z',
  visitorTokenHash: hashVisitorToken(VISITOR_TOKEN),
  ...overrides,
});

export const roomItem = (overrides: Partial<Room> = {}, attributes: Item = {}): Item => ({
  ...codec.room(storedRoom(overrides)),
  ...attributes,
});

export const messageItem = (message: ChatMessage, attributes: Item = {}): Item => ({
  ...codec.message(message),
  ...attributes,
});

/** The connection row of a socket (a visitor of ROOM_ID unless told otherwise). */
export const connectionItem = (
  connectionId: string,
  identity: ConnectionIdentity = { kind: 'room', roomId: ROOM_ID, ownerId: OWNER_A, role: 'visitor' },
): Item => codec.connection({ connectionId, identity }, CONNECTED_AT).connection;
