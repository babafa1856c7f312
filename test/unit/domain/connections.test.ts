import { beforeEach, describe, expect, it } from 'vitest';
import { connect, disconnect, type ConnectRequest } from '../../../lambdas/domain/connections.js';
import { ChatError, ForbiddenError, UnauthorizedError, ValidationError } from '../../../lambdas/domain/errors.js';
import {
  makeWorld,
  OTHER_ROOM_ID,
  OWNER_A,
  OWNER_A_TOKEN,
  OWNER_B,
  OWNER_B_TOKEN,
  ROOM_ID,
  seedRoom,
  UNKNOWN_UUID,
  VISITOR_TOKEN,
  type World,
} from '../support/fixtures.js';

const CONNECTED_AT = 1_770_289_200_000;

let world: World;
beforeEach(() => {
  world = makeWorld();
  seedRoom(world.store);
});

const request = (query: ConnectRequest['query'], connectionId = 'conn-1'): ConnectRequest => ({
  connectionId,
  query,
  connectedAtMs: CONNECTED_AT,
});

async function refusal(query: ConnectRequest['query']): Promise<ChatError> {
  const error = await connect(world, request(query)).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ChatError);
  return error as ChatError;
}

describe('connect', () => {
  it('admits the visitor with its token as a visitor socket of the room', async () => {
    const identity = await connect(world, request({ room: ROOM_ID, visitor: VISITOR_TOKEN }));

    expect(identity).toEqual({ kind: 'room', roomId: ROOM_ID, ownerId: OWNER_A, role: 'visitor' });
    await expect(world.store.listRoomConnections(ROOM_ID)).resolves.toEqual([{ connectionId: 'conn-1', role: 'visitor' }]);
    expect(world.store.connections.get('conn-1')?.connectedAt).toBe(CONNECTED_AT);
  });

  it('admits the owner with its JWT as an owner socket of the room', async () => {
    const identity = await connect(world, request({ room: ROOM_ID, token: OWNER_A_TOKEN }));

    expect(identity).toEqual({ kind: 'room', roomId: ROOM_ID, ownerId: OWNER_A, role: 'owner' });
    await expect(world.store.listRoomConnections(ROOM_ID)).resolves.toEqual([{ connectionId: 'conn-1', role: 'owner' }]);
  });

  it('lower-cases an upper-case room id', async () => {
    const identity = await connect(world, request({ room: ROOM_ID.toUpperCase(), visitor: VISITOR_TOKEN }));

    expect(identity).toMatchObject({ roomId: ROOM_ID });
  });

  it.each([['1'], ['true']])('admits the owner inbox with inbox=%s and the JWT', async (inbox) => {
    const identity = await connect(world, request({ inbox, token: OWNER_A_TOKEN }));

    expect(identity).toEqual({ kind: 'inbox', ownerId: OWNER_A, role: 'owner' });
    await expect(world.store.listInboxConnections(OWNER_A)).resolves.toEqual(['conn-1']);
    await expect(world.store.listRoomConnections(ROOM_ID)).resolves.toEqual([]);
  });

  it('does not treat inbox=0 as an inbox', async () => {
    const error = await refusal({ inbox: '0', token: OWNER_A_TOKEN });

    expect(error).toBeInstanceOf(ValidationError);
  });

  describe('refuses, storing nothing', () => {
    const cases: [string, ConnectRequest['query'], typeof ChatError, number][] = [
      ['an unknown room (visitor)', { room: UNKNOWN_UUID, visitor: VISITOR_TOKEN }, ForbiddenError, 403],
      ['an unknown room (owner)', { room: UNKNOWN_UUID, token: OWNER_A_TOKEN }, ForbiddenError, 403],
      ['a wrong visitor token', { room: ROOM_ID, visitor: UNKNOWN_UUID }, ForbiddenError, 403],
      ['another owner', { room: ROOM_ID, token: OWNER_B_TOKEN }, ForbiddenError, 403],
      ['an invalid owner token', { room: ROOM_ID, token: 'forged' }, UnauthorizedError, 401],
      ['no credentials', { room: ROOM_ID }, UnauthorizedError, 401],
      ['empty credentials', { room: ROOM_ID, visitor: '', token: '' }, UnauthorizedError, 401],
      ['a malformed room id', { room: 'lobby', visitor: VISITOR_TOKEN }, ValidationError, 400],
      ['no room id', { visitor: VISITOR_TOKEN }, ValidationError, 400],
      ['an inbox without a token', { inbox: '1' }, UnauthorizedError, 401],
      ['an inbox with an invalid token', { inbox: '1', token: 'forged' }, UnauthorizedError, 401],
    ];

    it.each(cases)('%s', async (_case, query, type, status) => {
      const error = await refusal(query);

      expect(error).toBeInstanceOf(type);
      expect(error.status).toBe(status);
      expect(world.store.knowsConnection('conn-1')).toBe(false);
    });

    it.each([
      ['visitor', { room: ROOM_ID, visitor: VISITOR_TOKEN }],
      ['owner', { room: ROOM_ID, token: OWNER_A_TOKEN }],
    ])('a %s of a closed room with 403', async (_who, query) => {
      seedRoom(world.store, { isActive: false });

      const error = await refusal(query);

      expect(error).toBeInstanceOf(ForbiddenError);
      expect(world.store.knowsConnection('conn-1')).toBe(false);
    });

    it("the visitor token of one room on another room with 403", async () => {
      seedRoom(world.store, { id: OTHER_ROOM_ID, ownerId: OWNER_B }, UNKNOWN_UUID);

      const error = await refusal({ room: OTHER_ROOM_ID, visitor: VISITOR_TOKEN });

      expect(error).toBeInstanceOf(ForbiddenError);
    });
  });

  it('never logs the visitor token or the JWT', async () => {
    await connect(world, request({ room: ROOM_ID, visitor: VISITOR_TOKEN }, 'conn-1'));
    await connect(world, request({ room: ROOM_ID, token: OWNER_A_TOKEN }, 'conn-2'));

    const logged = JSON.stringify(world.logger.entries);
    expect(logged).not.toContain(VISITOR_TOKEN);
    expect(logged).not.toContain(OWNER_A_TOKEN);
  });
});

describe('disconnect', () => {
  it('forgets a room socket, meta and membership both', async () => {
    await connect(world, request({ room: ROOM_ID, visitor: VISITOR_TOKEN }));

    await disconnect(world, 'conn-1');

    expect(world.store.knowsConnection('conn-1')).toBe(false);
    await expect(world.store.listRoomConnections(ROOM_ID)).resolves.toEqual([]);
  });

  it('forgets an inbox socket', async () => {
    await connect(world, request({ inbox: '1', token: OWNER_A_TOKEN }));

    await disconnect(world, 'conn-1');

    await expect(world.store.listInboxConnections(OWNER_A)).resolves.toEqual([]);
  });

  it('leaves the other sockets of the room in place', async () => {
    await connect(world, request({ room: ROOM_ID, visitor: VISITOR_TOKEN }, 'conn-1'));
    await connect(world, request({ room: ROOM_ID, token: OWNER_A_TOKEN }, 'conn-2'));

    await disconnect(world, 'conn-1');

    await expect(world.store.listRoomConnections(ROOM_ID)).resolves.toEqual([{ connectionId: 'conn-2', role: 'owner' }]);
  });

  it('is idempotent: an unknown or already removed connection is fine', async () => {
    await expect(disconnect(world, 'never-connected')).resolves.toBeUndefined();
    expect(world.logger.find('disconnected')).toEqual([
      { level: 'info', message: 'disconnected', extra: { connectionId: 'never-connected', known: false } },
    ]);
  });
});

