import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { handshakeCredentials, makeHandler } from '../../../../lambdas/handlers/ws/connect.route.js';
import { envName } from '../../../../lambdas/config/settings-contract.js';
import { UnauthorizedError } from '../../../../lambdas/domain/errors.js';
import {
  makeWorld,
  OWNER_A,
  OWNER_A_TOKEN,
  OWNER_B_TOKEN,
  ROOM_ID,
  seedRoom,
  UNKNOWN_UUID,
  VISITOR_TOKEN,
  type World,
} from '../../support/fixtures.js';
import { loadHandler } from '../../support/handler-env.js';
import { webSocketEvent } from '../../support/lambda-events.js';

/** The handler on in-memory fakes, with one open room. */
let world: World;
let handler: ReturnType<typeof makeHandler>;

const load = (env: Record<string, string | undefined> = {}) =>
  loadHandler(() => import('../../../../lambdas/handlers/ws/connect.js'), env);

const CONNECTED_AT = 1_770_289_200_000;
const connectEvent = (query?: Record<string, string>) =>
  webSocketEvent({ routeKey: '$connect', connectionId: 'conn-1', connectedAt: CONNECTED_AT, query });

const roomSockets = async () =>
  (await world.store.listRoomConnections(ROOM_ID)).map((socket) => socket.connectionId).sort();

beforeEach(() => {
  world = makeWorld();
  seedRoom(world.store);
  handler = makeHandler(world);
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('$connect', () => {
  it('accepts the visitor with its token and remembers the socket, with the time of the handshake', async () => {
    const saveConnection = vi.spyOn(world.store, 'saveConnection');

    const result = await handler(connectEvent({ room: ROOM_ID, visitor: VISITOR_TOKEN }));

    expect(result).toEqual({ statusCode: 200 });
    expect(saveConnection.mock.calls).toEqual([
      [
        { connectionId: 'conn-1', identity: { kind: 'room', roomId: ROOM_ID, ownerId: OWNER_A, role: 'visitor' } },
        CONNECTED_AT,
      ],
    ]);
    expect(await world.store.listRoomConnections(ROOM_ID)).toEqual([
      expect.objectContaining({ connectionId: 'conn-1', role: 'visitor', connectedAt: CONNECTED_AT }),
    ]);
  });

  it('accepts the owner with a JWT in the token parameter', async () => {
    const result = await handler(connectEvent({ room: ROOM_ID, token: OWNER_A_TOKEN }));

    expect(result).toEqual({ statusCode: 200 });
    expect(world.verifier.verified).toEqual([OWNER_A_TOKEN]);
    expect(await world.store.listRoomConnections(ROOM_ID)).toEqual([
      expect.objectContaining({ connectionId: 'conn-1', role: 'owner' }),
    ]);
  });

  it.each([['1'], ['true']])('accepts the owner inbox (inbox=%s)', async (inbox) => {
    const result = await handler(connectEvent({ inbox, token: OWNER_A_TOKEN }));

    expect(result).toEqual({ statusCode: 200 });
    expect(await world.store.listInboxConnections(OWNER_A)).toEqual(['conn-1']);
  });

  it('reads the handshake query as the credentials, and nothing else', () => {
    expect(handshakeCredentials({ room: ROOM_ID, visitor: VISITOR_TOKEN, token: 'jwt', inbox: '0' })).toEqual({
      inbox: false,
      room: ROOM_ID,
      ownerToken: 'jwt',
      visitorToken: VISITOR_TOKEN,
    });
  });

  it('takes the time from the injected clock when the handshake carries none', async () => {
    const saveConnection = vi.spyOn(world.store, 'saveConnection');
    const event = connectEvent({ room: ROOM_ID, visitor: VISITOR_TOKEN });
    delete (event.requestContext as { connectedAt?: number }).connectedAt;

    await makeHandler({ ...world, now: () => 42 })(event);

    expect(saveConnection.mock.calls[0]?.[1]).toBe(42);
  });

  describe('refuses the handshake with the typed status and stores nothing', () => {
    let saveConnection: MockInstance<World['store']['saveConnection']>;

    beforeEach(() => {
      saveConnection = vi.spyOn(world.store, 'saveConnection');
    });

    it.each([
      ['no query at all', undefined, 400],
      ['a malformed room id', { room: 'lobby', visitor: VISITOR_TOKEN }, 400],
      ['no credentials', { room: ROOM_ID }, 401],
      ['a wrong visitor token', { room: ROOM_ID, visitor: UNKNOWN_UUID }, 403],
      ['an unknown room', { room: UNKNOWN_UUID, visitor: VISITOR_TOKEN }, 403],
    ])('%s', async (_case, query, status) => {
      const result = await handler(connectEvent(query));

      expect(result).toMatchObject({ statusCode: status });
      expect(saveConnection).not.toHaveBeenCalled();
    });

    it('another owner: 403', async () => {
      const result = await handler(connectEvent({ room: ROOM_ID, token: OWNER_B_TOKEN }));

      expect(result).toMatchObject({ statusCode: 403 });
      expect(saveConnection).not.toHaveBeenCalled();
    });

    it('an owner token the verifier refuses (expired, say): 401', async () => {
      vi.spyOn(world.verifier, 'verify').mockRejectedValue(new UnauthorizedError('Token is expired.'));

      const result = await handler(connectEvent({ room: ROOM_ID, token: OWNER_A_TOKEN }));

      expect(result).toMatchObject({ statusCode: 401 });
      expect(saveConnection).not.toHaveBeenCalled();
    });

    it('a closed room: 403', async () => {
      seedRoom(world.store, { isActive: false });

      const result = await handler(connectEvent({ room: ROOM_ID, visitor: VISITOR_TOKEN }));

      expect(result).toMatchObject({ statusCode: 403 });
      expect(saveConnection).not.toHaveBeenCalled();
    });
  });

  describe('re-checks the room after writing its rows', () => {
    it('a room closed meanwhile: 403, and its own rows are deleted again', async () => {
      const save = world.store.saveConnection.bind(world.store);
      vi.spyOn(world.store, 'saveConnection').mockImplementation(async (connection, connectedAt) => {
        await save(connection, connectedAt);
        seedRoom(world.store, { isActive: false });
      });

      const result = await handler(connectEvent({ room: ROOM_ID, visitor: VISITOR_TOKEN }));

      expect(result).toMatchObject({ statusCode: 403 });
      expect(world.store.knowsConnection('conn-1')).toBe(false);
      expect(await roomSockets()).toEqual([]);
    });

    it('a socket beyond the sockets-per-member cap: 429, and only its own rows are deleted again', async () => {
      for (const [n, id] of ['old-1', 'old-2'].entries()) {
        await world.store.saveConnection(
          { connectionId: id, identity: { kind: 'room', roomId: ROOM_ID, ownerId: OWNER_A, role: 'visitor' } },
          CONNECTED_AT - 2 + n,
        );
      }

      const result = await makeHandler({ ...world, socketsPerRoomMember: 2 })(
        connectEvent({ room: ROOM_ID, visitor: VISITOR_TOKEN }),
      );

      expect(result).toMatchObject({ statusCode: 429 });
      expect(world.store.knowsConnection('conn-1')).toBe(false);
      expect(await roomSockets()).toEqual(['old-1', 'old-2']);
    });
  });

  it('answers an unexpected store failure with 500 and no internals', async () => {
    vi.spyOn(world.store, 'saveConnection').mockRejectedValue(
      new Error('AccessDeniedException: arn:aws:iam::123456789012:role/chat is not authorized'),
    );

    const result = await handler(connectEvent({ room: ROOM_ID, visitor: VISITOR_TOKEN }));

    expect(result).toEqual({ statusCode: 500, body: 'Internal server error' });
  });
});

describe('the deployed entry point', () => {
  it.each(['0', '51', 'five'])('refuses to load with SOCKETS_PER_ROOM_MEMBER=%s, naming it', async (value) => {
    await expect(load({ [envName('socketsPerRoomMember')]: value })).rejects.toThrow(/SOCKETS_PER_ROOM_MEMBER/);
  });

  it('refuses to load without TABLE_NAME, naming it', async () => {
    await expect(load({ [envName('tableName')]: undefined })).rejects.toThrow(/TABLE_NAME is not set/);
  });
});
